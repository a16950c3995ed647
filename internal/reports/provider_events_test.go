package reports_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	launchevents "github.com/lantoa/lantoa/internal/events"
	"github.com/lantoa/lantoa/internal/orgs"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/reports"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/units"
)

// TestEventsProvider: a district's report counts the events held in it by level and by
// organisation, with their participants; another district's and events still to come are not
// counted.
func TestEventsProvider(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		ctx := audit.WithWho(authz.WithActor(context.Background(), authz.System), audit.Who{Username: "test"})
		us := units.NewService(d)
		if _, err := us.SeedQuangNgai(ctx); err != nil {
			t.Fatal(err)
		}
		communes, err := us.List(ctx, units.Filter{ParentCode: "535", Limit: 1})
		if err != nil || len(communes) == 0 {
			t.Fatal(err)
		}
		union, err := orgs.NewService(d).Create(ctx, orgs.Org{Name: "Huyện đoàn Ba Tơ", Kind: orgs.Union, UnitCode: "535"})
		if err != nil {
			t.Fatal(err)
		}
		es := launchevents.NewService(d, nil)
		asOf := time.Date(2026, 12, 20, 0, 0, 0, 0, time.UTC)
		es.Now = func() time.Time { return asOf }
		for _, in := range []launchevents.Input{
			{Title: "Phát động hưởng ứng của huyện", Kind: launchevents.FollowOn, UnitCode: "535", StartsAt: "2026-12-01T08:00", Place: "Hội trường huyện",
				Participants: launchevents.Participants{Officials: 100}},
			{Title: "Ngày hội của xã", Kind: launchevents.CommunityDay, UnitCode: communes[0].Code, StartsAt: "2026-12-05T07:00", Place: "Chợ xã",
				Participants: launchevents.Participants{Citizens: 250, Pupils: 30}},
			{Title: "Ra quân tình nguyện", Kind: launchevents.YouthLaunch, OrgID: union.ID, StartsAt: "2026-12-06T06:30", Place: "Sân vận động",
				Participants: launchevents.Participants{YouthMembers: 80}},
			{Title: "Ngày hội sắp tới", Kind: launchevents.CommunityDay, UnitCode: communes[0].Code, StartsAt: "2026-12-28T07:00", Place: "Chợ xã",
				Participants: launchevents.Participants{Citizens: 999}},
			{Title: "Phát động của Sơn Tây", Kind: launchevents.FollowOn, UnitCode: "530", StartsAt: "2026-12-02T08:00", Place: "Hội trường",
				Participants: launchevents.Participants{Officials: 7}},
		} {
			if _, err := es.Create(ctx, in); err != nil {
				t.Fatal(err)
			}
		}
		baTo, err := us.Find(ctx, "535")
		if err != nil {
			t.Fatal(err)
		}
		p := reports.EventsProvider{Svc: es}
		if p.Section() != "events" {
			t.Fatalf("section %q", p.Section())
		}
		fields, err := p.Fields(ctx, baTo.Path, asOf)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]float64{}
		for _, f := range fields {
			got[f.Key] = f.Value
		}
		for k, v := range map[string]float64{"events_held": 3, "events_kind_huong_ung": 1, "events_kind_ra_quan": 1, "events_kind_community_day": 1,
			"events_level_district": 1, "events_level_commune": 1, "events_level_org": 1, "events_level_province": 0,
			"events_participants": 460, "events_participants_officials": 100, "events_participants_youth_members": 80, "events_participants_pupils": 30,
			"events_participants_citizens": 250} {
			if got[k] != v {
				t.Errorf("%s = %v, want %v", k, got[k], v)
			}
		}
		org := "events_org_" + strconv.FormatInt(union.ID, 10)
		if got[org] != 1 || got[org+"_participants"] != 80 {
			t.Errorf("the union's line: %v %v (%v)", got[org], got[org+"_participants"], got)
		}
		if fields[0].Key != "events_held" {
			t.Errorf("first field %+v", fields[0])
		}
	})
}

