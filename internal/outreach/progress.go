package outreach

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/units"
)

// UnitRef names a unit version in progress answers: a code can name two versions (21034 was Xã
// Nghĩa Dũng until 30/06/2025 and is Xã An Phú since), the path names one; ValidTo is set for a
// unit that has left the map.
type UnitRef struct {
	Code    string `json:"code"`
	Name    string `json:"name"`
	Level   string `json:"level"`
	Path    string `json:"path"`
	ValidTo string `json:"valid_to,omitempty"`
}

// Key is how a page names the unit in a link: its code while it is in force, else its path (a
// retired unit's code may name another unit today).
func (u UnitRef) Key() string {
	if u.ValidTo == "" {
		return u.Code
	}
	return u.Path
}

// ref is the unit version as progress answers name it.
func (u unitRef) ref() UnitRef {
	return UnitRef{Code: u.Code, Name: u.Name, Level: u.Level, Path: u.Path, ValidTo: u.ValidTo}
}

// Until is the last day of a retired unit as Vietnamese pages write dates (30/06/2025); ” for a
// unit in force.
func (u UnitRef) Until() string {
	t, err := time.Parse(time.DateOnly, u.ValidTo)
	if err != nil {
		return u.ValidTo
	}
	return t.Format("02/01/2006")
}

// View chooses how progress reads units that a reorganisation retired.
type View string

// The views of progress.
const (
	// ViewNow is "as it is now": every earlier unit's counts roll up into the unit in force it
	// became part of (units.PathNow, units.UnderNow), and the children are the units in force.
	ViewNow View = "now"
	// ViewWas is "as it was": every count stays at the unit version it was made under, and the
	// children are every version whose parent is the unit, in force or retired.
	ViewWas View = "was"
)

// ParseView reads a view parameter: "was", or "now" (the default) for "" and "now".
func ParseView(v string) (View, error) {
	switch v {
	case "", string(ViewNow):
		return ViewNow, nil
	case string(ViewWas):
		return ViewWas, nil
	}
	return "", apperr.InvalidField("view", "outreach.error.view")
}

// Tally is the progress of one unit: its members, how many met the target, the records and the
// distinct citizens guided.
type Tally struct {
	Unit       UnitRef `json:"unit"`
	Members    int     `json:"members"`
	MembersMet int     `json:"members_meeting_target"`
	Records    int64   `json:"records"`
	Citizens   int64   `json:"distinct_citizens"`
	Flagged    int64   `json:"flagged"`
	// EnterpriseRecords and Enterprises (distinct by tax code) are the enterprises guided, counted
	// apart: they are in neither Records nor Citizens, nor in any member's target.
	EnterpriseRecords int64 `json:"enterprise_records"`
	Enterprises       int64 `json:"distinct_enterprises"`
}

// Percent is the share of members who met the target, rounded down.
func (t Tally) Percent() int {
	if t.Members == 0 {
		return 0
	}
	return t.MembersMet * 100 / t.Members
}

// Measure is the one measure by which the dashboards and the public portal's map compare units
// (docs/architecture.md, "One measure for the map and the dashboards"): the members of the
// unit's community digital technology teams who met the campaign's target ("7 citizens in 7
// days") against all its members. A unit without members has no target, so no share: "no data".
func (t Tally) Measure() (value, target int64) { return int64(t.MembersMet), int64(t.Members) }

// MemberProgress is one member's x of target.
type MemberProgress struct {
	ID       int64  `json:"id"`
	Username string `json:"username"`
	Name     string `json:"name"`
	UnitCode string `json:"unit_code"`
	Records  int64  `json:"records"`
	Citizens int64  `json:"citizens"`
	Target   int    `json:"target"`
	Met      bool   `json:"met"`
}

// Count is one counter of a dimension: a skill, a platform or a visit outcome.
type Count struct {
	Code string `json:"code"`
	Name string `json:"name"`
	N    int64  `json:"n"`
}

// Progress is the progress of a unit in one campaign.
type Progress struct {
	Tally
	Campaign    Campaign         `json:"campaign"`
	Children    []Tally          `json:"children"`
	BySkill     []Count          `json:"by_skill"`
	ByPlatform  []Count          `json:"by_platform"`
	Visits      []Count          `json:"visits"`
	Leaders     []MemberProgress `json:"leaders"`
	Behind      []MemberProgress `json:"behind"`
	BehindCount int              `json:"behind_count"`
	// AllMembers is every member of the unit with their progress, for the export.
	AllMembers []MemberProgress `json:"-"`
	// View is the view the figures follow: "now" or "was". A retired unit is always read as it was.
	View View `json:"view"`
	// FromSplit (view "now") is the progress of each earlier unit split between this unit and
	// others (Xã Trà Bùi, divided in 2025) that the province has not assigned yet: shown beside
	// the totals, never added to them, as no successor may claim those records alone.
	FromSplit  []Tally `json:"from_split"`
	ComputedMs float64 `json:"computed_ms"`
}

