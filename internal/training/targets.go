package training

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
)

// The province's target share: the share of the people of a course's groups it expects to
// complete the course (Quảng Ngãi: 80 % of its officials by the end of 2025), for every course
// (course 0) or for one course, which then overrides it. Set by the province's administrator,
// audited.

// Target is a province's target share.
type Target struct {
	CourseID int64 `json:"course_id"` // 0: every course
	Percent  int   `json:"percent"`
}

// TargetShare is the share the province expects of a course: the course's own, else the one for
// every course; 0 when the province has set none.
func (s *Service) TargetShare(ctx context.Context, province string, courseID int64) (int, error) {
	var p int
	err := s.DB.Reader().QueryRowContext(ctx, `SELECT share_percent FROM training_targets WHERE province_code = ? AND course_id IN (?, 0)
		ORDER BY course_id DESC LIMIT 1`, province, courseID).Scan(&p)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return p, apperr.Wrap(err, "target share")
}

// Targets lists the province's targets, for its administrator: the one for every course first.
func (s *Service) Targets(ctx context.Context, province string) ([]Target, error) {
	if err := requireProvinceAdmin(authz.ActorFrom(ctx), province); err != nil {
		return nil, err
	}
	rows, err := s.DB.Reader().QueryContext(ctx, `SELECT course_id, share_percent FROM training_targets WHERE province_code = ? ORDER BY course_id`, province)
	if err != nil {
		return nil, apperr.Wrap(err, "targets")
	}
	defer rows.Close()
	out := []Target{}
	for rows.Next() {
		var t Target
		if err := rows.Scan(&t.CourseID, &t.Percent); err != nil {
			return nil, apperr.Wrap(err, "targets")
		}
		out = append(out, t)
	}
	return out, apperr.Wrap(rows.Err(), "targets")
}

// SetTargetShare sets the province's target share (1–100 %) for every course (courseID 0) or
// for one of its courses or a national one.
func (s *Service) SetTargetShare(ctx context.Context, province string, courseID int64, percent int) error {
	if err := requireProvinceAdmin(authz.ActorFrom(ctx), province); err != nil {
		return err
	}
	if percent < 1 || percent > 100 {
		return apperr.InvalidField("percent", "training.error.target_percent", percent)
	}
	if courseID != 0 {
		c, err := s.visibleCourse(ctx, s.DB.Reader(), courseID)
		if err != nil {
			return err
		}
		if c.Province != "" && c.Province != province {
			return apperr.Hidden("training.error.course_not_found")
		}
	}
	a := authz.ActorFrom(ctx)
	return s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO training_targets (province_code, course_id, share_percent, updated_by, updated_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (province_code, course_id) DO UPDATE SET share_percent = excluded.share_percent, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
			province, courseID, percent, db.NullInt(a.UserID), db.Millis(s.Now())); err != nil {
			return apperr.Wrap(err, "target share")
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "target.set", ObjectType: "province", ObjectID: province, UnitPath: authz.ProvincePath(province),
			Detail: fmt.Sprintf("course=%d percent=%d", courseID, percent)})
	})
}

// BelowRow is a unit or organisation whose completed share of a course is below the target.
type BelowRow struct {
	Kind   string `json:"kind"`
	Code   string `json:"code"` // unit code or organisation id
	Name   string `json:"name"`
	Passed int    `json:"passed"`
	Shares
}

