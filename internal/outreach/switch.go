package outreach

import (
	"context"
	"fmt"
	"strconv"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/db"
)

// A map switch (units.Service.SwitchMap, the two-tier map of 1 July 2025) retires units that teams
// work in. Records stay where they were made (the unit version they belong to; progress rolls them
// up as it is now), but a team goes on working: FollowSwitch is the switch's hook that moves what
// lives on.

// FollowSwitch runs inside the map switch's transaction, after unit_rollup is written. Every team
// whose unit was retired and rolls up into one unit in force (a merged commune, or a village of
// one) moves to that unit (unit_rollup.current_path and its code and level), and every team_member
// grant on such a unit moves with it, so that a member who records after the switch records in
// the team's new unit. A team of a split unit (one with several successors, no roll-up) stays
// until the province assigns the split unit (units.Service.AssignSplit), and so do its members'
// grants. A moved team whose name its new unit already has takes its old unit's name after its
// own; a member whose grants meet on one unit keeps one grant there.
func (s *Service) FollowSwitch(ctx context.Context, tx *db.Tx) error {
	moved, err := s.moveTeams(ctx, tx)
	if err != nil {
		return err
	}
	grants, merged, err := moveMemberGrants(ctx, tx)
	if err != nil {
		return err
	}
	// A member's counter row remembers where their first record was made; it follows them too.
	if _, err := tx.ExecContext(ctx, `UPDATE outreach_member_counts SET home_path = (SELECT r.current_path FROM unit_rollup r WHERE r.path = outreach_member_counts.home_path)
		WHERE home_path IN (SELECT r.path FROM unit_rollup r)`); err != nil {
		return apperr.Wrap(err, "move member homes")
	}
	tx.AfterCommit(func() {
		s.dropUnitCache()
		s.invalidate()
	})
	if moved == 0 && grants == 0 && merged == 0 {
		return nil
	}
	return audit.Record(ctx, tx, audit.Entry{Action: "outreach.switch", ObjectType: "outreach_team", UnitPath: "/",
		Detail: fmt.Sprintf("teams_moved=%d grants_moved=%d grants_merged=%d", moved, grants, merged)})
}

type teamMove struct {
	id                          int64
	name, from, to, code, level string
	fromName                    string
}

func (s *Service) moveTeams(ctx context.Context, tx *db.Tx) (int, error) {
	rows, err := tx.QueryContext(ctx, `SELECT t.id, t.name, t.unit_path, r.current_path, cu.code, cu.level, COALESCE(ou.name, '')
		FROM outreach_teams t JOIN unit_rollup r ON r.path = t.unit_path JOIN units cu ON cu.path = r.current_path AND cu.valid_to = ''
		LEFT JOIN units ou ON ou.path = t.unit_path
		WHERE r.current_path <> t.unit_path ORDER BY t.id`)
	if err != nil {
		return 0, apperr.Wrap(err, "teams to move")
	}
	var moves []teamMove
	for rows.Next() {
		var m teamMove
		if err := rows.Scan(&m.id, &m.name, &m.from, &m.to, &m.code, &m.level, &m.fromName); err != nil {
			rows.Close()
			return 0, apperr.Wrap(err, "scan team to move")
		}
		moves = append(moves, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, apperr.Wrap(err, "teams to move")
	}
	for _, m := range moves {
		name, err := freeTeamName(ctx, tx, m)
		if err != nil {
			return 0, err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE outreach_teams SET name = ?, unit_code = ?, unit_path = ?, level = ? WHERE id = ?",
			name, m.code, m.to, m.level, m.id); err != nil {
			return 0, apperr.Wrap(err, "move team")
		}
		if err := audit.Record(ctx, tx, audit.Entry{Action: "outreach.team.move", ObjectType: "outreach_team", ObjectID: strconv.FormatInt(m.id, 10),
			UnitPath: m.to, Detail: "from=" + m.from + " to=" + m.to + " name=" + name}); err != nil {
			return 0, err
		}
	}
	return len(moves), nil
}

// freeTeamName returns the team's name, or, when its new unit has a team of that name already
// (two merged communes each had "Tổ Công nghệ số cộng đồng"), the name followed by its old unit's.
func freeTeamName(ctx context.Context, tx *db.Tx, m teamMove) (string, error) {
	for i, name := range []string{m.name, m.name + " (" + m.fromName + ")", m.name + " (" + m.fromName + ", " + strconv.FormatInt(m.id, 10) + ")"} {
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM outreach_teams WHERE unit_path = ? AND name = ? AND id <> ?", m.to, name, m.id).Scan(&n); err != nil {
			return "", apperr.Wrap(err, "team name")
		}
		if n == 0 || i == 2 {
			return name, nil
		}
	}
	return m.name, nil
}

// moveMemberGrants moves the team_member grants on rolled-up units to the unit in force. A grant
// is keyed by (user, role, unit code), and codes are reused across the switch (one member's grants
// on Xã Nghĩa Dõng and on the 2023 Xã Nghĩa Dũng, 21034, can meet on Xã An Phú, 21034): the
// grants that would meet a grant the member keeps are deleted first, then the others take a
// temporary code of their own before their final one, so no order of updates collides.
func moveMemberGrants(ctx context.Context, tx *db.Tx) (moved, merged int, err error) {
	rows, err := tx.QueryContext(ctx, `SELECT g.id, g.user_id, r.current_path, cu.code FROM role_grants g
		JOIN unit_rollup r ON r.path = g.unit_path JOIN units cu ON cu.path = r.current_path AND cu.valid_to = ''
		WHERE g.role = 'team_member' AND r.current_path <> g.unit_path ORDER BY g.id`)
	if err != nil {
		return 0, 0, apperr.Wrap(err, "grants to move")
	}
	type grantMove struct {
		id, user int64
		to, code string
	}
	var all []grantMove
	for rows.Next() {
		var g grantMove
		if err := rows.Scan(&g.id, &g.user, &g.to, &g.code); err != nil {
			rows.Close()
			return 0, 0, apperr.Wrap(err, "scan grant to move")
		}
		all = append(all, g)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, 0, apperr.Wrap(err, "grants to move")
	}
	type key struct {
		user int64
		code string
	}
	kept := map[key]bool{}
	var keep, drop []grantMove
	for _, g := range all {
		k := key{g.user, g.code}
		if !kept[k] {
			var n int
			if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM role_grants WHERE user_id = ? AND role = 'team_member' AND unit_path = ?", g.user, g.to).Scan(&n); err != nil {
				return 0, 0, apperr.Wrap(err, "grant at successor")
			}
			if n == 0 {
				kept[k] = true
				keep = append(keep, g)
				continue
			}
		}
		drop = append(drop, g)
	}
	for _, g := range drop {
		if _, err := tx.ExecContext(ctx, "DELETE FROM role_grants WHERE id = ?", g.id); err != nil {
			return 0, 0, apperr.Wrap(err, "merge grant")
		}
	}
	for _, g := range keep {
		if _, err := tx.ExecContext(ctx, "UPDATE role_grants SET unit_code = ? WHERE id = ?", "~moving:"+strconv.FormatInt(g.id, 10), g.id); err != nil {
			return 0, 0, apperr.Wrap(err, "move grant")
		}
	}
	for _, g := range keep {
		if _, err := tx.ExecContext(ctx, "UPDATE role_grants SET unit_code = ?, unit_path = ? WHERE id = ?", g.code, g.to, g.id); err != nil {
			return 0, 0, apperr.Wrap(err, "move grant")
		}
	}
	return len(keep), len(drop), nil
}
