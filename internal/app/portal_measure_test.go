package app

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/outreach"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/reports"
)

// TestPortalMapAndDashboardOneMeasure: the public portal's map and the province's dashboard give
// the same figure for the same district — members who met the campaign's target against all
// members (outreach.Tally.Measure) — not citizens against members × 7 on one and the members'
// share on the other.
func TestPortalMapAndDashboardOneMeasure(t *testing.T) {
	ctx := context.Background()
	svc := openTest(t)
	sys := audit.WithWho(authz.WithActor(ctx, authz.System), audit.Who{Username: "test"})
	if _, err := svc.Outreach.CreateCampaign(sys, outreach.Campaign{Name: "7 ngày", LaunchAt: time.Now().Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	n := 0
	member := func(team int64, username, unit string) context.Context {
		t.Helper()
		u, err := svc.Accounts.CreateUser(sys, accounts.NewUser{Username: username, Password: "mat-khau-thu-2023", Role: authz.TeamMember, UnitCode: unit})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Outreach.AddMember(sys, team, username, false); err != nil {
			t.Fatal(err)
		}
		return authz.WithActor(sys, &authz.Actor{UserID: u.ID, Username: u.Username, Grants: u.Grants})
	}
	guide := func(m context.Context, citizens int) {
		t.Helper()
		for i := 0; i < citizens; i++ {
			n++
			if _, err := svc.Outreach.SaveRecord(m, outreach.RecordInput{ClientID: fmt.Sprintf("6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f%04d", n),
				Citizen: outreach.Citizen{Name: fmt.Sprintf("Người dân %d", n), BirthYear: 1970}, Skills: []string{"dvc_tinh"},
				GuidedAt: time.Now().Add(-time.Minute), Consent: &outreach.Consent{Given: true, Version: "v1"}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	baTo, err := svc.Outreach.CreateTeam(sys, outreach.Team{Name: "Tổ Ba Tơ", UnitCode: "535"})
	if err != nil {
		t.Fatal(err)
	}
	sonTay, err := svc.Outreach.CreateTeam(sys, outreach.Team{Name: "Tổ Sơn Tây", UnitCode: "530"})
	if err != nil {
		t.Fatal(err)
	}
	// Ba Tơ: one member of two met the target (7 citizens); Sơn Tây: its member guided 3.
	guide(member(baTo.ID, "tv.bato.1", "535"), 7)
	guide(member(baTo.ID, "tv.bato.2", "535"), 2)
	guide(member(sonTay.ID, "tv.sontay", "530"), 3)
	svc.Outreach.Close() // flush the counters

	figs, err := PortalDistricts(svc.Outreach, svc.Units).DistrictFigures(ctx, "51")
	if err != nil {
		t.Fatal(err)
	}
	dash, err := svc.Reports.PublicDashboard(ctx, "51", 7)
	if err != nil {
		t.Fatal(err)
	}
	if dash.Measure.Section != "outreach" || dash.Measure.Key != reports.MeasureKey {
		t.Fatalf("dashboard measure: %+v", dash.Measure)
	}
	share := map[string]float64{}
	value := map[string][2]float64{}
	for _, c := range dash.Children {
		share[c.Code] = c.Share
		for _, f := range c.Fields {
			if f.Section == dash.Measure.Section && f.Key == dash.Measure.Key {
				value[c.Code] = [2]float64{f.Value, f.Target}
			}
		}
	}
	checked := 0
	for _, it := range figs.Items {
		if it.Share() != share[it.Code] || [2]float64{float64(it.Value), float64(it.Target)} != value[it.Code] {
			t.Errorf("%s %s: map %d of %d (%.2f), dashboard %v (%.2f)", it.Code, it.Name, it.Value, it.Target, it.Share(), value[it.Code], share[it.Code])
		}
		checked++
	}
	if checked != 13 {
		t.Errorf("%d districts compared", checked)
	}
	for _, it := range figs.Items {
		switch it.Code {
		case "535":
			if it.Value != 1 || it.Target != 2 || it.Share() != 0.5 {
				t.Errorf("Ba Tơ on the map: %+v", it)
			}
		case "530":
			if it.Value != 0 || it.Target != 1 || it.Share() != 0 {
				t.Errorf("Sơn Tây on the map: %+v", it)
			}
		}
	}
	if figs.LabelKey != "portal.map.members_met" || figs.TargetKey != "portal.map.members" {
		t.Errorf("map labels: %s / %s", figs.LabelKey, figs.TargetKey)
	}
}
