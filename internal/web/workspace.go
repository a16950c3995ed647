package web

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/lantoa/lantoa/internal/ceremony"
	"github.com/lantoa/lantoa/internal/notify"
	"github.com/lantoa/lantoa/internal/orgs"
	"github.com/lantoa/lantoa/internal/outreach"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/portal"
	"github.com/lantoa/lantoa/internal/reports"
	"github.com/lantoa/lantoa/internal/training"
)

// The workspace (GET /workspace) is where everyone lands after signing in: for each of the
// viewer's roles a task list in the manner of the GOV.UK Design System's — each task a link to the
// work, a short state, a status tag and its deadline, the most urgent first — with a few key
// figures above it. Every figure comes from a domain service's read method in the viewer's scope,
// a handful of queries per role and none per point, member or report.

// wsStatus is a task's status tag; its order is the order of urgency.
type wsStatus string

const (
	wsOverdue wsStatus = "overdue"
	wsTodo    wsStatus = "todo"
	wsDoing   wsStatus = "doing"
	wsDone    wsStatus = "done"
	// wsNone marks an entry that is not work to be done (a province a national administrator
	// reads): no tag.
	wsNone wsStatus = ""
)

func (s wsStatus) rank() int {
	switch s {
	case wsOverdue:
		return 0
	case wsTodo:
		return 1
	case wsDoing:
		return 2
	case wsNone:
		return 3
	default:
		return 4
	}
}

// wsLink is a link with its text: a not-ready point with its chase action, an empty state's way out.
type wsLink struct {
	Text, Action, Href string
}

// wsTask is one row of a task list.
type wsTask struct {
	// ID names the kind of task (stable, for tests and anchors): "ceremony", "report", …
	ID     string
	Title  string
	Href   string
	State  string
	Status wsStatus
	// Due is the task's deadline; zero when it has none. DueText says it as a person would.
	Due     time.Time
	DueText string
	Sub     []wsLink
}

type wsFigure struct {
	Value, Label string
}

// wsSection is one role's part of the workspace.
type wsSection struct {
	ID      string
	Title   string
	Figures []wsFigure
	// Primary is the one big button of a role whose work is one action (a team member's).
	Primary *wsLink
	// Pending shows the team member's records still waiting in this browser (workspace.js).
	Pending bool
	Tasks   []wsTask
	Empty   *wsLink
}

type workspaceData struct {
	Page
	Sections []wsSection
	UserID   int64
}

// wsMaxRows bounds the rows a list shows (courses, points to chase, drafts); the page links to
// the full list.
const wsMaxRows = 5

// homePage is the viewer's workspace.
func (s *Server) homePage(w http.ResponseWriter, r *http.Request) error {
	p := s.newPage(r, "home.title")
	data := workspaceData{Page: p}
	a := p.Actor
	if a == nil {
		return apperr.New(apperr.Unauthenticated, "error.login_required")
	}
	data.UserID = a.UserID
	b := wsBuilder{s: s, ctx: r.Context(), p: p, now: s.Now()}
	steps := []struct {
		when bool
		add  func() error
	}{
		{a.IsNational(), b.national},
		{len(a.AdminProvinces()) > 0, b.province},
		{a.Has(authz.UnitAdmin), b.units},
		{a.Has(authz.OrgAdmin), b.orgs},
		{a.Has(authz.BridgeOperator), b.bridge},
		{a.Has(authz.TeamMember), b.team},
		{s.isEditor(a), b.editor},
		{a.Has(authz.Learner) || len(a.Grants) == 0, b.learner},
	}
	for _, st := range steps {
		if st.when {
			if err := st.add(); err != nil {
				return err
			}
		}
	}
	for i := range b.sections {
		sortTasks(b.sections[i].Tasks)
	}
	data.Sections = b.sections
	return s.render(w, r, http.StatusOK, "home", &data)
}

