package reports_test

import (
	"context"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/ceremony"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/platform/events"
	"github.com/lantoa/lantoa/internal/reports"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/units"
)

// TestPeriodCeremonyIgnoresHosted: a district's launch event's live screen (a hosted ceremony),
// later than the province's ceremony, with points, and launched, is neither the period's nor the
// latest ceremony of the province's reports: the province's own ceremony stays theirs.
func TestPeriodCeremonyIgnoresHosted(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		setup(t, d)
		sys := authz.WithActor(context.Background(), authz.System)
		cer := ceremony.NewService(d, units.NewService(d), events.New(d, nil))
		now := time.Now()
		cer.Now = func() time.Time { return now }
		p := reports.CeremonyProvider{Svc: cer}
		// The province's ceremony, without points yet.
		if _, err := cer.Create(sys, ceremony.Ceremony{Province: "51", Title: "Lễ phát động", StartsAt: now.Add(-time.Hour)}); err != nil {
			t.Fatal(err)
		}
		span := reports.Span{From: now.AddDate(0, 0, -1), To: now.AddDate(0, 0, 10)}
		if figs, err := p.PeriodFields(sys, "/51/535/", span, now); err != nil || figure(figs, "points") != 0 {
			t.Fatalf("the period's ceremony before: %v %+v", err, figs)
		}
		// Ba Tơ's own live screen: its points are Ba Tơ's, and it is launched within the period.
		baTo, err := units.NewService(d).Find(sys, "535")
		if err != nil {
			t.Fatal(err)
		}
		h, err := cer.CreateHosted(sys, ceremony.Host{UnitPath: baTo.Path, Name: baTo.Name, EventID: 1}, ceremony.Ceremony{Title: "Hưởng ứng Ba Tơ", StartsAt: now.Add(10 * time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cer.Launch(sys, h.ID); err != nil {
			t.Fatal(err)
		}
		if pts, err := cer.ListPoints(sys, h.ID, ceremony.PointFilter{}); err != nil || len(pts) < 2 {
			t.Fatalf("Ba Tơ's screen's points: %v %d", err, len(pts))
		}
		if figs, err := p.PeriodFields(sys, "/51/535/", span, now); err != nil || figure(figs, "points") != 0 {
			t.Errorf("the period's ceremony is the district's live screen: %v %+v", err, figs)
		}
		if figs, err := p.Fields(sys, "/51/535/", now); err != nil || figure(figs, "points") != 0 {
			t.Errorf("the latest ceremony is the district's live screen: %v %+v", err, figs)
		}
	})
}