// progressScope is where the actor may read progress: what they administer and, for a member,
// the area of their team; every province for a national administrator.
func progressScope(a *authz.Actor) authz.Scope {
	return a.ScopeOf(authz.ProvinceAdmin, authz.UnitAdmin, authz.TeamMember)
}

// Progress computes the progress of unitCode (the province when empty) in a campaign (the current
// one when 0), as it is now, from the counter tables and the member grants: never from a scan of
// the records.
func (s *Service) Progress(ctx context.Context, unitCode string, campaignID int64) (Progress, error) {
	return s.progress(ctx, unitCode, campaignID, ViewNow, false)
}

// ProgressView is Progress in a chosen view. unit is a code (the unit in force, else the latest
// retired version) or a path ("/51/522/21034/", one version exactly).
func (s *Service) ProgressView(ctx context.Context, unit string, campaignID int64, view View) (Progress, error) {
	return s.progress(ctx, unit, campaignID, view, false)
}

// ProgressExport is ProgressView with every member's progress in AllMembers, for the export.
func (s *Service) ProgressExport(ctx context.Context, unit string, campaignID int64, view View) (Progress, error) {
	return s.progress(ctx, unit, campaignID, view, true)
}

// countsIn returns the condition on a counter table aliased c for the counts of the subtree at
// path, and the SQL of the path each counter row counts at. As it was, a row counts at its own
// path; as it is now, at the unit in force it rolls up to (units.UnderNow, units.PathNow), and a
// row under a split unit not yet assigned counts in no unit.
func countsIn(view View, path string, splits []string) (cond string, args []any, at string) {
	if view == ViewWas {
		lo, hi := units.PathRange(path)
		return "c.unit_path >= ? AND c.unit_path < ?", []any{lo, hi}, "c.unit_path"
	}
	cond, args = units.UnderNow("c.unit_path", path)
	for _, sp := range splits {
		lo, hi := units.PathRange(sp)
		cond += " AND NOT (c.unit_path >= ? AND c.unit_path < ?)"
		args = append(args, lo, hi)
	}
	return cond, args, units.PathNow("c.unit_path")
}

// splitUnits returns the paths of every earlier unit split between several new ones and not yet
// assigned: as it is now, their counts belong to no unit.
func (s *Service) splitUnits(ctx context.Context) ([]string, error) {
	return units.NewService(s.DB).SplitInto(ctx, "/")
}

// plainTally is the progress of the subtree at path as it was: its counters and its members.
func (s *Service) plainTally(ctx context.Context, path string, c Campaign) (Tally, error) {
	var t Tally
	lo, hi := units.PathRange(path)
	err := s.DB.Reader().QueryRowContext(ctx, `SELECT COALESCE(SUM(c.records), 0), COALESCE(SUM(c.citizens), 0), COALESCE(SUM(c.flagged), 0),
		COALESCE(SUM(c.enterprise_records), 0), COALESCE(SUM(c.enterprises), 0)
		FROM outreach_unit_counts c WHERE c.campaign_id = ? AND c.unit_path >= ? AND c.unit_path < ?`, c.ID, lo, hi).Scan(&t.Records, &t.Citizens, &t.Flagged,
		&t.EnterpriseRecords, &t.Enterprises)
	if err != nil {
		return t, apperr.Wrap(err, "split unit counts")
	}
	members, err := s.membersUnder(ctx, path, ViewWas, nil, c.ID)
	if err != nil {
		return t, err
	}
	t.Members, t.MembersMet = tallyMembers(members, c.Target)
	return t, nil
}