// sortTasks puts the most urgent first: overdue, to do, in progress, done; within a status the
// nearest deadline first, tasks without one after those with one.
func sortTasks(ts []wsTask) {
	slices.SortStableFunc(ts, func(a, b wsTask) int {
		if c := cmp.Compare(a.Status.rank(), b.Status.rank()); c != 0 {
			return c
		}
		switch {
		case a.Due.IsZero() && b.Due.IsZero():
			return 0
		case a.Due.IsZero():
			return 1
		case b.Due.IsZero():
			return -1
		}
		return a.Due.Compare(b.Due)
	})
}

type wsBuilder struct {
	s        *Server
	ctx      context.Context
	p        Page
	now      time.Time
	sections []wsSection
	// ceremony caches the current ceremony, read once for all the roles that need it.
	ceremony     *ceremony.Ceremony
	ceremonyRead bool
	periods      []reports.Period
	periodsRead  bool
}

func (b *wsBuilder) T(key string, args ...any) string { return b.p.T(key, args...) }

// due fills a task's deadline and says it in days: "Hạn 15/08/2026 · còn 3 ngày".
func (b *wsBuilder) due(t *wsTask, at time.Time) {
	if at.IsZero() {
		return
	}
	t.Due = at
	day := func(x time.Time) time.Time {
		y, m, d := x.In(vietnamTime).Date()
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	}
	days := int(day(at).Sub(day(b.now)).Hours() / 24)
	date := at.In(vietnamTime).Format("02/01/2006")
	switch {
	case days > 0:
		t.DueText = b.T("workspace.due.left", date, days)
	case days == 0:
		t.DueText = b.T("workspace.due.today", date)
	case t.Status == wsDone:
		t.DueText = b.T("workspace.due.was", date)
	default:
		t.DueText = b.T("workspace.due.late", date, -days)
	}
}

// currentCeremony is the ceremony the viewer prepares: the next one not yet launched, else the
// latest. ok is false when there is none in sight.
func (b *wsBuilder) currentCeremony() (ceremony.Ceremony, bool, error) {
	if !b.ceremonyRead {
		b.ceremonyRead = true
		list, err := b.s.Ceremony.List(b.ctx)
		if err != nil {
			return ceremony.Ceremony{}, false, err
		}
		// List is latest first: the last unlaunched one not yet past is the nearest ahead.
		for i := len(list) - 1; i >= 0; i-- {
			if !list[i].Launched() && !list[i].StartsAt.Before(b.now.Add(-24*time.Hour)) {
				b.ceremony = &list[i]
				break
			}
		}
		if b.ceremony == nil && len(list) > 0 {
			b.ceremony = &list[0]
		}
	}
	if b.ceremony == nil {
		return ceremony.Ceremony{}, false, nil
	}
	return *b.ceremony, true, nil
}

// pointsTask is the readiness of the bridge points in sight: n of N ready, the first ones not
// ready that the viewer may chase (ceremony.MayChase) listed with the way to chase them.
func (b *wsBuilder) pointsTask(c ceremony.Ceremony, points []ceremony.Point) wsTask {
	counts := ceremony.CountPoints(points, b.now)
	ready := counts.Ready + counts.OnAir + counts.Lost
	t := wsTask{ID: "ceremony", Title: b.T("workspace.task.ceremony", c.Title), Href: fmt.Sprintf("/ceremonies/%d/readiness", c.ID),
		State: b.T("workspace.state.points_ready", ready, counts.Total)}
	switch {
	case c.Launched():
		t.Status, t.State = wsDone, b.T("workspace.state.launched", c.LaunchAt.In(vietnamTime).Format("15:04 02/01/2006"))
		t.Href = fmt.Sprintf("/ceremonies/%d", c.ID)
	case counts.Total > 0 && ready == counts.Total:
		t.Status = wsDone
	case c.StartsAt.Before(b.now):
		t.Status = wsOverdue
	case ready > 0:
		t.Status = wsDoing
	default:
		t.Status = wsTodo
	}
	if counts.Total == 0 && !c.Launched() {
		t.State, t.Href = b.T("workspace.state.no_points"), fmt.Sprintf("/ceremonies/%d", c.ID)
	}
	b.due(&t, c.StartsAt)
	if !c.Launched() {
		for _, pt := range points {
			if pt.StateAt(b.now) != ceremony.NotReady || !ceremony.MayChase(b.p.Actor, pt) {
				continue
			}
			if len(t.Sub) == wsMaxRows {
				break
			}
			district := pt.DistrictCode
			if district == "" {
				district = c.Province
			}
			t.Sub = append(t.Sub, wsLink{Text: pt.Name + " (" + b.T("workspace.state.checklist", pt.Checklist.Done(), len(ceremony.ChecklistItems)) + ")",
				Action: b.T("workspace.action.chase"), Href: fmt.Sprintf("/ceremonies/%d/readiness?district=%s#point-%d", c.ID, url.QueryEscape(district), pt.ID)})
		}
	}
	return t
}

