package web

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/lantoa/lantoa/internal/ceremony"
	launchevents "github.com/lantoa/lantoa/internal/events"
	"github.com/lantoa/lantoa/internal/orgs"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/units"
)

func init() {
	requiredPages = append(requiredPages, "events_list", "events_event", "events_calendar", "events_public")
}

// The launch events' pages: the list and the form of the units' and organisations' administrators
// (/launch-events), an event's page with its photos, the export, and the province portal's public
// calendar (/su-kien) with a page per event.

// eventForm is the form's values as typed, so a refused form keeps them.
type eventForm struct {
	launchevents.Input
	Owner string // "u:535" or "o:12"
}

type eventsListData struct {
	Page
	Events []launchevents.Event
	Kinds  []launchevents.Kind
	Groups []string
	Filter launchevents.Filter
	Query  string
	Form   eventForm
	Units  []units.Unit
	Orgs   []orgs.Org
	// CanCreate tells whether the viewer holds events at all (a national administrator reads only).
	CanCreate bool
	Now       time.Time
}

func (s *Server) launchEventsPage(w http.ResponseWriter, r *http.Request) error {
	form := eventForm{}
	form.Kind = launchevents.FollowOn
	return s.renderEvents(w, r, form, nil)
}

// owners lists the units (villages excepted) and organisations the viewer administers, for the
// form's owner choice.
func (s *Server) eventOwners(ctx context.Context, a *authz.Actor) ([]units.Unit, []orgs.Org, error) {
	var list []units.Unit
	for _, root := range a.AdminUnitPaths() {
		us, err := s.Units.List(ctx, units.Filter{Under: root})
		if err != nil {
			return nil, nil, err
		}
		for _, u := range us {
			if u.Level != units.Village {
				list = append(list, u)
			}
		}
	}
	os, err := s.Orgs.List(ctx, orgs.Filter{Managed: true, Limit: 2000})
	return list, os, err
}

func (s *Server) renderEvents(w http.ResponseWriter, r *http.Request, form eventForm, formErr error) error {
	if err := requireAdmin(r); err != nil {
		return err
	}
	f, err := s.eventsFilter(r)
	if err != nil {
		return err
	}
	data := eventsListData{Page: s.newPage(r, "events.title"), Kinds: launchevents.Kinds, Groups: launchevents.Groups, Filter: f, Form: form,
		Query: r.URL.RawQuery, Now: s.Now()}
	ctx := r.Context()
	if data.Events, err = s.LaunchEvents.List(ctx, f); err != nil {
		return err
	}
	a := authz.ActorFrom(ctx)
	data.CanCreate = len(a.AdminUnitPaths()) > 0 || len(a.AdminOrgPaths()) > 0
	if data.CanCreate {
		if data.Units, data.Orgs, err = s.eventOwners(ctx, a); err != nil {
			return err
		}
	}
	return s.renderForm(w, r, "events_list", &data, formErr)
}

// readEventForm reads the event form's fields.
func readEventForm(r *http.Request) eventForm {
	v := r.PostForm
	f := eventForm{Owner: v.Get("owner")}
	f.Title, f.Kind, f.StartsAt, f.Place, f.Host, f.Outcome = v.Get("title"), launchevents.Kind(v.Get("kind")), v.Get("starts_at"),
		v.Get("place"), v.Get("host"), v.Get("outcome")
	count := func(name string) int64 {
		s := strings.TrimSpace(v.Get(name))
		if s == "" {
			return 0
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return -1 // refused by the service, named after the field
		}
		return n
	}
	f.Participants = launchevents.Participants{Officials: count("officials"), YouthMembers: count("youth_members"), Pupils: count("pupils"), Citizens: count("citizens")}
	switch {
	case strings.HasPrefix(f.Owner, "u:"):
		f.UnitCode = f.Owner[2:]
	case strings.HasPrefix(f.Owner, "o:"):
		f.OrgID, _ = strconv.ParseInt(f.Owner[2:], 10, 64)
	}
	return f
}

