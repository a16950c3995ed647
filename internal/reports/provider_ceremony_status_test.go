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

// TestPeriodCeremonyFollowsStatus: a cancelled ceremony is no period's ceremony; an archived one
// still is its period's (archiving takes it out of the current lists, not out of history).
func TestPeriodCeremonyFollowsStatus(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		setup(t, d)
		sys := authz.WithActor(context.Background(), authz.System)
		cer := ceremony.NewService(d, units.NewService(d), events.New(d, nil))
		now := time.Now()
		cer.Now = func() time.Time { return now }
		p := reports.CeremonyProvider{Svc: cer}
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
		if _, err := cer.SetStatus(sys, c.ID, ceremony.Archived); err != nil {
			t.Fatal(err)
		}
		if figs, err := p.PeriodFields(sys, "/51/535/", span, now); err != nil || figure(figs, "points") < 2 {
			t.Fatalf("an archived ceremony no longer counts for its period: %v %+v", err, figs)
		}
	})
}
