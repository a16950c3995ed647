package accounts

import (
	"context"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/db"
)

// FollowUnits is the unit map switch's hook (units.Service.OnSwitch), run after the organisations'
// (orgs.Service.FollowUnits):
//   - a learner lives on: a learner grant on a unit the switch retired moves to the unit in force
//     it rolls up to, so that the learner's next enrolment is made under today's commune and its
//     administrators reach the learner (enrolments already made keep their path and roll up);
//   - an organisation grant keeps the path of the unit its organisation is located in, which the
//     organisations' hook has just moved;
//   - an administrator's or operator's grant stays on the unit version it was given on: it names
//     an office that may no longer exist, so the user pages show it as retired and the province's
//     administrators decide whether to grant today's unit (team members move with their teams, in
//     outreach's own hook).
func (s *Service) FollowUnits(ctx context.Context, tx *db.Tx) error {
	if _, err := tx.ExecContext(ctx, `UPDATE role_grants SET
		unit_code = (SELECT u.code FROM unit_rollup r JOIN units u ON u.path = r.current_path WHERE r.path = role_grants.unit_path),
		unit_path = (SELECT r.current_path FROM unit_rollup r WHERE r.path = role_grants.unit_path)
		WHERE role = 'learner' AND org_id IS NULL AND unit_path IN (SELECT r.path FROM unit_rollup r)
		AND NOT EXISTS (SELECT 1 FROM role_grants o JOIN unit_rollup r ON r.path = role_grants.unit_path
			JOIN units u ON u.path = r.current_path
			WHERE o.user_id = role_grants.user_id AND o.role = 'learner' AND o.unit_code = u.code AND o.id <> role_grants.id)`); err != nil {
		return apperr.Wrap(err, "move learners to the units in force")
	}
	_, err := tx.ExecContext(ctx, `UPDATE role_grants SET unit_path = (SELECT o.unit_path FROM orgs o WHERE o.id = role_grants.org_id)
		WHERE org_id IS NOT NULL AND unit_path <> (SELECT o.unit_path FROM orgs o WHERE o.id = role_grants.org_id)`)
	return apperr.Wrap(err, "organisation grants follow their organisations")
}