func (s *Server) launchEventCreateSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r, formLarge); err != nil {
		return err
	}
	form := readEventForm(r)
	e, err := s.LaunchEvents.Create(r.Context(), form.Input)
	if err != nil {
		return s.renderEvents(w, r, form, err)
	}
	return s.redirectFlash(w, r, fmt.Sprintf("/launch-events/%d", e.ID), "events.flash.created")
}

type eventPageData struct {
	Page
	Event   launchevents.Event
	Form    eventForm
	Kinds   []launchevents.Kind
	Groups  []string
	CanEdit bool
	// Public is the event's page on its province's portal.
	Public    string
	MaxPhotos int
	// Live is the event's live screen (a hosted ceremony), nil when it has none; LivePoints counts
	// its bridge points in force.
	Live       *ceremony.Ceremony
	LivePoints int
}

// LiveLaunchedAt tells when the event's live screen was launched, in Vietnam time.
func (d eventPageData) LiveLaunchedAt() string {
	if d.Live == nil || !d.Live.Launched() {
		return ""
	}
	return d.Live.LaunchAt.In(vietnamTime).Format("15:04 02/01/2006")
}

func (s *Server) launchEventPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderEvent(w, r, nil, nil)
}

// renderEvent shows an event with its edit form (form nil: the stored values) and its photos.
func (s *Server) renderEvent(w http.ResponseWriter, r *http.Request, form *eventForm, formErr error) error {
	id, err := pathIDOr(r, "id", "events.error.not_found")
	if err != nil {
		return err
	}
	ctx := r.Context()
	e, err := s.LaunchEvents.Find(ctx, id)
	if err != nil {
		return err
	}
	data := eventPageData{Page: s.newPage(r, ""), Event: e, Kinds: launchevents.Kinds, Groups: launchevents.Groups,
		CanEdit: launchevents.MayEdit(ctx, e), Public: s.provinceHref(r, e.Province) + fmt.Sprintf("/su-kien/%d", e.ID), MaxPhotos: launchevents.MaxPhotos}
	data.Title = e.Title
	if c, err := s.Ceremony.FindByEvent(ctx, e.ID); err == nil {
		data.Live = &c
		points, err := s.Ceremony.ListPoints(ctx, c.ID, ceremony.PointFilter{})
		if err != nil {
			return err
		}
		data.LivePoints = len(points)
	} else if !apperr.Is(err, apperr.NotFound) {
		return err
	}
	if form != nil {
		data.Form = *form
	} else {
		data.Form.Input = launchevents.Input{Title: e.Title, Kind: e.Kind, StartsAt: e.StartsAt.In(vietnamTime).Format("2006-01-02T15:04"), Place: e.Place,
			Host: e.Host, Outcome: e.Outcome, Participants: e.Participants}
	}
	return s.renderForm(w, r, "events_event", &data, formErr)
}

func (s *Server) launchEventUpdateSubmit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathIDOr(r, "id", "events.error.not_found")
	if err != nil {
		return err
	}
	if err := parseForm(w, r, formLarge); err != nil {
		return err
	}
	form := readEventForm(r)
	e, err := s.LaunchEvents.Update(r.Context(), id, form.Input)
	if err != nil {
		if apperr.Is(err, apperr.NotFound) {
			return err
		}
		return s.renderEvent(w, r, &form, err)
	}
	flash := "events.flash.saved"
	if s.followOnScreen(r.Context(), e) != nil {
		flash = "events.flash.saved_screen_not_followed"
	}
	return s.redirectFlash(w, r, fmt.Sprintf("/launch-events/%d", id), flash)
}

// followOnScreen carries an event's title, time and place to its live screen, when one is open
// and has not launched: the screen was made from the event, and its operators read the event's
// page. The event is saved whatever happens here; a screen that refuses (cancelled, or a start
// its own rules refuse) keeps its values, and the caller says so.
func (s *Server) followOnScreen(ctx context.Context, e launchevents.Event) error {
	c, err := s.Ceremony.FindByEvent(ctx, e.ID)
	switch {
	case apperr.Is(err, apperr.NotFound):
		return nil
	case err != nil:
		s.Logger.Warn("launch event's screen not read", "event", e.ID, "err", err)
		return err
	case c.Launched() || c.Status != ceremony.Scheduled:
		return nil
	}
	var ch ceremony.Changes
	if c.Title != e.Title {
		ch.Title = &e.Title
	}
	if !c.StartsAt.Equal(e.StartsAt) {
		ch.StartsAt = &e.StartsAt
	}
	if c.Venue != e.Place {
		ch.Venue = &e.Place
	}
	if ch == (ceremony.Changes{}) {
		return nil
	}
	if _, err := s.Ceremony.Update(ctx, c.ID, ch); err != nil {
		s.Logger.Warn("launch event's screen not updated", "event", e.ID, "err", err)
		return err
	}
	return nil
}

