package training

import (
	"strings"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
)

// The rules of the figures live here, apart from Figures' reads, so that they can be tested on
// plain values (figures_rule_test.go): which filter is valid, where an actor's rows start, which
// rows a filter asks for (as SQL, with the actor's scope inside it), and the rows that make a
// drill-down add up to its parent.

// normalize checks the filter and fills its default view.
func (f *FigureFilter) normalize() error {
	if f.CourseID == 0 {
		return apperr.InvalidField("course", "training.error.course_required")
	}
	if f.View == "" {
		f.View = ViewNow
	}
	if f.View != ViewNow && f.View != ViewWas {
		return apperr.InvalidField("view", "training.error.view")
	}
	return nil
}

// byOrg tells whether the rows are organisations; a leaderboard is always of units.
func (f FigureFilter) byOrg() bool { return f.By == "org" && f.Level == "" }

// figureTop is where an actor's rows by unit start when the filter names no parent.
type figureTop int

const (
	// topOwnUnits: a unit administrator's own units.
	topOwnUnits figureTop = iota + 1
	// topProvince: the children of one province (figureTopOf's province).
	topProvince
	// topProvinces: one row per province, for a national course at the national level.
	topProvinces
)

// figureTopOf tells where the actor's rows start in course c: a unit administrator's own units;
// a province course's province; for a national course, the provinces for a national
// administrator and their own province's part for a province's administrator.
func figureTopOf(a *authz.Actor, c Course) (top figureTop, province string) {
	switch {
	case !a.IsNational() && len(a.AdminProvinces()) == 0 && len(a.AdminUnitPaths()) > 0:
		return topOwnUnits, ""
	case c.Province != "":
		return topProvince, c.Province
	case a.IsNational() || a.HomeProvince() == "":
		return topProvinces, ""
	}
	return topProvince, a.HomeProvince()
}

// figureParent is the unit version or organisation whose children the rows are.
type figureParent struct {
	path, name, validTo string
}

// key is how the parent's own rows name it: its organisation id as the filter gave it, or its
// unit code, the last segment of its path.
func (p figureParent) key(f FigureFilter) string {
	if f.byOrg() {
		return f.Parent
	}
	return strings.TrimSuffix(p.path[strings.LastIndex(strings.TrimSuffix(p.path, "/"), "/")+1:], "/")
}

// figurePlan is the rows query of one Figures call.
type figurePlan struct {
	rowsSQL string
	rowArgs []any
	// col is where a counter row counts in this view: today's path or the path it was made under.
	col string
	// direct: the parent's own people, and as it is now its earlier units' unassigned ones, get
	// rows of their own (parentRows).
	direct      bool
	was         bool
	leaderboard bool
	limit       int
}

// planFigures builds the rows query of filter f (normalized) for the actor in course c, below
// parent (zero when the filter names none and the actor's rows start at their own units or at
// the provinces).
func planFigures(a *authz.Actor, c Course, f FigureFilter, parent figureParent) (figurePlan, error) {
	p := figurePlan{was: f.View == ViewWas, leaderboard: f.Level != "", limit: f.Limit}
	if p.limit <= 0 || p.limit > 1000 {
		p.limit = 1000
	}
	p.col = "e.unit_path"
	if f.byOrg() {
		p.col = "e.org_path"
	}
	if p.was {
		p.col = strings.Replace(p.col, "e.", "e.was_", 1)
	}
	rowScope, rowScopeArgs := unitRowScope(a, c, p.was)
	switch {
	case f.Level != "":
		if f.Level != "province" && f.Level != "district" && f.Level != "commune" {
			return p, apperr.InvalidField("level", "units.error.level")
		}
		p.rowsSQL = unitRowSQL(p.was) + "x.level = ? AND " + rowScope
		p.rowArgs = append([]any{f.Level}, rowScopeArgs...)
	case f.byOrg():
		p.rowsSQL, p.rowArgs = orgRowsSQL(a, c, f.Parent, p.was)
		p.direct = f.Parent != ""
	case parent.path != "":
		p.rowsSQL = unitRowSQL(p.was) + "x.parent_path = ? AND " + rowScope
		p.rowArgs = append([]any{parent.path}, rowScopeArgs...)
		p.direct = true
	default:
		if top, _ := figureTopOf(a, c); top == topOwnUnits {
			p.rowsSQL = unitRowSQL(p.was) + "x.path IN (?" + strings.Repeat(", ?", len(a.AdminUnitPaths())-1) + ")"
			for _, path := range a.AdminUnitPaths() {
				p.rowArgs = append(p.rowArgs, path)
			}
		} else {
			// topProvinces; a province's children have a parent.
			p.rowsSQL = unitRowSQL(p.was) + "x.level = 'province' AND " + rowScope
			p.rowArgs = rowScopeArgs
		}
	}
	return p, nil
}

// query is the whole figures query: the rows, each summing the counters (counters.go) of its
// subtree in the actor's scope (enrol). The counters hold one row per unit, organisation and
// audience: the join sums a few thousand of them rather than counting every enrolment.
func (p figurePlan) query(courseID int64, enrol authz.Cond) (string, []any) {
	query := `SELECT r.code, r.path, r.name, r.valid_to, r.kids, CAST(COALESCE(SUM(e.enrolled), 0) AS BIGINT), CAST(COALESCE(SUM(e.started), 0) AS BIGINT), CAST(COALESCE(SUM(e.passed), 0) AS BIGINT)
		FROM (` + p.rowsSQL + `) r
		LEFT JOIN ` + figureCounters + ` ON ` + p.col + ` LIKE r.path || '%' AND ` + enrol.SQL + `
		GROUP BY r.code, r.path, r.name, r.valid_to, r.kids`
	args := append(append(p.rowArgs, courseID), enrol.Args...)
	if p.leaderboard {
		query += " ORDER BY 8 DESC, 6 DESC, r.name, r.path"
	} else {
		query += " ORDER BY r.name, r.path"
	}
	return query + " LIMIT ?", append(args, p.limit)
}