// progress reads the unit, its campaign, its children and its counters, and the members under it
// (on a connection of their own, at the same time), and puts them together by the rules of
// progress_rule.go.
func (s *Service) progress(ctx context.Context, unitCode string, campaignID int64, view View, withAll bool) (Progress, error) {
	start := time.Now()
	var p Progress
	u, err := s.progressUnit(ctx, unitCode)
	if err != nil {
		return p, err
	}
	p.View = progressView(view, u.retired())
	if p.Campaign, err = s.progressCampaign(ctx, u.Path, campaignID); err != nil {
		return p, err
	}
	p.Unit = u.ref()
	var splits []string
	if p.View == ViewNow {
		if splits, err = s.splitUnits(ctx); err != nil {
			return p, err
		}
	}
	// The members are read while the children and the counters are, on a connection of their own:
	// theirs is the page's largest read (24,806 members in one province of the national profile).
	type membersRead struct {
		rows []memberRow
		err  error
	}
	membersCh := make(chan membersRead, 1)
	go func(view View, campaignID int64) {
		rows, err := s.membersUnder(ctx, u.Path, view, splits, campaignID)
		membersCh <- membersRead{rows, err}
	}(p.View, p.Campaign.ID)
	r, err := s.readChildren(ctx, &p)
	if err != nil {
		return p, err
	}
	if err := s.readCounts(ctx, &p, r, splits); err != nil {
		return p, err
	}
	read := <-membersCh
	if read.err != nil {
		return p, read.err
	}
	// Members: every user holding a team_member grant under the unit (a person in teams at several
	// levels counts once, in the child unit of their first grant there), from the member counters.
	st := standing(read.rows, u.Path, p.Campaign.Target, 10, 200)
	names, err := s.memberNames(ctx, st.named())
	if err != nil {
		return p, err
	}
	p.addStanding(r, st, names)
	if p.FromSplit, err = s.fromSplit(ctx, u.Path, p.View, p.Campaign); err != nil {
		return p, err
	}
	if withAll {
		if p.AllMembers, err = s.allMembers(ctx, read.rows, p.Campaign.Target); err != nil {
			return p, err
		}
	}
	p.ComputedMs = float64(time.Since(start).Microseconds()) / 1000
	return p, nil
}

// progressUnit reads the unit whose progress the actor asks for (progressRoot when they name
// none) and checks that it is in their scope.
func (s *Service) progressUnit(ctx context.Context, unitCode string) (unitRef, error) {
	scope := progressScope(authz.ActorFrom(ctx))
	if unitCode == "" {
		var err error
		if unitCode, err = progressRoot(scope); err != nil {
			return unitRef{}, err
		}
	}
	u, err := s.unit(ctx, unitCode)
	if err != nil {
		return u, err
	}
	if !scope.HasUnit(u.Path) {
		return u, apperr.New(apperr.Forbidden, "outreach.error.progress_scope")
	}
	return u, nil
}

// progressCampaign is the campaign chosen by id, or the current one of the unit's province when 0.
func (s *Service) progressCampaign(ctx context.Context, path string, campaignID int64) (Campaign, error) {
	province := authz.ProvinceOfPath(path)
	if campaignID != 0 {
		c, err := s.FindCampaign(ctx, campaignID)
		if err != nil {
			return c, err
		}
		return c, campaignCounts(c, province)
	}
	c, found, err := s.Current(ctx, province)
	if err == nil && !found {
		err = apperr.New(apperr.NotFound, "outreach.error.no_campaign")
	}
	return c, err
}

// readChildren lists the unit's children in p, in tree order: by parent path (a commune's parent
// is a district on the map of 2023 and its province on the map of 2025). As it is now, the units
// in force; as it was, every version that hung under the unit, retired ones included.
func (s *Service) readChildren(ctx context.Context, p *Progress) (childRollup, error) {
	r := childRollup{parent: p.Unit.Path, at: map[string]int{}}
	childSQL := "SELECT code, name, level, path, valid_to FROM units WHERE parent_path = ? AND valid_to = '' ORDER BY path"
	if p.View == ViewWas {
		childSQL = "SELECT code, name, level, path, valid_to FROM units WHERE parent_path = ? ORDER BY path"
	}
	rows, err := s.DB.Reader().QueryContext(ctx, childSQL, p.Unit.Path)
	if err != nil {
		return r, apperr.Wrap(err, "children")
	}
	defer rows.Close()
	p.Children = []Tally{}
	for rows.Next() {
		var t Tally
		if err := rows.Scan(&t.Unit.Code, &t.Unit.Name, &t.Unit.Level, &t.Unit.Path, &t.Unit.ValidTo); err != nil {
			return r, apperr.Wrap(err, "scan child")
		}
		r.at[t.Unit.Path] = len(p.Children)
		p.Children = append(p.Children, t)
	}
	// A read cut short (a dropped connection, a cancelled request) must not pass for fewer children.
	return r, apperr.Wrap(rows.Err(), "children")
}

