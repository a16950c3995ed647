package db_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
)

func TestRebind(t *testing.T) {
	pg := dbtest.SQLite(t, nil)
	if got := pg.Rebind("SELECT ? , ?"); got != "SELECT ? , ?" {
		t.Errorf("sqlite rebind changed the query: %q", got)
	}
}

func TestMigrationsAreIdempotentAndAtomic(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if n, err := d.Migrate(ctx, schema.All()); err != nil || n != 0 {
			t.Fatalf("second migrate applied %d: %v", n, err)
		}
		bad := db.MigrationSet{Module: "bad", FS: os.DirFS("testdata/bad")}
		n, err := d.Migrate(ctx, []db.MigrationSet{bad})
		if err == nil || n != 1 {
			t.Fatalf("broken migration: applied %d, err %v", n, err)
		}
		// The broken file left nothing behind: its first statement was rolled back with it.
		var count int
		err = d.Reader().QueryRowContext(ctx, "SELECT COUNT(*) FROM half_done").Scan(&count)
		if err == nil {
			t.Errorf("half-applied migration left its table")
		}
		pending, _ := d.Pending(ctx, []db.MigrationSet{bad})
		if len(pending) != 1 || pending[0] != "bad/0002_broken" {
			t.Errorf("pending = %v", pending)
		}
		if d.Engine == db.Postgres && d.Rebind("a = ? AND b = ?") != "a = $1 AND b = $2" {
			t.Errorf("postgres rebind = %q", d.Rebind("a = ? AND b = ?"))
		}
	})
}

// The app's PostgreSQL sessions run without JIT unless the URL chooses.
func TestPostgresSessionsWithoutJIT(t *testing.T) {
	d := dbtest.Postgres(t, nil)
	var jit string
	if err := d.Reader().QueryRowContext(context.Background(), "SHOW jit").Scan(&jit); err != nil {
		t.Fatal(err)
	}
	if jit != "off" {
		t.Errorf("jit = %q, want off", jit)
	}
}

// On PostgreSQL a read with a LIKE is planned for its parameters every time (pgx's exec mode, an
// unnamed statement), so a scope prefix can use its index; other reads, and SQLite, keep the
// driver's cached statements. The reads still answer the same on both engines.
func TestLikeReadsArePlannedForTheirParameters(t *testing.T) {
	dbtest.Each(t, nil, func(t *testing.T, d *db.DB) {
		like := db.PlannedArgs(d, "SELECT 1 FROM units WHERE path LIKE ?", "/51/%")
		plain := db.PlannedArgs(d, "SELECT 1 FROM units WHERE code = ?", "51")
		if d.Engine == db.Postgres {
			if len(like) != 2 || fmt.Sprint(like[0]) == "/51/%" {
				t.Errorf("PostgreSQL LIKE read args = %v, want the exec mode first", like)
			}
		} else if len(like) != 1 {
			t.Errorf("SQLite LIKE read args = %v, want them unchanged", like)
		}
		if len(plain) != 1 {
			t.Errorf("read without LIKE args = %v, want them unchanged", plain)
		}
		var n int
		for range 8 { // past the five runs after which PostgreSQL may switch to a generic plan
			if err := d.Reader().QueryRowContext(context.Background(), "SELECT COUNT(*) FROM (SELECT '/51/535/' AS p) x WHERE p LIKE ?", "/51/%").Scan(&n); err != nil || n != 1 {
				t.Fatalf("LIKE read: %d, %v", n, err)
			}
		}
	})
}
