package web

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/lantoa/lantoa/internal/ceremony"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
)

// Chasing points that are not ready: district administrators remind their communes' points, the
// province any point, through the notify outbox (at most once per point per 30 minutes).

func (s *Server) apiChasePoint(w http.ResponseWriter, r *http.Request) error {
	id, pid, err := pointIDs(r)
	if err != nil {
		return err
	}
	res, err := s.Ceremony.ChasePoint(r.Context(), id, pid)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *Server) apiChaseDistrict(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		District string `json:"district"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	res, err := s.Ceremony.ChaseDistrict(r.Context(), id, in.District)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

type readinessData struct {
	ceremonyPage
	Districts []ceremony.Point
	District  string
	Points    []ceremony.Point
	Counts    ceremony.Counts
	// ChaseEveryMin is the minimum interval between two chases of one point, in minutes.
	ChaseEveryMin int
	// Chaser tells whether the viewer chases points (administrators of units); a national
	// administrator reads the page without its buttons.
	Chaser bool
	now    time.Time
}

// DistrictName names the district of a point.
func (d readinessData) DistrictName(code string) string {
	for _, p := range d.Districts {
		if p.UnitCode == code {
			return p.Name
		}
	}
	return ""
}

// CanChase tells whether a point may be chased now (not ready, not chased in the last interval).
func (d readinessData) CanChase(p ceremony.Point) bool {
	return p.State == ceremony.NotReady && (p.LastChasedAt.IsZero() || !p.LastChasedAt.Add(ceremony.ChaseEvery).After(d.now))
}

func (s *Server) renderReadiness(w http.ResponseWriter, r *http.Request, district string, formErr error) error {
	p, err := s.loadCeremonyPage(r, "ceremony.chase.title")
	if err != nil {
		return err
	}
	actor := authz.ActorFrom(r.Context())
	if len(actor.AdminUnitPaths()) == 0 && !actor.IsNational() {
		return apperr.New(apperr.Forbidden, "error.forbidden")
	}
	data := readinessData{ceremonyPage: p, District: district, ChaseEveryMin: int(ceremony.ChaseEvery.Minutes()), Chaser: len(actor.AdminUnitPaths()) > 0}
	data.now = s.Now()
	data.Title = p.T("ceremony.chase.title") + " · " + p.C.Title
	if data.Districts, err = s.Ceremony.ListPoints(r.Context(), p.C.ID, ceremony.PointFilter{Level: ceremony.District}); err != nil {
		return err
	}
	if data.District == "" {
		// A district's administrators land on their district; a commune's on its district.
		if len(data.Districts) == 1 {
			data.District = data.Districts[0].UnitCode
		} else if len(data.Districts) == 0 {
			// No district point in sight: a commune's administrators (their district's point is
			// not theirs to see), or the two-tier map, where the communes hang directly under the
			// province and the province's code names that group.
			data.District = p.C.Province
			mine, err := s.Ceremony.ListPoints(r.Context(), p.C.ID, ceremony.PointFilter{Level: ceremony.Commune})
			if err != nil {
				return err
			}
			if len(mine) > 0 && mine[0].DistrictCode != "" {
				data.District = mine[0].DistrictCode
			}
		}
	}
	if data.District != "" {
		if data.Points, err = s.Ceremony.ListPoints(r.Context(), p.C.ID, ceremony.PointFilter{DistrictCode: data.District}); err != nil {
			return err
		}
	}
	data.Counts = ceremony.CountPoints(data.Points, data.now)
	return s.renderForm(w, r, "ceremony_chase", &data, formErr)
}

func (s *Server) readinessPage(w http.ResponseWriter, r *http.Request) error {
	district := r.URL.Query().Get("district")
	if len(district) > 10 {
		return apperr.InvalidField("district", "ceremony.error.district")
	}
	return s.renderReadiness(w, r, district, nil)
}

func (s *Server) readinessBack(w http.ResponseWriter, r *http.Request, id int64, district, flash string) error {
	s.flashText(w, flash)
	http.Redirect(w, r, "/ceremonies/"+strconv.FormatInt(id, 10)+"/readiness?district="+url.QueryEscape(district), http.StatusSeeOther)
	return nil
}

func (s *Server) chasePointSubmit(w http.ResponseWriter, r *http.Request) error {
	id, pid, err := pointIDs(r)
	if err != nil {
		return err
	}
	district := r.PostFormValue("district")
	res, err := s.Ceremony.ChasePoint(r.Context(), id, pid)
	if err != nil {
		return s.renderReadiness(w, r, district, err)
	}
	pg := s.newPage(r, "")
	return s.readinessBack(w, r, id, district, pg.T("ceremony.chase.sent_one", res.Queued))
}

func (s *Server) chaseDistrictSubmit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	district := r.PostFormValue("district")
	res, err := s.Ceremony.ChaseDistrict(r.Context(), id, district)
	if err != nil {
		return s.renderReadiness(w, r, district, err)
	}
	pg := s.newPage(r, "")
	msg := pg.T("ceremony.chase.sent_all", res.Chased, res.Queued)
	if res.TooSoon > 0 {
		msg += " " + pg.T("ceremony.chase.skipped_recent", res.TooSoon)
	}
	if res.NoRecipient > 0 {
		msg += " " + pg.T("ceremony.chase.skipped_nobody", res.NoRecipient)
	}
	if res.Chased == 0 && res.TooSoon == 0 && res.NoRecipient == 0 {
		msg = pg.T("ceremony.chase.none")
	}
	return s.readinessBack(w, r, id, district, msg)
}