func (s *Server) launchEventPhotoSubmit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathIDOr(r, "id", "events.error.not_found")
	if err != nil {
		return err
	}
	if _, err := s.LaunchEvents.Find(r.Context(), id); err != nil {
		return err
	}
	data, alt, err := readEventPhoto(w, r, false)
	if err == nil {
		_, err = s.LaunchEvents.AddPhoto(r.Context(), id, data, alt)
	}
	if err != nil {
		if apperr.Is(err, apperr.NotFound) {
			return err
		}
		return s.renderEvent(w, r, nil, err)
	}
	return s.redirectFlash(w, r, fmt.Sprintf("/launch-events/%d", id), "events.flash.photo_added")
}

// launchEventLiveSubmit opens the event's live screen: a ceremony hosted by the event's unit (its
// bridge points from the unit's subtree) or organisation (its main site only), with the event's
// title, time and place, run from the ceremony's own pages. Asked twice, it opens the same one.
func (s *Server) launchEventLiveSubmit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathIDOr(r, "id", "events.error.not_found")
	if err != nil {
		return err
	}
	if err := parseForm(w, r, formSmall); err != nil {
		return err
	}
	c, _, err := s.openEventLive(r.Context(), id)
	if err != nil {
		if apperr.Is(err, apperr.NotFound) {
			return err
		}
		return s.renderEvent(w, r, nil, err)
	}
	return s.redirectFlash(w, r, fmt.Sprintf("/ceremonies/%d", c.ID), "events.flash.live_opened")
}

// openEventLive opens the live screen of event id for its editors (or returns the one open
// already, opened false).
func (s *Server) openEventLive(ctx context.Context, id int64) (c ceremony.Ceremony, opened bool, err error) {
	e, err := s.LaunchEvents.Find(ctx, id)
	if err != nil {
		return c, false, err
	}
	if !launchevents.MayEdit(ctx, e) {
		return c, false, apperr.New(apperr.Forbidden, "error.forbidden")
	}
	if c, err := s.Ceremony.FindByEvent(ctx, e.ID); err == nil {
		return c, false, nil
	} else if !apperr.Is(err, apperr.NotFound) {
		return c, false, err
	}
	host := ceremony.Host{UnitPath: e.UnitPath, OrgPath: e.OrgPath, Name: units.InSentence(e.Owner()), EventID: e.ID}
	c, err = s.Ceremony.CreateHosted(ctx, host, ceremony.Ceremony{Title: e.Title, StartsAt: e.StartsAt, Venue: e.Place})
	return c, err == nil, err
}

// launchEventsExport downloads the events of the list's filter as a workbook.
func (s *Server) launchEventsExport(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r); err != nil {
		return err
	}
	format, err := exportFormat(r, "xlsx")
	if err != nil {
		return err
	}
	f, err := s.eventsFilter(r)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := s.LaunchEvents.Export(r.Context(), f, s.translator(r), &buf); err != nil {
		return err
	}
	sendFile(w, "su-kien-huong-ung."+format, buf.Bytes())
	return nil
}

// The public calendar.

type eventsCalendarData struct {
	Page
	Upcoming, Past []launchevents.Event
}

// calendarRows bounds each half of the calendar.
const calendarRows = 100

func (s *Server) eventsCalendarPage(w http.ResponseWriter, r *http.Request) error {
	prov := s.portalOf(r)
	if prov == "" {
		s.noPortal(w, r)
		return nil
	}
	data := eventsCalendarData{Page: s.portalPage(r, "events.calendar.title", prov)}
	var err error
	if data.Upcoming, data.Past, err = s.LaunchEvents.Calendar(r.Context(), prov, s.Now(), calendarRows); err != nil {
		return err
	}
	data.OG = &OpenGraph{Title: data.Title, Description: data.T("events.calendar.lead", data.PortalPlace()), URL: s.portalBaseURL(r) + data.PortalBase + "/su-kien", Type: "website"}
	w.Header().Set("Cache-Control", "no-cache")
	return s.render(w, r, http.StatusOK, "events_calendar", &data)
}

