package training

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"strings"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/units"
)

// FigureRow is the mobilisation of one unit or organisation (its whole subtree) for a course.
type FigureRow struct {
	Key string `json:"key"` // unit code or organisation id
	// Path names the unit version or the organisation exactly: a code can name a unit of 2023 and
	// another of 2025 (21034: Xã Nghĩa Dũng, then Xã An Phú); drill-downs pass it as the parent.
	Path     string  `json:"path"`
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
	// Earlier marks, "as it is now", the row of the people enrolled under earlier units below the
	// parent that count in none of its units in force: a split commune not yet assigned (Xã Trà
	// Bùi), a retired district's own people. With it the rows still add up to the parent.
	Earlier bool `json:"earlier,omitempty"`
	// ValidTo is the last day of a retired unit or merged organisation ("as it was" lists them).
	ValidTo string `json:"valid_to,omitempty"`
	Shares
}

// Shares are a row's figures against its headcount (headcounts.go): the people of the groups
// the course is for, in the row's subtree; null where no headcount is known (no entry, a row
// the actor reads only part of, the "earlier" row). CompletedShare is passed (a pass completes
// the course) against the headcount, PassedShare passed against those who sat the exam; both
// in percent, to one decimal.
type Shares struct {
	Headcount      *int     `json:"headcount"`
	CompletedShare *float64 `json:"completed_share"`
	PassedShare    *float64 `json:"passed_share"`
}

// The two views of the figures.
const (
	// ViewNow counts every enrolment where it belongs today: under the unit in force its unit
	// rolls up to (units.PathNow) and under the organisation its organisation merged into
	// (orgs.PathNow). The default.
	ViewNow = "now"
	// ViewWas counts every enrolment under the unit version and organisation it was made under,
	// retired ones included, as the figures stood before the reorganisation.
	ViewWas = "was"
)

