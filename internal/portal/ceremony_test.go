package portal_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/portal"
)

func TestSafeLink(t *testing.T) {
	for link, want := range map[string]bool{
		"https://www.youtube.com/live/abc":  true,
		"http://truyenhinh.quangngai.vn/tt": true,
		"javascript:alert(1)":               false,
		"JAVASCRIPT:alert(1)":               false,
		"data:text/html,<script>":           false,
		"//evil.example/x":                  false,
		"/le-phat-dong":                     false,
		"https://user:pw@example.vn/":       false,
		"ftp://example.vn/":                 false,
		"https://":                          false,
		"":                                  false,
	} {
		if got := portal.SafeLink(link) == link && link != ""; got != want {
			t.Errorf("SafeLink(%q) kept = %v, want %v", link, got, want)
		}
	}
}

func TestCeremonyCampaignWindow(t *testing.T) {
	launch := time.Date(2026, 11, 26, 8, 30, 0, 0, time.UTC)
	c := portal.Ceremony{StartsAt: launch.Add(-time.Hour)}
	if c.Launched() || !c.CampaignEnd().IsZero() || c.CampaignRunning(launch) {
		t.Fatalf("not launched: %+v", c)
	}
	c.LaunchAt = launch
	if got := c.CampaignEnd(); !got.Equal(launch.Add(7 * 24 * time.Hour)) {
		t.Errorf("default window ends %v", got)
	}
	c.CampaignDays = 10
	end := launch.Add(10 * 24 * time.Hour)
	if got := c.CampaignEnd(); !got.Equal(end) {
		t.Errorf("10-day window ends %v", got)
	}
	// The seconds between the press and the launch moment count as running.
	for at, want := range map[time.Time]bool{launch.Add(-5 * time.Second): true, launch: true, end.Add(-time.Second): true, end: false, end.Add(time.Hour): false} {
		if got := c.CampaignRunning(at); got != want {
			t.Errorf("running at %v = %v", at, got)
		}
	}
	d, h, m, s := portal.Remaining(launch, launch.Add(6*24*time.Hour+5*time.Hour+7*time.Minute+9*time.Second+400*time.Millisecond))
	if d != 6 || h != 5 || m != 7 || s != 9 {
		t.Errorf("remaining %d %d %d %d", d, h, m, s)
	}
	if d, h, m, s := portal.Remaining(end, launch); d+h+m+s != 0 {
		t.Errorf("remaining after the end %d %d %d %d", d, h, m, s)
	}
	c.Steps = []portal.CeremonyStep{{Position: 1, Title: "Khai mạc"}, {Position: 2, Title: "Phát biểu", Current: true}}
	if st, ok := c.CurrentStep(); !ok || st.Position != 2 {
		t.Errorf("current step %+v %v", st, ok)
	}
}