type eventPublicData struct {
	Page
	Event  launchevents.Event
	Groups []string
	Past   bool
	// Live is the event's live screen as the public sees it (its programme and launch), nil when
	// the event has none.
	Live *ceremony.PublicCeremony
}

// LiveLaunchedAt tells when the event's live screen was launched, in Vietnam time ("" before).
func (d eventPublicData) LiveLaunchedAt() string {
	if d.Live == nil || d.Live.LaunchAt.IsZero() {
		return ""
	}
	return d.Live.LaunchAt.In(vietnamTime).Format("15:04 02/01/2006")
}

func (s *Server) eventPublicPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathIDOr(r, "id", "events.error.not_found")
	if err != nil {
		return err
	}
	prov := s.portalOf(r)
	if prov == "" {
		s.noPortal(w, r)
		return nil
	}
	e, err := s.LaunchEvents.PublicFind(r.Context(), prov, id)
	if err != nil {
		return err
	}
	data := eventPublicData{Page: s.portalPage(r, "", prov), Event: e, Groups: launchevents.Groups, Past: e.Past(s.Now())}
	if live, ok, err := s.Ceremony.PublicForEvent(r.Context(), prov, e.ID); err != nil {
		return err
	} else if ok {
		data.Live = &live
	}
	data.Title = e.Title
	base := s.portalBaseURL(r)
	data.OG = &OpenGraph{Title: e.Title, Description: e.Place, URL: base + data.PortalBase + fmt.Sprintf("/su-kien/%d", e.ID), Type: "article"}
	if len(e.Photos) > 0 {
		data.OG.Image = base + e.Photos[0].URL
	}
	w.Header().Set("Cache-Control", "no-cache")
	return s.render(w, r, http.StatusOK, "events_public", &data)
}

// sitemapEvents adds the portal's calendar and its events' pages to its sitemap.
func (s *Server) sitemapEvents(r *http.Request, set *sitemapURLSet, home, prov string) error {
	if s.LaunchEvents == nil {
		return nil
	}
	upcoming, past, err := s.LaunchEvents.Calendar(r.Context(), prov, s.Now(), calendarRows)
	if err != nil {
		return err
	}
	set.URLs = append(set.URLs, sitemapURL{Loc: home + "/su-kien"})
	for _, e := range append(upcoming, past...) {
		set.URLs = append(set.URLs, sitemapURL{Loc: home + fmt.Sprintf("/su-kien/%d", e.ID), LastMod: e.UpdatedAt.UTC().Format("2006-01-02")})
	}
	return nil
}

// eventsTask is the workspace's block of the events held in a unit's subtree (the district's
// communes', the province's districts' and communes', the organisations' located there): how many
// were held, how many are coming and who took part, with the latest few.
func (b *wsBuilder) eventsTask(sec *wsSection, unitCode, unitPath string) error {
	if b.s.LaunchEvents == nil {
		return nil
	}
	sum, err := b.s.LaunchEvents.Summarise(b.ctx, unitPath, time.Time{}, b.now)
	if err != nil {
		return err
	}
	t := wsTask{ID: "events", Title: b.T("events.ws.task"), Href: "/launch-events?unit=" + url.QueryEscape(unitCode),
		State: b.T("events.ws.state", sum.Held, sum.Upcoming, sum.Participants.Total())}
	list, err := b.s.LaunchEvents.List(b.ctx, launchevents.Filter{UnitCode: unitCode, Limit: wsMaxRows})
	if err != nil {
		return err
	}
	for _, e := range list {
		t.Sub = append(t.Sub, wsLink{Text: e.StartsAt.In(vietnamTime).Format("02/01/2006") + " · " + e.Owner() + ": " + e.Title,
			Action: b.T("events.ws.open"), Href: fmt.Sprintf("/launch-events/%d", e.ID)})
	}
	if len(list) == 0 {
		t.Sub = append(t.Sub, wsLink{Text: b.T("events.ws.none"), Action: b.T("events.create"), Href: "/launch-events#event-form"})
	}
	sec.Tasks = append(sec.Tasks, t)
	sec.Figures = append(sec.Figures, wsFigure{strconv.FormatInt(sum.Held, 10), b.T("events.ws.figure")})
	return nil
}

