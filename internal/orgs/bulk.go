package orgs

import (
	"context"
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
	names := make([]string, len(children))
	rows := make([][]any, len(children))
	for i, o := range children {
		names[i] = o.Name
		rows[i] = []any{o.Name, o.ShortName, string(o.Kind), db.NullInt(parent.ID), db.NullString(o.UnitCode), o.UnitPath, textfold.Fold(o.Name), now, now}
	}
	prefix := parent.Path
	if parent.ID == 0 {
		prefix = "/"
	}
	made := make([]Org, len(children))
	err := d.WriteTx(ctx, func(tx *db.Tx) error {
		ids, err := tx.InsertRowsIDs(ctx, "orgs", []string{"name", "short_name", "kind", "parent_id", "unit_code", "unit_path", "search_key", "created_at", "updated_at"},
			rows, "name", names)
		if err != nil {
			return err
		}
		for i, o := range children {
			o.ID, o.ParentID, o.Path = ids[i], parent.ID, prefix+strconv.FormatInt(ids[i], 10)+"/"
			made[i] = o
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