// inForce is the condition that a unit or organisation (alias) is a row in the view: any as it
// was, the ones in force as it is now.
func inForce(alias string, was bool) string {
	if was {
		return "1 = 1"
	}
	return alias + ".valid_to = ''"
}

// unitRowSQL selects unit rows (alias x) with their number of children, up to the condition that
// the caller appends.
func unitRowSQL(was bool) string {
	return `SELECT x.code AS code, x.path AS path, x.name AS name, x.valid_to AS valid_to, (SELECT COUNT(*) FROM units k WHERE k.parent_path = x.path AND ` + inForce("k", was) + `) AS kids FROM units x WHERE ` + inForce("x", was) + ` AND `
}

// orgRowsSQL selects the organisation rows (alias x) the actor may read in course c: the
// children of the organisation parent (its id as text), or the actor's top organisations.
func orgRowsSQL(a *authz.Actor, c Course, parent string, was bool) (string, []any) {
	rowsSQL := `SELECT CAST(x.id AS TEXT) AS code, x.path AS path, x.name AS name, x.valid_to AS valid_to, (SELECT COUNT(*) FROM orgs k WHERE k.parent_id = x.id AND ` + inForce("k", was) + `) AS kids FROM orgs x WHERE ` + inForce("x", was) + ` AND `
	var rowArgs []any
	switch {
	case parent != "":
		rowsSQL += "CAST(x.parent_id AS TEXT) = ?"
		rowArgs = append(rowArgs, parent)
	case a.IsNational():
		rowsSQL += "x.parent_id IS NULL"
	case len(a.AdminUnitPaths()) > 0:
		// A unit administrator's top rows are the organisations in their units whose parent is
		// not: a school in Ba Tơ under the provincial Department of Education is a top row for Ba
		// Tơ, or it could not be reached at all. For a province's administrator they are the
		// province's top organisations.
		var in []string
		for _, p := range a.AdminUnitPaths() {
			in = append(in, "p.unit_path LIKE ?")
			rowArgs = append(rowArgs, p+"%")
		}
		rowsSQL += "(x.parent_id IS NULL OR NOT EXISTS (SELECT 1 FROM orgs p WHERE p.id = x.parent_id AND (" + strings.Join(in, " OR ") + ")))"
	default:
		rowsSQL += "1 = 1"
	}
	if !a.IsNational() {
		scope := a.AdminScope().Orgs("x.path", "x.unit_path")
		if !was {
			rowsSQL += " AND " + scope.SQL
			rowArgs = append(rowArgs, scope.Args...)
		} else {
			// As it was, a merged organisation whose successor the actor administers is a row for
			// them too.
			rowsSQL += " AND (" + scope.SQL + " OR EXISTS (SELECT 1 FROM org_rollup r JOIN orgs y ON y.path = r.current_path WHERE r.path = x.path AND " +
				a.AdminScope().Orgs("y.path", "y.unit_path").SQL + "))"
			rowArgs = append(append(rowArgs, scope.Args...), a.AdminScope().Orgs("y.path", "y.unit_path").Args...)
		}
		if parent == "" && len(a.AdminUnitPaths()) == 0 {
			// An organisation administrator starts at their own organisations.
			var eq []string
			for _, p := range a.AdminOrgPaths() {
				eq = append(eq, "x.path = ?")
				rowArgs = append(rowArgs, p)
				if was {
					// As it was, the organisations merged into theirs are rows of their own.
					eq = append(eq, "x.path IN (SELECT r.path FROM org_rollup r WHERE r.current_path = ?)")
					rowArgs = append(rowArgs, p)
				}
			}
			rowsSQL += " AND (" + strings.Join(eq, " OR ") + ")"
		}
	}
	if c.Province != "" {
		// A province course's people are of its province: other provinces' organisations would
		// only add empty rows.
		rowsSQL += " AND x.unit_path LIKE ?"
		rowArgs = append(rowArgs, authz.ProvincePath(c.Province)+"%")
	}
	return rowsSQL, rowArgs
}

// parentRows appends to the children's rows those that make a drill-down add up to its parent:
// the people attached to the parent itself (own: pupils of a district's school counted at the
// district), and, as it is now, the people enrolled under an earlier unit or organisation below
// the parent that rolls up into none of its children in force (a split commune, a retired
// district's own people): all of the parent's subtree, less its own, less its children's. The
// second row is left out when the limit is reached.
func parentRows(children []FigureRow, key string, parent figureParent, own, all Totals, was bool, limit int) []FigureRow {
	out := children
	if own.Enrolled > 0 {
		out = append(out, FigureRow{Key: key, Path: parent.path, Name: parent.name, Direct: true,
			Enrolled: own.Enrolled, Started: own.Started, Passed: own.Passed, PassRate: own.PassRate})
	}
	if was {
		return out
	}
	rest := Totals{Enrolled: all.Enrolled - own.Enrolled, Started: all.Started - own.Started, Passed: all.Passed - own.Passed}
	for _, r := range children {
		rest.Enrolled -= r.Enrolled
		rest.Started -= r.Started
		rest.Passed -= r.Passed
	}
	if rest.Enrolled > 0 && len(out) < limit {
		out = append(out, FigureRow{Key: key, Path: parent.path, Name: parent.name, Earlier: true,
			Enrolled: rest.Enrolled, Started: rest.Started, Passed: rest.Passed, PassRate: passRate(rest.Passed, rest.Enrolled)})
	}
	return out
}
