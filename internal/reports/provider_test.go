package reports_test

import (
	"context"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/ceremony"
	"github.com/lantoa/lantoa/internal/outreach"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/platform/events"
	"github.com/lantoa/lantoa/internal/reports"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/training"
	"github.com/lantoa/lantoa/internal/units"
)

// TestModuleProviders checks the adapters over the other modules' exported methods: outreach
// teams per unit and the teams below a commune, the 7-in-7 figure with its target, training and
// ceremony with no data yet, and that a submitted report carries every section.
func TestModuleProviders(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		sys := authz.WithActor(context.Background(), authz.System)
		out := outreach.NewService(d, accounts.NewService(d))
		defer out.Close()
		f.svc.Register(reports.OutreachProvider{Svc: out}, &reports.TrainingProvider{Svc: training.NewService(d)},
			reports.CeremonyProvider{Svc: ceremony.NewService(d, units.NewService(d), events.New(d, nil))})
		communes, _ := units.NewService(d).List(sys, units.Filter{ParentCode: "535", Limit: 1})
		if _, err := out.CreateTeam(sys, outreach.Team{Name: "Tổ CNS cộng đồng số 1", UnitCode: communes[0].Code}); err != nil {
			t.Fatal(err)
		}
		p := reports.OutreachProvider{Svc: out}
		fields, err := p.Fields(context.Background(), "/51/535/", time.Now())
		if err != nil || figure(fields, "teams") != 1 {
			t.Fatalf("Ba Tơ outreach: %v %+v", err, fields)
		}
		if fields, _ := p.Fields(context.Background(), "/51/530/", time.Now()); figure(fields, "teams") != 0 {
			t.Errorf("Sơn Tây teams: %+v", fields)
		}
		teams, err := p.Teams(context.Background(), communes[0].Path, time.Now())
		if err != nil || len(teams) != 1 || teams[0].Name != "Tổ CNS cộng đồng số 1" {
			t.Fatalf("teams of the commune: %v %+v", err, teams)
		}
		if err := out.SeedSkills(sys); err != nil {
			t.Fatal(err)
		}
		if _, err := out.CreateCampaign(sys, outreach.Campaign{Name: "7 ngày", LaunchAt: time.Now().Add(-time.Hour)}); err != nil {
			t.Fatal(err)
		}
		fields, err = p.Fields(context.Background(), "/51/", time.Now())
		if err != nil || figure(fields, "members_7in7") != 0 || figure(fields, "citizens") != 0 {
			t.Fatalf("province outreach with a campaign: %v %+v", err, fields)
		}
		// Without members there is no 7-in-7 target: the map falls back to the foundation's measure.
		dash, err := f.svc.PublicDashboard(context.Background(), "51", 7)
		if err != nil || dash.Measure.Section != "foundation" {
			t.Fatalf("measure without members: %v %+v", err, dash.Measure)
		}
		member, err := f.acc.CreateUser(sys, accounts.NewUser{Username: "tv.bato", Password: "mật khẩu thử nghiệm 2023", Role: authz.TeamMember, UnitCode: communes[0].Code})
		if err != nil {
			t.Fatal(err)
		}
		// Below a commune, each team shows its members' progress from their counters.
		if _, err := out.AddMember(sys, teams[0].ID, "tv.bato", true); err != nil {
			t.Fatal(err)
		}
		mctx := authz.WithActor(sys, &authz.Actor{UserID: member.ID, Username: member.Username, Grants: member.Grants})
		if _, err := out.SaveRecord(mctx, outreach.RecordInput{ClientID: "0b6c3f0e-8f0a-4c7e-9d1a-2f4b5c6d7e8f", Citizen: outreach.Citizen{Name: "Đinh Văn Nhiều", BirthYear: 1966},
			Skills: []string{"dvc_tinh"}, GuidedAt: time.Now().Add(-time.Minute), Consent: &outreach.Consent{Given: true, Version: "v1"}}); err != nil {
			t.Fatal(err)
		}
		out.Close() // flush the counters
		teams, err = p.Teams(context.Background(), communes[0].Path, time.Now())
		if err != nil || len(teams) != 1 || figure(teams[0].Fields, "members") != 1 || figure(teams[0].Fields, "citizens") != 1 || figure(teams[0].Fields, "records") != 1 {
			t.Fatalf("team progress: %v %+v", err, teams)
		}
		// The campaign's progress over its days (it began an hour ago, whatever window is asked):
		// from the launch day to today, the record in the running total.
		series, err := p.Series(context.Background(), "/51/535/", time.Now().AddDate(0, 0, -20), time.Now())
		launchDay := time.Now().Add(-time.Hour).In(reports.VietnamTime).Format("2006-01-02")
		if err != nil || len(series) != 1 || series[0].Key != "records" || len(series[0].Points) == 0 || len(series[0].Points) > 2 ||
			series[0].Points[0].Day != launchDay || series[0].Points[len(series[0].Points)-1].Value != 1 {
			t.Fatalf("records series: %v %+v", err, series)
		}
		if s, _ := p.Series(context.Background(), "/51/530/", time.Now().AddDate(0, 0, -2), time.Now()); len(s) != 0 {
			t.Errorf("Sơn Tây's series counts Ba Tơ's record: %+v", s)
		}
		*f.clock = f.clock.Add(2 * reports.CacheTTL)
		// With a member, the dashboard measures the share of members meeting 7-in-7.
		dash, err = f.svc.PublicDashboard(context.Background(), "51", 7)
		if err != nil || dash.Measure.Section != "outreach" || dash.Measure.Key != "members_7in7" || dash.Measure.Target != 1 {
			t.Fatalf("measure: %v %+v", err, dash.Measure)
		}
		if tf, err := (&reports.TrainingProvider{Svc: training.NewService(d)}).Fields(context.Background(), "/51/535/", time.Now()); err != nil || figure(tf, "enrolled") != 0 {
			t.Errorf("training: %v %+v", err, tf)
		}
		// A plan period now carries every section, and a submission snapshots them all.
		per, _, err := f.svc.CreatePlanPeriod(f.province, "")
		if err != nil || len(per.Sections) != 4 {
			t.Fatalf("plan sections: %v %v", err, per.Sections)
		}
		r, _ := f.svc.OpenReport(f.baTo, per.ID, "535")
		r, err = f.svc.Submit(f.baTo, r.ID, fullDraft())
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, x := range r.Figures {
			seen[x.Section] = true
		}
		if !seen["foundation"] || !seen["outreach"] || !seen["training"] {
			t.Errorf("snapshot sections: %v", seen)
		}
	})
}