// orgEventsTask is eventsTask for an organisation: its events and those of the organisations below
// it (a provincial youth union sees its district unions' "ra quân").
func (b *wsBuilder) orgEventsTask(sec *wsSection, o orgs.Org) error {
	if b.s.LaunchEvents == nil {
		return nil
	}
	sum, err := b.s.LaunchEvents.SummariseOrg(b.ctx, o.Path, time.Time{}, b.now)
	if err != nil {
		return err
	}
	id := strconv.FormatInt(o.ID, 10)
	t := wsTask{ID: "events", Title: b.T("events.ws.task_org"), Href: "/launch-events?org=" + id,
		State: b.T("events.ws.state", sum.Held, sum.Upcoming, sum.Participants.Total())}
	list, err := b.s.LaunchEvents.List(b.ctx, launchevents.Filter{OrgID: o.ID, Limit: wsMaxRows})
	if err != nil {
		return err
	}
	for _, e := range list {
		t.Sub = append(t.Sub, wsLink{Text: e.StartsAt.In(vietnamTime).Format("02/01/2006") + " · " + e.Owner() + ": " + e.Title,
			Action: b.T("events.ws.open"), Href: fmt.Sprintf("/launch-events/%d", e.ID)})
	}
	if len(list) == 0 {
		t.Sub = append(t.Sub, wsLink{Text: b.T("events.ws.none"), Action: b.T("events.create"), Href: "/launch-events#event-form"})
	}
	sec.Tasks = append(sec.Tasks, t)
	return nil
}

func (s *Server) launchEventDeleteSubmit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathIDOr(r, "id", "events.error.not_found")
	if err != nil {
		return err
	}
	if err := parseForm(w, r, formTiny); err != nil {
		return err
	}
	if err := s.deleteLaunchEvent(r.Context(), id); err != nil {
		if apperr.Is(err, apperr.NotFound) {
			return err
		}
		return s.renderEvent(w, r, nil, err)
	}
	return s.redirectFlash(w, r, "/launch-events", "events.flash.deleted")
}

// deleteLaunchEvent deletes an event recorded by mistake. An event whose live screen has launched
// happened and stays (409); a screen opened but not launched is cancelled with it, so that no
// screen is left pointing at an event that is gone.
func (s *Server) deleteLaunchEvent(ctx context.Context, id int64) error {
	c, err := s.Ceremony.FindByEvent(ctx, id)
	switch {
	case apperr.Is(err, apperr.NotFound):
		return s.LaunchEvents.Delete(ctx, id)
	case err != nil:
		return err
	case c.Launched():
		return apperr.New(apperr.Conflict, "events.error.screen_launched")
	}
	if err := s.LaunchEvents.Delete(ctx, id); err != nil {
		return err
	}
	if c.Status == ceremony.Scheduled {
		if _, err := s.Ceremony.SetStatus(ctx, c.ID, ceremony.Cancelled); err != nil {
			s.Logger.Warn("deleted launch event's screen not cancelled", "event", id, "ceremony", c.ID, "err", err)
		}
	}
	return nil
}

func (s *Server) launchEventPhotoRemoveSubmit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathIDOr(r, "id", "events.error.not_found")
	if err != nil {
		return err
	}
	img, err := pathIDOr(r, "image", "events.error.photo_not_found")
	if err != nil {
		return err
	}
	if err := parseForm(w, r, formTiny); err != nil {
		return err
	}
	if err := s.LaunchEvents.RemovePhoto(r.Context(), id, img); err != nil {
		if apperr.Is(err, apperr.NotFound) {
			return err
		}
		return s.renderEvent(w, r, nil, err)
	}
	return s.redirectFlash(w, r, fmt.Sprintf("/launch-events/%d", id), "events.flash.photo_removed")
}
