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
// own people, wherever they live.
func (s *Service) Figures(ctx context.Context, f FigureFilter) ([]FigureRow, error) {
	a := authz.ActorFrom(ctx)
	if err := requireFigures(a); err != nil {
		return nil, err
	}
	if f.CourseID == 0 {
		return nil, apperr.InvalidField("course", "training.error.course_required")
	}
	if _, err := s.findCourse(ctx, s.DB.Reader(), f.CourseID); err != nil {
		return nil, err
	}
	enrolScope, enrolArgs := scopeSQL(a, "e.unit_path", "e.org_path")
	var rowsSQL string
	var rowArgs []any
	directParent := "" // the unit code or organisation id whose own people get a row of their own
	switch {
	case f.Level != "":
		if f.Level != "district" && f.Level != "commune" {
			return nil, apperr.InvalidField("level", "units.error.level")
		}
		rowsSQL, rowArgs = `SELECT x.code AS code, x.name AS name, x.path AS path, (SELECT COUNT(*) FROM units k WHERE k.parent_code = x.code) AS kids FROM units x WHERE x.level = ? AND x.valid_to = ''`, []any{f.Level}
		if sc, args := unitRowScope(a); sc != "" {
			rowsSQL += " AND " + sc
			rowArgs = append(rowArgs, args...)
		}
	case f.By == "org":
		rowsSQL = `SELECT CAST(x.id AS TEXT) AS code, x.name AS name, x.path AS path, (SELECT COUNT(*) FROM orgs k WHERE k.parent_id = x.id) AS kids FROM orgs x WHERE `
		if f.Parent == "" {
			switch {
			case a.IsProvinceAdmin():
				rowsSQL += "x.parent_id IS NULL"
			case len(a.AdminUnitPaths()) > 0:
				// A unit administrator's top rows are the organisations in their units whose parent
				// is not: a school in Ba Tơ under the provincial Department of Education is a top
				// row for Ba Tơ, or it could not be reached at all.
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
		if !a.IsProvinceAdmin() {
			var ors []string
			for _, p := range a.AdminOrgPaths() {
				ors = append(ors, "x.path LIKE ?")
				rowArgs = append(rowArgs, p+"%")
			}
			for _, p := range a.AdminUnitPaths() {
				ors = append(ors, "x.unit_path LIKE ?")
				rowArgs = append(rowArgs, p+"%")
			}
			rowsSQL += " AND (" + strings.Join(ors, " OR ") + ")"
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
	default:
		parent := f.Parent
		if parent == "" {
			parent = "51"
			if !a.IsProvinceAdmin() && len(a.AdminUnitPaths()) > 0 {
				// A unit administrator starts at their own units.
				rowsSQL = `SELECT x.code AS code, x.name AS name, x.path AS path, (SELECT COUNT(*) FROM units k WHERE k.parent_code = x.code) AS kids FROM units x WHERE x.path IN (` +
					strings.TrimSuffix(strings.Repeat("?,", len(a.AdminUnitPaths())), ",") + ")"
				for _, p := range a.AdminUnitPaths() {
					rowArgs = append(rowArgs, p)
				}
				break
			}
		}
		rowsSQL, rowArgs = `SELECT x.code AS code, x.name AS name, x.path AS path, (SELECT COUNT(*) FROM units k WHERE k.parent_code = x.code) AS kids FROM units x WHERE x.parent_code = ? AND x.valid_to = ''`, []any{parent}
		directParent = parent
		if sc, args := unitRowScope(a); sc != "" {
			rowsSQL += " AND " + sc
			rowArgs = append(rowArgs, args...)
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
		LEFT JOIN training_figures e ON e.course_id = ? AND ` + col + ` LIKE r.path || '%' AND ` + enrolScope + `
		GROUP BY r.code, r.name, r.kids`
	args := append(append(rowArgs, f.CourseID), enrolArgs...)
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
		direct, found, err := s.directFigures(ctx, f.CourseID, col, directParent, enrolScope, enrolArgs)
		if err != nil {
			return nil, err
		}
		if found {
			out = append(out, direct)
		}
	}
	return out, nil
}

// directFigures counts the people attached to the parent itself (their unit or organisation is
// the parent, not one of its children); found is false when there are none.
func (s *Service) directFigures(ctx context.Context, courseID int64, col, parent, enrolScope string, enrolArgs []any) (FigureRow, bool, error) {
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
		FROM training_figures e WHERE e.course_id = ? AND `+col+` = ? AND `+enrolScope, append([]any{courseID, path}, enrolArgs...)...).Scan(&r.Enrolled, &r.Started, &r.Passed)
	if err != nil {
		return r, false, apperr.Wrap(err, "figures parent")
	}
	if r.Enrolled > 0 {
		r.PassRate = math.Round(float64(r.Passed)*1000/float64(r.Enrolled)) / 10
	}
	return r, r.Enrolled > 0, nil
}

// unitRowScope keeps unit rows an actor may drill into: inside their units, or ancestors of them
// (so a district administrator sees their district among the province's children). Organisation
// administrators see every unit row, with only their own people counted.
func unitRowScope(a *authz.Actor) (string, []any) {
	if a.IsProvinceAdmin() || len(a.AdminUnitPaths()) == 0 {
		return "", nil
	}
	var ors []string
	var args []any
	for _, p := range a.AdminUnitPaths() {
		ors = append(ors, "x.path LIKE ?", "? LIKE x.path || '%'")
		args = append(args, p+"%", p)
	}
	return "(" + strings.Join(ors, " OR ") + ")", args
}

// Totals are the figures of the actor's whole scope for a course.
type Totals struct {
	Enrolled int     `json:"enrolled"`
	Started  int     `json:"started"`
	Passed   int     `json:"passed"`
	PassRate float64 `json:"pass_rate"`
}

// TotalsFor sums the counters of a course in the actor's scope.
func (s *Service) TotalsFor(ctx context.Context, courseID int64) (Totals, error) {
	a := authz.ActorFrom(ctx)
	if err := requireFigures(a); err != nil {
		return Totals{}, err
	}
	scope, args := scopeSQL(a, "e.unit_path", "e.org_path")
	var t Totals
	err := s.DB.Reader().QueryRowContext(ctx, `SELECT CAST(COALESCE(SUM(e.enrolled), 0) AS BIGINT), CAST(COALESCE(SUM(e.started), 0) AS BIGINT), CAST(COALESCE(SUM(e.passed), 0) AS BIGINT)
		FROM training_figures e WHERE e.course_id = ? AND `+scope,
		append([]any{courseID}, args...)...).Scan(&t.Enrolled, &t.Started, &t.Passed)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return t, apperr.Wrap(err, "totals")
	}
	if t.Enrolled > 0 {
		t.PassRate = math.Round(float64(t.Passed)*1000/float64(t.Enrolled)) / 10
	}
	return t, nil
}

// ExportFigures writes the figures of a course as xlsx: by district, by commune (leaderboard
// order) and by organisation, each limited to the actor's scope.
func (s *Service) ExportFigures(ctx context.Context, courseID int64, w io.Writer) error {
	header := []string{"Mã", "Tên", "Đã ghi danh", "Đã bắt đầu", "Đã đạt", "Tỷ lệ đạt (%)"}
	var tables []sheet.Table
	for _, spec := range []struct {
		name string
		f    FigureFilter
	}{
		{"Theo huyện", FigureFilter{CourseID: courseID, Level: "district"}},
		{"Theo xã", FigureFilter{CourseID: courseID, Level: "commune"}},
		{"Theo cơ quan, tổ chức", FigureFilter{CourseID: courseID, By: "org"}},
	} {
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
