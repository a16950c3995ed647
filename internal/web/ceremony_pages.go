package web

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/lantoa/lantoa/internal/ceremony"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/units"
)

// ceremonyPage is what every ceremony page shares: the ceremony, the viewer's powers over it and
// what its script needs to follow the live events.
type ceremonyPage struct {
	Page
	C ceremony.Ceremony
	// LastEventID is the latest live event when the page was rendered; the page's stream starts
	// after it, so nothing between render and connection is lost.
	LastEventID int64
	// CanManage: the viewer administers the ceremony's province (edits it, generates its points).
	CanManage bool
	// ReadsAll: the viewer reads every point of the ceremony (its province's administrators, a
	// national administrator), not only their own district's, commune's or point's.
	ReadsAll  bool
	CanLaunch bool
	// CanWatch tells whether the viewer may follow the live events (screen, control room).
	CanWatch bool
	// LaunchAtMs is the launch moment in Unix ms (0 before the launch), for the page's script.
	LaunchAtMs int64
}

// StepTitle is the title of the step under way, or "".
func (p ceremonyPage) StepTitle() string {
	if p.C.CurrentStep > 0 && p.C.CurrentStep <= len(p.C.Steps) {
		return p.C.Steps[p.C.CurrentStep-1].Title
	}
	return ""
}

// StepsJSON is the programme's titles as JSON, for the screens' "next step" line.
func (p ceremonyPage) StepsJSON() string {
	type step struct {
		Title string `json:"title"`
	}
	out := make([]step, len(p.C.Steps))
	for i, st := range p.C.Steps {
		out[i].Title = st.Title
	}
	b, _ := json.Marshal(out)
	return string(b)
}

// StreamURL is the address of the ceremony's live events.
func (p ceremonyPage) StreamURL() string {
	return "/api/v1/ceremonies/" + strconv.FormatInt(p.C.ID, 10) + "/events?after=" + strconv.FormatInt(p.LastEventID, 10)
}

// Labels are the state names for the page's script, as JSON.
func (p ceremonyPage) Labels() string {
	m := map[string]string{}
	for _, s := range []ceremony.State{ceremony.NotReady, ceremony.Ready, ceremony.OnAir, ceremony.Lost} {
		m[string(s)] = p.T("ceremony.state." + string(s))
	}
	for _, k := range []string{"conn.live", "conn.connecting", "conn.lost", "launch.done", "launch.countdown", "saved"} {
		m[k] = p.T("ceremony." + k)
	}
	// The script fills in the launch's time and date as the server writes them (LaunchText).
	m["launch.at"] = p.T("ceremony.launch.at", "{time}", "{date}")
	b, _ := json.Marshal(m)
	return string(b)
}

// LaunchText says when the movement was launched, "Phát động lúc 09:30 ngày 28/07/2023", and is
// empty before the launch: a bare time beside "Đã phát động" does not say what it is.
func (p ceremonyPage) LaunchText() string {
	if !p.C.Launched() {
		return ""
	}
	at := p.C.LaunchAt.In(vietnamTime)
	return p.T("ceremony.launch.at", at.Format("15:04"), at.Format("02/01/2006"))
}

// GroupLabel names a delegate group.
func (p ceremonyPage) GroupLabel(key string) string { return p.T("ceremony.group." + key) }

// LocalTime formats t in Vietnam time for a datetime-local input.
func (p ceremonyPage) LocalTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(vietnamTime).Format("2006-01-02T15:04")
}

func (s *Server) loadCeremonyPage(r *http.Request, titleKey string) (ceremonyPage, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return ceremonyPage{}, err
	}
	c, err := s.Ceremony.Find(r.Context(), id)
	if err != nil {
		return ceremonyPage{}, err
	}
	last, err := s.Ceremony.LastEventID(r.Context(), id)
	if err != nil {
		return ceremonyPage{}, apperr.Wrap(err, "last event")
	}
	actor := authz.ActorFrom(r.Context())
	manage := ceremony.MayManage(actor, c)
	p := ceremonyPage{Page: s.newPage(r, titleKey), C: c, LastEventID: last, CanManage: manage, ReadsAll: manage || actor.IsNational(),
		CanLaunch: ceremony.MayLaunch(actor, c), CanWatch: ceremony.MayWatch(actor, c)}
	// The pages of a ceremony are about its province, whoever looks at them (a national
	// administrator's own pages are about none): its name comes from the unit tree.
	p.Province, p.ProvinceName = c.Province, ""
	if prov, ok := s.provinces.find(r.Context(), c.Province); ok {
		p.ProvinceName = prov.Name
	}
	if c.Launched() {
		p.LaunchAtMs = c.LaunchAt.UnixMilli()
	}
	p.Title = c.Title
	return p, nil
}

