package training

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"math"
	"strings"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/sheet"
)

// FigureRow is the mobilisation of one unit or organisation (its whole subtree) for a course.
type FigureRow struct {
	Key      string  `json:"key"` // unit code or organisation id
	Name     string  `json:"name"`
	Children int     `json:"child_count"`
	Enrolled int     `json:"enrolled"`
	Started  int     `json:"started"`
	Passed   int     `json:"passed"`
	PassRate float64 `json:"pass_rate"` // passed / enrolled, in percent
	// Direct marks the row of the people attached to the parent itself rather than to one of its
	// children (pupils of a district's school counted at the district, the staff of a department
	// with schools below it), so that the rows of a drill-down add up to the parent's figure.
	Direct bool `json:"direct,omitempty"`
}

// FigureFilter chooses the rows: the children of Parent (a unit code or an organisation id as
// text), or the actor's own roots when empty.
type FigureFilter struct {
	CourseID int64
	By       string // "unit" or "org"
	Parent   string
	// Level makes a leaderboard of every unit of one level ("district", "commune") in scope.
	Level string
	Limit int
}

func requireFigures(a *authz.Actor) error {
	if a == nil {
		return apperr.New(apperr.Unauthenticated, "error.login_required")
	}
	if !a.IsAdmin() {
		return apperr.New(apperr.Forbidden, "error.forbidden")
	}
	return nil
}

