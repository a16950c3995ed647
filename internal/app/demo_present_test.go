package app

import (
	"context"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/ceremony"
	"github.com/lantoa/lantoa/internal/demo"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/reports"
)

// TestDemoLivesInThePresent: `serve --demo` on whatever day it runs lays its scenario out around
// that day — the coming ceremony a few days ahead with its programme open and its rehearsal held,
// the campaign on a later day of its seven with members on and off track and records of the days
// before, a report period due in the future with reports in and one returned — while the plan's
// ceremony and period of 2023 stay history judged against their own dates. The public ceremony
// page's countdown and the campaign share one window, and the coming ceremony can be launched at
// once by moving its start, as the README's tour says.
func TestDemoLivesInThePresent(t *testing.T) {
	ctx := context.Background()
	svc := openTest(t)
	before := time.Now()
	if _, err := demo.Load(ctx, svc.demo()); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	sys := audit.WithWho(authz.WithActor(ctx, authz.System), audit.Who{Username: "test"})

	cs, err := svc.Ceremony.List(sys)
	if err != nil {
		t.Fatal(err)
	}
	byTitle := map[string]ceremony.Ceremony{}
	for _, c := range cs {
		byTitle[c.Title] = c
	}
	plan, coming := byTitle[demo.PlanCeremonyTitle], byTitle[demo.ComingCeremonyTitle]
	if len(cs) != 2 || plan.ID == 0 || coming.ID == 0 {
		t.Fatalf("demo ceremonies: %+v", cs)
	}
	if !plan.LaunchAt.Equal(demo.PlanLaunch) {
		t.Errorf("the plan's ceremony launched at %v, want %v", plan.LaunchAt, demo.PlanLaunch)
	}
	if ahead := coming.StartsAt.Sub(now); coming.Launched() || ahead < 2*24*time.Hour || ahead > 6*24*time.Hour {
		t.Errorf("coming ceremony starts in %v (launched %v), want 2–6 days ahead", ahead, coming.Launched())
	}
	rs, err := svc.Ceremony.Rehearsals(sys, coming.ID)
	if err != nil || len(rs) == 0 || !rs[0].StartsAt.Before(now) {
		t.Errorf("coming ceremony's rehearsal: %+v %v, want one held already", rs, err)
	}
	points, err := svc.Ceremony.ListPoints(sys, coming.ID, ceremony.PointFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if n := ceremony.CountPoints(points, now); n.Ready == 0 || n.NotReady == 0 {
		t.Errorf("coming ceremony's points: %d ready, %d not, want some of each", n.Ready, n.NotReady)
	}
	if _, err := svc.Ceremony.EditStep(sys, coming.ID, ceremony.StepOp{Kind: ceremony.StepUpdate, Position: 1, Title: "Đón tiếp đại biểu"}); err != nil {
		t.Errorf("the coming ceremony's programme is locked: %v", err)
	}

	camp, found, err := svc.Outreach.Current(sys, "51")
	if err != nil || !found || !camp.Contains(now) {
		t.Fatalf("no campaign under way: %+v %v %v", camp, found, err)
	}
	if day := int(now.Sub(camp.LaunchAt)/(24*time.Hour)) + 1; camp.Days != 7 || day < 2 || day > 6 {
		t.Errorf("campaign on day %d of %d, want a later day of 7", day, camp.Days)
	}
	prog, err := svc.Outreach.Progress(sys, "51", camp.ID)
	if err != nil {
		t.Fatal(err)
	}
	if prog.MembersMet == 0 || prog.MembersMet == prog.Members {
		t.Errorf("%d of %d members met the target, want some on track and some not", prog.MembersMet, prog.Members)
	}
	byDay, err := svc.Outreach.RecordsByDay(sys, "51")
	if err != nil {
		t.Fatal(err)
	}
	today := now.In(ceremony.VietnamTime).Format("2006-01-02")
	earlier := 0
	for day, n := range byDay {
		if day < today && n > 0 {
			earlier++
		}
	}
	if earlier < 2 {
		t.Errorf("records on %d earlier days, want records from the days before: %v", earlier, byDay)
	}

	ps, err := svc.Reports.ListPeriods(sys)
	if err != nil {
		t.Fatal(err)
	}
	states := func(p reports.Period) map[string]reports.UnitStatus {
		st, err := svc.Reports.PeriodStatus(sys, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]reports.UnitStatus{}
		for _, u := range st.Units {
			m[u.UnitCode] = u
		}
		return m
	}
	seen := 0
	for _, p := range ps {
		switch p.Title {
		case demo.CampaignPeriodTitle:
			seen++
			if !p.DueAt.After(now) {
				t.Errorf("campaign period due %v, want in the future", p.DueAt)
			}
			u := states(p)
			if u["535"].State != reports.Submitted || u["535"].OnTime == nil || !*u["535"].OnTime {
				t.Errorf("Ba Tơ's campaign report: %+v, want submitted on time", u["535"])
			}
			if u["534"].State != reports.Returned {
				t.Errorf("Đức Phổ's campaign report: %+v, want returned for correction", u["534"])
			}
		case reports.PlanTitle:
			seen++
			u := states(p)
			if u["535"].State != reports.Accepted || u["535"].OnTime == nil || !*u["535"].OnTime || u["535"].SubmittedAt.Year() != 2023 {
				t.Errorf("Ba Tơ's 2023 report: %+v, want accepted, submitted on time in 2023", u["535"])
			}
			// Sơn Tây really was late in 2023; that is history, not a verdict of today.
			if u["530"].State != reports.Accepted || u["530"].OnTime == nil || *u["530"].OnTime || !u["530"].SubmittedAt.Before(before) {
				t.Errorf("Sơn Tây's 2023 report: %+v, want accepted, submitted late in 2023", u["530"])
			}
		}
	}
	if seen != 2 {
		t.Fatalf("periods: %+v", ps)
	}

	// The launch button at once: the province moves the start within the launch window.
	soon := now.Add(20 * time.Minute)
	if _, err := svc.Ceremony.Update(sys, coming.ID, ceremony.Changes{StartsAt: &soon}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Ceremony.Launch(sys, coming.ID); err != nil {
		t.Fatalf("launch the coming ceremony: %v", err)
	}
	pc, ok, err := PortalCeremony(svc.Ceremony, svc.Outreach).PublicCeremony(ctx, "51")
	if err != nil || !ok || pc.ID != coming.ID {
		t.Fatalf("portal ceremony: %+v %v %v", pc, ok, err)
	}
	if !pc.CampaignEnd().Equal(camp.End()) {
		t.Errorf("the public countdown ends %v, the campaign %v: two windows", pc.CampaignEnd(), camp.End())
	}
}