// TestEventsBoundToThePeriod: a period's report counts the events whose start lies within its
// dates, not one held before it began nor one after it ended (nor one still to come when the
// report is submitted during the period); the dashboard, live, counts every event held so far.
func TestEventsBoundToThePeriod(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		sys := audit.WithWho(authz.WithActor(context.Background(), authz.System), audit.Who{Username: "test"})
		communes, err := units.NewService(d).List(sys, units.Filter{ParentCode: "535", Limit: 1})
		if err != nil || len(communes) == 0 {
			t.Fatal(err)
		}
		es := launchevents.NewService(d, nil)
		at := func(s string) time.Time {
			v, err := time.ParseInLocation("2006-01-02T15:04", s, reports.VietnamTime)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		now := at("2026-12-20T09:00")
		es.Now = func() time.Time { return now }
		*f.clock = now
		f.svc.Register(reports.EventsProvider{Svc: es})
		for _, in := range []launchevents.Input{
			// Before the period (it begins on 01/12): the previous period's.
			{Title: "Phát động tháng trước", Kind: launchevents.FollowOn, UnitCode: "535", StartsAt: "2026-11-30T16:00", Place: "Hội trường huyện",
				Participants: launchevents.Participants{Officials: 1000}},
			// Within it, on its first morning and on its last evening.
			{Title: "Phát động hưởng ứng của huyện", Kind: launchevents.FollowOn, UnitCode: "535", StartsAt: "2026-12-01T07:30", Place: "Hội trường huyện",
				Participants: launchevents.Participants{Officials: 120}},
			{Title: "Ngày hội của xã", Kind: launchevents.CommunityDay, UnitCode: communes[0].Code, StartsAt: "2026-12-15T19:00", Place: "Chợ xã",
				Participants: launchevents.Participants{Citizens: 300}},
			// After it ended (15/12), though before the report was submitted.
			{Title: "Ngày hội sau kỳ báo cáo", Kind: launchevents.CommunityDay, UnitCode: communes[0].Code, StartsAt: "2026-12-16T07:00", Place: "Chợ xã",
				Participants: launchevents.Participants{Citizens: 5000}},
		} {
			if _, err := es.Create(sys, in); err != nil {
				t.Fatal(err)
			}
		}
		rep := submitReport(t, f, "Báo cáo nửa đầu tháng 12", at("2026-12-01T00:00"), at("2026-12-15T00:00"), "events")
		for k, v := range map[string]float64{"events_held": 2, "events_kind_huong_ung": 1, "events_kind_community_day": 1,
			"events_level_district": 1, "events_level_commune": 1, "events_participants": 420, "events_participants_officials": 120,
			"events_participants_citizens": 300} {
			if got := figure(rep.Figures, k); got != v {
				t.Errorf("the period's %s = %v, want %v (%+v)", k, got, v, rep.Figures)
			}
		}

		// A period still running when its report is submitted: the events held so far in it, not
		// the one planned for later in the period.
		*f.clock = at("2026-12-10T09:00")
		es.Now = func() time.Time { return *f.clock }
		if _, err := es.Create(sys, launchevents.Input{Title: "Ra quân cuối tháng", Kind: launchevents.YouthLaunch, UnitCode: "535", StartsAt: "2026-12-28T07:00",
			Place: "Sân vận động", Participants: launchevents.Participants{YouthMembers: 60}}); err != nil {
			t.Fatal(err)
		}
		running := submitReport(t, f, "Báo cáo tháng 12", at("2026-12-01T00:00"), at("2026-12-31T00:00"), "events")
		if figure(running.Figures, "events_held") != 1 || figure(running.Figures, "events_participants") != 120 || figure(running.Figures, "events_kind_ra_quan") != 0 {
			t.Errorf("the running period counts: %+v", running.Figures)
		}

		// The dashboard is no period: every event held up to now, whenever it was.
		*f.clock = at("2026-12-29T09:00")
		dash, err := f.svc.UnitDashboard(f.baTo, "535", 0)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]float64{}
		for _, fl := range dash.Headline {
			if fl.Section == "events" {
				got[fl.Key] = fl.Value
			}
		}
		if got["events_held"] != 5 || got["events_participants"] != 6480 || got["events_kind_ra_quan"] != 1 {
			t.Errorf("the dashboard's events: %v", got)
		}
	})
}
