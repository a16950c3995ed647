package ceremony

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/units"
)

// operated are the bridge_operator grants of the actor: each operates the point of exactly that
// unit version. (A district operator does not operate the district's communes' points.)
func operated(a *authz.Actor) []authz.Grant {
	if a == nil {
		return nil
	}
	var out []authz.Grant
	for _, g := range a.Grants {
		if g.Role == authz.BridgeOperator && g.UnitCode != "" {
			out = append(out, g)
		}
	}
	return out
}

// operates tells whether grant g operates point p. A grant names the unit version it was given on
// by its path: the operator of the 2023 Xã Nghĩa Dũng (21034) does not operate the point of the
// 2025 Xã An Phú, which reuses the code. A grant that carries no path falls back to the code.
func operates(g authz.Grant, p Point) bool {
	if g.UnitPath != "" {
		return g.UnitPath == p.UnitPath
	}
	return g.UnitCode == p.UnitCode
}

// operatorCond is the SQL condition (with its argument) "point p is operated through grant g".
func operatorCond(g authz.Grant) (string, any) {
	if g.UnitPath != "" {
		return "p.unit_path = ?", g.UnitPath
	}
	return "p.unit_code = ?", g.UnitCode
}

// MayTouch tells whether the actor may change point p: an administrator of its unit (the province,
// the district for its communes, the commune itself) or its own operator.
func MayTouch(a *authz.Actor, p Point) bool {
	if a.AdministersUnit(p.UnitPath) {
		return true
	}
	for _, g := range operated(a) {
		if operates(g, p) {
			return true
		}
	}
	return false
}

// GenerateResult tells what a generation did.
type GenerateResult struct {
	Added   int `json:"added"`
	Retired int `json:"retired"`
	Revived int `json:"revived"`
	Total   int `json:"total"`
}