// FigureFilter chooses the rows: the children of Parent (a unit code, meaning the unit in force,
// a unit path naming one version, or an organisation id as text), or the actor's own roots when
// empty.
type FigureFilter struct {
	CourseID int64
	By       string // "unit" or "org"
	Parent   string
	// Level makes a leaderboard of every unit of one level ("district", "commune") in scope.
	Level string
	// View is ViewNow ("" too) or ViewWas.
	View  string
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

// figureCounters is the counters of one course (alias e in the queries that use it) with the paths
// both ways: unit_path and org_path where each row counts today (the actor's scope applies to
// them: today's administrators see their units' history), was_unit_path and was_org_path where it
// was made. The roll-up tables hold one row per retired unit or organisation, so the joins stay
// small.
const figureCounters = figureRollup + ` WHERE f.course_id = ?) e`

// figureRollup is figureCounters' select of every course, open for a condition and its closing.
const figureRollup = `(SELECT f.course_id, COALESCE(ru.current_path, f.unit_path) AS unit_path, COALESCE(ro.current_path, f.org_path) AS org_path,
	f.unit_path AS was_unit_path, f.org_path AS was_org_path, f.enrolled, f.started, f.passed
	FROM training_figures f LEFT JOIN unit_rollup ru ON ru.path = f.unit_path LEFT JOIN org_rollup ro ON ro.path = f.org_path`

// Figures returns enrolled, started, passed and pass rate by unit or by organisation, one row per
// child of the parent, each counting its whole subtree. The actor's scope is in the SQL twice: the
// rows are units or organisations they administer (or their ancestors' children on the way down),
// and only enrolments in their subtree are counted — an organisation administrator sees their
// own people, wherever they live in their province.
//
// Without a parent the rows start at the actor's level: a unit administrator's own units, the
// children of a province course's province (its districts on the map of 2023, its communes on the
// map of 2025); for a national course, the provinces for a national administrator (who drills down
// from there) and its own province's children for a province's administrator, who reads its own
// province's part of a national course only. A course of another province is not found.
//
// "As it is now" (the default) the rows are units and organisations in force and an enrolment made
// under a 2023 commune counts in the 2025 commune it rolled up into; "as it was" the rows include
// retired units and merged organisations and every enrolment counts where it was made. Drilling
// into a retired unit or organisation shows it as it was.
func (s *Service) Figures(ctx context.Context, f FigureFilter) ([]FigureRow, error) {
	a := authz.ActorFrom(ctx)
	if err := requireFigures(a); err != nil {
		return nil, err
	}
	if err := f.normalize(); err != nil {
		return nil, err
	}
	c, err := s.visibleCourse(ctx, s.DB.Reader(), f.CourseID)
	if err != nil {
		return nil, err
	}
	parent, found, err := s.readFigureParent(ctx, a, c, &f)
	if err != nil {
		return nil, err
	}
	if !found {
		return []FigureRow{}, nil
	}
	plan, err := planFigures(a, c, f, parent)
	if err != nil {
		return nil, err
	}
	enrol := figureScope(a)
	if plan.leaderboard {
		// A leaderboard ranks by share where headcounts are known: every row is read, ranked, cut.
		plan.limit = 1000
	}
	out, err := s.readFigureRows(ctx, plan, f.CourseID, enrol)
	if err == nil && !plan.direct {
		err = s.attachShares(ctx, a, c, f.byOrg(), out)
	}
	if err != nil || !plan.direct {
		if plan.leaderboard && err == nil {
			out = rankByShare(out, f.Limit)
		}
		return out, err
	}
	own, err := s.sumFigures(ctx, f.CourseID, plan.col+" = ?", []any{parent.path}, enrol)
	if err != nil {
		return nil, err
	}
	var all Totals
	if !plan.was {
		if all, err = s.sumFigures(ctx, f.CourseID, plan.col+" LIKE ?", []any{parent.path + "%"}, enrol); err != nil {
			return nil, err
		}
	}
	out = parentRows(out, parent.key(f), parent, own, all, plan.was, plan.limit)
	return out, s.attachShares(ctx, a, c, f.byOrg(), out)
}

// readFigureParent reads the unit version or organisation whose children the rows are: the one
// the filter names (a unit code meaning the unit in force, a unit path, an organisation id), else,
// for rows by unit, the province where the actor's rows start (figureTopOf); none for the
// others. found is false when there is no such parent. A retired unit or merged organisation has
// no children in force: it turns the filter's view to ViewWas.
func (s *Service) readFigureParent(ctx context.Context, a *authz.Actor, c Course, f *FigureFilter) (p figureParent, found bool, err error) {
	q := s.DB.Reader()
	what := "figures parent"
	switch {
	case f.Parent != "" && f.byOrg():
		err = q.QueryRowContext(ctx, `SELECT path, name, valid_to FROM orgs WHERE CAST(id AS TEXT) = ?`, f.Parent).Scan(&p.path, &p.name, &p.validTo)
	case strings.HasPrefix(f.Parent, "/"):
		err = q.QueryRowContext(ctx, `SELECT path, name, valid_to FROM units WHERE path = ?`, f.Parent).Scan(&p.path, &p.name, &p.validTo)
	case f.Parent != "":
		err = q.QueryRowContext(ctx, `SELECT path, name, valid_to FROM units WHERE code = ?
			ORDER BY CASE WHEN valid_to = '' THEN 0 ELSE 1 END, valid_from DESC LIMIT 1`, f.Parent).Scan(&p.path, &p.name, &p.validTo)
	case f.Level != "" || f.byOrg():
		return p, true, nil
	default:
		top, province := figureTopOf(a, c)
		if top != topProvince {
			return p, true, nil
		}
		what = "figures province"
		err = q.QueryRowContext(ctx, `SELECT path, name FROM units WHERE code = ? AND level = 'province'
			ORDER BY CASE WHEN valid_to = '' THEN 0 ELSE 1 END, valid_from DESC LIMIT 1`, province).Scan(&p.path, &p.name)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return p, false, nil
	}
	if err != nil {
		return p, false, apperr.Wrap(err, what)
	}
	if p.validTo != "" {
		f.View = ViewWas
	}
	return p, true, nil
}

// readFigureRows runs the plan's query.
func (s *Service) readFigureRows(ctx context.Context, plan figurePlan, courseID int64, enrol authz.Cond) ([]FigureRow, error) {
	query, args := plan.query(courseID, enrol)
	rows, err := s.DB.Reader().QueryContext(ctx, query, args...)
	if err != nil {
		return nil, apperr.Wrap(err, "figures")
	}
	defer rows.Close()
	out := []FigureRow{}
	for rows.Next() {
		var r FigureRow
		if err := rows.Scan(&r.Key, &r.Path, &r.Name, &r.ValidTo, &r.Children, &r.Enrolled, &r.Started, &r.Passed); err != nil {
			return nil, apperr.Wrap(err, "figures")
		}
		r.PassRate = passRate(r.Passed, r.Enrolled)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, apperr.Wrap(err, "figures")
	}
	return out, nil
}

func passRate(passed, enrolled int) float64 {
	if enrolled == 0 {
		return 0
	}
	return math.Round(float64(passed)*1000/float64(enrolled)) / 10
}

// figureScope is the condition on a counter row (alias e) that it counts people the actor
// administers: in their unit subtrees or organisation subtrees; every province's for a national
// administrator.
func figureScope(a *authz.Actor) authz.Cond {
	return a.AdminScope().Orgs("e.org_path", "e.unit_path")
}

// sumFigures sums the counters of a course (figureCounters) matching cond in the actor's scope.
func (s *Service) sumFigures(ctx context.Context, courseID int64, cond string, condArgs []any, enrol authz.Cond) (Totals, error) {
	var t Totals
	err := s.DB.Reader().QueryRowContext(ctx, `SELECT CAST(COALESCE(SUM(e.enrolled), 0) AS BIGINT), CAST(COALESCE(SUM(e.started), 0) AS BIGINT), CAST(COALESCE(SUM(e.passed), 0) AS BIGINT)
		FROM `+figureCounters+` WHERE `+cond+` AND `+enrol.SQL, append(append([]any{courseID}, condArgs...), enrol.Args...)...).Scan(&t.Enrolled, &t.Started, &t.Passed)
	if err != nil {
		return t, apperr.Wrap(err, "figures sum")
	}
	t.PassRate = passRate(t.Passed, t.Enrolled)
	return t, nil
}

// unitRowScope keeps unit rows an actor may drill into: inside their units, or ancestors of them
// (so a district administrator sees their district among the province's children); an
// organisation administrator's people live anywhere in its province, whose every unit is a row
// for them (with only their own people counted); a national administrator's rows are every
// province's. A province course's rows lie in its province. As it was (was), a retired unit that
// rolls up into the actor's units is a row for them too. The condition is on alias x.
func unitRowScope(a *authz.Actor, c Course, was bool) (string, []any) {
	var conds []string
	var args []any
	if !a.IsNational() {
		var ors []string
		for _, p := range a.AdminUnitPaths() {
			ors = append(ors, "x.path LIKE ?", "? LIKE x.path || '%'")
			args = append(args, p+"%", p)
			if was {
				ors = append(ors, "x.path IN (SELECT r.path FROM unit_rollup r WHERE r.current_path LIKE ?)")
				args = append(args, p+"%")
			}
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
	Shares
}

// TotalsFor sums the counters of a course in the actor's scope: a province administrator's
// province (its part of a national course), a unit or organisation administrator's subtree, every
// province for a national administrator. A course of another province is not found.
func (s *Service) TotalsFor(ctx context.Context, courseID int64) (Totals, error) {
	a := authz.ActorFrom(ctx)
	if err := requireFigures(a); err != nil {
		return Totals{}, err
	}
	c, err := s.visibleCourse(ctx, s.DB.Reader(), courseID)
	if err != nil {
		return Totals{}, err
	}
	// Today's administrators read their units' history too: the scope applies where each counter
	// counts today.
	t, err := s.sumFigures(ctx, courseID, "1 = 1", nil, figureScope(a))
	if err != nil {
		return t, err
	}
	t.Shares, err = s.scopeShares(ctx, a, c, t.Passed, t.Started)
	return t, err
}

func hasRetired(rows []FigureRow) bool {
	for _, r := range rows {
		if r.ValidTo != "" {
			return true
		}
	}
	return false
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
		// A learner counts in the province its unit is in today (old Kon Tum's learners in Quảng
		// Ngãi from 1 July 2025).
		query += ` JOIN training_courses c ON c.id = e.course_id WHERE c.province_code IN (?, '') AND ` + units.PathNow("e.unit_path") + ` LIKE ?`
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

// OrgTotals sums every course's counters of the people of an organisation subtree (the
// organisation at orgPath and its member organisations, those merged into them included), within
// the actor's scope: the staff's and pupils' completion an organisation's coordinator follows on
// their workspace.
func (s *Service) OrgTotals(ctx context.Context, orgPath string) (Totals, error) {
	return s.subtreeTotals(ctx, "e.org_path", orgPath)
}

// UnitTotals sums every course's counters of the people of a unit's subtree as it is now (earlier
// units rolled up), within the actor's scope: the officials' completion a district or commune
// follows on its workspace.
func (s *Service) UnitTotals(ctx context.Context, unitPath string) (Totals, error) {
	return s.subtreeTotals(ctx, "e.unit_path", unitPath)
}

// subtreeTotals reads the counters, one row per course, unit and organisation, never the
// enrolments.
func (s *Service) subtreeTotals(ctx context.Context, col, path string) (Totals, error) {
	a := authz.ActorFrom(ctx)
	if err := requireFigures(a); err != nil {
		return Totals{}, err
	}
	enrol := figureScope(a)
	var t Totals
	err := s.DB.Reader().QueryRowContext(ctx, `SELECT CAST(COALESCE(SUM(e.enrolled), 0) AS BIGINT), CAST(COALESCE(SUM(e.started), 0) AS BIGINT), CAST(COALESCE(SUM(e.passed), 0) AS BIGINT)
		FROM `+figureRollup+`) e WHERE `+col+` LIKE ? AND `+enrol.SQL, append([]any{path + "%"}, enrol.Args...)...).Scan(&t.Enrolled, &t.Started, &t.Passed)
	if err != nil {
		return t, apperr.Wrap(err, "subtree totals")
	}
	t.PassRate = passRate(t.Passed, t.Enrolled)
	return t, nil
}