// TestCeremonyBoard: the board caches for TTL, cleans the livestream link and the window, drops
// its cache on Invalidate, does not cache a read that an Invalidate overtook, and lets one query
// answer a crowd.
func TestCeremonyBoard(t *testing.T) {
	var calls atomic.Int32
	var fail atomic.Bool
	src := portal.Ceremony{ID: 7, Title: "Lễ phát động", LivestreamURL: "javascript:alert(1)", Steps: []portal.CeremonyStep{{Position: 1, Title: "Khai mạc"}}}
	release := make(chan struct{})
	var block atomic.Bool
	b := portal.NewCeremonyBoard(portal.CeremonyFunc(func(_ context.Context, province string) (portal.Ceremony, bool, error) {
		calls.Add(1)
		if province != "51" {
			return portal.Ceremony{}, false, nil
		}
		if block.Load() {
			<-release
		}
		if fail.Load() {
			return portal.Ceremony{}, false, errors.New("db down")
		}
		return src, true, nil
	}))
	now := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	b.Now = func() time.Time { return now }
	ctx := context.Background()

	c, ok, err := b.Current(ctx, "51")
	if err != nil || !ok || c.ID != 7 || c.LivestreamURL != "" || c.CampaignDays != portal.DefaultCampaignDays {
		t.Fatalf("first read %+v %v %v", c, ok, err)
	}
	c.Steps[0].Title = "changed by a caller"
	c2, _, _ := b.Current(ctx, "51")
	if calls.Load() != 1 || c2.Steps[0].Title != "Khai mạc" {
		t.Fatalf("cache: %d calls, steps %+v", calls.Load(), c2.Steps)
	}
	now = now.Add(11 * time.Second)
	b.Current(ctx, "51")
	if calls.Load() != 2 {
		t.Fatalf("stale cache used: %d calls", calls.Load())
	}
	b.Invalidate("51")
	b.Current(ctx, "51")
	if calls.Load() != 3 {
		t.Fatalf("Invalidate ignored: %d calls", calls.Load())
	}
	// An error is returned, not cached.
	b.Invalidate("51")
	fail.Store(true)
	if _, _, err := b.Current(ctx, "51"); err == nil {
		t.Fatal("error swallowed")
	}
	fail.Store(false)
	if _, ok, err := b.Current(ctx, "51"); err != nil || !ok {
		t.Fatalf("after the error: %v %v", ok, err)
	}

	// A read under way when Invalidate comes is answered but not cached.
	b.Invalidate("51")
	before := calls.Load()
	block.Store(true)
	done := make(chan struct{})
	go func() { b.Current(ctx, "51"); close(done) }()
	for calls.Load() == before {
		time.Sleep(time.Millisecond)
	}
	b.Invalidate("51")
	block.Store(false)
	close(release)
	<-done
	b.Current(ctx, "51")
	if got := calls.Load() - before; got != 2 {
		t.Errorf("a read overtaken by Invalidate was cached (%d calls)", got)
	}

	// A crowd after expiry: one query.
	now = now.Add(time.Minute)
	before = calls.Load()
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() { defer wg.Done(); b.Current(ctx, "51") }()
	}
	wg.Wait()
	if got := calls.Load() - before; got != 1 {
		t.Errorf("a crowd of 50 cost %d queries", got)
	}

	// Each province has its own ceremony and its own cache entry: Hà Nội has none, and the launch
	// of Quảng Ngãi's ceremony (its Invalidate) leaves Hà Nội's entry alone.
	before = calls.Load()
	if _, ok, err := b.Current(ctx, "01"); ok || err != nil {
		t.Errorf("Hà Nội shows a ceremony: %v %v", ok, err)
	}
	b.Current(ctx, "01")
	b.Invalidate("51")
	b.Current(ctx, "01")
	if got := calls.Load() - before; got != 1 {
		t.Errorf("Hà Nội's entry: %d queries, want 1", got)
	}
	b.Invalidate("")
	b.Current(ctx, "01")
	if got := calls.Load() - before; got != 2 {
		t.Errorf("Invalidate of every province left Hà Nội's: %d queries", got)
	}
	if _, ok, _ := b.Current(ctx, ""); ok {
		t.Errorf("a ceremony without a province")
	}

	var none *portal.CeremonyBoard
	if _, ok, err := none.Current(ctx, "51"); ok || err != nil {
		t.Errorf("nil board: %v %v", ok, err)
	}
}

func TestDistrictBoard(t *testing.T) {
	var calls atomic.Int32
	b := portal.NewDistrictBoard(portal.DistrictFunc(func(_ context.Context, province string) (portal.DistrictFigures, error) {
		calls.Add(1)
		if province == "01" {
			return portal.DistrictFigures{LabelKey: "k", Items: []portal.DistrictFigure{{Code: "001", Name: "Quận Ba Đình"}}}, nil
		}
		return portal.DistrictFigures{LabelKey: "k", Items: []portal.DistrictFigure{{Code: "535", Value: 3, Target: 14, Measured: true}, {Code: "530", Value: 2, Measured: true}}}, nil
	}))
	now := time.Now()
	b.Now = func() time.Time { return now }
	f, ok, err := b.Figures(context.Background(), "51")
	if err != nil || !ok || len(f.Items) != 2 {
		t.Fatalf("%+v %v %v", f, ok, err)
	}
	if s := f.Items[0].Share(); s < 0.214 || s > 0.215 {
		t.Errorf("share %v", s)
	}
	if s := f.Items[1].Share(); s != -1 {
		t.Errorf("share without a target %v", s)
	}
	// A district without a figure has no share, even with a target.
	if s := (portal.DistrictFigure{Value: 0, Target: 7}).Share(); s != -1 {
		t.Errorf("share of an unmeasured district %v", s)
	}
	b.Figures(context.Background(), "51")
	now = now.Add(16 * time.Second)
	b.Figures(context.Background(), "51")
	if calls.Load() != 2 {
		t.Errorf("%d calls", calls.Load())
	}
	// Hà Nội's figures are its own, cached apart.
	if f, _, _ := b.Figures(context.Background(), "01"); len(f.Items) != 1 || f.Items[0].Code != "001" || calls.Load() != 3 {
		t.Errorf("Hà Nội %+v after %d calls", f, calls.Load())
	}
	var none *portal.DistrictBoard
	if _, ok, err := none.Figures(context.Background(), "51"); ok || err != nil {
		t.Errorf("nil board: %v %v", ok, err)
	}
}
