package schema_test

import (
	"fmt"
	"io/fs"
	"regexp"
	"strings"
	"testing"

	"github.com/lantoa/lantoa/internal/schema"
)

// The SQLite and PostgreSQL migrations of a module are kept by hand, one file each. A pair must
// be the same statements once the engines' spellings are set side by side (twinRules), so that a
// column added to one file and forgotten in the other fails here rather than on the other
// engine's first deployment. The pairs that differ on purpose are listed with the reason.

// twinRules rewrite SQLite's spelling into PostgreSQL's.
var twinRules = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`\bINTEGER PRIMARY KEY\b`), "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"},
	{regexp.MustCompile(`\bINTEGER REFERENCES\b`), "BIGINT REFERENCES"},
	{regexp.MustCompile(`\bBLOB\b`), "BYTEA"},
	{regexp.MustCompile(`\bREAL\b`), "DOUBLE PRECISION"},
}

// postgresOnly is what PostgreSQL's files add that SQLite needs no word for: paths compare
// bytewise under the "C" collation, as SQLite compares every text column.
var postgresOnly = regexp.MustCompile(` COLLATE "C"`)

// deliberate names the pairs that differ on purpose ("module/file"), with why.
var deliberate = map[string]string{
	"accounts/0005_path_collation.sql": "the C collation: an ALTER on PostgreSQL, nothing to do on SQLite",
	"ceremony/0004_path_collation.sql": "the C collation: an ALTER on PostgreSQL, nothing to do on SQLite",
	"orgs/0002_path_collation.sql":     "the C collation: an ALTER on PostgreSQL, nothing to do on SQLite",
	"audit/0002_path_collation.sql":    "the C collation: an ALTER on PostgreSQL, nothing to do on SQLite",
	"portal/0002_path_collation.sql":   "the C collation: an ALTER on PostgreSQL, nothing to do on SQLite",
	"units/0002_path_collation.sql":    "the C collation: an ALTER on PostgreSQL, nothing to do on SQLite",
	"reports/0002_path_collation.sql":  "the C collation: an ALTER on PostgreSQL, nothing to do on SQLite",
	"training/0003_path_collation.sql": "the C collation: an ALTER on PostgreSQL, nothing to do on SQLite",
	"outreach/0002_path_collation.sql": "the C collation: an ALTER on PostgreSQL, nothing to do on SQLite",
	"reports/0003_period_province.sql": "a path's first segment: instr/substr on SQLite, split_part on PostgreSQL",
	"outreach/0004_path_keys.sql":      "new keys: SQLite rebuilds the tables, PostgreSQL alters them",
	"ceremony/0006_point_version.sql":  "new keys: SQLite rebuilds the table, PostgreSQL alters it",
	"unit_versions/0001_unit_versions.sql": "new keys and dropped foreign keys: SQLite edits its schema " +
		"(writable_schema), PostgreSQL alters the tables",
}

func TestMigrationTwins(t *testing.T) {
	seen := map[string]bool{}
	for _, set := range schema.All() {
		sqlite := files(t, set.FS, "migrations/sqlite")
		postgres := files(t, set.FS, "migrations/postgres")
		for name := range postgres {
			if _, ok := sqlite[name]; !ok {
				t.Errorf("%s: %s has no SQLite twin", set.Module, name)
			}
		}
		for name, lite := range sqlite {
			key := set.Module + "/" + name
			pg, ok := postgres[name]
			if !ok {
				t.Errorf("%s: %s has no PostgreSQL twin", set.Module, name)
				continue
			}
			for _, r := range twinRules {
				lite = r.re.ReplaceAllString(lite, r.with)
			}
			pg = postgresOnly.ReplaceAllString(pg, "")
			same := lite == pg
			if why, ok := deliberate[key]; ok {
				seen[key] = true
				if same {
					t.Errorf("%s is listed as differing on purpose (%s) but the twins are the same: take it off the list", key, why)
				}
				continue
			}
			if !same {
				t.Errorf("%s: the SQLite and PostgreSQL files differ beyond the engines' spellings:\n%s", key, firstDifference(lite, pg))
			}
		}
	}
	for key := range deliberate {
		if !seen[key] {
			t.Errorf("%s is listed as differing on purpose but no module has it", key)
		}
	}
}

func files(t *testing.T, fsys fs.FS, dir string) map[string]string {
	t.Helper()
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		t.Fatalf("%s: %v", dir, err)
	}
	out := map[string]string{}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		b, err := fs.ReadFile(fsys, dir+"/"+e.Name())
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = string(b)
	}
	return out
}

// firstDifference shows the first line where a and b part.
func firstDifference(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range max(len(la), len(lb)) {
		var x, y string
		if i < len(la) {
			x = la[i]
		}
		if i < len(lb) {
			y = lb[i]
		}
		if x != y {
			return fmt.Sprintf("line %d:\n  sqlite (rewritten): %s\n  postgres:           %s", i+1, x, y)
		}
	}
	return ""
}
