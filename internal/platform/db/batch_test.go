package db_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
)

func TestBatcherCommitsEachWriteOnceAndIsolatesFailures(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if err := d.WriteTx(ctx, func(tx *db.Tx) error {
			_, err := tx.ExecContext(ctx, "CREATE TABLE batch_probe (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		b := d.NewBatcher(64, 0)
		defer b.Close()
		var wg sync.WaitGroup
		errs := make([]error, 200)
		for i := range 200 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = b.Do(ctx, func(tx *db.Tx) error {
					if i%10 == 0 {
						// Every tenth write violates the primary key of an earlier one and must fail
						// alone, without taking its batch down.
						if _, err := tx.ExecContext(ctx, "INSERT INTO batch_probe (id, v) VALUES (?, ?)", 100000+i, "x"); err != nil {
							return err
						}
						_, err := tx.ExecContext(ctx, "INSERT INTO batch_probe (id, v) VALUES (?, ?)", 100000+i, "dup")
						return err
					}
					_, err := tx.ExecContext(ctx, "INSERT INTO batch_probe (id, v) VALUES (?, ?)", i, "ok")
					return err
				})
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if (i%10 == 0) != (err != nil) {
				t.Errorf("write %d: %v", i, err)
			}
		}
		var n int
		d.Reader().QueryRowContext(ctx, "SELECT COUNT(*) FROM batch_probe").Scan(&n)
		if n != 180 {
			t.Errorf("rows = %d, want 180 (the failed writes left nothing, not even their first insert)", n)
		}
		b.Close()
		if err := b.Do(ctx, func(*db.Tx) error { return nil }); !errors.Is(err, db.ErrBatcherClosed) {
			t.Errorf("after close: %v", err)
		}
	})
}