// campaignTask is the "7 citizens in 7 days" drive of a unit's members.
func (b *wsBuilder) campaignTask(c outreach.Campaign, pr outreach.Progress, href string) wsTask {
	t := wsTask{ID: "campaign", Title: b.T("workspace.task.campaign", c.Name), Href: href}
	met := b.T("workspace.state.members_met", pr.MembersMet, pr.Members, c.Target)
	switch {
	case c.LaunchAt.IsZero():
		t.Status, t.State = wsTodo, b.T("workspace.state.campaign_waits")
	case b.now.Before(c.LaunchAt):
		t.Status, t.State = wsTodo, b.T("workspace.state.campaign_starts", c.LaunchAt.In(vietnamTime).Format("02/01/2006"))
	case c.Contains(b.now):
		t.Status, t.State = wsDoing, b.T("workspace.state.campaign_day", campaignDay(c, b.now), c.Days)+" · "+met
	default:
		t.Status, t.State = wsDone, b.T("workspace.state.campaign_over")+" · "+met
	}
	b.due(&t, c.End())
	return t
}

// campaignDay is the day of the campaign's window that now falls on, from 1.
func campaignDay(c outreach.Campaign, now time.Time) int {
	return int(now.Sub(c.LaunchAt).Hours()/24) + 1
}

// currentPeriod is the report period under way: the nearest one still due, else the latest.
func (b *wsBuilder) currentPeriod(unitCode string) (reports.Period, bool, error) {
	if !b.periodsRead {
		b.periodsRead = true
		var err error
		if b.periods, err = b.s.Reports.ListPeriods(b.ctx); err != nil {
			return reports.Period{}, false, err
		}
	}
	var found *reports.Period
	for i := range b.periods { // latest due first
		p := &b.periods[i]
		if unitCode != "" && !slices.Contains(p.UnitCodes, unitCode) {
			continue
		}
		if found == nil || !p.DueAt.Before(b.now) {
			found = p
		}
	}
	if found == nil {
		return reports.Period{}, false, nil
	}
	return *found, true, nil
}

