package portal

import (
	"context"
	"net/url"
	"sync"
	"time"
)

// DefaultCampaignDays is the length of the "7 citizens in 7 days" campaign that follows the
// launch when the outreach module has no campaign of its own yet.
const DefaultCampaignDays = 7

// Ceremony is what the public ceremony page shows: the programme, the place, the livestream and,
// once the button has been pressed, the campaign that started with it. It carries no personal
// data. The ceremony module fills it through a CeremonySource that internal/app registers, so that
// the portal never imports that module.
type Ceremony struct {
	ID    int64
	Title string
	Venue string
	// LivestreamURL is the public livestream; the board keeps it only when it is an http(s) URL.
	LivestreamURL string
	StartsAt      time.Time
	// LaunchAt is the launch moment; zero until the button is pressed.
	LaunchAt time.Time
	Steps    []CeremonyStep
	// Points counts the bridge points, PointsReady those whose checklist is complete, PointsOnAir
	// those connected now.
	Points, PointsReady, PointsOnAir int
	// CampaignDays is the campaign window that starts at the launch: the outreach module's current
	// campaign's, else DefaultCampaignDays.
	CampaignDays int
	// CampaignCloses is when the outreach module's campaign under way at the launch closes: the
	// one window the campaign's own pages show, so that the countdown agrees with them. Zero when
	// no campaign was open at the launch: the window is then CampaignDays from the launch.
	CampaignCloses time.Time
}

// CeremonyStep is one step of the programme; Current marks the step under way.
type CeremonyStep struct {
	Position  int
	Title     string
	PlannedAt time.Time
	Current   bool
}

// Launched tells whether the launch button has been pressed.
func (c Ceremony) Launched() bool { return !c.LaunchAt.IsZero() }

// CampaignEnd is when the campaign that started at the launch closes; zero before the launch.
func (c Ceremony) CampaignEnd() time.Time {
	if !c.Launched() {
		return time.Time{}
	}
	if !c.CampaignCloses.IsZero() {
		return c.CampaignCloses
	}
	days := c.CampaignDays
	if days <= 0 {
		days = DefaultCampaignDays
	}
	return c.LaunchAt.Add(time.Duration(days) * 24 * time.Hour)
}

// CampaignRunning tells whether the button has been pressed and the campaign's window has not
// closed at now. It includes the few seconds between the press and the launch moment (the
// ceremony schedules the moment just ahead of the press), so that the countdown shows at once.
func (c Ceremony) CampaignRunning(now time.Time) bool {
	return c.Launched() && now.Before(c.CampaignEnd())
}

// CurrentStep returns the step under way, if any.
func (c Ceremony) CurrentStep() (CeremonyStep, bool) {
	for _, s := range c.Steps {
		if s.Current {
			return s, true
		}
	}
	return CeremonyStep{}, false
}

// Remaining splits the time left until end into whole days, hours, minutes and seconds (all zero
// once end has passed).
func Remaining(now, end time.Time) (days, hours, minutes, seconds int) {
	d := end.Sub(now)
	if d <= 0 {
		return 0, 0, 0, 0
	}
	total := int(d / time.Second)
	return total / 86400, total % 86400 / 3600, total % 3600 / 60, total % 60
}

// SafeLink returns link when it is an absolute http or https URL with a host, and "" otherwise:
// the only links the public page shows.
func SafeLink(link string) string {
	u, err := url.Parse(link)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return ""
	}
	return link
}

// CeremonySource gives the current ceremony of a province for its public page; ok is false when
// the province has none.
type CeremonySource interface {
	PublicCeremony(ctx context.Context, province string) (c Ceremony, ok bool, err error)
}

// CeremonyFunc adapts a function to CeremonySource.
type CeremonyFunc func(ctx context.Context, province string) (Ceremony, bool, error)

// PublicCeremony calls f.
func (f CeremonyFunc) PublicCeremony(ctx context.Context, province string) (Ceremony, bool, error) {
	return f(ctx, province)
}

// CeremonyBoard serves each province's public ceremony from a cache of TTL, so that the crowd that
// opens the page on launch day costs one round of queries per province and TTL. The launch calls
// Invalidate once its transaction has committed, so that the countdown appears at once (on this
// instance; other instances within TTL).
type CeremonyBoard struct {
	TTL time.Duration
	Now func() time.Time

	src   CeremonySource
	fetch sync.Mutex // one query at a time; the others wait for its answer

	mu      sync.Mutex
	entries map[string]ceremonyEntry
	gen     uint64 // counts Invalidate calls: a read that straddles one is not cached
}

type ceremonyEntry struct {
	c  Ceremony
	ok bool
	at time.Time
}

// NewCeremonyBoard returns a board over src with a 10-second cache.
func NewCeremonyBoard(src CeremonySource) *CeremonyBoard {
	return &CeremonyBoard{TTL: 10 * time.Second, Now: time.Now, src: src}
}

func (b *CeremonyBoard) fresh(province string) (Ceremony, bool, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if e, found := b.entries[province]; found && b.Now().Sub(e.at) < b.TTL {
		return e.c, e.ok, true
	}
	return Ceremony{}, false, false
}

// Current returns the current ceremony of province; ok is false when there is none (or no
// source, or no province).
func (b *CeremonyBoard) Current(ctx context.Context, province string) (Ceremony, bool, error) {
	if b == nil || b.src == nil || province == "" {
		return Ceremony{}, false, nil
	}
	if c, ok, hit := b.fresh(province); hit {
		return c.clone(), ok, nil
	}
	b.fetch.Lock()
	defer b.fetch.Unlock()
	if c, ok, hit := b.fresh(province); hit {
		return c.clone(), ok, nil
	}
	b.mu.Lock()
	gen := b.gen
	b.mu.Unlock()
	c, ok, err := b.src.PublicCeremony(ctx, province)
	if err != nil {
		return Ceremony{}, false, err
	}
	c.LivestreamURL = SafeLink(c.LivestreamURL)
	if c.CampaignDays <= 0 {
		c.CampaignDays = DefaultCampaignDays
	}
	b.mu.Lock()
	if gen == b.gen {
		if b.entries == nil || len(b.entries) > 1000 {
			b.entries = map[string]ceremonyEntry{}
		}
		b.entries[province] = ceremonyEntry{c: c, ok: ok, at: b.Now()}
	}
	b.mu.Unlock()
	return c.clone(), ok, nil
}

// Invalidate drops the cached ceremony of province, or every province's when province is "" (a
// ceremony whose province is not known).
func (b *CeremonyBoard) Invalidate(province string) {
	if b == nil {
		return
	}
	b.mu.Lock()
	if province == "" {
		b.entries = nil
	} else {
		delete(b.entries, province)
	}
	b.gen++
	b.mu.Unlock()
}

func (c Ceremony) clone() Ceremony {
	c.Steps = append([]CeremonyStep(nil), c.Steps...)
	return c
}
