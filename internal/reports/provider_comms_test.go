package reports_test

import (
	"context"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/portal"
	"github.com/lantoa/lantoa/internal/reports"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/units"
)

// TestCommsProvider: the communication recorded by a district's units appears in its reports
// section by channel; another district's does not; a date after asOf does not count.
func TestCommsProvider(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		ctx := audit.WithWho(authz.WithActor(context.Background(), authz.System), audit.Who{Username: "test"})
		us := units.NewService(d)
		if _, err := us.SeedQuangNgai(ctx); err != nil {
			t.Fatal(err)
		}
		ps := portal.NewService(d)
		today := time.Now().In(time.FixedZone("ICT", 7*3600))
		for _, m := range []portal.MediaItem{
			{UnitCode: "535", Channel: portal.Banner, Title: "Băng rôn Ba Tơ", PublishedOn: today.Format("2006-01-02")},
			{UnitCode: "535", Channel: portal.Banner, Title: "Pa-nô Ba Tơ", PublishedOn: today.AddDate(0, 0, -3).Format("2006-01-02")},
			{UnitCode: "535", Channel: portal.Article, Title: "Tin Ba Tơ", PublishedOn: today.AddDate(0, 0, -1).Format("2006-01-02")},
			{UnitCode: "530", Channel: portal.Social, Title: "Bài Sơn Tây", PublishedOn: today.Format("2006-01-02")},
		} {
			if _, err := ps.RecordMedia(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
		baTo, err := us.Find(ctx, "535")
		if err != nil {
			t.Fatal(err)
		}
		p := reports.CommsProvider{Portal: ps}
		fields, err := p.Fields(ctx, baTo.Path, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]float64{}
		for _, f := range fields {
			got[f.Key] = f.Value
		}
		want := map[string]float64{"media_items": 3, "media_article": 1, "media_broadcast": 0, "media_banner": 2, "media_social": 0, "media_other": 0}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s = %v, want %v (%v)", k, got[k], v, got)
			}
		}
		if len(fields) != len(want) || fields[0].Key != "media_items" {
			t.Errorf("fields %+v", fields)
		}
		// As of two days ago only the pa-nô counts; the province counts Sơn Tây's too.
		fields, _ = p.Fields(ctx, baTo.Path, time.Now().Add(-48*time.Hour))
		if fields[0].Value != 1 {
			t.Errorf("as of two days ago: %v", fields[0].Value)
		}
		prov, _ := us.Find(ctx, "51")
		if fields, _ = p.Fields(ctx, prov.Path, time.Now()); fields[0].Value != 4 {
			t.Errorf("province: %v", fields[0].Value)
		}
	})
}