// readCounts adds to p the records, citizens and flags of the unit counters, each at the path it
// counts at, and the skills, platforms and visit outcomes of the dimension counters.
func (s *Service) readCounts(ctx context.Context, p *Progress, r childRollup, splits []string) error {
	q := s.DB.Reader()
	cond, cargs, at := countsIn(p.View, p.Unit.Path, splits)
	rows, err := q.QueryContext(ctx, "SELECT "+at+", c.records, c.citizens, c.flagged, c.enterprise_records, c.enterprises FROM outreach_unit_counts c WHERE c.campaign_id = ? AND "+cond,
		append([]any{p.Campaign.ID}, cargs...)...)
	if err != nil {
		return apperr.Wrap(err, "unit counts")
	}
	for rows.Next() {
		var path string
		var rec, cit, fl, er, en int64
		if err := rows.Scan(&path, &rec, &cit, &fl, &er, &en); err != nil {
			rows.Close()
			return apperr.Wrap(err, "scan unit counts")
		}
		p.addCounts(r, path, rec, cit, fl)
		p.addEnterprises(r, path, er, en)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return apperr.Wrap(err, "unit counts")
	}
	skills, _, err := s.catalog(ctx)
	if err != nil {
		return err
	}
	rows, err = q.QueryContext(ctx, "SELECT c.dim, SUM(c.n) FROM outreach_dim_counts c WHERE c.campaign_id = ? AND "+cond+" GROUP BY c.dim",
		append([]any{p.Campaign.ID}, cargs...)...)
	if err != nil {
		return apperr.Wrap(err, "dimension counts")
	}
	defer rows.Close()
	for rows.Next() {
		var dim string
		var n int64
		if err := rows.Scan(&dim, &n); err != nil {
			return apperr.Wrap(err, "scan dimension")
		}
		p.addDim(dim, n, skills)
	}
	if err := rows.Err(); err != nil {
		return apperr.Wrap(err, "dimension counts")
	}
	sortCounts(p.BySkill, p.ByPlatform, p.Visits)
	return nil
}

// fromSplit is the "from split units" line of a unit as it is now: each earlier unit split between
// this unit and others, as it was. As it was, there is none.
func (s *Service) fromSplit(ctx context.Context, path string, view View, c Campaign) ([]Tally, error) {
	out := []Tally{}
	if view != ViewNow {
		return out, nil
	}
	feeding, err := units.NewService(s.DB).SplitInto(ctx, path)
	if err != nil {
		return out, err
	}
	for _, sp := range feeding {
		t, err := s.plainTally(ctx, sp, c)
		if err != nil {
			return out, err
		}
		su, err := s.unit(ctx, sp)
		if err != nil {
			return out, err
		}
		t.Unit = su.ref()
		out = append(out, t)
	}
	return out, nil
}

// allMembers is every member's progress, by id, for the export.
func (s *Service) allMembers(ctx context.Context, members []memberRow, target int) ([]MemberProgress, error) {
	ids := make([]int64, len(members))
	for i, m := range members {
		ids[i] = m.id
	}
	names, err := s.memberNames(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]MemberProgress, 0, len(members))
	slices.SortFunc(members, func(a, b memberRow) int { return cmp.Compare(a.id, b.id) })
	for _, m := range members {
		out = append(out, progressOf(m, names, target))
	}
	return out, nil
}

// MyProgress is a member's own count in the current campaign.
type MyProgress struct {
	Campaign Campaign `json:"campaign"`
	Records  int64    `json:"records"`
	Citizens int64    `json:"citizens"`
	Target   int      `json:"target"`
	// InWindow tells whether the window is open now.
	InWindow bool `json:"in_window"`
}

// Mine returns the acting member's progress in their province's current campaign.
func (s *Service) Mine(ctx context.Context) (MyProgress, error) {
	actor := authz.ActorFrom(ctx)
	scope := memberScope(actor)
	if len(scope) == 0 {
		return MyProgress{}, apperr.New(apperr.Forbidden, "outreach.error.not_member")
	}
	c, found, err := s.Current(ctx, authz.ProvinceOfPath(scope[0]))
	if err != nil {
		return MyProgress{}, err
	}
	if !found {
		return MyProgress{}, apperr.New(apperr.NotFound, "outreach.error.no_campaign")
	}
	m := MyProgress{Campaign: c, Target: c.Target, InWindow: c.Contains(s.Now())}
	err = s.DB.Reader().QueryRowContext(ctx, "SELECT COALESCE(SUM(records), 0), COALESCE(SUM(citizens), 0) FROM outreach_member_counts WHERE campaign_id = ? AND member_id = ?",
		c.ID, actor.UserID).Scan(&m.Records, &m.Citizens)
	return m, apperr.Wrap(err, "my progress")
}