func (b *wsBuilder) province() error {
	a := b.p.Actor
	prov := b.p.Province
	if !a.AdministersProvince(prov) {
		prov = a.AdminProvinces()[0]
	}
	sec := wsSection{ID: "province", Title: b.T("workspace.section.province")}
	// The ceremony.
	c, ok, err := b.currentCeremony()
	if err != nil {
		return err
	}
	if ok {
		points, err := b.s.Ceremony.ListPoints(b.ctx, c.ID, ceremony.PointFilter{})
		if err != nil {
			return err
		}
		t := b.pointsTask(c, points)
		counts := ceremony.CountPoints(points, b.now)
		sec.Figures = append(sec.Figures, wsFigure{fmt.Sprintf("%d/%d", counts.Ready+counts.OnAir+counts.Lost, counts.Total), b.T("workspace.figure.points_ready")})
		sec.Tasks = append(sec.Tasks, t)
	} else {
		sec.Tasks = append(sec.Tasks, wsTask{ID: "ceremony", Title: b.T("workspace.task.ceremony_create"), Href: "/ceremonies", Status: wsTodo, State: b.T("workspace.state.no_ceremony")})
	}
	// The campaign.
	camp, ok, err := b.s.Outreach.Current(b.ctx, prov)
	if err != nil {
		return err
	}
	if ok {
		pr, err := b.s.Outreach.Progress(b.ctx, prov, camp.ID)
		if err != nil {
			return err
		}
		sec.Tasks = append(sec.Tasks, b.campaignTask(camp, pr, "/outreach/progress"))
		if camp.Contains(b.now) {
			sec.Figures = append(sec.Figures, wsFigure{fmt.Sprintf("%d/%d", campaignDay(camp, b.now), camp.Days), b.T("workspace.figure.campaign_day")})
		}
		sec.Figures = append(sec.Figures, wsFigure{fmt.Sprintf("%d/%d", pr.MembersMet, pr.Members), b.T("workspace.figure.members_met")})
	} else {
		sec.Tasks = append(sec.Tasks, wsTask{ID: "campaign", Title: b.T("workspace.task.campaign_create"), Href: "/outreach/admin", Status: wsTodo, State: b.T("workspace.state.no_campaign")})
	}
	// The reports.
	per, ok, err := b.currentPeriod("")
	if err != nil {
		return err
	}
	if ok {
		st, err := b.s.Reports.PeriodStatus(b.ctx, per.ID)
		if err != nil {
			return err
		}
		t := wsTask{ID: "reports", Title: b.T("workspace.task.reports", per.Title), Href: fmt.Sprintf("/reports/periods/%d", per.ID),
			State: b.T("workspace.state.reports", st.Reported, st.Assigned, st.OnTime)}
		switch {
		case st.Assigned > 0 && st.Reported == st.Assigned:
			t.Status = wsDone
		case per.DueAt.Before(b.now):
			t.Status = wsOverdue
		case st.Reported > 0:
			t.Status = wsDoing
		default:
			t.Status = wsTodo
		}
		if st.Returned > 0 {
			t.State += " · " + b.T("workspace.state.reports_returned", st.Returned)
		}
		b.due(&t, per.DueAt)
		sec.Tasks = append(sec.Tasks, t)
		sec.Figures = append(sec.Figures, wsFigure{fmt.Sprintf("%d/%d", st.Reported, st.Assigned), b.T("workspace.figure.reports")})
	} else {
		sec.Tasks = append(sec.Tasks, wsTask{ID: "reports", Title: b.T("workspace.task.reports_create"), Href: "/reports", Status: wsTodo, State: b.T("workspace.state.no_period")})
	}
	// Training: the dashboards' target of a course is its enrolled learners, so completion is
	// passed against enrolled.
	tot, err := b.s.Training.ProvinceTotals(b.ctx, prov)
	if err != nil {
		return err
	}
	sec.Tasks = append(sec.Tasks, b.trainingTask(tot.Passed, tot.Enrolled, "/dashboard/units/"+prov))
	sec.Figures = append(sec.Figures, wsFigure{fmt.Sprintf("%d/%d", tot.Passed, tot.Enrolled), b.T("workspace.figure.passed")})
	if err := b.targetTasks(&sec, prov); err != nil {
		return err
	}
	// Messages that could not be sent.
	counts, err := b.s.Notify.Counts(b.ctx)
	if err != nil {
		return err
	}
	t := wsTask{ID: "outbox", Title: b.T("workspace.task.outbox"), Href: "/admin/outbox?status=" + string(notify.Failed),
		State: b.T("workspace.state.outbox", counts[notify.Failed]), Status: wsDone}
	if counts[notify.Failed] > 0 {
		t.Status = wsTodo
	} else {
		t.Href = "/admin/outbox"
	}
	sec.Tasks = append(sec.Tasks, t)
	b.sections = append(b.sections, sec)
	return nil
}

// trainingTask is the completion of the courses by the people in a scope.
func (b *wsBuilder) trainingTask(passed, enrolled int, href string) wsTask {
	t := wsTask{ID: "training", Title: b.T("workspace.task.training"), Href: href, Status: wsDoing}
	if enrolled == 0 {
		t.Status, t.State = wsTodo, b.T("workspace.state.no_learners")
		return t
	}
	t.State = b.T("workspace.state.passed", passed, enrolled, passed*100/enrolled)
	if passed == enrolled {
		t.Status = wsDone
	}
	return t
}

