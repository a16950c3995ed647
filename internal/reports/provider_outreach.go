package reports

import (
	"context"
	"strings"
	"time"

	"github.com/lantoa/lantoa/internal/outreach"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
)

// OutreachProvider reports the community digital technology teams through outreach's exported
// methods: Progress (computed from outreach's counter tables, never from the records) and
// ListTeams. It reads as the system: the reports service decides who sees which unit.
type OutreachProvider struct{ Svc *outreach.Service }

// Section is "outreach".
func (p OutreachProvider) Section() string { return "outreach" }

// codeOf is the last code of a materialised path ("/51/535/" → "535").
func codeOf(path string) string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	return parts[len(parts)-1]
}

func system(ctx context.Context) context.Context { return authz.WithActor(ctx, authz.System) }

// Fields: teams, members, members meeting 7-in-7 (target: every member), guidance records,
// distinct citizens guided (target: 7 per member), and citizens guided by skill and platform, in
// the current campaign of the unit's province (another province's campaign never counts).
func (p OutreachProvider) Fields(ctx context.Context, unitPath string, asOf time.Time) ([]Field, error) {
	ctx = system(ctx)
	code := codeOf(unitPath)
	teams, err := p.Svc.CountTeams(ctx, code, false)
	if err != nil {
		return nil, err
	}
	out := []Field{{Key: "teams", LabelKey: "reports.field.teams", Value: float64(teams), Unit: "reports.measure.teams"}}
	campaign, found, err := p.Svc.Current(ctx, authz.ProvinceOfPath(unitPath))
	if err != nil {
		return nil, err
	}
	if !found {
		return out, nil // no campaign in the province yet: only the teams exist
	}
	prog, err := p.Svc.Progress(ctx, code, campaign.ID)
	if apperr.Is(err, apperr.NotFound) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	return outreachFields(teams, prog.Tally, prog.Campaign.Target, prog.BySkill, prog.ByPlatform), nil
}

// PeriodFields are Fields over the period's campaign (ofPeriod) and its records dated within the
// period's dates: from the counters when the campaign's window lies within the period, from the
// records of the period's days when it runs past either end (outreach.ProgressBetween). A
// campaign launched after the period (or over before it) never counts in it.
func (p OutreachProvider) PeriodFields(ctx context.Context, unitPath string, span Span, asOf time.Time) ([]Field, error) {
	ctx = system(ctx)
	code := codeOf(unitPath)
	teams, err := p.Svc.CountTeams(ctx, code, false)
	if err != nil {
		return nil, err
	}
	out := []Field{{Key: "teams", LabelKey: "reports.field.teams", Value: float64(teams), Unit: "reports.measure.teams"}}
	campaign, found, err := p.ofPeriod(ctx, authz.ProvinceOfPath(unitPath), span)
	if err != nil || !found {
		return out, err
	}
	var prog outreach.Progress
	if span.Covers(campaign.LaunchAt, campaign.End()) {
		prog, err = p.Svc.Progress(ctx, code, campaign.ID)
	} else {
		prog, err = p.Svc.ProgressBetween(ctx, code, campaign.ID, span.From, span.To)
	}
	if apperr.Is(err, apperr.NotFound) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	return outreachFields(teams, prog.Tally, campaign.Target, prog.BySkill, prog.ByPlatform), nil
}

// ofPeriod is the province's campaign of the period: the one whose window (launch to launch +
// days) overlaps the period's dates; of several, the one launched last. A campaign not launched
// has no window and belongs to no period.
func (p OutreachProvider) ofPeriod(ctx context.Context, province string, span Span) (outreach.Campaign, bool, error) {
	if province == "" {
		return outreach.Campaign{}, false, nil
	}
	list, err := p.Svc.Campaigns(ctx)
	if err != nil {
		return outreach.Campaign{}, false, err
	}
	var best outreach.Campaign
	found := false
	for _, c := range list {
		if c.Province != province || c.LaunchAt.IsZero() || !span.Overlaps(c.LaunchAt, c.End()) {
			continue
		}
		if !found || c.LaunchAt.After(best.LaunchAt) || (c.LaunchAt.Equal(best.LaunchAt) && c.ID > best.ID) {
			best, found = c, true
		}
	}
	return best, found, nil
}