// GeneratePoints makes the main site's point and one per district- and commune-level unit in force
// of the ceremony's own province, whatever the tree: on the three-tier map (until 30/06/2025) the
// province's districts and their communes, on the two-tier map (from 01/07/2025) its communes,
// directly under the province, whose points name no district. Run again after the unit tree
// changed (a map switch), it adds the new unit versions' points and retires (never deletes) those
// of retired versions, keeping everything entered on the others. Points are matched by unit path,
// the unit version: a code reused by the reform (21034) gets a new point beside the retired one.
func (s *Service) GeneratePoints(ctx context.Context, id int64) (GenerateResult, error) {
	c, err := s.findToChange(ctx, s.DB.Reader(), id)
	if err != nil {
		return GenerateResult{}, err
	}
	if c.OrgHosted() {
		// An organisation's live screen has its main site only: there is no tree below it.
		return GenerateResult{}, apperr.New(apperr.Conflict, "ceremony.error.org_points")
	}
	root, err := s.hostUnit(ctx, c)
	if err != nil {
		return GenerateResult{}, err
	}
	districts, err := s.Units.List(ctx, units.Filter{Level: units.District, Under: root.Path})
	if err != nil {
		return GenerateResult{}, err
	}
	communes, err := s.Units.List(ctx, units.Filter{Level: units.Commune, Under: root.Path})
	if err != nil {
		return GenerateResult{}, err
	}
	type want struct {
		unit     units.Unit
		level    Level
		district string
	}
	// The main site is the host: the province, or for a hosted ceremony its host unit (a district
	// whose communes are its bridge points, or a commune with its main site only).
	wanted := []want{{root, Main, ""}}
	districtOf := map[string]string{} // district path → code
	if root.Level == units.District {
		districtOf[root.Path] = root.Code
	}
	for _, d := range districts {
		if d.Path == root.Path {
			continue
		}
		wanted = append(wanted, want{d, District, d.Code})
		districtOf[d.Path] = d.Code
	}
	for _, c := range communes {
		if c.Path == root.Path {
			continue
		}
		// A commune directly under its province (2025) has no district: "" (not the province's code).
		wanted = append(wanted, want{c, Commune, districtOf[parentPath(c.Path)]})
	}
	var res GenerateResult
	now := s.Now()
	err = s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		if _, err := s.findToChange(ctx, tx, id); err != nil {
			return err
		}
		existing := map[string]struct {
			id      int64
			retired bool
		}{}
		rows, err := tx.QueryContext(ctx, "SELECT id, unit_path, retired_at FROM bridge_points WHERE ceremony_id = ?", id)
		if err != nil {
			return apperr.Wrap(err, "list points")
		}
		for rows.Next() {
			var pid, retired int64
			var path string
			if err := rows.Scan(&pid, &path, &retired); err != nil {
				rows.Close()
				return apperr.Wrap(err, "scan point")
			}
			existing[path] = struct {
				id      int64
				retired bool
			}{pid, retired != 0}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return apperr.Wrap(err, "list points")
		}
		inForce := map[string]bool{}
		for _, w := range wanted {
			inForce[w.unit.Path] = true
			if e, ok := existing[w.unit.Path]; ok {
				if e.retired {
					if _, err := tx.ExecContext(ctx, "UPDATE bridge_points SET retired_at = 0, updated_at = ? WHERE id = ?", db.Millis(now), e.id); err != nil {
						return apperr.Wrap(err, "revive point")
					}
					res.Revived++
				}
				continue
			}
			pid, err := tx.InsertID(ctx, `INSERT INTO bridge_points (ceremony_id, unit_code, unit_path, district_code, level, name, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, id, w.unit.Code, w.unit.Path, w.district, string(w.level), w.unit.Name, db.Millis(now), db.Millis(now))
			if err != nil {
				return apperr.Wrap(err, "insert point")
			}
			for _, g := range Groups[w.level] {
				if _, err := tx.ExecContext(ctx, "INSERT INTO bridge_point_groups (point_id, group_key) VALUES (?, ?)", pid, g); err != nil {
					return apperr.Wrap(err, "insert group")
				}
			}
			res.Added++
		}
		for path, e := range existing {
			if !inForce[path] && !e.retired {
				if _, err := tx.ExecContext(ctx, "UPDATE bridge_points SET retired_at = ?, on_air = 0, updated_at = ? WHERE id = ?", db.Millis(now), db.Millis(now), e.id); err != nil {
					return apperr.Wrap(err, "retire point")
				}
				res.Retired++
			}
		}
		res.Total = len(wanted)
		if err := s.publish(ctx, tx, id, "points", res); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "ceremony.points_generate", ObjectType: "ceremony", ObjectID: strconv.FormatInt(id, 10), UnitPath: root.Path,
			Detail: "added=" + strconv.Itoa(res.Added) + " retired=" + strconv.Itoa(res.Retired) + " revived=" + strconv.Itoa(res.Revived)})
	})
	return res, err
}

// PointFilter narrows a listing of points.
type PointFilter struct {
	// DistrictCode keeps the district's own point and its communes' points. The code of the
	// ceremony's province keeps the points that hang directly under the province, with no district:
	// the main site's and, on the two-tier map (from 01/07/2025), every commune's.
	DistrictCode string
	// UnderNow keeps the points that count today under the unit at this path: those below it and
	// those of earlier unit versions that roll up below it (units.UnderNow).
	UnderNow       string
	Level          Level
	IncludeRetired bool
}

const pointColumns = `p.id, p.ceremony_id, p.unit_code, p.unit_path, p.district_code, p.level, p.name, p.address, p.room_link, p.contact_name, p.contact_phone,
	p.chk_line, p.chk_camera, p.chk_microphone, p.chk_screen, p.chk_sound, p.chk_rehearsal, p.on_air, p.last_heartbeat, p.retired_at, p.last_chased_at`

func scanPoint(row interface{ Scan(...any) error }) (Point, error) {
	var p Point
	var line, camera, mic, screen, sound, rehearsal, onAir int
	var hb, retired, chased int64
	err := row.Scan(&p.ID, &p.CeremonyID, &p.UnitCode, &p.UnitPath, &p.DistrictCode, &p.Level, &p.Name, &p.Address, &p.RoomLink, &p.ContactName, &p.ContactPhone,
		&line, &camera, &mic, &screen, &sound, &rehearsal, &onAir, &hb, &retired, &chased)
	p.LastChasedAt = db.FromMillis(chased)
	p.Checklist = Checklist{Line: line == 1, Camera: camera == 1, Microphone: mic == 1, Screen: screen == 1, Sound: sound == 1, Rehearsal: rehearsal == 1}
	p.OnAir, p.LastHeartbeat, p.Retired = onAir == 1, db.FromMillis(hb), retired != 0
	return p, err
}

// ListPoints returns the points of a ceremony the actor may see: all for its province's
// administrators and for national administrators, a district's own and its communes' points for
// its administrators, one commune's for its administrators, and an operator's own points. Others
// see none; another province's ceremony is not found.
func (s *Service) ListPoints(ctx context.Context, id int64, f PointFilter) ([]Point, error) {
	a := authz.ActorFrom(ctx)
	c, err := s.find(ctx, s.DB.Reader(), id)
	if err != nil {
		return nil, err
	}
	conds := []string{"p.ceremony_id = ?"}
	args := []any{id}
	var scope []string
	if admin := a.ScopeOf(authz.ProvinceAdmin, authz.UnitAdmin).Units("p.unit_path"); !admin.Empty() {
		scope = append(scope, admin.SQL)
		args = append(args, admin.Args...)
	}
	for _, g := range operated(a) {
		cond, arg := operatorCond(g)
		scope = append(scope, cond)
		args = append(args, arg)
	}
	if len(scope) == 0 {
		return nil, nil
	}
	conds = append(conds, "("+strings.Join(scope, " OR ")+")")
	switch {
	case f.DistrictCode != "" && f.DistrictCode == c.Province:
		conds = append(conds, "p.district_code = ''")
	case f.DistrictCode != "":
		conds = append(conds, "p.district_code = ?")
		args = append(args, f.DistrictCode)
	}
	if f.UnderNow != "" {
		cond, a := units.UnderNow("p.unit_path", f.UnderNow)
		conds = append(conds, cond)
		args = append(args, a...)
	}
	if f.Level != "" {
		conds = append(conds, "p.level = ?")
		args = append(args, string(f.Level))
	}
	if !f.IncludeRetired {
		conds = append(conds, "p.retired_at = 0")
	}
	where := " WHERE " + strings.Join(conds, " AND ")
	rows, err := s.DB.Reader().QueryContext(ctx, "SELECT "+pointColumns+" FROM bridge_points p"+where+
		" ORDER BY CASE p.level WHEN 'main' THEN 0 ELSE 1 END, p.unit_path", args...)
	if err != nil {
		return nil, apperr.Wrap(err, "list points")
	}
	var out []Point
	index := map[int64]int{}
	for rows.Next() {
		p, err := scanPoint(rows)
		if err != nil {
			rows.Close()
			return nil, apperr.Wrap(err, "scan point")
		}
		index[p.ID] = len(out)
		out = append(out, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, apperr.Wrap(err, "list points")
	}
	grows, err := s.DB.Reader().QueryContext(ctx, "SELECT g.point_id, g.group_key, g.expected, g.actual FROM bridge_point_groups g JOIN bridge_points p ON p.id = g.point_id"+
		where+" ORDER BY g.point_id", args...)
	if err != nil {
		return nil, apperr.Wrap(err, "list attendance")
	}
	defer grows.Close()
	for grows.Next() {
		var pid int64
		var at Attendance
		if err := grows.Scan(&pid, &at.Group, &at.Expected, &at.Actual); err != nil {
			return nil, apperr.Wrap(err, "scan attendance")
		}
		if i, ok := index[pid]; ok {
			out[i].Attendance = append(out[i].Attendance, at)
		}
	}
	now := s.Now()
	for i := range out {
		sortAttendance(&out[i])
		out[i].State = out[i].StateAt(now)
	}
	return out, grows.Err()
}

// sortAttendance puts the groups in the plan's order.
func sortAttendance(p *Point) {
	var sorted []Attendance
	for _, g := range Groups[p.Level] {
		for _, a := range p.Attendance {
			if a.Group == g {
				sorted = append(sorted, a)
			}
		}
	}
	if sorted == nil {
		sorted = []Attendance{}
	}
	p.Attendance = sorted
}

func (s *Service) loadPoint(ctx context.Context, q db.Querier, id, pid int64) (Point, error) {
	p, err := scanPoint(q.QueryRowContext(ctx, "SELECT "+pointColumns+" FROM bridge_points p WHERE p.id = ? AND p.ceremony_id = ?", pid, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Point{}, apperr.New(apperr.NotFound, "ceremony.error.point_not_found")
	}
	if err != nil {
		return Point{}, apperr.Wrap(err, "find point")
	}
	rows, err := q.QueryContext(ctx, "SELECT group_key, expected, actual FROM bridge_point_groups WHERE point_id = ?", pid)
	if err != nil {
		return Point{}, apperr.Wrap(err, "list attendance")
	}
	defer rows.Close()
	for rows.Next() {
		var at Attendance
		if err := rows.Scan(&at.Group, &at.Expected, &at.Actual); err != nil {
			return Point{}, apperr.Wrap(err, "scan attendance")
		}
		p.Attendance = append(p.Attendance, at)
	}
	sortAttendance(&p)
	p.State = p.StateAt(s.Now())
	return p, rows.Err()
}

// MayRead tells whether the actor may read point p: those who may touch it and national
// administrators (who read every province's ceremonies and change none).
func MayRead(a *authz.Actor, p Point) bool { return a.IsNational() || MayTouch(a, p) }

// FindPoint returns one point the actor may read; others are "not found", so that their existence
// is not confirmed.
func (s *Service) FindPoint(ctx context.Context, id, pid int64) (Point, error) {
	if _, err := s.find(ctx, s.DB.Reader(), id); err != nil {
		return Point{}, err
	}
	p, err := s.loadPoint(ctx, s.DB.Reader(), id, pid)
	if err != nil {
		return Point{}, err
	}
	if !MayRead(authz.ActorFrom(ctx), p) {
		return Point{}, apperr.Hidden("ceremony.error.point_not_found")
	}
	return p, nil
}

// refuseTouch is the refusal of a change to point p by an actor who may not touch it: forbidden
// to someone who reads it (a national administrator), not found to anyone else.
func refuseTouch(a *authz.Actor, key string) error {
	if a.IsNational() {
		return forbidden()
	}
	return apperr.Hidden(key)
}

// changePoint runs change on a point the actor may touch, inside one transaction, then publishes
// the point's new state and records the audit entry.
func (s *Service) changePoint(ctx context.Context, id, pid int64, action string, change func(tx *db.Tx, p Point) (detail string, publish bool, err error)) (Point, error) {
	a := authz.ActorFrom(ctx)
	var out Point
	err := s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		if _, err := s.find(ctx, tx, id); err != nil {
			return err
		}
		p, err := s.loadPoint(ctx, tx, id, pid)
		if err != nil {
			return err
		}
		if !MayTouch(a, p) {
			return refuseTouch(a, "ceremony.error.point_not_found")
		}
		if p.Retired {
			return apperr.New(apperr.Conflict, "ceremony.error.point_retired")
		}
		detail, publish, err := change(tx, p)
		if err != nil {
			return err
		}
		if out, err = s.loadPoint(ctx, tx, id, pid); err != nil {
			return err
		}
		if publish {
			// Point events reach every viewer who may see the point: leave out the technical
			// contact's name and phone (personal data), which the control room does not show.
			pub := pointEvent{Point: out, UnitPath: out.UnitPath}
			pub.ContactName, pub.ContactPhone = "", ""
			if err := s.publish(ctx, tx, id, "point", pub); err != nil {
				return err
			}
		}
		if action == "" {
			return nil
		}
		return audit.Record(ctx, tx, audit.Entry{Action: action, ObjectType: "bridge_point", ObjectID: strconv.FormatInt(pid, 10), UnitPath: p.UnitPath, Detail: detail})
	})
	return out, err
}

// UpdatePoint changes the point's address, room link, technical contact and expected attendance.
func (s *Service) UpdatePoint(ctx context.Context, id, pid int64, d PointDetails) (Point, error) {
	d.Address, d.RoomLink = strings.TrimSpace(d.Address), strings.TrimSpace(d.RoomLink)
	d.ContactName, d.ContactPhone = strings.TrimSpace(d.ContactName), strings.TrimSpace(d.ContactPhone)
	return s.changePoint(ctx, id, pid, "bridge_point.update", func(tx *db.Tx, p Point) (string, bool, error) {
		if err := d.Validate(p.Level); err != nil {
			return "", false, err
		}
		now := db.Millis(s.Now())
		if _, err := tx.ExecContext(ctx, "UPDATE bridge_points SET address = ?, room_link = ?, contact_name = ?, contact_phone = ?, updated_at = ? WHERE id = ?",
			d.Address, d.RoomLink, d.ContactName, d.ContactPhone, now, pid); err != nil {
			return "", false, apperr.Wrap(err, "update point")
		}
		for g, n := range d.Expected {
			if _, err := tx.ExecContext(ctx, "UPDATE bridge_point_groups SET expected = ? WHERE point_id = ? AND group_key = ?", n, pid, g); err != nil {
				return "", false, apperr.Wrap(err, "update expected")
			}
		}
		return d.Address + " · " + d.ContactName, true, nil
	})
}

// SetChecklist records the operator's checklist. Unticking an item takes the point off air.
func (s *Service) SetChecklist(ctx context.Context, id, pid int64, c Checklist) (Point, error) {
	return s.changePoint(ctx, id, pid, "bridge_point.checklist", func(tx *db.Tx, p Point) (string, bool, error) {
		onAir := p.OnAir && c.Complete()
		if _, err := tx.ExecContext(ctx, `UPDATE bridge_points SET chk_line = ?, chk_camera = ?, chk_microphone = ?, chk_screen = ?, chk_sound = ?, chk_rehearsal = ?,
			on_air = ?, updated_at = ? WHERE id = ?`, b(c.Line), b(c.Camera), b(c.Microphone), b(c.Screen), b(c.Sound), b(c.Rehearsal), b(onAir), db.Millis(s.Now()), pid); err != nil {
			return "", false, apperr.Wrap(err, "update checklist")
		}
		return strconv.Itoa(c.Done()) + "/" + strconv.Itoa(len(ChecklistItems)), true, nil
	})
}

func b(v bool) int {
	if v {
		return 1
	}
	return 0
}

// SetOnAir puts the point on air (its checklist must be complete) or takes it off.
func (s *Service) SetOnAir(ctx context.Context, id, pid int64, on bool) (Point, error) {
	return s.changePoint(ctx, id, pid, "bridge_point.on_air", func(tx *db.Tx, p Point) (string, bool, error) {
		if on && !p.Checklist.Complete() {
			return "", false, apperr.New(apperr.Conflict, "ceremony.error.checklist_incomplete", p.Checklist.Done(), len(ChecklistItems))
		}
		now := db.Millis(s.Now())
		// Going on air counts as a heartbeat: the point is not "lost" before its screen reports.
		if _, err := tx.ExecContext(ctx, "UPDATE bridge_points SET on_air = ?, last_heartbeat = CASE WHEN ? = 1 THEN ? ELSE last_heartbeat END, updated_at = ? WHERE id = ?",
			b(on), b(on), now, now, pid); err != nil {
			return "", false, apperr.Wrap(err, "set on air")
		}
		return strconv.FormatBool(on), true, nil
	})
}

// Heartbeat records that the point's screen is alive. It is broadcast only every
// heartbeatPublishEvery (and when a lost point comes back), not on every beat; the control room
// derives "lost" from the last heartbeat it knows. Heartbeats are not audited.
func (s *Service) Heartbeat(ctx context.Context, id, pid int64) (Point, error) {
	return s.changePoint(ctx, id, pid, "", func(tx *db.Tx, p Point) (string, bool, error) {
		now := s.Now()
		if _, err := tx.ExecContext(ctx, "UPDATE bridge_points SET last_heartbeat = ? WHERE id = ?", db.Millis(now), pid); err != nil {
			return "", false, apperr.Wrap(err, "heartbeat")
		}
		publish := now.Sub(p.LastHeartbeat) >= heartbeatPublishEvery || p.StateAt(now) == Lost
		return "", publish, nil
	})
}

// SetAttendance records the actual attendance per delegate group, on the day.
func (s *Service) SetAttendance(ctx context.Context, id, pid int64, actual map[string]int) (Point, error) {
	return s.changePoint(ctx, id, pid, "bridge_point.attendance", func(tx *db.Tx, p Point) (string, bool, error) {
		if err := validCounts("groups", p.Level, actual); err != nil {
			return "", false, err
		}
		total := 0
		for g, n := range actual {
			total += n
			if _, err := tx.ExecContext(ctx, "UPDATE bridge_point_groups SET actual = ? WHERE point_id = ? AND group_key = ?", n, pid, g); err != nil {
				return "", false, apperr.Wrap(err, "update attendance")
			}
		}
		return "total=" + strconv.Itoa(total), true, nil
	})
}

// Counts summarise points by state, for the control room.
type Counts struct {
	Total    int `json:"total"`
	NotReady int `json:"not_ready"`
	Ready    int `json:"ready"`
	OnAir    int `json:"on_air"`
	Lost     int `json:"lost"`
	Expected int `json:"expected"`
	Actual   int `json:"actual"`
}

// CountPoints counts points by state.
func CountPoints(points []Point, now time.Time) Counts {
	var c Counts
	for _, p := range points {
		c.Total++
		c.Expected += p.ExpectedTotal()
		c.Actual += p.ActualTotal()
		switch p.StateAt(now) {
		case NotReady:
			c.NotReady++
		case Ready:
			c.Ready++
		case OnAir:
			c.OnAir++
		case Lost:
			c.Lost++
		}
	}
	return c
}

// parentPath is the path of the unit above the one at path ("/51/522/21034/" → "/51/522/").
func parentPath(path string) string {
	trimmed := strings.TrimSuffix(path, "/")
	if i := strings.LastIndex(trimmed, "/"); i >= 0 {
		return trimmed[:i+1]
	}
	return ""
}
