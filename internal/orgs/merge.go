package orgs

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
)

// Organisations change as units do: Sở Thông tin và Truyền thông merged into Sở Khoa học và Công
// nghệ in March 2025. A merger retires the old organisation the day before it takes effect and
// names its successor; the old organisation's records (its staff's enrolments, its portal posts and
// media items) keep the org_path they were made under, which is "as it was", and count under the
// successor "as it is now" through org_rollup, read with PathNow and UnderNow.

var isoDate = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// MergeResult says what a merger did.
type MergeResult struct {
	Org       Org    `json:"org"`
	Successor Org    `json:"successor"`
	Effective string `json:"effective"`
	// RolledUp counts the organisations (the merged one and the earlier ones that rolled into it)
	// whose records now count under the successor.
	RolledUp int `json:"rolled_up"`
}

// Merge retires organisation id, merged into successorID from effective (YYYY-MM-DD; the old
// organisation's last day is the day before). Only an administrator of the organisations'
// province decides it (or the command line); both lie in the same province and are in force; an
// organisation cannot merge into itself or into one of its own sub-organisations, and one that
// still has sub-organisations in force is refused: they are living bodies, merged (or kept) one by
// one first, so that nothing disappears with their parent. Audited as org.merge.
func (s *Service) Merge(ctx context.Context, id, successorID int64, effective string) (MergeResult, error) {
	actor := authz.ActorFrom(ctx)
	day, err := time.Parse(time.DateOnly, effective)
	if err != nil || !isoDate.MatchString(effective) {
		return MergeResult{}, apperr.InvalidField("effective", "orgs.error.date")
	}
	var res MergeResult
	err = s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		old, err := findOrg(ctx, tx, id)
		if err != nil {
			return err
		}
		if !actor.AdministersProvince(authz.ProvinceOfPath(old.UnitPath)) {
			if actor.InProvince(authz.ProvinceOfPath(old.UnitPath)) {
				return apperr.New(apperr.Forbidden, "orgs.error.merge_forbidden")
			}
			return apperr.Hidden("orgs.error.not_found", id)
		}
		if old.Retired() {
			return apperr.InvalidField("org_id", "orgs.error.retired", old.Name)
		}
		succ, err := findOrg(ctx, tx, successorID)
		if err != nil || authz.ProvinceOfPath(succ.UnitPath) != authz.ProvinceOfPath(old.UnitPath) {
			return apperr.InvalidField("successor_id", "orgs.error.successor_missing", successorID)
		}
		if succ.ID == old.ID || strings.HasPrefix(succ.Path, old.Path) {
			return apperr.InvalidField("successor_id", "orgs.error.successor_cycle")
		}
		if succ.Retired() {
			return apperr.InvalidField("successor_id", "orgs.error.retired", succ.Name)
		}
		if old.Children > 0 {
			return apperr.InvalidField("org_id", "orgs.error.merge_children", old.Name, old.Children)
		}
		validTo := day.AddDate(0, 0, -1).Format(time.DateOnly)
		if _, err := tx.ExecContext(ctx, "UPDATE orgs SET valid_to = ?, successor_id = ?, updated_at = ? WHERE id = ?",
			validTo, succ.ID, db.Millis(s.Now()), old.ID); err != nil {
			return apperr.Wrap(err, "retire org")
		}
		// What rolled into the old organisation before rolls on into the successor; then the old
		// organisation and every earlier one below it.
		moved, err := tx.ExecContext(ctx, "UPDATE org_rollup SET current_path = ? WHERE current_path LIKE ?", succ.Path, old.Path+"%")
		if err != nil {
			return apperr.Wrap(err, "roll up earlier orgs")
		}
		n, _ := moved.RowsAffected()
		added, err := tx.ExecContext(ctx, `INSERT INTO org_rollup (path, current_path) SELECT o.path, ? FROM orgs o WHERE o.path LIKE ?
			ON CONFLICT (path) DO NOTHING`, succ.Path, old.Path+"%")
		if err != nil {
			return apperr.Wrap(err, "roll up org")
		}
		m, _ := added.RowsAffected()
		res = MergeResult{Successor: succ, Effective: effective, RolledUp: int(n + m)}
		return audit.Record(ctx, tx, audit.Entry{Action: "org.merge", ObjectType: "org", ObjectID: strconv.FormatInt(old.ID, 10),
			UnitPath: old.UnitPath, Detail: old.Name + " → " + succ.Name + " (" + strconv.FormatInt(succ.ID, 10) + ") effective=" + effective})
	})
	if err != nil {
		return MergeResult{}, err
	}
	res.Org, err = s.Find(ctx, id)
	return res, err
}

// PathNow is the SQL expression of where the row whose organisation path is pathCol counts today:
// the successor a merged organisation rolls up to, or its own path. "As it was" is pathCol itself.
func PathNow(pathCol string) string {
	return "COALESCE((SELECT r.current_path FROM org_rollup r WHERE r.path = " + pathCol + "), " + pathCol + ")"
}

// UnderNow is the condition "the row at pathCol counts today under the organisation at path": it
// lies below path, or in a merged organisation that rolls up below it; with its two arguments.
func UnderNow(pathCol, path string) (string, []any) {
	return "(" + pathCol + " LIKE ? OR " + pathCol + " IN (SELECT r.path FROM org_rollup r WHERE r.current_path LIKE ?))",
		[]any{path + "%", path + "%"}
}

// FollowUnits is the unit map switch's hook (units.Service.OnSwitch): an organisation is a living
// body, so one located in a unit the switch retired moves to the unit in force that unit rolls up
// to (a school of Xã Nghĩa Dũng 2023 is located in Xã An Phú from 1 July 2025), and the
// administrators of that unit reach it. One located in a unit without a single successor (a
// district, a split commune) stays where it is, inside its province, until its province's
// administrators recreate or merge it. The organisations' records keep their unit path.
func (s *Service) FollowUnits(ctx context.Context, tx *db.Tx) error {
	_, err := tx.ExecContext(ctx, `UPDATE orgs SET
		unit_code = (SELECT u.code FROM unit_rollup r JOIN units u ON u.path = r.current_path WHERE r.path = orgs.unit_path),
		unit_path = (SELECT r.current_path FROM unit_rollup r WHERE r.path = orgs.unit_path),
		updated_at = ?
		WHERE unit_path IN (SELECT r.path FROM unit_rollup r)`, db.Millis(s.Now()))
	return apperr.Wrap(err, "move organisations to the units in force")
}