// targetTasks adds, for each published course of the province with a target share, the units
// and organisations in the viewer's scope (those it reads whole) below the target, the lowest
// first, each a link to its figures.
func (b *wsBuilder) targetTasks(sec *wsSection, province string) error {
	if province == "" {
		return nil
	}
	courses, err := b.s.Training.ListCourses(b.ctx, training.CourseFilter{Province: province})
	if err != nil {
		return err
	}
	for i, c := range courses {
		if i == wsMaxRows {
			break
		}
		rows, target, err := b.s.Training.BelowTarget(b.ctx, c.ID)
		if err != nil {
			return err
		}
		if target == 0 {
			continue
		}
		base := fmt.Sprintf("/courses/%d/figures", c.ID)
		t := wsTask{ID: "targets", Title: b.T("targets.ws_task", target, c.Title), Href: base, Status: wsDone, State: b.T("targets.ws_done")}
		if len(rows) > 0 {
			t.Status, t.State = wsTodo, b.T("targets.ws_state", len(rows))
		}
		for j, r := range rows {
			if j == wsMaxRows {
				break
			}
			href := base + "?by=unit&parent=" + url.QueryEscape(r.Code)
			if r.Kind == training.HeadcountOrg {
				href = base + "?by=org&parent=" + url.QueryEscape(r.Code)
			}
			t.Sub = append(t.Sub, wsLink{Text: b.T("targets.ws_row", r.Name, fmt.Sprintf("%.1f%%", *r.CompletedShare)), Action: b.T("targets.ws_open"), Href: href})
		}
		sec.Tasks = append(sec.Tasks, t)
	}
	return nil
}

// units gives each unit the viewer administers (a district's or a commune's People's Committee)
// its own task list: its points, its teams, its report, its officials' training.
func (b *wsBuilder) units() error {
	for _, g := range b.p.Actor.Grants {
		if g.Role != authz.UnitAdmin {
			continue
		}
		name := g.UnitCode
		if u, err := b.s.Units.Find(b.ctx, g.UnitCode); err == nil {
			name = u.Name
		}
		sec := wsSection{ID: "unit-" + g.UnitCode, Title: name}
		c, ok, err := b.currentCeremony()
		if err != nil {
			return err
		}
		if ok {
			points, err := b.s.Ceremony.ListPoints(b.ctx, c.ID, ceremony.PointFilter{UnderNow: g.UnitPath})
			if err != nil {
				return err
			}
			sec.Tasks = append(sec.Tasks, b.pointsTask(c, points))
		}
		pr, err := b.s.Outreach.Progress(b.ctx, g.UnitCode, 0)
		switch {
		case apperr.Is(err, apperr.NotFound):
			sec.Tasks = append(sec.Tasks, wsTask{ID: "campaign", Title: b.T("workspace.task.teams"), Href: "/outreach/teams", Status: wsTodo, State: b.T("workspace.state.no_campaign_unit")})
		case err != nil:
			return err
		default:
			sec.Tasks = append(sec.Tasks, b.campaignTask(pr.Campaign, pr, "/outreach/progress?unit="+url.QueryEscape(g.UnitCode)))
			sec.Figures = append(sec.Figures, wsFigure{fmt.Sprintf("%d/%d", pr.MembersMet, pr.Members), b.T("workspace.figure.members_met")})
		}
		if err := b.unitReport(&sec, g.UnitCode); err != nil {
			return err
		}
		tot, err := b.s.Training.UnitTotals(b.ctx, g.UnitPath)
		if err != nil {
			return err
		}
		sec.Tasks = append(sec.Tasks, b.trainingTask(tot.Passed, tot.Enrolled, "/dashboard/units/"+url.PathEscape(g.UnitCode)))
		sec.Figures = append(sec.Figures, wsFigure{fmt.Sprintf("%d/%d", tot.Passed, tot.Enrolled), b.T("workspace.figure.passed")})
		if err := b.targetTasks(&sec, authz.ProvinceOfPath(g.UnitPath)); err != nil {
			return err
		}
		b.sections = append(b.sections, sec)
	}
	return nil
}

