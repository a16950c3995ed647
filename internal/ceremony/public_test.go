package ceremony_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/ceremony"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
)

func strp(s string) *string { return &s }

func TestPublicSummaryAndLivestream(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		// The livestream link is a ceremony field the province edits; other roles cannot.
		if _, err := f.svc.Update(as(unitActor(authz.UnitAdmin, f.unit("535"))), f.ceremID, ceremony.Changes{LivestreamURL: strp("https://x.example/live")}); kindOf(err) != apperr.Forbidden {
			t.Fatalf("unit admin updated the ceremony: %v", err)
		}
		if _, err := f.svc.Update(f.sys, f.ceremID, ceremony.Changes{LivestreamURL: strp("javascript:alert(1)")}); kindOf(err) != apperr.Invalid {
			t.Fatalf("bad livestream link: %v", err)
		}
		c, err := f.svc.Update(f.sys, f.ceremID, ceremony.Changes{LivestreamURL: strp(" https://www.youtube.com/live/abc "), Venue: strp("Trung tâm IOC")})
		if err != nil || c.LivestreamURL != "https://www.youtube.com/live/abc" || c.Venue != "Trung tâm IOC" || c.Title != "Lễ phát động Phong trào chuyển đổi số" {
			t.Fatalf("update: %v %+v", err, c)
		}
		if n := auditCount(t, d, "ceremony.update"); n != 1 {
			t.Fatalf("ceremony.update audited %d times", n)
		}

		// The public summary needs no actor.
		anon := context.Background()
		pub, ok, err := f.svc.PublicSummary(anon, "51")
		if err != nil || !ok {
			t.Fatalf("summary: %v %v", ok, err)
		}
		if pub.ID != f.ceremID || pub.LivestreamURL != "https://www.youtube.com/live/abc" || !pub.StartsAt.Equal(f.starts) || !pub.LaunchAt.IsZero() || len(pub.Steps) != 5 || pub.Points != 0 {
			t.Fatalf("summary before points: %+v", pub)
		}
		for _, st := range pub.Steps {
			if st.Current {
				t.Fatalf("a step is current before the programme started: %+v", st)
			}
		}
		if _, err := f.svc.GeneratePoints(f.sys, f.ceremID); err != nil {
			t.Fatal(err)
		}
		all, _ := f.svc.ListPoints(f.sys, f.ceremID, ceremony.PointFilter{Level: ceremony.Commune})
		full := ceremony.Checklist{Line: true, Camera: true, Microphone: true, Screen: true, Sound: true, Rehearsal: true}
		for _, p := range all[:3] {
			if _, err := f.svc.SetChecklist(f.sys, f.ceremID, p.ID, full); err != nil {
				t.Fatal(err)
			}
			if _, err := f.svc.UpdatePoint(f.sys, f.ceremID, p.ID, ceremony.PointDetails{ContactName: "Nguyễn Văn Bí Mật", ContactPhone: "0987 654 321"}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := f.svc.SetOnAir(f.sys, f.ceremID, all[0].ID, true); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.SetOnAir(f.sys, f.ceremID, all[1].ID, true); err != nil {
			t.Fatal(err)
		}
		// A checklist half done does not count as ready.
		if _, err := f.svc.SetChecklist(f.sys, f.ceremID, all[3].ID, ceremony.Checklist{Line: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.SetStep(f.sys, f.ceremID, 2); err != nil {
			t.Fatal(err)
		}
		pub, _, err = f.svc.PublicSummary(anon, "51")
		if err != nil || pub.Points != 187 || pub.PointsReady != 3 || pub.PointsOnAir != 2 {
			t.Fatalf("counts: %v %d/%d/%d", err, pub.Points, pub.PointsReady, pub.PointsOnAir)
		}
		if !pub.Steps[1].Current || pub.Steps[0].Current || pub.Steps[1].Position != 2 || pub.Steps[1].Title != "Thông qua Chương trình Lễ phát động phong trào" {
			t.Fatalf("current step: %+v", pub.Steps)
		}
		// A silent on-air point is lost, and not counted on air; it is still ready.
		f.now = f.now.Add(ceremony.LostAfter + time.Second)
		if _, err := f.svc.Heartbeat(f.sys, f.ceremID, all[0].ID); err != nil {
			t.Fatal(err)
		}
		if pub, _, _ = f.svc.PublicSummary(anon, "51"); pub.PointsOnAir != 1 || pub.PointsReady != 3 {
			t.Fatalf("lost point counted: %d on air, %d ready", pub.PointsOnAir, pub.PointsReady)
		}
		// No personal data: nothing of the contacts in the summary.
		b, _ := json.Marshal(pub)
		if strings.Contains(string(b), "Bí Mật") || strings.Contains(string(b), "0987") {
			t.Fatalf("personal data in the public summary: %s", b)
		}
		// The launch shows; the latest ceremony by start is the current one.
		at, err := f.svc.Launch(f.sys, f.ceremID)
		if err != nil {
			t.Fatal(err)
		}
		if pub, _, _ = f.svc.PublicSummary(anon, "51"); !pub.LaunchAt.Equal(at) {
			t.Fatalf("launch at %v, summary says %v", at, pub.LaunchAt)
		}
		// The start cannot move after the launch.
		later := f.starts.Add(time.Hour)
		if _, err := f.svc.Update(f.sys, f.ceremID, ceremony.Changes{StartsAt: &later}); kindOf(err) != apperr.Conflict {
			t.Fatalf("start moved after the launch: %v", err)
		}
		next, err := f.svc.Create(f.sys, ceremony.Ceremony{Title: "Lễ sơ kết", StartsAt: f.starts.AddDate(1, 0, 0)})
		if err != nil {
			t.Fatal(err)
		}
		// The launched ceremony stays the public one; the next is there for when its campaign ends.
		if pub, _, _ = f.svc.PublicSummary(anon, "51"); pub.ID != f.ceremID || !pub.LaunchAt.Equal(at) {
			t.Fatalf("current ceremony: %+v", pub)
		}
		if pub, ok, err := f.svc.PublicNext(anon, "51", at); err != nil || !ok || pub.ID != next.ID || pub.Points != 0 || !pub.LaunchAt.IsZero() {
			t.Fatalf("next ceremony: %v %v %+v", ok, err, pub)
		}
		// A cancelled ceremony is never the public one.
		if _, err := f.svc.SetStatus(f.sys, next.ID, ceremony.Cancelled); err != nil {
			t.Fatal(err)
		}
		if _, ok, err := f.svc.PublicNext(anon, "51", at); ok || err != nil {
			t.Fatalf("cancelled ceremony is next: %v %v", ok, err)
		}
	})
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		svc := ceremony.NewService(d, nil, nil)
		if _, ok, err := svc.PublicSummary(context.Background(), "51"); ok || err != nil {
			t.Fatalf("no ceremony: %v %v", ok, err)
		}
	})
}
