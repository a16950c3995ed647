package schema_test

import (
	"context"
	"strings"
	"testing"

	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
)

// Every path column on PostgreSQL has the "C" collation: scopes and subtrees are read with
// `path LIKE '/51/535/%'`, which PostgreSQL answers from a b-tree index only under "C". A new
// table with a path column under the database's default collation would read whole tables at
// national scale; this test names it.
func TestPostgresPathColumnsAreCollatedC(t *testing.T) {
	d := dbtest.Postgres(t, schema.All())
	rows, err := d.Reader().QueryContext(context.Background(), `SELECT table_name, column_name, COALESCE(collation_name, '')
		FROM information_schema.columns
		WHERE table_schema = current_schema() AND (column_name = 'path' OR column_name LIKE '%\_path') AND data_type = 'text'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	var wrong []string
	for rows.Next() {
		var table, column, collation string
		if err := rows.Scan(&table, &column, &collation); err != nil {
			t.Fatal(err)
		}
		n++
		if collation != "C" {
			wrong = append(wrong, table+"."+column+" ("+collation+")")
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n < 20 {
		t.Fatalf("found only %d path columns: the query no longer sees the schema", n)
	}
	if len(wrong) > 0 {
		t.Errorf("path columns without COLLATE \"C\" (add them to a migration like units/0002_path_collation.sql):\n%s", strings.Join(wrong, "\n"))
	}
}