// unitReport is the unit's own report of the period under way, and its deadline.
func (b *wsBuilder) unitReport(sec *wsSection, code string) error {
	per, ok, err := b.currentPeriod(code)
	if err != nil || !ok {
		return err
	}
	list, err := b.s.Reports.ListReports(b.ctx, per.ID)
	if err != nil {
		return err
	}
	t := wsTask{ID: "report", Title: b.T("workspace.task.report", per.Title), Href: fmt.Sprintf("/reports/periods/%d", per.ID),
		Status: wsTodo, State: b.T("reports.state.missing")}
	for _, r := range list {
		if r.UnitCode != code {
			continue
		}
		t.Href, t.State = fmt.Sprintf("/reports/%d", r.ID), b.T("reports.state."+string(r.State))
		switch r.State {
		case reports.Submitted, reports.Accepted:
			t.Status = wsDone
		case reports.Draft:
			t.Status = wsDoing
		case reports.Returned:
			t.Status, t.State = wsTodo, b.T("workspace.state.report_returned")
		}
	}
	if t.Status != wsDone && per.DueAt.Before(b.now) {
		t.Status = wsOverdue
	}
	b.due(&t, per.DueAt)
	sec.Tasks = append(sec.Tasks, t)
	return nil
}

// orgs gives an organisation's coordinator their staff's (or pupils') completion of the courses.
func (b *wsBuilder) orgs() error {
	for _, g := range b.p.Actor.Grants {
		if g.Role != authz.OrgAdmin || g.OrgID == 0 {
			continue
		}
		o, err := b.s.Orgs.Find(b.ctx, g.OrgID)
		if err != nil {
			return err
		}
		tot, err := b.s.Training.OrgTotals(b.ctx, o.Path)
		if err != nil {
			return err
		}
		sec := wsSection{ID: "org-" + strconv.FormatInt(o.ID, 10), Title: o.Name,
			Figures: []wsFigure{{fmt.Sprintf("%d/%d", tot.Passed, tot.Enrolled), b.T("workspace.figure.passed")}}}
		t := b.trainingTask(tot.Passed, tot.Enrolled, "/dashboard/orgs/"+strconv.FormatInt(o.ID, 10))
		t.Title = b.T("workspace.task.staff")
		sec.Tasks = append(sec.Tasks, t)
		if err := b.targetTasks(&sec, authz.ProvinceOfPath(o.UnitPath)); err != nil {
			return err
		}
		if o.Kind == orgs.School {
			// A school's pupils get their accounts from the class lists the school uploads; the
			// workspace is the one way to that page (no menu holds it).
			sec.Tasks = append(sec.Tasks, wsTask{ID: "pupils", Title: b.T("workspace.task.pupils"),
				Href: "/schools/" + strconv.FormatInt(o.ID, 10) + "/pupils", State: b.T("workspace.state.pupils"), Status: wsNone})
		}
		b.sections = append(b.sections, sec)
	}
	return nil
}

