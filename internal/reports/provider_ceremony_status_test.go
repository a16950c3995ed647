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

// ceremonyReports is Quảng Ngãi's reports database with a ceremony service on a clock the test
// moves, and the reports' ceremony provider over it.
func ceremonyReports(t *testing.T, d *db.DB) (context.Context, *ceremony.Service, reports.CeremonyProvider, *time.Time) {
	t.Helper()
	setup(t, d)
	cer := ceremony.NewService(d, units.NewService(d), events.New(d, nil))
	now := time.Now()
	cer.Now = func() time.Time { return now }
	return authz.WithActor(context.Background(), authz.System), cer, reports.CeremonyProvider{Svc: cer}, &now
}

// TestPeriodCeremonyFollowsStatus: a cancelled ceremony is no period's ceremony; an archived one
// still is its period's (archiving takes it out of the current lists, not out of history).
func TestPeriodCeremonyFollowsStatus(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		sys, cer, p, clock := ceremonyReports(t, d)
		now := *clock
		c, err := cer.Create(sys, ceremony.Ceremony{Province: "51", Title: "Lễ phát động", StartsAt: now.Add(48 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cer.GeneratePoints(sys, c.ID); err != nil {
			t.Fatal(err)
		}
		span := reports.Span{From: now.AddDate(0, 0, -1), To: now.AddDate(0, 0, 10)}
		if figs, err := p.PeriodFields(sys, "/51/535/", span, now); err != nil || figure(figs, "points") < 2 {
			t.Fatalf("the period's ceremony: %v %+v", err, figs)
		}
		if _, err := cer.SetStatus(sys, c.ID, ceremony.Cancelled); err != nil {
			t.Fatal(err)
		}
		if figs, err := p.PeriodFields(sys, "/51/535/", span, now); err != nil || len(figs) != 0 {
			t.Fatalf("a cancelled ceremony counts for the period: %v %+v", err, figs)
		}
		if _, err := cer.SetStatus(sys, c.ID, ceremony.Scheduled); err != nil {
			t.Fatal(err)
		}
		now = now.Add(72 * time.Hour) // its day is over
		*clock = now
		if _, err := cer.SetStatus(sys, c.ID, ceremony.Archived); err != nil {
			t.Fatal(err)
		}
		if figs, err := p.PeriodFields(sys, "/51/535/", span, now); err != nil || figure(figs, "points") < 2 {
			t.Fatalf("an archived ceremony no longer counts for its period: %v %+v", err, figs)
		}
	})
}

// TestPeriodCeremonyIgnoresHosted: a district's launch event's live screen (a hosted ceremony),
// later than the province's ceremony, with points, and launched, is neither the period's nor the
// latest ceremony of the province's reports: the province's own ceremony stays theirs.
func TestPeriodCeremonyIgnoresHosted(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		sys, cer, p, clock := ceremonyReports(t, d)
		now := *clock
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