type ceremonyListData struct {
	Page
	Ceremonies []ceremony.Ceremony
	// Provinces are those the viewer may create a ceremony for (the provinces they administer);
	// none hides the form, several show a choice.
	Provinces []units.Unit
	// Names names the provinces of the listed ceremonies, shown when they are several (a national
	// administrator's list).
	Names     map[string]string
	Several   bool
	NewTitle  string
	NewVenue  string
	Selected  string
	CanCreate bool
	// Archived: the page lists the archived ceremonies.
	Archived bool
	// Hosted are the launch events' live screens the viewer runs or follows, shown apart from the
	// province's own ceremonies.
	Hosted []ceremony.Ceremony
}

func (s *Server) ceremoniesPage(w http.ResponseWriter, r *http.Request) error {
	// ?archived=1 lists the archived ceremonies, which the current list leaves out.
	archived := r.URL.Query().Get("archived") == "1"
	list, err := s.Ceremony.List(r.Context())
	if archived {
		list, err = s.Ceremony.ListArchived(r.Context())
	}
	if err != nil {
		return err
	}
	actor := authz.ActorFrom(r.Context())
	data := ceremonyListData{Page: s.newPage(r, "ceremony.title"), Ceremonies: list, Names: map[string]string{}}
	for _, p := range s.provinces.all(r.Context()) {
		if actor.MayChange(authz.ProvinceObject(p.Code)) {
			data.Provinces = append(data.Provinces, p)
		}
	}
	data.CanCreate = len(data.Provinces) > 0
	// The new ceremony's defaults name the province it is for: the page's, else the first the
	// viewer administers.
	prov, ok := s.provinces.find(r.Context(), data.Province)
	if (!ok || !actor.MayChange(authz.ProvinceObject(prov.Code))) && data.CanCreate {
		prov, ok = data.Provinces[0], true
	}
	if ok {
		data.Selected = prov.Code
		data.NewTitle = data.T("ceremony.default.title", units.InSentence(prov.Name))
		data.NewVenue = data.T("ceremony.default.venue", units.InSentence(prov.Name))
	}
	seen := map[string]bool{}
	for _, c := range list {
		seen[c.Province] = true
		if p, ok := s.provinces.find(r.Context(), c.Province); ok {
			data.Names[c.Province] = units.PlaceName(p.Name)
		}
	}
	data.Several = len(seen) > 1 || actor.IsNational()
	data.Archived = archived
	if archived {
		data.CanCreate = false
	} else if data.Hosted, err = s.Ceremony.ListHosted(r.Context()); err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "ceremony_list", &data)
}

type ceremonyDetailData struct {
	ceremonyPage
	Rehearsals []ceremony.Rehearsal
	Points     []ceremony.Point
	Counts     ceremony.Counts
}

// CommunePoints counts the commune-level points, and Districted tells whether any point is a
// district's: on the two-tier map (from 01/07/2025) there are none, and nothing to filter by.
func (d ceremonyDetailData) CommunePoints() int {
	n := 0
	for _, p := range d.Points {
		if p.Level == ceremony.Commune {
			n++
		}
	}
	return n
}

// Districted tells whether the ceremony has district points (the three-tier map).
func (d ceremonyDetailData) Districted() bool {
	for _, p := range d.Points {
		if p.Level == ceremony.District {
			return true
		}
	}
	return false
}

func (s *Server) ceremonyPage(w http.ResponseWriter, r *http.Request) error {
	p, err := s.loadCeremonyPage(r, "")
	if err != nil {
		return err
	}
	data := ceremonyDetailData{ceremonyPage: p}
	if data.Rehearsals, err = s.Ceremony.Rehearsals(r.Context(), p.C.ID); err != nil {
		return err
	}
	if data.Points, err = s.Ceremony.ListPoints(r.Context(), p.C.ID, ceremony.PointFilter{}); err != nil {
		return err
	}
	data.Counts = ceremony.CountPoints(data.Points, s.Now())
	return s.render(w, r, http.StatusOK, "ceremony_detail", &data)
}

type controlData struct {
	ceremonyPage
	Points    []ceremony.Point
	Counts    ceremony.Counts
	Districts []ceremony.Point
	District  string
	// LostAfterMs tells the script when a silent on-air point becomes "lost".
	LostAfterMs int64
}

// DistrictName names the district of a point.
func (d controlData) DistrictName(code string) string {
	for _, p := range d.Districts {
		if p.UnitCode == code {
			return p.Name
		}
	}
	return ""
}

