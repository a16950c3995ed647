package ceremony_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/ceremony"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/units"
)

// A district's and a commune's follow-on launch events open their own live screens with the
// ceremony machinery: the bridge points come from the host's subtree only, the host's
// administrators (and those above) run them and no one else does, and their launch leaves the
// province's ceremony alone: its campaign does not start, its public page and lists do not change.
func TestHostedCeremony(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		x := newTenants(t, d)
		f := x.fixture
		baTo := f.unit("535")
		communes, err := f.units.List(f.sys, units.Filter{Level: units.Commune, Under: baTo.Path})
		if err != nil || len(communes) < 2 {
			t.Fatalf("Ba Tơ's communes: %v %d", err, len(communes))
		}
		c1, c2 := communes[0], communes[1]
		district, commune1, commune2 := unitActor(authz.UnitAdmin, baTo), unitActor(authz.UnitAdmin, c1), unitActor(authz.UnitAdmin, c2)
		hosted := func(a *authz.Actor, h ceremony.Host) (ceremony.Ceremony, error) {
			return x.svc.CreateHosted(as(a), h, ceremony.Ceremony{Title: "Lễ phát động hưởng ứng " + h.Name, StartsAt: f.starts, Venue: "Hội trường"})
		}

		// A commune's screen: its main site only.
		mine, err := hosted(commune1, ceremony.Host{UnitPath: c1.Path, Name: c1.Name, EventID: 77})
		if err != nil {
			t.Fatal(err)
		}
		if !mine.Hosted() || mine.HostPath != c1.Path || mine.EventID != 77 || mine.Province != "51" || len(mine.Steps) != 5 ||
			!strings.Contains(mine.Steps[2].Title, c1.Name) {
			t.Fatalf("commune's live screen: %+v", mine)
		}
		pts, err := x.svc.ListPoints(as(commune1), mine.ID, ceremony.PointFilter{})
		if err != nil || len(pts) != 1 || pts[0].UnitPath != c1.Path || pts[0].Level != ceremony.Main {
			t.Fatalf("commune's points: %v %+v", err, pts)
		}
		// The form sent twice opens the same screen.
		if again, err := hosted(commune1, ceremony.Host{UnitPath: c1.Path, Name: c1.Name, EventID: 77}); err != nil || again.ID != mine.ID {
			t.Errorf("replayed opening: %v %d, want %d", err, again.ID, mine.ID)
		}

		// A district's screen: the district is the main site, its communes the bridge points.
		ours, err := hosted(district, ceremony.Host{UnitPath: baTo.Path, Name: baTo.Name, EventID: 78})
		if err != nil {
			t.Fatal(err)
		}
		pts, err = x.svc.ListPoints(as(district), ours.ID, ceremony.PointFilter{})
		if err != nil || len(pts) != 1+len(communes) {
			t.Fatalf("district's points: %v %d, want %d", err, len(pts), 1+len(communes))
		}
		for _, p := range pts {
			if !strings.HasPrefix(p.UnitPath, baTo.Path) {
				t.Errorf("point outside Ba Tơ: %+v", p)
			}
			if (p.Level == ceremony.Main) != (p.UnitCode == "535") || (p.Level == ceremony.Commune && p.DistrictCode != "535") || p.Level == ceremony.District {
				t.Errorf("district's point: %+v", p)
			}
		}
		// Generated again, nothing changes.
		if res, err := x.svc.GeneratePoints(as(district), ours.ID); err != nil || res.Added != 0 || res.Retired != 0 || res.Total != len(pts) {
			t.Errorf("regeneration: %v %+v", err, res)
		}

		// No one opens a screen for a host outside their scope.
		for name, call := range map[string]func() error{
			"commune for its neighbour": func() error {
				_, err := hosted(commune1, ceremony.Host{UnitPath: c2.Path, EventID: 90})
				return err
			},
			"commune for its district": func() error {
				_, err := hosted(commune1, ceremony.Host{UnitPath: baTo.Path, EventID: 91})
				return err
			},
			"Hà Nội for a Quảng Ngãi commune": func() error {
				_, err := hosted(x.hn, ceremony.Host{UnitPath: c1.Path, EventID: 92})
				return err
			},
		} {
			hidden(t, name, call())
		}
		if _, err := hosted(commune1, ceremony.Host{UnitPath: "/51/nowhere/", EventID: 93}); kindOf(err) != apperr.Invalid {
			t.Errorf("unknown host: %v", err)
		}

		// The commune runs its own screen, not the province's nor its neighbour's.
		if _, err := x.svc.SetStep(as(commune1), mine.ID, 1); err != nil {
			t.Errorf("commune moves its own programme: %v", err)
		}
		forbiddenErr(t, "commune moves the province's programme", func() error { _, err := x.svc.SetStep(as(commune1), x.ceremID, 1); return err }())
		forbiddenErr(t, "neighbour moves the commune's programme", func() error { _, err := x.svc.SetStep(as(commune2), mine.ID, 1); return err }())
		forbiddenErr(t, "neighbour launches the commune's screen", func() error { _, err := x.svc.Launch(as(commune2), mine.ID); return err }())
		forbiddenErr(t, "commune launches the province's ceremony", func() error { _, err := x.svc.Launch(as(commune1), x.ceremID); return err }())
		forbiddenErr(t, "commune moves the district's programme", func() error { _, err := x.svc.SetStep(as(commune1), ours.ID, 1); return err }())
		hidden(t, "Hà Nội reads the commune's screen", func() error { _, err := x.svc.Find(as(x.hn), mine.ID); return err }())
		// Those above run it too.
		for _, a := range []*authz.Actor{district, x.qn} {
			if _, err := x.svc.SetStep(as(a), mine.ID, 2); err != nil {
				t.Errorf("%s moves the commune's programme: %v", a.Username, err)
			}
		}
		// Who follows the screens: the commune's neighbour follows the district's, not the commune's.
		if !ceremony.MayWatch(commune2, ours) || ceremony.MayWatch(commune2, mine) || !ceremony.MayWatch(district, mine) {
			t.Errorf("watchers of the hosted screens")
		}
		if list, err := x.svc.ListHosted(as(commune2)); err != nil || len(list) != 1 || list[0].ID != ours.ID {
			t.Errorf("neighbour's hosted list: %v %+v", err, list)
		}
		if list, err := x.svc.ListHosted(as(x.qn)); err != nil || len(list) != 2 {
			t.Errorf("province's hosted list: %v %d", err, len(list))
		}

		// The commune launches its screen.
		anon := context.Background()
		before, _, err := x.svc.PublicSummary(anon, "51")
		if err != nil {
			t.Fatal(err)
		}
		at, err := x.svc.Launch(as(commune1), mine.ID)
		if err != nil {
			t.Fatal(err)
		}
		// The province's campaign waits for the province's own launch.
		if camp, err := x.out.FindCampaign(as(x.qn), x.qnCamp.ID); err != nil || !camp.LaunchAt.IsZero() {
			t.Fatalf("the commune's launch started the province's campaign: %v %v", err, camp.LaunchAt)
		}
		// The province's public page still shows the province's ceremony, not launched.
		if pub, ok, err := x.svc.PublicSummary(anon, "51"); err != nil || !ok || pub.ID != x.ceremID || pub.ID != before.ID || !pub.LaunchAt.IsZero() {
			t.Errorf("province's public ceremony after the commune's launch: %v %v %+v", err, ok, pub)
		}
		if next, ok, err := x.svc.PublicNext(anon, "51", f.starts.Add(-time.Hour)); err != nil || !ok || next.ID != x.ceremID {
			t.Errorf("province's next ceremony: %v %v %+v", err, ok, next)
		}
		// The province's lists (which the reports and the public services' launch line read) hold
		// its own ceremony only.
		for _, ls := range []func(context.Context) ([]ceremony.Ceremony, error){x.svc.List, x.svc.ListArchived} {
			list, err := ls(as(x.qn))
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range list {
				if c.Hosted() {
					t.Errorf("hosted ceremony in the province's list: %+v", c)
				}
			}
		}
		// The event's public page shows its launch.
		if pub, ok, err := x.svc.PublicForEvent(anon, "51", 77); err != nil || !ok || pub.ID != mine.ID || !pub.LaunchAt.Equal(at) || pub.Points != 1 {
			t.Errorf("event's public screen: %v %v %+v", err, ok, pub)
		}
		if _, ok, err := x.svc.PublicForEvent(anon, "01", 77); ok || err != nil {
			t.Errorf("event's screen on another portal: %v %v", ok, err)
		}
		if c, err := x.svc.FindByEvent(as(district), 77); err != nil || c.ID != mine.ID {
			t.Errorf("find by event: %v %+v", err, c)
		}
		if _, err := x.svc.FindByEvent(as(district), 12345); kindOf(err) != apperr.NotFound {
			t.Errorf("event without a screen: %v", err)
		}
		// The commune's launch is audited on the commune.
		var n int
		if err := d.Reader().QueryRowContext(anon, "SELECT COUNT(*) FROM audit_log WHERE action = 'ceremony.launch' AND unit_path = ?", c1.Path).Scan(&n); err != nil || n != 1 {
			t.Errorf("commune's launch audited on the commune: %d %v", n, err)
		}

		// The province's own launch still starts its campaign.
		f.now = f.now.Add(time.Minute)
		qnAt, err := x.svc.Launch(as(x.qn), x.ceremID)
		if err != nil {
			t.Fatal(err)
		}
		if camp, _ := x.out.FindCampaign(as(x.qn), x.qnCamp.ID); !camp.LaunchAt.Equal(qnAt) {
			t.Errorf("province's campaign after its own launch: %v", camp.LaunchAt)
		}

		// An organisation's screen has its main site only.
		org, err := x.svc.CreateHosted(as(x.qn), ceremony.Host{UnitPath: baTo.Path, OrgPath: "/o/7/", Name: "Huyện đoàn Ba Tơ", EventID: 79},
			ceremony.Ceremony{Title: "Ra quân tình nguyện", StartsAt: f.starts.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if !org.OrgHosted() {
			t.Errorf("organisation's screen: %+v", org)
		}
		if pts, err := x.svc.ListPoints(as(x.qn), org.ID, ceremony.PointFilter{}); err != nil || len(pts) != 0 {
			t.Errorf("organisation's points: %v %d", err, len(pts))
		}
		if _, err := x.svc.GeneratePoints(as(x.qn), org.ID); kindOf(err) != apperr.Conflict {
			t.Errorf("organisation's points generated: %v", err)
		}
	})
}