// Figures returns enrolled, started, passed and pass rate by unit or by organisation, one row per
// child of the parent, each counting its whole subtree. The actor's scope is in the SQL twice: the
// rows are units or organisations they administer (or their ancestors' children on the way down),
// and only enrolments in their subtree are counted — an organisation administrator sees their
// own people, wherever they live in their province.
//
// Without a parent the rows start at the actor's level: a unit administrator's own units, the
// districts of a province course's province; for a national course, the provinces for a national
// administrator (who drills down from there) and the districts of its own province for a
// province's administrator, who reads its own province's part of a national course only. A
// course of another province is not found.
func (s *Service) Figures(ctx context.Context, f FigureFilter) ([]FigureRow, error) {
	a := authz.ActorFrom(ctx)
	if err := requireFigures(a); err != nil {
		return nil, err
	}
	if f.CourseID == 0 {
		return nil, apperr.InvalidField("course", "training.error.course_required")
	}
	c, err := s.visibleCourse(ctx, s.DB.Reader(), f.CourseID)
	if err != nil {
		return nil, err
	}
	enrol := figureScope(a)
	const unitRow = `SELECT x.code AS code, x.name AS name, x.path AS path, (SELECT COUNT(*) FROM units k WHERE k.parent_code = x.code) AS kids FROM units x WHERE `
	rowScope, rowScopeArgs := unitRowScope(a, c)
	var rowsSQL string
	var rowArgs []any
	directParent := "" // the unit code or organisation id whose own people get a row of their own
	switch {
	case f.Level != "":
		if f.Level != "province" && f.Level != "district" && f.Level != "commune" {
			return nil, apperr.InvalidField("level", "units.error.level")
		}
		rowsSQL = unitRow + "x.level = ? AND x.valid_to = '' AND " + rowScope
		rowArgs = append([]any{f.Level}, rowScopeArgs...)
	case f.By == "org":
		rowsSQL = `SELECT CAST(x.id AS TEXT) AS code, x.name AS name, x.path AS path, (SELECT COUNT(*) FROM orgs k WHERE k.parent_id = x.id) AS kids FROM orgs x WHERE `
		if f.Parent == "" {
			switch {
			case a.IsNational():
				rowsSQL += "x.parent_id IS NULL"
			case len(a.AdminUnitPaths()) > 0:
				// A unit administrator's top rows are the organisations in their units whose parent
				// is not: a school in Ba Tơ under the provincial Department of Education is a top
				// row for Ba Tơ, or it could not be reached at all. For a province's administrator
				// they are the province's top organisations.
				var in []string
				for _, p := range a.AdminUnitPaths() {
					in = append(in, "p.unit_path LIKE ?")
					rowArgs = append(rowArgs, p+"%")
				}
				rowsSQL += "(x.parent_id IS NULL OR NOT EXISTS (SELECT 1 FROM orgs p WHERE p.id = x.parent_id AND (" + strings.Join(in, " OR ") + ")))"
			default:
				rowsSQL += "1 = 1"
			}
		} else {
			rowsSQL += "CAST(x.parent_id AS TEXT) = ?"
			rowArgs = append(rowArgs, f.Parent)
			directParent = f.Parent
		}
		if !a.IsNational() {
			scope := a.AdminScope().Orgs("x.path", "x.unit_path")
			rowsSQL += " AND " + scope.SQL
			rowArgs = append(rowArgs, scope.Args...)
			if f.Parent == "" && len(a.AdminUnitPaths()) == 0 {
				// An organisation administrator starts at their own organisations.
				var eq []string
				for _, p := range a.AdminOrgPaths() {
					eq = append(eq, "x.path = ?")
					rowArgs = append(rowArgs, p)
				}
				rowsSQL += " AND (" + strings.Join(eq, " OR ") + ")"
			}
		}
		if c.Province != "" {
			// A province course's people are of its province: other provinces' organisations
			// would only add empty rows.
			rowsSQL += " AND x.unit_path LIKE ?"
			rowArgs = append(rowArgs, authz.ProvincePath(c.Province)+"%")
		}
	default:
		parent := f.Parent
		if parent == "" {
			switch {
			case !a.IsNational() && len(a.AdminProvinces()) == 0 && len(a.AdminUnitPaths()) > 0:
				// A unit administrator starts at their own units.
				rowsSQL = unitRow + "x.path IN (?" + strings.Repeat(", ?", len(a.AdminUnitPaths())-1) + ")"
				for _, p := range a.AdminUnitPaths() {
					rowArgs = append(rowArgs, p)
				}
			case c.Province != "":
				parent = c.Province
			case a.IsNational() || a.HomeProvince() == "":
				// A national course at the national level: one row per province.
				rowsSQL = unitRow + "x.level = 'province' AND x.valid_to = '' AND " + rowScope
				rowArgs = rowScopeArgs
			default:
				// A national course read by a province's administrator: its own province's part.
				parent = a.HomeProvince()
			}
		}
		if parent != "" {
			rowsSQL = unitRow + "x.parent_code = ? AND x.valid_to = '' AND " + rowScope
			rowArgs = append([]any{parent}, rowScopeArgs...)
			directParent = parent
		}
	}
	col := "e.unit_path"
	if f.By == "org" && f.Level == "" {
		col = "e.org_path"
	}
	// The counters (counters.go) hold one row per unit, organisation and audience: the join sums a
	// few thousand of them rather than counting every enrolment.
	query := `SELECT r.code, r.name, r.kids, CAST(COALESCE(SUM(e.enrolled), 0) AS BIGINT), CAST(COALESCE(SUM(e.started), 0) AS BIGINT), CAST(COALESCE(SUM(e.passed), 0) AS BIGINT)
		FROM (` + rowsSQL + `) r
		LEFT JOIN training_figures e ON e.course_id = ? AND ` + col + ` LIKE r.path || '%' AND ` + enrol.SQL + `
		GROUP BY r.code, r.name, r.kids`
	args := append(append(rowArgs, f.CourseID), enrol.Args...)
	if f.Level != "" {
		query += " ORDER BY 6 DESC, 4 DESC, r.name"
	} else {
		query += " ORDER BY r.name"
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	query += " LIMIT ?"
	args = append(args, limit)
	rows, err := s.DB.Reader().QueryContext(ctx, query, args...)
	if err != nil {
		return nil, apperr.Wrap(err, "figures")
	}
	defer rows.Close()
	out := []FigureRow{}
	for rows.Next() {
		var r FigureRow
		if err := rows.Scan(&r.Key, &r.Name, &r.Children, &r.Enrolled, &r.Started, &r.Passed); err != nil {
			return nil, apperr.Wrap(err, "figures")
		}
		if r.Enrolled > 0 {
			r.PassRate = math.Round(float64(r.Passed)*1000/float64(r.Enrolled)) / 10
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, apperr.Wrap(err, "figures")
	}
	if directParent != "" {
		direct, found, err := s.directFigures(ctx, f.CourseID, col, directParent, enrol)
		if err != nil {
			return nil, err
		}
		if found {
			out = append(out, direct)
		}
	}
	return out, nil
}

// figureScope is the condition on a counter row (alias e) that it counts people the actor
// administers: in their unit subtrees or organisation subtrees; every province's for a national
// administrator.
func figureScope(a *authz.Actor) authz.Cond {
	return a.AdminScope().Orgs("e.org_path", "e.unit_path")
}

// directFigures counts the people attached to the parent itself (their unit or organisation is
// the parent, not one of its children); found is false when there are none.
func (s *Service) directFigures(ctx context.Context, courseID int64, col, parent string, enrol authz.Cond) (FigureRow, bool, error) {
	r := FigureRow{Key: parent, Direct: true}
	var path string
	q := `SELECT path, name FROM units WHERE code = ?`
	if col == "e.org_path" {
		q = `SELECT path, name FROM orgs WHERE CAST(id AS TEXT) = ?`
	}
	if err := s.DB.Reader().QueryRowContext(ctx, q, parent).Scan(&path, &r.Name); errors.Is(err, sql.ErrNoRows) {
		return r, false, nil
	} else if err != nil {
		return r, false, apperr.Wrap(err, "figures parent")
	}
	err := s.DB.Reader().QueryRowContext(ctx, `SELECT CAST(COALESCE(SUM(e.enrolled), 0) AS BIGINT), CAST(COALESCE(SUM(e.started), 0) AS BIGINT), CAST(COALESCE(SUM(e.passed), 0) AS BIGINT)
		FROM training_figures e WHERE e.course_id = ? AND `+col+` = ? AND `+enrol.SQL, append([]any{courseID, path}, enrol.Args...)...).Scan(&r.Enrolled, &r.Started, &r.Passed)
	if err != nil {
		return r, false, apperr.Wrap(err, "figures parent")
	}
	if r.Enrolled > 0 {
		r.PassRate = math.Round(float64(r.Passed)*1000/float64(r.Enrolled)) / 10
	}
	return r, r.Enrolled > 0, nil
}

// unitRowScope keeps unit rows an actor may drill into: inside their units, or ancestors of them
// (so a district administrator sees their district among the province's children); an
// organisation administrator's people live anywhere in its province, whose every unit is a row
// for them (with only their own people counted); a national administrator's rows are every
// province's. A province course's rows lie in its province. The condition is on alias x.
func unitRowScope(a *authz.Actor, c Course) (string, []any) {
	var conds []string
	var args []any
	if !a.IsNational() {
		var ors []string
		for _, p := range a.AdminUnitPaths() {
			ors = append(ors, "x.path LIKE ?", "? LIKE x.path || '%'")
			args = append(args, p+"%", p)
		}
		for _, g := range a.Grants {
			if g.Role == authz.OrgAdmin && g.UnitPath != "" {
				ors = append(ors, "x.path LIKE ?")
				args = append(args, authz.ProvincePath(authz.ProvinceOfPath(g.UnitPath))+"%")
			}
		}
		if len(ors) == 0 {
			return "1 = 0", nil
		}
		conds = append(conds, "("+strings.Join(ors, " OR ")+")")
	}
	if c.Province != "" {
		conds = append(conds, "x.path LIKE ?")
		args = append(args, authz.ProvincePath(c.Province)+"%")
	}
	if len(conds) == 0 {
		return "1 = 1", nil
	}
	return strings.Join(conds, " AND "), args
}

// Totals are the figures of the actor's whole scope for a course.
type Totals struct {
	Enrolled int     `json:"enrolled"`
	Started  int     `json:"started"`
	Passed   int     `json:"passed"`
	PassRate float64 `json:"pass_rate"`
}

// TotalsFor sums the counters of a course in the actor's scope: a province administrator's
// province (its part of a national course), a unit or organisation administrator's subtree, every
// province for a national administrator. A course of another province is not found.
func (s *Service) TotalsFor(ctx context.Context, courseID int64) (Totals, error) {
	a := authz.ActorFrom(ctx)
	if err := requireFigures(a); err != nil {
		return Totals{}, err
	}
	if _, err := s.visibleCourse(ctx, s.DB.Reader(), courseID); err != nil {
		return Totals{}, err
	}
	scope := figureScope(a)
	var t Totals
	err := s.DB.Reader().QueryRowContext(ctx, `SELECT CAST(COALESCE(SUM(e.enrolled), 0) AS BIGINT), CAST(COALESCE(SUM(e.started), 0) AS BIGINT), CAST(COALESCE(SUM(e.passed), 0) AS BIGINT)
		FROM training_figures e WHERE e.course_id = ? AND `+scope.SQL,
		append([]any{courseID}, scope.Args...)...).Scan(&t.Enrolled, &t.Started, &t.Passed)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return t, apperr.Wrap(err, "totals")
	}
	if t.Enrolled > 0 {
		t.PassRate = math.Round(float64(t.Passed)*1000/float64(t.Enrolled)) / 10
	}
	return t, nil
}

// ExportFigures writes the figures of a course as xlsx: by district, by commune (leaderboard
// order) and by organisation, each limited to the actor's scope; a national course first by
// province. A course of another province is not found.
func (s *Service) ExportFigures(ctx context.Context, courseID int64, w io.Writer) error {
	if err := requireFigures(authz.ActorFrom(ctx)); err != nil {
		return err
	}
	c, err := s.visibleCourse(ctx, s.DB.Reader(), courseID)
	if err != nil {
		return err
	}
	header := []string{"Mã", "Tên", "Đã ghi danh", "Đã bắt đầu", "Đã đạt", "Tỷ lệ đạt (%)"}
	type spec struct {
		name string
		f    FigureFilter
	}
	var specs []spec
	if c.Province == "" {
		specs = append(specs, spec{"Theo tỉnh, thành phố", FigureFilter{CourseID: courseID, Level: "province"}})
	}
	specs = append(specs, spec{"Theo huyện", FigureFilter{CourseID: courseID, Level: "district"}},
		spec{"Theo xã", FigureFilter{CourseID: courseID, Level: "commune"}},
		spec{"Theo cơ quan, tổ chức", FigureFilter{CourseID: courseID, By: "org"}})
	var tables []sheet.Table
	for _, spec := range specs {
		rows, err := s.Figures(ctx, spec.f)
		if err != nil {
			return err
		}
		t := sheet.Table{Name: spec.name, Header: header}
		for _, r := range rows {
			t.Rows = append(t.Rows, []any{r.Key, r.Name, r.Enrolled, r.Started, r.Passed, r.PassRate})
		}
		tables = append(tables, t)
	}
	return sheet.WriteXLSX(w, tables...)
}

// ProvinceTotals are the training figures of one province, for its public portal: the learners of
// the province (their enrolment lies in its unit tree) enrolled in, started and passed the
// province's own courses and the national ones, whatever the courses' status. A learner of the
// province in a national course counts for the province; another province's learners in the same
// national course do not. province "" sums every course and every learner (the national page).
// The figures are public aggregates, as the portal shows them: no actor is needed. An unknown
// province has no learners and sums to zero; a code that is not a GSO code is invalid.
func (s *Service) ProvinceTotals(ctx context.Context, province string) (Totals, error) {
	query := `SELECT CAST(COALESCE(SUM(e.enrolled), 0) AS BIGINT), CAST(COALESCE(SUM(e.started), 0) AS BIGINT), CAST(COALESCE(SUM(e.passed), 0) AS BIGINT)
		FROM training_figures e`
	var args []any
	if strings.Trim(province, "0123456789") != "" || len(province) > 10 {
		return Totals{}, apperr.InvalidField("province_code", "training.error.province_unknown", province)
	}
	if province != "" {
		query += ` JOIN training_courses c ON c.id = e.course_id WHERE c.province_code IN (?, '') AND e.unit_path LIKE ?`
		args = append(args, province, authz.ProvincePath(province)+"%")
	}
	var t Totals
	if err := s.DB.Reader().QueryRowContext(ctx, query, args...).Scan(&t.Enrolled, &t.Started, &t.Passed); err != nil {
		return t, apperr.Wrap(err, "province totals")
	}
	if t.Enrolled > 0 {
		t.PassRate = math.Round(float64(t.Passed)*1000/float64(t.Enrolled)) / 10
	}
	return t, nil
}