// TeamTally is one team's progress in a campaign, from the members' counters.
type TeamTally struct {
	Members, MembersMet int
	Records, Citizens   int64
}

// TeamTallies returns the progress of each team of unitCode in the current campaign, keyed by
// team id, for the dashboards' drill-down below a commune. It reads the member counters (one row
// per member), never the records; a member in two teams counts in both. Without a campaign it
// returns no tallies and no error.
func (s *Service) TeamTallies(ctx context.Context, unitCode string) (map[int64]TeamTally, error) {
	path, c, found, err := s.scopedCurrent(ctx, unitCode)
	if err != nil || !found {
		return map[int64]TeamTally{}, err
	}
	rows, err := s.DB.Reader().QueryContext(ctx, `SELECT m.team_id, COUNT(*), SUM(CASE WHEN COALESCE(mc.citizens, 0) >= ? THEN 1 ELSE 0 END),
		COALESCE(SUM(mc.records), 0), COALESCE(SUM(mc.citizens), 0)
		FROM outreach_teams t JOIN outreach_team_members m ON m.team_id = t.id
		LEFT JOIN outreach_member_counts mc ON mc.campaign_id = ? AND mc.member_id = m.user_id
		WHERE t.unit_path = ? GROUP BY m.team_id`, c.Target, c.ID, path)
	if err != nil {
		return nil, apperr.Wrap(err, "team tallies")
	}
	defer rows.Close()
	out := map[int64]TeamTally{}
	for rows.Next() {
		var id int64
		var t TeamTally
		if err := rows.Scan(&id, &t.Members, &t.MembersMet, &t.Records, &t.Citizens); err != nil {
			return nil, apperr.Wrap(err, "team tallies")
		}
		out[id] = t
	}
	return out, rows.Err()
}

// DayDim is the dimension that counts a record on its day (Vietnam time) in outreach_dim_counts.
func DayDim(guidedAt time.Time) string { return "day:" + guidedAt.In(vietnam).Format("2006-01-02") }

// RecordsByDay returns how many guidance records of the current campaign fell on each day
// ("2023-07-28", Vietnam time) under unitCode as it is now (earlier units rolled up), from the
// dimension counters, never the records. Without a campaign it returns none and no error.
func (s *Service) RecordsByDay(ctx context.Context, unitCode string) (map[string]int64, error) {
	path, c, found, err := s.scopedCurrent(ctx, unitCode)
	if err != nil || !found {
		return map[string]int64{}, err
	}
	view := ViewNow
	if u, err := s.unit(ctx, path); err == nil && u.retired() {
		view = ViewWas
	}
	var splits []string
	if view == ViewNow {
		if splits, err = s.splitUnits(ctx); err != nil {
			return nil, err
		}
	}
	cond, args, _ := countsIn(view, path, splits)
	rows, err := s.DB.Reader().QueryContext(ctx, `SELECT c.dim, SUM(c.n) FROM outreach_dim_counts c
		WHERE c.campaign_id = ? AND `+cond+` AND c.dim LIKE 'day:%' GROUP BY c.dim`, append([]any{c.ID}, args...)...)
	if err != nil {
		return nil, apperr.Wrap(err, "records by day")
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var dim string
		var n int64
		if err := rows.Scan(&dim, &n); err != nil {
			return nil, apperr.Wrap(err, "records by day")
		}
		out[strings.TrimPrefix(dim, "day:")] = n
	}
	return out, rows.Err()
}

// scopedCurrent checks that the actor may see unitCode's progress and returns the unit's path and
// the current campaign (found is false when there is none).
func (s *Service) scopedCurrent(ctx context.Context, unitCode string) (path string, c Campaign, found bool, err error) {
	u, err := s.unit(ctx, unitCode)
	if err != nil {
		return "", Campaign{}, false, err
	}
	if !progressScope(authz.ActorFrom(ctx)).HasUnit(u.Path) {
		return "", Campaign{}, false, apperr.New(apperr.Forbidden, "outreach.error.progress_scope")
	}
	c, found, err = s.Current(ctx, authz.ProvinceOfPath(u.Path))
	return u.Path, c, found, err
}
