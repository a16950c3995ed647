package accounts

import (
	"context"

	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/textfold"
)

// BulkUser is one account of a bulk load. Its grants must be resolved (paths filled) by the
// caller: bulk loads come from the data generator, which builds the unit and organisation trees
// itself and knows every path.
type BulkUser struct {
	Username    string
	DisplayName string
	Grants      []authz.Grant
}

// BulkCreate inserts users and their grants with multi-row statements, every account with the
// same password hash (one Argon2id hash for a million generated accounts instead of a million
// hashes), and returns their ids in the order given. It is for generated data (`lantoa seed
// --profile`): it skips validation, audit and the actor's right to grant, which an import of real
// people must not skip. progress, when not nil, is called with the number of users written.
func BulkCreate(ctx context.Context, d *db.DB, users []BulkUser, passwordHash string, now int64, progress func(done int)) ([]int64, error) {
	ids := make([]int64, len(users))
	const batch = 20000
	for start := 0; start < len(users); start += batch {
		part := users[start:min(start+batch, len(users))]
		keys := make([]string, len(part))
		rows := make([][]any, len(part))
		for i, u := range part {
			keys[i] = u.Username
			rows[i] = []any{u.Username, u.DisplayName, textfold.Fold(u.Username + " " + u.DisplayName), passwordHash, now, now}
		}
		err := d.WriteTx(ctx, func(tx *db.Tx) error {
			partIDs, err := tx.InsertRowsIDs(ctx, "users", []string{"username", "display_name", "search_key", "password_hash", "created_at", "updated_at"},
				rows, "username", keys)
			if err != nil {
				return err
			}
			copy(ids[start:], partIDs)
			var grants [][]any
			for i, u := range part {
				for _, g := range u.Grants {
					grants = append(grants, []any{ids[start+i], string(g.Role), db.NullString(g.UnitCode), db.NullInt(g.OrgID), g.UnitPath, g.OrgPath, now})
				}
			}
			return tx.InsertRows(ctx, "role_grants", []string{"user_id", "role", "unit_code", "org_id", "unit_path", "org_path", "created_at"}, grants, "", nil)
		})
		if err != nil {
			return nil, err
		}
		if progress != nil {
			progress(len(part))
		}
	}
	return ids, nil
}
