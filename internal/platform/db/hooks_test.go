package db_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
)

// sum is a per-transaction accumulator flushed by one BeforeCommit hook.
type sum struct{ n, adds int }

func addLater(tx *db.Tx, n int) {
	tx.OnSuccess(func() {
		s, ok := tx.Value("probe.sum").(*sum)
		if !ok {
			s = &sum{}
			tx.SetValue("probe.sum", s)
			tx.BeforeCommit("probe.sum", func(tx *db.Tx) error {
				if s.n < 0 {
					return errors.New("negative total")
				}
				_, err := tx.ExecContext(context.Background(), "UPDATE hook_probe SET total = total + ?, flushes = flushes + 1", s.n)
				return err
			})
		}
		s.n += n
		s.adds++
	})
}

func hookProbe(t *testing.T, d *db.DB) func() (total, flushes, rows int) {
	ctx := context.Background()
	if err := d.WriteTx(ctx, func(tx *db.Tx) error {
		for _, q := range []string{"CREATE TABLE hook_probe (total INTEGER NOT NULL, flushes INTEGER NOT NULL)", "INSERT INTO hook_probe VALUES (0, 0)",
			"CREATE TABLE hook_rows (id INTEGER PRIMARY KEY)"} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return func() (total, flushes, rows int) {
		if err := d.Reader().QueryRowContext(ctx, "SELECT total, flushes, (SELECT COUNT(*) FROM hook_rows) FROM hook_probe").Scan(&total, &flushes, &rows); err != nil {
			t.Fatal(err)
		}
		return
	}
}

func TestBeforeCommitAggregatesABatchAndDropsFailedWrites(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		read := hookProbe(t, d)
		b := d.NewBatcher(64, 0)
		defer b.Close()
		var wg sync.WaitGroup
		errs := make([]error, 100)
		for i := range 100 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = b.Do(ctx, func(tx *db.Tx) error {
					if _, err := tx.ExecContext(ctx, "INSERT INTO hook_rows (id) VALUES (?)", i); err != nil {
						return err
					}
					if i%7 == 0 {
						// Fails after asking to add: must contribute nothing.
						addLater(tx, 1000)
						return errors.New("refused")
					}
					addLater(tx, i)
					return nil
				})
			}()
		}
		wg.Wait()
		want := 0
		for i, err := range errs {
			if (i%7 == 0) != (err != nil) {
				t.Errorf("write %d: %v", i, err)
			}
			if i%7 != 0 {
				want += i
			}
		}
		total, flushes, rows := read()
		if total != want || rows != 100-15 {
			t.Errorf("total %d rows %d, want %d and %d", total, rows, want, 100-15)
		}
		// One flush per batch, never one per write (the batches' sizes depend on timing).
		if flushes < 1 || flushes > 100-15 {
			t.Errorf("%d flushes", flushes)
		}
		t.Logf("%d writes, %d flushes", 100-15, flushes)

		// WriteTx runs the same hooks.
		if err := d.WriteTx(ctx, func(tx *db.Tx) error { addLater(tx, 5); addLater(tx, 6); return nil }); err != nil {
			t.Fatal(err)
		}
		if total2, flushes2, _ := read(); total2 != total+11 || flushes2 != flushes+1 {
			t.Errorf("WriteTx: total %d flushes %d, want %d and %d", total2, flushes2, total+11, flushes+1)
		}
		// A failing flush in WriteTx rolls the transaction back.
		if err := d.WriteTx(ctx, func(tx *db.Tx) error {
			if _, err := tx.ExecContext(ctx, "INSERT INTO hook_rows (id) VALUES (1000)"); err != nil {
				return err
			}
			addLater(tx, -1)
			return nil
		}); err == nil {
			t.Error("WriteTx with a failing hook committed")
		}
		if total3, _, rows3 := read(); total3 != total+11 || rows3 != rows {
			t.Errorf("after a failed hook: total %d rows %d", total3, rows3)
		}
	})
}

func TestBeforeCommitFailureFailsTheWholeBatch(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		read := hookProbe(t, d)
		// A batch of one goroutine's writes: hold the writer with a first write so that the next
		// ones queue and are committed together.
		b := d.NewBatcher(64, 0)
		defer b.Close()
		release := make(chan struct{})
		started := make(chan struct{})
		first := make(chan error, 1)
		go func() {
			first <- b.Do(ctx, func(tx *db.Tx) error { close(started); <-release; return nil })
		}()
		<-started
		var wg sync.WaitGroup
		errs := make([]error, 10)
		for i := range 10 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = b.Do(ctx, func(tx *db.Tx) error {
					if _, err := tx.ExecContext(ctx, "INSERT INTO hook_rows (id) VALUES (?)", 500+i); err != nil {
						return err
					}
					if i == 3 {
						addLater(tx, -100) // the flush refuses a negative total
					} else {
						addLater(tx, 1)
					}
					return nil
				})
			}()
		}
		// Let the ten queue up behind the first batch.
		deadline := time.Now().Add(10 * time.Second)
		for db.Queued(b) < 10 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		close(release)
		if err := <-first; err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		for i, err := range errs {
			if err == nil {
				t.Errorf("write %d committed with a batch whose flush failed", i)
			}
		}
		if total, _, rows := read(); total != 0 || rows != 0 {
			t.Errorf("failed batch left total %d, %d rows", total, rows)
		}
	})
}

func TestExecCachedReusesAPreparedStatement(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		read := hookProbe(t, d)
		const ins = "INSERT INTO hook_rows (id) VALUES (?) ON CONFLICT (id) DO NOTHING"
		for round := range 3 {
			if err := d.WriteTx(ctx, func(tx *db.Tx) error {
				for i := range 5 {
					res, err := tx.ExecCached(ctx, ins, round*10+i)
					if err != nil {
						return err
					}
					if n, _ := res.RowsAffected(); n != 1 {
						t.Errorf("round %d row %d: %d rows affected", round, i, n)
					}
				}
				var n int
				if err := tx.QueryRowCached(ctx, "SELECT COUNT(*) FROM hook_rows WHERE id >= ?", round*10).Scan(&n); err != nil || n != 5 {
					t.Errorf("round %d: count %d %v", round, n, err)
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
		if _, _, rows := read(); rows != 15 {
			t.Errorf("%d rows, want 15", rows)
		}
		want := 0
		if d.Engine == db.SQLite {
			want = 2 // prepared after the first transaction, reused by the others
		}
		if n := db.CachedStatements(d); n != want {
			t.Errorf("%d cached statements, want %d", n, want)
		}
	})
}
