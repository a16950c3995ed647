package training_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/training"
)

// A national page asks for the headcounts under thousands of rows: past maxPathTerms the paths
// leave the SQL (SQLite refuses an expression tree deeper than 1000) and are kept in Go, with the
// same entries as the SQL would give.
func TestHeadcountsUnderManyPaths(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := training.NewService(d)
		var paths []string
		insert := func(args ...any) {
			t.Helper()
			if err := d.WriteTx(ctx, func(tx *db.Tx) error {
				_, err := tx.ExecContext(ctx, `INSERT INTO training_headcounts
					(province_code, kind, path, audience, headcount, updated_at) VALUES (?, ?, ?, ?, ?, 0)`, args...)
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		for i := range 1200 {
			p := fmt.Sprintf("/%02d/%05d/", 10+i%30, i)
			paths = append(paths, p)
			if i%3 == 0 {
				insert(fmt.Sprintf("%02d", 10+i%30), training.HeadcountUnit, p+"77/", "official", i+1)
			}
		}
		// An entry under no asked path, and one of another group, stay out.
		insert("99", training.HeadcountUnit, "/99/1/", "official", 5)
		insert("10", training.HeadcountUnit, "/10/00000/", "teacher", 5)
		for _, n := range []int{3, training.MaxPathTerms, training.MaxPathTerms + 1, len(paths)} {
			list, err := s.HeadcountsUnder(ctx, training.HeadcountUnit, paths[:n], []string{"official"})
			if err != nil {
				t.Fatalf("%d paths: %v", n, err)
			}
			want := (n + 2) / 3
			if len(list) != want {
				t.Fatalf("%d paths: %d entries, want %d", n, len(list), want)
			}
			for _, p := range list {
				if p == "/99/1/" || p == "/10/00000/" {
					t.Fatalf("%d paths: %s should be left out", n, p)
				}
			}
		}
	})
}