// outreachFields are the outreach section's figures of a unit with a campaign.
func outreachFields(teams int, t outreach.Tally, target int, bySkill, byPlatform []outreach.Count) []Field {
	members := float64(t.Members)
	met, of := t.Measure() // the dashboards' measure (measureOf), the portal map's too
	out := []Field{{Key: "teams", LabelKey: "reports.field.teams", Value: float64(teams), Unit: "reports.measure.teams"},
		{Key: MeasureKey, LabelKey: "reports.field.members_7in7", Value: float64(met), Target: float64(of), Unit: "reports.measure.people"},
		{Key: "members", LabelKey: "reports.field.members", Value: members, Unit: "reports.measure.people"},
		{Key: "citizens", LabelKey: "reports.field.citizens", Value: float64(t.Citizens), Target: members * float64(target), Unit: "reports.measure.people"},
		{Key: "records", LabelKey: "reports.field.records", Value: float64(t.Records), Unit: "reports.measure.times"},
		// Enterprises are counted apart from citizens: in neither figure above nor any target.
		{Key: "enterprises", LabelKey: "reports.field.enterprises", Value: float64(t.Enterprises), Unit: "reports.measure.enterprises"},
		{Key: "enterprise_records", LabelKey: "reports.field.enterprise_records", Value: float64(t.EnterpriseRecords), Unit: "reports.measure.times"},
	}
	for _, c := range bySkill {
		out = append(out, Field{Key: "skill_" + c.Code, LabelKey: LiteralLabel + "Kỹ năng: " + nameOr(c.Name, c.Code), Value: float64(c.N), Unit: "reports.measure.times"})
	}
	for _, c := range byPlatform {
		out = append(out, Field{Key: "platform_" + c.Code, LabelKey: LiteralLabel + "Nền tảng: " + nameOr(c.Name, c.Code), Value: float64(c.N), Unit: "reports.measure.times"})
	}
	return out
}

// ChildFields is Fields for every child in force of the unit at parentPath, from one progress of
// the parent and one read of each counter table (outreach.ChildFigures).
func (p OutreachProvider) ChildFields(ctx context.Context, parentPath string, asOf time.Time) (map[string][]Field, error) {
	ctx = system(ctx)
	campaign, found, err := p.Svc.Current(ctx, authz.ProvinceOfPath(parentPath))
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, nil // each child is asked for its teams alone
	}
	figures, err := p.Svc.ChildFigures(ctx, codeOf(parentPath), campaign.ID)
	if apperr.Is(err, apperr.NotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := make(map[string][]Field, len(figures))
	for path, f := range figures {
		out[path] = outreachFields(f.Teams, f.Tally, campaign.Target, f.BySkill, f.ByPlatform)
	}
	return out, nil
}

// Series: guidance records, running total over the campaign's days, from outreach's per-day
// counters — the campaign's progress as the dashboards draw it.
func (p OutreachProvider) Series(ctx context.Context, unitPath string, from, to time.Time) ([]Series, error) {
	byDay, err := p.Svc.RecordsByDay(system(ctx), codeOf(unitPath))
	if err != nil {
		return nil, err
	}
	if len(byDay) == 0 {
		return nil, nil // no campaign, or nothing recorded yet: no line to draw
	}
	// The line spans the campaign's own days (the plan's seven after the launch), whatever
	// window the dashboard asked for the other series, and stops today while it runs.
	if c, found, err := p.Svc.Current(system(ctx), authz.ProvinceOfPath(unitPath)); err == nil && found && !c.LaunchAt.IsZero() {
		from = c.LaunchAt
		if end := c.End(); end.Before(to) {
			to = end.Add(-time.Millisecond)
		}
	}
	var base float64
	perDay := map[int64]float64{}
	first := (db.Millis(from) + dayOffset) / dayMillis
	for day, n := range byDay {
		t, err := time.ParseInLocation("2006-01-02", day, VietnamTime)
		if err != nil {
			continue
		}
		d := (db.Millis(t) + dayOffset) / dayMillis
		if d < first {
			base += float64(n)
		} else {
			perDay[d] += float64(n)
		}
	}
	return []Series{{Key: "records", LabelKey: "reports.field.records", Points: Cumulate(base, perDay, from, to)}}, nil
}

func nameOr(name, code string) string {
	if name != "" {
		return name
	}
	return code
}

// Teams lists a commune's teams with their progress in the current campaign (members, members
// meeting 7-in-7, citizens guided against 7 per member, records), for the drill-down below a
// commune, under the same keys as the units' figures so the same columns and chart apply.
func (p OutreachProvider) Teams(ctx context.Context, unitPath string, asOf time.Time) ([]Team, error) {
	ctx = system(ctx)
	code := codeOf(unitPath)
	teams, err := p.Svc.ListTeams(ctx, code)
	if err != nil {
		return nil, err
	}
	tallies, err := p.Svc.TeamTallies(ctx, code)
	if err != nil {
		return nil, err
	}
	target := 7.0
	if c, found, err := p.Svc.Current(ctx, authz.ProvinceOfPath(unitPath)); err == nil && found {
		target = float64(c.Target)
	}
	out := make([]Team, 0, len(teams))
	for _, t := range teams {
		tl := tallies[t.ID]
		members := float64(t.Count)
		out = append(out, Team{ID: t.ID, Name: t.Name, Fields: []Field{
			{Key: "members_7in7", LabelKey: "reports.field.members_7in7", Value: float64(tl.MembersMet), Target: members, Unit: "reports.measure.people"},
			{Key: "members", LabelKey: "reports.field.members", Value: members, Unit: "reports.measure.people"},
			{Key: "citizens", LabelKey: "reports.field.citizens", Value: float64(tl.Citizens), Target: members * target, Unit: "reports.measure.people"},
			{Key: "records", LabelKey: "reports.field.records", Value: float64(tl.Records), Unit: "reports.measure.times"},
		}})
	}
	return out, nil
}