// bridge gives a bridge point's operator the point's technical checklist and going on air.
func (b *wsBuilder) bridge() error {
	sec := wsSection{ID: "bridge", Title: b.T("workspace.section.bridge")}
	c, ok, err := b.currentCeremony()
	if err != nil {
		return err
	}
	if !ok {
		sec.Empty = &wsLink{Text: b.T("workspace.empty.bridge")}
		b.sections = append(b.sections, sec)
		return nil
	}
	points, err := b.s.Ceremony.ListPoints(b.ctx, c.ID, ceremony.PointFilter{})
	if err != nil {
		return err
	}
	operated := map[string]bool{}
	for _, g := range b.p.Actor.Grants {
		if g.Role == authz.BridgeOperator {
			operated[g.UnitPath] = true
		}
	}
	for _, pt := range points {
		if !operated[pt.UnitPath] {
			continue
		}
		href := fmt.Sprintf("/ceremonies/%d/points/%d", c.ID, pt.ID)
		check := wsTask{ID: "checklist", Title: b.T("workspace.task.checklist", pt.Name), Href: href,
			State: b.T("workspace.state.checklist", pt.Checklist.Done(), len(ceremony.ChecklistItems)), Status: wsTodo}
		switch {
		case pt.Checklist.Complete():
			check.Status = wsDone
		case c.StartsAt.Before(b.now) && !c.Launched():
			check.Status = wsOverdue
		case pt.Checklist.Done() > 0:
			check.Status = wsDoing
		}
		air := wsTask{ID: "on-air", Title: b.T("workspace.task.on_air", pt.Name), Href: href + "#on-air", Status: wsTodo,
			State: b.T("ceremony.state." + string(pt.StateAt(b.now)))}
		switch {
		case c.Launched() || pt.StateAt(b.now) == ceremony.OnAir:
			air.Status = wsDone
		case pt.StateAt(b.now) == ceremony.Lost:
			air.Status = wsOverdue
		}
		b.due(&check, c.StartsAt)
		b.due(&air, c.StartsAt)
		sec.Tasks = append(sec.Tasks, check, air)
	}
	if len(sec.Tasks) == 0 {
		sec.Empty = &wsLink{Text: b.T("workspace.empty.bridge")}
	}
	b.sections = append(b.sections, sec)
	return nil
}

// team gives a team member their count of citizens guided against the target, the one big
// button to record a citizen, and their records still waiting in this browser.
func (b *wsBuilder) team() error {
	sec := wsSection{ID: "team", Title: b.T("workspace.section.team"), Pending: true,
		Primary: &wsLink{Text: b.T("workspace.action.record"), Href: "/outreach/form"}}
	m, err := b.s.Outreach.Mine(b.ctx)
	switch {
	case apperr.Is(err, apperr.NotFound):
		sec.Empty = &wsLink{Text: b.T("workspace.empty.team")}
	case err != nil:
		return err
	default:
		t := wsTask{ID: "citizens", Title: b.T("workspace.task.citizens", m.Target), Href: "/outreach/form",
			State: b.T("workspace.state.citizens", m.Citizens, m.Target)}
		switch {
		case m.Citizens >= int64(m.Target):
			t.Status = wsDone
		case m.Campaign.LaunchAt.IsZero() || b.now.Before(m.Campaign.LaunchAt):
			t.Status, t.State = wsTodo, b.T("workspace.state.campaign_waits")
		case !m.InWindow:
			t.Status = wsOverdue
		case m.Citizens > 0:
			t.Status = wsDoing
		default:
			t.Status = wsTodo
		}
		if m.InWindow {
			t.State = b.T("workspace.state.campaign_day", campaignDay(m.Campaign, b.now), m.Campaign.Days) + " · " + t.State
		}
		b.due(&t, m.Campaign.End())
		sec.Tasks = append(sec.Tasks, t)
		sec.Figures = append(sec.Figures, wsFigure{fmt.Sprintf("%d/%d", m.Citizens, m.Target), b.T("workspace.figure.citizens")})
	}
	sec.Tasks = append(sec.Tasks, wsTask{ID: "visits", Title: b.T("workspace.task.visits"), Href: "/outreach/visits", State: b.T("workspace.state.visits")})
	b.sections = append(b.sections, sec)
	return nil
}

