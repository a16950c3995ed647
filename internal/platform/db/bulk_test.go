package db_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
)

// InsertRows splits past the engines' parameter limits and hands back every RETURNING row.
func TestInsertRowsChunksAndReturns(t *testing.T) {
	dbtest.Each(t, nil, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		ddl := "CREATE TABLE bulk_t (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, n BIGINT NOT NULL)"
		if d.Engine == db.Postgres {
			ddl = "CREATE TABLE bulk_t (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name TEXT NOT NULL UNIQUE, n BIGINT NOT NULL)"
		}
		const n = 25001 // two columns: 30,000 parameters per statement, so two statements
		rows := make([][]any, n)
		for i := range rows {
			rows[i] = []any{fmt.Sprintf("tên %d", i), i}
		}
		got := map[string]int64{}
		err := d.WriteTx(ctx, func(tx *db.Tx) error {
			if _, err := tx.ExecContext(ctx, ddl); err != nil {
				return err
			}
			return tx.InsertRows(ctx, "bulk_t", []string{"name", "n"}, rows, "RETURNING id, name", func(r *sql.Rows) error {
				var id int64
				var name string
				if err := r.Scan(&id, &name); err != nil {
					return err
				}
				got[name] = id
				return nil
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != n {
			t.Fatalf("RETURNING gave %d rows, want %d", len(got), n)
		}
		var count, sum int64
		if err := d.Reader().QueryRowContext(ctx, "SELECT COUNT(*), SUM(n) FROM bulk_t").Scan(&count, &sum); err != nil {
			t.Fatal(err)
		}
		if count != n || sum != int64(n)*(n-1)/2 {
			t.Errorf("count %d sum %d", count, sum)
		}
		// A failing chunk rolls back the whole transaction: nothing half-written.
		err = d.WriteTx(ctx, func(tx *db.Tx) error {
			return tx.InsertRows(ctx, "bulk_t", []string{"name", "n"}, [][]any{{"mới", 1}, {"tên 3", 2}}, "", nil)
		})
		if err == nil || !db.IsUniqueViolation(err) {
			t.Fatalf("duplicate name: err = %v", err)
		}
		if err := d.Reader().QueryRowContext(ctx, "SELECT COUNT(*) FROM bulk_t").Scan(&count); err != nil || count != n {
			t.Errorf("after the failed insert: %d rows, %v", count, err)
		}
		err = d.WriteTx(ctx, func(tx *db.Tx) error {
			return tx.InsertRows(ctx, "bulk_t", []string{"name", "n"}, [][]any{{"x"}}, "", nil)
		})
		if err == nil || !strings.Contains(err.Error(), "1 values for 2 columns") {
			t.Errorf("short row: err = %v", err)
		}
	})
}

// A path with the characters a URI reserves opens that very file.
func TestOpenPathWithURICharacters(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a#01 b?c%d")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "x.db")
	d, err := db.Open(context.Background(), path, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.WriteTx(context.Background(), func(tx *db.Tx) error {
		_, err := tx.ExecContext(context.Background(), "CREATE TABLE t (x INTEGER)")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	d.Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the database is not at %s: %v", path, err)
	}
}

// InsertRowsIDs hands the ids back in the caller's order and refuses a key given twice before
// writing anything.
func TestInsertRowsIDsKeepsOrder(t *testing.T) {
	dbtest.Each(t, nil, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		ddl := "CREATE TABLE bulk_ids (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)"
		if d.Engine == db.Postgres {
			ddl = "CREATE TABLE bulk_ids (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name TEXT NOT NULL UNIQUE)"
		}
		if err := d.WriteTx(ctx, func(tx *db.Tx) error { _, err := tx.ExecContext(ctx, ddl); return err }); err != nil {
			t.Fatal(err)
		}
		const n = 16000 // two statements
		rows, keys := make([][]any, n), make([]string, n)
		for i := range rows {
			keys[i] = fmt.Sprintf("Trường %05d", n-i) // not the order of any index
			rows[i] = []any{keys[i]}
		}
		var ids []int64
		if err := d.WriteTx(ctx, func(tx *db.Tx) (err error) {
			ids, err = tx.InsertRowsIDs(ctx, "bulk_ids", []string{"name"}, rows, "name", keys)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		for _, i := range []int{0, 1, n / 2, n - 1} {
			var name string
			if err := d.Reader().QueryRowContext(ctx, "SELECT name FROM bulk_ids WHERE id = ?", ids[i]).Scan(&name); err != nil || name != keys[i] {
				t.Errorf("ids[%d] = %d names %q (%v), want %q", i, ids[i], name, err, keys[i])
			}
		}
		err := d.WriteTx(ctx, func(tx *db.Tx) error {
			_, err := tx.InsertRowsIDs(ctx, "bulk_ids", []string{"name"}, [][]any{{"mới"}, {"mới"}}, "name", []string{"mới", "mới"})
			return err
		})
		if err == nil || !strings.Contains(err.Error(), "twice") {
			t.Errorf("duplicate key: err = %v", err)
		}
	})
}