func (s *Server) controlRoomPage(w http.ResponseWriter, r *http.Request) error {
	p, err := s.loadCeremonyPage(r, "ceremony.control.title")
	if err != nil {
		return err
	}
	actor := authz.ActorFrom(r.Context())
	// An organisation's administrators run their own event's live screen (p.CanManage) without
	// administering a unit.
	if len(actor.AdminUnitPaths()) == 0 && !actor.IsNational() && !p.CanManage {
		return apperr.New(apperr.Forbidden, "error.forbidden")
	}
	data := controlData{ceremonyPage: p, District: r.URL.Query().Get("district"), LostAfterMs: ceremony.LostAfter.Milliseconds()}
	data.Title = p.T("ceremony.control.title") + " · " + p.C.Title
	if data.Districts, err = s.Ceremony.ListPoints(r.Context(), p.C.ID, ceremony.PointFilter{Level: ceremony.District}); err != nil {
		return err
	}
	if data.Points, err = s.Ceremony.ListPoints(r.Context(), p.C.ID, ceremony.PointFilter{DistrictCode: data.District}); err != nil {
		return err
	}
	data.Counts = ceremony.CountPoints(data.Points, s.Now())
	return s.render(w, r, http.StatusOK, "ceremony_control", &data)
}

type pointPageData struct {
	ceremonyPage
	P         ceremony.Point
	Delegates []ceremony.Delegate
	Items     []string
}

func (s *Server) bridgePointPage(w http.ResponseWriter, r *http.Request) error {
	p, err := s.loadCeremonyPage(r, "")
	if err != nil {
		return err
	}
	pid, err := pathID(r, "pid")
	if err != nil {
		return err
	}
	data := pointPageData{ceremonyPage: p, Items: ceremony.ChecklistItems}
	if data.P, err = s.Ceremony.FindPoint(r.Context(), p.C.ID, pid); err != nil {
		return err
	}
	if data.Delegates, err = s.Ceremony.Delegates(r.Context(), p.C.ID, pid); err != nil {
		return err
	}
	data.Title = data.P.Name + " · " + p.C.Title
	return s.render(w, r, http.StatusOK, "ceremony_point", &data)
}

type screenData struct {
	ceremonyPage
	// Point is the bridge point this screen shows, when one is named and the viewer runs it; the
	// screen then reports heartbeats for it.
	Point *ceremony.Point
}

// HeartbeatURL is where the screen reports that it is alive ("" when it does not).
func (d screenData) HeartbeatURL() string {
	if d.Point == nil {
		return ""
	}
	return "/api/v1/ceremonies/" + strconv.FormatInt(d.C.ID, 10) + "/bridge-points/" + strconv.FormatInt(d.Point.ID, 10) + "/heartbeat"
}

// HeartbeatMs is how often the screen reports.
func (d screenData) HeartbeatMs() int64 { return ceremony.HeartbeatEvery.Milliseconds() }

func (s *Server) screenPage(w http.ResponseWriter, r *http.Request) error {
	p, err := s.loadCeremonyPage(r, "")
	if err != nil {
		return err
	}
	// The screen follows the live events: only those who may watch them open it.
	if !ceremony.MayWatch(authz.ActorFrom(r.Context()), p.C) {
		return apperr.New(apperr.Forbidden, "ceremony.error.watch_forbidden")
	}
	data := screenData{ceremonyPage: p}
	if v := r.URL.Query().Get("point"); v != "" {
		pid, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return apperr.New(apperr.NotFound, "ceremony.error.point_not_found")
		}
		pt, err := s.Ceremony.FindPoint(r.Context(), p.C.ID, pid)
		if err != nil {
			return err
		}
		data.Point = &pt
	}
	return s.render(w, r, http.StatusOK, "ceremony_screen", &data)
}

type checkinData struct {
	ceremonyPage
	D       ceremony.Delegate
	P       ceremony.Point
	Token   string
	Done    bool
	Already bool
}

func (s *Server) checkinPage(w http.ResponseWriter, r *http.Request) error {
	p, err := s.loadCeremonyPage(r, "ceremony.checkin.title")
	if err != nil {
		return err
	}
	data := checkinData{ceremonyPage: p, Token: r.PathValue("token")}
	if data.D, data.P, err = s.Ceremony.DelegateByToken(r.Context(), p.C.ID, data.Token); err != nil {
		return err
	}
	data.Title = p.T("ceremony.checkin.title")
	return s.render(w, r, http.StatusOK, "ceremony_checkin", &data)
}

func (s *Server) checkinSubmit(w http.ResponseWriter, r *http.Request) error {
	p, err := s.loadCeremonyPage(r, "ceremony.checkin.title")
	if err != nil {
		return err
	}
	data := checkinData{ceremonyPage: p, Token: r.PathValue("token"), Done: true}
	if data.D, data.Already, err = s.Ceremony.CheckIn(r.Context(), p.C.ID, data.Token); err != nil {
		return err
	}
	if _, data.P, err = s.Ceremony.DelegateByToken(r.Context(), p.C.ID, data.Token); err != nil {
		return err
	}
	data.Title = p.T("ceremony.checkin.title")
	return s.render(w, r, http.StatusOK, "ceremony_checkin", &data)
}