// BelowTarget lists, for a course, the units and organisations with a headcount in the actor's
// scope whose completed share is below the province's target, the lowest first, with the target
// (0, and no rows, when the province has set none). The scope is the one the actor reads whole:
// a province's or a unit administrator's units and the organisations in them, an organisation
// administrator's organisations.
func (s *Service) BelowTarget(ctx context.Context, courseID int64) ([]BelowRow, int, error) {
	a := authz.ActorFrom(ctx)
	if err := requireFigures(a); err != nil {
		return nil, 0, err
	}
	c, err := s.visibleCourse(ctx, s.DB.Reader(), courseID)
	if err != nil {
		return nil, 0, err
	}
	province := c.Province
	if province == "" {
		province = a.HomeProvince()
	}
	target, err := s.TargetShare(ctx, province, courseID)
	if err != nil || target == 0 {
		return []BelowRow{}, target, err
	}
	units := a.AdminUnitPaths()
	var in []string
	for _, p := range units {
		if authz.ProvinceOfPath(p) == province {
			in = append(in, p)
		}
	}
	orgPaths := a.AdminOrgPaths()
	// The places: entries in the scope, with their names.
	q := `SELECT h.kind, h.path, h.audience, h.headcount, COALESCE(u.code, CAST(o.id AS TEXT), ''), COALESCE(u.name, o.name, '')
		FROM training_headcounts h LEFT JOIN units u ON h.kind = 'unit' AND u.path = h.path LEFT JOIN orgs o ON h.kind = 'org' AND o.path = h.path
		WHERE h.province_code = ? AND (`
	args := []any{province}
	var ors []string
	for _, p := range in {
		ors = append(ors, "(h.kind = 'unit' AND h.path LIKE ?)", "(h.kind = 'org' AND o.unit_path LIKE ?)")
		args = append(args, p+"%", p+"%")
	}
	for _, p := range orgPaths {
		ors = append(ors, "(h.kind = 'org' AND h.path LIKE ?)")
		args = append(args, p+"%")
	}
	if len(ors) == 0 {
		return []BelowRow{}, target, nil
	}
	rows, err := s.DB.Reader().QueryContext(ctx, q+strings.Join(ors, " OR ")+")", args...)
	if err != nil {
		return nil, 0, apperr.Wrap(err, "below target")
	}
	type place struct {
		kind, path, code, name string
		own, n                 int
	}
	groups := courseGroups(c.Audience)
	var places []*place
	at := map[string]*place{}
	for rows.Next() {
		var kind, path, group, code, name string
		var n int
		if err := rows.Scan(&kind, &path, &group, &n, &code, &name); err != nil {
			rows.Close()
			return nil, 0, apperr.Wrap(err, "below target")
		}
		p := at[kind+path]
		if p == nil {
			p = &place{kind: kind, path: path, code: code, name: name}
			at[kind+path] = p
			places = append(places, p)
		}
		if slices.Contains(groups, group) {
			p.own += n
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, apperr.Wrap(err, "below target")
	}
	// A place's headcount is its subtree's: the entries below it add to it.
	for _, p := range places {
		for _, x := range places {
			if x.kind == p.kind && strings.HasPrefix(x.path, p.path) {
				p.n += x.own
			}
		}
	}
	// The passes of the course in the actor's scope, where each counts today.
	enrol := figureScope(a)
	crow, err := s.DB.Reader().QueryContext(ctx, `SELECT e.unit_path, e.org_path, e.passed, e.started FROM `+figureCounters+` WHERE `+enrol.SQL,
		append([]any{courseID}, enrol.Args...)...)
	if err != nil {
		return nil, 0, apperr.Wrap(err, "below target")
	}
	type counter struct {
		unit, org       string
		passed, started int
	}
	var counters []counter
	for crow.Next() {
		var x counter
		if err := crow.Scan(&x.unit, &x.org, &x.passed, &x.started); err != nil {
			crow.Close()
			return nil, 0, apperr.Wrap(err, "below target")
		}
		counters = append(counters, x)
	}
	crow.Close()
	if err := crow.Err(); err != nil {
		return nil, 0, apperr.Wrap(err, "below target")
	}
	out := []BelowRow{}
	for _, p := range places {
		passed, started := 0, 0
		for _, x := range counters {
			col := x.unit
			if p.kind == HeadcountOrg {
				col = x.org
			}
			if strings.HasPrefix(col, p.path) {
				passed += x.passed
				started += x.started
			}
		}
		sh := sharesOf(passed, started, p.n, true)
		if sh.CompletedShare == nil || *sh.CompletedShare >= float64(target) {
			continue
		}
		out = append(out, BelowRow{Kind: p.kind, Code: p.code, Name: p.name, Passed: passed, Shares: sh})
	}
	slices.SortStableFunc(out, func(x, y BelowRow) int {
		if *x.CompletedShare != *y.CompletedShare {
			if *x.CompletedShare < *y.CompletedShare {
				return -1
			}
			return 1
		}
		return strings.Compare(x.Name, y.Name)
	})
	return out, target, nil
}
