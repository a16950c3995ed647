package orgs

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"

	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/textfold"
)

// BulkCreate inserts many organisations under one parent (its schools, say) in one transaction,
// with multi-row statements. It is for generated data (`lantoa seed --profile`): the caller fills
// each organisation's UnitCode and UnitPath, names are unique among the children, and there is no
// audit entry or permission check, which Create keeps for people's own additions. The new
// organisations are returned with their ids and paths, in the order given.
func BulkCreate(ctx context.Context, d *db.DB, parent Org, children []Org, now int64) ([]Org, error) {
	index := make(map[string]int, len(children))
	rows := make([][]any, len(children))
	for i, o := range children {
		if _, dup := index[o.Name]; dup {
			return nil, fmt.Errorf("orgs: bulk create: name %q twice", o.Name)
		}
		index[o.Name] = i
		rows[i] = []any{o.Name, o.ShortName, string(o.Kind), db.NullInt(parent.ID), db.NullString(o.UnitCode), o.UnitPath, textfold.Fold(o.Name), now, now}
	}
	prefix := parent.Path
	if parent.ID == 0 {
		prefix = "/"
	}
	made := make([]Org, len(children))
	err := d.WriteTx(ctx, func(tx *db.Tx) error {
		err := tx.InsertRows(ctx, "orgs", []string{"name", "short_name", "kind", "parent_id", "unit_code", "unit_path", "search_key", "created_at", "updated_at"},
			rows, "RETURNING id, name", func(r *sql.Rows) error {
				var id int64
				var name string
				if err := r.Scan(&id, &name); err != nil {
					return err
				}
				o := children[index[name]]
				o.ID, o.ParentID, o.Path = id, parent.ID, prefix+strconv.FormatInt(id, 10)+"/"
				made[index[name]] = o
				return nil
			})
		if err != nil {
			return err
		}
		// The path holds the row's own id, known only now: one statement sets them all.
		_, err = tx.ExecContext(ctx, "UPDATE orgs SET path = ? || CAST(id AS TEXT) || '/' WHERE path = ''", prefix)
		return err
	})
	if err != nil {
		return nil, err
	}
	return made, nil
}