// editor gives the portal's editors their drafts and the posts scheduled to appear.
func (b *wsBuilder) editor() error {
	posts, err := b.s.Portal.ListPosts(b.ctx, portal.Filter{Province: b.p.Province, Editing: true, Limit: 100})
	if err != nil {
		return err
	}
	sec := wsSection{ID: "editor", Title: b.T("workspace.section.editor")}
	drafts, scheduled := 0, 0
	for _, p := range posts {
		href := "/editor/posts/" + strconv.FormatInt(p.ID, 10)
		switch {
		case p.Status == portal.Draft:
			drafts++
			if drafts <= wsMaxRows {
				sec.Tasks = append(sec.Tasks, wsTask{ID: "draft", Title: p.Title, Href: href, Status: wsTodo, State: b.T("workspace.state.draft")})
			}
		case p.Scheduled(b.now):
			scheduled++
			if scheduled <= wsMaxRows {
				t := wsTask{ID: "scheduled", Title: p.Title, Href: href, Status: wsDoing,
					State: b.T("workspace.state.scheduled", p.PublishAt.In(vietnamTime).Format("15:04 02/01/2006"))}
				sec.Tasks = append(sec.Tasks, t)
			}
		}
	}
	sec.Figures = []wsFigure{{strconv.Itoa(drafts), b.T("workspace.figure.drafts")}, {strconv.Itoa(scheduled), b.T("workspace.figure.scheduled")}}
	if len(sec.Tasks) == 0 {
		sec.Empty = &wsLink{Text: b.T("workspace.empty.editor"), Action: b.T("workspace.action.write"), Href: "/editor/posts/new"}
	}
	b.sections = append(b.sections, sec)
	return nil
}

// learner gives a learner their courses, the next exam and their certificates.
func (b *wsBuilder) learner() error {
	mine, err := b.s.Training.MyCourses(b.ctx)
	if err != nil {
		return err
	}
	certs, err := b.s.Training.MyCertificates(b.ctx)
	if err != nil {
		return err
	}
	sec := wsSection{ID: "learner", Title: b.T("workspace.section.learner")}
	passed := 0
	for _, m := range mine {
		if m.Passed {
			passed++
		}
		if len(sec.Tasks) == wsMaxRows {
			continue
		}
		c := m.Course
		t := wsTask{ID: "course", Title: c.Title, Href: "/courses/" + strconv.FormatInt(c.ID, 10)}
		switch {
		case m.Passed:
			t.Status, t.State = wsDone, b.T("workspace.state.course_passed")
		case c.StatusAt(b.now) == training.Closed:
			t.Status, t.State = wsOverdue, b.T("workspace.state.course_closed")
		case m.Started:
			t.Status, t.State = wsDoing, b.T("workspace.state.course_started")
		default:
			t.Status, t.State = wsTodo, b.T("workspace.state.course_new")
		}
		if !m.Passed {
			switch {
			case !c.Exam.ExamAt.IsZero() && c.Exam.ExamAt.After(b.now):
				t.State += " · " + b.T("workspace.state.exam_at", c.Exam.ExamAt.In(vietnamTime).Format("15:04 02/01/2006"))
				b.due(&t, c.Exam.ExamAt)
			case !c.ClosesAt.IsZero():
				b.due(&t, c.ClosesAt)
			}
		}
		sec.Tasks = append(sec.Tasks, t)
	}
	if len(mine) == 0 {
		sec.Empty = &wsLink{Text: b.T("workspace.empty.learner"), Action: b.T("workspace.action.courses"), Href: "/courses"}
	}
	sec.Figures = []wsFigure{{fmt.Sprintf("%d/%d", passed, len(mine)), b.T("workspace.figure.courses_passed")}}
	if len(certs) > 0 {
		sec.Tasks = append(sec.Tasks, wsTask{ID: "certificates", Title: b.T("workspace.task.certificates"), Href: "/certificates",
			State: b.T("workspace.state.certificates", len(certs)), Status: wsDone})
	}
	b.sections = append(b.sections, sec)
	return nil
}

// national gives a national administrator the provinces, each a way into its dashboard.
func (b *wsBuilder) national() error {
	sec := wsSection{ID: "national", Title: b.T("workspace.section.national")}
	for _, u := range b.s.provinces.all(b.ctx) {
		sec.Tasks = append(sec.Tasks, wsTask{ID: "province", Title: u.Name, Href: "/dashboard/units/" + url.PathEscape(u.Code), State: b.T("workspace.state.province")})
	}
	if len(sec.Tasks) == 0 {
		sec.Empty = &wsLink{Text: b.T("workspace.empty.national"), Action: b.T("nav.units"), Href: "/units"}
	}
	b.sections = append(b.sections, sec)
	return nil
}
