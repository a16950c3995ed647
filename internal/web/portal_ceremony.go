package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/lantoa/lantoa/internal/portal"
)

func init() {
	requiredPages = append(requiredPages, "portal_ceremony")
}

// ceremonyView is the public ceremony as the pages show it: times already in Vietnam time, the
// campaign's countdown split into its parts.
type ceremonyView struct {
	portal.Ceremony
	Steps []ceremonyStepView
	// StartsAtText is the start, "08:00 · 26/11/2026"; ISO values fill <time datetime>.
	StartsAtText, StartsAtISO string
	LaunchAtText              string
	// LaunchTime and LaunchDate are the launch's "09:30" and "28/07/2023", for "Phát động lúc … ngày …".
	LaunchTime, LaunchDate string
	// PollMs is how often the page asks whether the launch has happened, 0 once it has: the page
	// must change at the launch without a reload, and asking the cached page costs less than a
	// stream held open for every visitor.
	PollMs int64
	// Running: the campaign's window is open; Over: it has closed.
	Running, Over bool
	EndText       string
	EndMillis     int64
	NowMillis     int64
	Days, Hours   int
	Minutes, Secs string // two digits
}

type ceremonyStepView struct {
	Position         int
	Title            string
	Time, ISO        string
	Current, Planned bool
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// publicTime shows a time of day and date in Vietnam time.
func publicTime(t time.Time) string { return t.In(vietnamTime).Format("15:04 · 02/01/2006") }

func isoTime(t time.Time) string { return t.In(vietnamTime).Format(time.RFC3339) }

// The public page asks every pollNear while the ceremony is within pollNearWindow of its start
// (when the button is pressed), and every pollFar otherwise, for a page left open for days.
const (
	pollNear       = 10 * time.Second
	pollFar        = time.Minute
	pollNearWindow = 3 * time.Hour
)

func newCeremonyView(c portal.Ceremony, now time.Time) ceremonyView {
	v := ceremonyView{Ceremony: c, StartsAtText: publicTime(c.StartsAt), StartsAtISO: isoTime(c.StartsAt), NowMillis: now.UnixMilli()}
	day := c.StartsAt.In(vietnamTime).Format("02/01/2006")
	for _, st := range c.Steps {
		sv := ceremonyStepView{Position: st.Position, Title: st.Title, Current: st.Current, Planned: !st.PlannedAt.IsZero()}
		if sv.Planned {
			// The programme's times read as times of the ceremony's day; another day shows its date.
			sv.Time, sv.ISO = st.PlannedAt.In(vietnamTime).Format("15:04"), isoTime(st.PlannedAt)
			if d := st.PlannedAt.In(vietnamTime).Format("02/01/2006"); d != day {
				sv.Time += " " + d
			}
		}
		v.Steps = append(v.Steps, sv)
	}
	v.PollMs = pollFar.Milliseconds()
	if d := now.Sub(c.StartsAt); d > -pollNearWindow && d < pollNearWindow {
		v.PollMs = pollNear.Milliseconds()
	}
	if c.Launched() {
		v.PollMs = 0
		v.LaunchTime, v.LaunchDate = c.LaunchAt.In(vietnamTime).Format("15:04"), c.LaunchAt.In(vietnamTime).Format("02/01/2006")
		end := c.CampaignEnd()
		v.LaunchAtText, v.EndText, v.EndMillis = publicTime(c.LaunchAt), publicTime(end), end.UnixMilli()
		v.Running, v.Over = c.CampaignRunning(now), !now.Before(end)
		var m, s int
		v.Days, v.Hours, m, s = portal.Remaining(now, end)
		v.Minutes, v.Secs = twoDigits(m), twoDigits(s)
	}
	return v
}

type portalCeremonyData struct {
	Page
	Found bool
	C     ceremonyView
}

// ceremonyPublicPage is the public page of a province's launch ceremony: title, date and start, venue,
// programme with the step under way, the livestream link and, after the launch, the countdown of
// the campaign that started with it. The countdown is written by the server (it reads without
// JavaScript); a small script makes it tick. The ceremony is read from the portal's cache.
func (s *Server) ceremonyPublicPage(w http.ResponseWriter, r *http.Request) error {
	prov := s.portalOf(r)
	if prov == "" {
		s.noPortal(w, r)
		return nil
	}
	data := portalCeremonyData{Page: s.portalPage(r, "portal.ceremony.title", prov)}
	c, found, err := s.Portal.Ceremonies.Current(r.Context(), prov)
	if err != nil {
		return err
	}
	data.Found = found
	og := &OpenGraph{Title: data.T("portal.ceremony.title"), Description: data.T("portal.ceremony.none", data.PortalPlace()),
		URL: s.portalBaseURL(r) + data.PortalBase + "/le-phat-dong", Type: "website"}
	if found {
		data.C = newCeremonyView(c, s.Now())
		data.Title = c.Title
		og.Title = c.Title
		og.Description = data.T("portal.ceremony.og_time", data.C.StartsAtText)
		if c.Venue != "" {
			og.Description = data.T("portal.ceremony.og", data.C.StartsAtText, c.Venue)
		}
	}
	data.OG = og
	w.Header().Set("Cache-Control", "no-cache")
	return s.render(w, r, http.StatusOK, "portal_ceremony", &data)
}
