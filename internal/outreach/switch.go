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
// the team's new unit. A team of a split unit (several successors, no roll-up) stays where it is,
// with its members' grants, as no successor may claim it alone: AssignSplit rolls the split unit's
// records up, and the province's administrators then put its members in a team of the successor.
// A district's team stays too, as the two-tier map has no unit a district becomes. A moved team
// whose name its new unit already has takes its old unit's name after its own; a member whose
// grants meet on one unit keeps one grant there.
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

// moveTeams moves the teams of rolled-up units in a handful of statements whatever their number:
// on PostgreSQL each statement is a round trip, and one per team (a name check, an update, an
// audit entry) made the switch of a province with 1,892 teams take most of its 39 s. The names
// are chosen in Go from one read of the names the new units hold, in team id order, as the teams
// arrive one after another; only the few teams whose name is taken are updated one by one.
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
	if len(moves) == 0 {
		return 0, nil
	}
	taken, err := namesAtSuccessors(ctx, tx)
	if err != nil {
		return 0, err
	}
	entries := make([]audit.Entry, 0, len(moves))
	for _, m := range moves {
		name := freeTeamName(taken, m)
		taken[m.to+"\x00"+name] = true
		if name != m.name {
			// Renamed teams move first, one by one, under their new name; the rest move together.
			if _, err := tx.ExecContext(ctx, "UPDATE outreach_teams SET name = ?, unit_code = ?, unit_path = ?, level = ? WHERE id = ?",
				name, m.code, m.to, m.level, m.id); err != nil {
				return 0, apperr.Wrap(err, "move team")
			}
		}
		entries = append(entries, audit.Entry{Action: "outreach.team.move", ObjectType: "outreach_team", ObjectID: strconv.FormatInt(m.id, 10),
			UnitPath: m.to, Detail: "from=" + m.from + " to=" + m.to + " name=" + name})
	}
	if _, err := tx.ExecContext(ctx, `UPDATE outreach_teams SET
		unit_path = (SELECT r.current_path FROM unit_rollup r WHERE r.path = outreach_teams.unit_path),
		unit_code = (SELECT cu.code FROM unit_rollup r JOIN units cu ON cu.path = r.current_path AND cu.valid_to = '' WHERE r.path = outreach_teams.unit_path),
		level = (SELECT cu.level FROM unit_rollup r JOIN units cu ON cu.path = r.current_path AND cu.valid_to = '' WHERE r.path = outreach_teams.unit_path)
		WHERE unit_path IN (SELECT r.path FROM unit_rollup r JOIN units cu ON cu.path = r.current_path AND cu.valid_to = '' WHERE r.current_path <> r.path)`); err != nil {
		return 0, apperr.Wrap(err, "move teams")
	}
	if err := audit.RecordMany(ctx, tx, entries); err != nil {
		return 0, err
	}
	return len(moves), nil
}

// namesAtSuccessors returns the team names already held in every unit teams move into, keyed by
// unit path and name.
func namesAtSuccessors(ctx context.Context, tx *db.Tx) (map[string]bool, error) {
	rows, err := tx.QueryContext(ctx, `SELECT t.unit_path, t.name FROM outreach_teams t
		WHERE t.unit_path IN (SELECT r.current_path FROM unit_rollup r WHERE r.current_path <> r.path)`)
	if err != nil {
		return nil, apperr.Wrap(err, "team names")
	}
	defer rows.Close()
	taken := map[string]bool{}
	for rows.Next() {
		var path, name string
		if err := rows.Scan(&path, &name); err != nil {
			return nil, apperr.Wrap(err, "scan team name")
		}
		taken[path+"\x00"+name] = true
	}
	return taken, apperr.Wrap(rows.Err(), "team names")
}

// freeTeamName returns the team's name, or, when its new unit has a team of that name already
// (two merged communes each had "Tổ Công nghệ số cộng đồng"), the name followed by its old unit's.
func freeTeamName(taken map[string]bool, m teamMove) string {
	candidates := []string{m.name, m.name + " (" + m.fromName + ")"}
	for _, name := range candidates {
		if !taken[m.to+"\x00"+name] {
			return name
		}
	}
	return m.name + " (" + m.fromName + ", " + strconv.FormatInt(m.id, 10) + ")"
}

// moveMemberGrants moves the team_member grants on rolled-up units to the unit in force, in two
// statements. A grant is unique by (user, role, unit path), and several of one member's grants can
// meet on one unit (Xã Nghĩa Dõng and the 2023 Xã Nghĩa Dũng both roll up into Xã An Phú): a
// grant that would meet one the member already holds there, or one with a smaller id moving there
// too, is deleted first (the member keeps one grant), then the others move.
func moveMemberGrants(ctx context.Context, tx *db.Tx) (moved, merged int, err error) {
	const moving = `SELECT r.path FROM unit_rollup r JOIN units cu ON cu.path = r.current_path AND cu.valid_to = '' WHERE r.current_path <> r.path`
	res, err := tx.ExecContext(ctx, `DELETE FROM role_grants WHERE role = 'team_member' AND unit_path IN (`+moving+`)
		AND (EXISTS (SELECT 1 FROM unit_rollup r JOIN role_grants k ON k.unit_path = r.current_path
				WHERE r.path = role_grants.unit_path AND k.user_id = role_grants.user_id AND k.role = 'team_member')
			OR EXISTS (SELECT 1 FROM unit_rollup r JOIN unit_rollup ro ON ro.current_path = r.current_path AND ro.path <> ro.current_path
				JOIN role_grants o ON o.unit_path = ro.path
				WHERE r.path = role_grants.unit_path AND o.user_id = role_grants.user_id AND o.role = 'team_member' AND o.id < role_grants.id))`)
	if err != nil {
		return 0, 0, apperr.Wrap(err, "merge grants")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, 0, apperr.Wrap(err, "merge grants")
	}
	merged = int(n)
	res, err = tx.ExecContext(ctx, `UPDATE role_grants SET
		unit_code = (SELECT cu.code FROM unit_rollup r JOIN units cu ON cu.path = r.current_path AND cu.valid_to = '' WHERE r.path = role_grants.unit_path),
		unit_path = (SELECT r.current_path FROM unit_rollup r WHERE r.path = role_grants.unit_path)
		WHERE role = 'team_member' AND unit_path IN (`+moving+`)`)
	if err != nil {
		return 0, 0, apperr.Wrap(err, "move grants")
	}
	if n, err = res.RowsAffected(); err != nil {
		return 0, 0, apperr.Wrap(err, "move grants")
	}
	return int(n), merged, nil
}
