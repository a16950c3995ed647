package web

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/lantoa/lantoa/internal/ceremony"
	"github.com/lantoa/lantoa/internal/platform/apperr"
)

// ceremonyInput is the JSON of a new ceremony; times are RFC 3339.
type ceremonyInput struct {
	// Province is the code of the province holding the ceremony; empty, the one province the
	// caller administers.
	Province   string `json:"province_code"`
	Title      string `json:"title"`
	StartsAt   string `json:"starts_at"`
	Venue      string `json:"venue"`
	VCProvider string `json:"vc_provider"`
	RoomLink   string `json:"room_link"`
	// LivestreamURL is the public livestream, shown on the public portal.
	LivestreamURL string `json:"livestream_url"`
	// Steps are the programme; speaker, duration_min, mc_lines and notes (the script) may be left
	// out, as bodies from before the script leave them.
	Steps []struct {
		Title       string `json:"title"`
		PlannedAt   string `json:"planned_at"`
		Speaker     string `json:"speaker"`
		DurationMin int    `json:"duration_min"`
		MCLines     string `json:"mc_lines"`
		Notes       string `json:"notes"`
	} `json:"steps"`
}

func parseRFC3339(field, v string, required bool) (time.Time, error) {
	if v == "" && !required {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, apperr.InvalidField(field, "ceremony.error.time", field)
	}
	return t, nil
}

func (in ceremonyInput) steps() ([]ceremony.Step, error) {
	var out []ceremony.Step
	for i, st := range in.Steps {
		at, err := parseRFC3339("steps", st.PlannedAt, false)
		if err != nil {
			return nil, err
		}
		out = append(out, ceremony.Step{Position: i + 1, Title: st.Title, PlannedAt: at, Speaker: st.Speaker, DurationMin: st.DurationMin, MCLines: st.MCLines, Notes: st.Notes})
	}
	return out, nil
}

func (s *Server) apiCreateCeremony(w http.ResponseWriter, r *http.Request) error {
	var in ceremonyInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	starts, err := parseRFC3339("starts_at", in.StartsAt, true)
	if err != nil {
		return err
	}
	steps, err := in.steps()
	if err != nil {
		return err
	}
	c, err := s.Ceremony.Create(r.Context(), ceremony.Ceremony{Province: in.Province, Title: in.Title, StartsAt: starts, Venue: in.Venue, VCProvider: in.VCProvider, RoomLink: in.RoomLink, LivestreamURL: in.LivestreamURL, Steps: steps})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, c)
	return nil
}

func (s *Server) apiListCeremonies(w http.ResponseWriter, r *http.Request) error {
	list, err := s.Ceremony.List(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, items(list))
	return nil
}

func (s *Server) apiGetCeremony(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	c, err := s.Ceremony.Find(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

// apiUpdateCeremony changes the ceremony's own fields; absent fields are left as they are.
func (s *Server) apiUpdateCeremony(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		Title         *string `json:"title"`
		StartsAt      *string `json:"starts_at"`
		Venue         *string `json:"venue"`
		VCProvider    *string `json:"vc_provider"`
		RoomLink      *string `json:"room_link"`
		LivestreamURL *string `json:"livestream_url"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	ch := ceremony.Changes{Title: in.Title, Venue: in.Venue, VCProvider: in.VCProvider, RoomLink: in.RoomLink, LivestreamURL: in.LivestreamURL}
	if in.StartsAt != nil {
		at, err := parseRFC3339("starts_at", *in.StartsAt, true)
		if err != nil {
			return err
		}
		ch.StartsAt = &at
	}
	c, err := s.Ceremony.Update(r.Context(), id, ch)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) apiReplaceSteps(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in ceremonyInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	steps, err := in.steps()
	if err != nil {
		return err
	}
	c, err := s.Ceremony.ReplaceSteps(r.Context(), id, steps)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) apiSetStep(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		Step int `json:"step"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	c, err := s.Ceremony.SetStep(r.Context(), id, in.Step)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) apiSetLeaders(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		UserIDs []int64 `json:"user_ids"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	c, err := s.Ceremony.SetLeaders(r.Context(), id, in.UserIDs)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) apiLaunch(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	at, err := s.Ceremony.Launch(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"launch_at": at.UTC().Format(time.RFC3339), "server_time": s.Now().UTC().Format(time.RFC3339Nano)})
	return nil
}

// apiTime tells the server's clock, so that screens can correct for their own clock's offset.
func (s *Server) apiTime(w http.ResponseWriter, r *http.Request) error {
	now := s.Now()
	writeJSON(w, http.StatusOK, map[string]any{"server_time": now.UTC().Format(time.RFC3339Nano), "server_time_ms": now.UnixMilli()})
	return nil
}

func (s *Server) apiGeneratePoints(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	res, err := s.Ceremony.GeneratePoints(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *Server) pointFilter(r *http.Request) (ceremony.PointFilter, error) {
	q := r.URL.Query()
	f := ceremony.PointFilter{DistrictCode: q.Get("district"), Level: ceremony.Level(q.Get("level")), IncludeRetired: q.Get("retired") == "1"}
	switch f.Level {
	case "", ceremony.Main, ceremony.District, ceremony.Commune:
	default:
		return f, apperr.InvalidField("level", "ceremony.error.level")
	}
	if len(f.DistrictCode) > 10 {
		return f, apperr.InvalidField("district", "ceremony.error.level")
	}
	return f, nil
}

func (s *Server) apiListPoints(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := s.Ceremony.Find(r.Context(), id); err != nil {
		return err
	}
	f, err := s.pointFilter(r)
	if err != nil {
		return err
	}
	list, err := s.Ceremony.ListPoints(r.Context(), id, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, items(list))
	return nil
}

func pointIDs(r *http.Request) (int64, int64, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return 0, 0, err
	}
	pid, err := pathID(r, "pid")
	return id, pid, err
}

func (s *Server) apiGetPoint(w http.ResponseWriter, r *http.Request) error {
	id, pid, err := pointIDs(r)
	if err != nil {
		return err
	}
	p, err := s.Ceremony.FindPoint(r.Context(), id, pid)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) apiUpdatePoint(w http.ResponseWriter, r *http.Request) error {
	id, pid, err := pointIDs(r)
	if err != nil {
		return err
	}
	var in ceremony.PointDetails
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	p, err := s.Ceremony.UpdatePoint(r.Context(), id, pid, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) apiSetChecklist(w http.ResponseWriter, r *http.Request) error {
	id, pid, err := pointIDs(r)
	if err != nil {
		return err
	}
	var in ceremony.Checklist
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	p, err := s.Ceremony.SetChecklist(r.Context(), id, pid, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) apiSetOnAir(w http.ResponseWriter, r *http.Request) error {
	id, pid, err := pointIDs(r)
	if err != nil {
		return err
	}
	var in struct {
		OnAir bool `json:"on_air"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	p, err := s.Ceremony.SetOnAir(r.Context(), id, pid, in.OnAir)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) apiHeartbeat(w http.ResponseWriter, r *http.Request) error {
	id, pid, err := pointIDs(r)
	if err != nil {
		return err
	}
	p, err := s.Ceremony.Heartbeat(r.Context(), id, pid)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"state": p.State, "server_time_ms": s.Now().UnixMilli()})
	return nil
}

func (s *Server) apiSetAttendance(w http.ResponseWriter, r *http.Request) error {
	id, pid, err := pointIDs(r)
	if err != nil {
		return err
	}
	var in struct {
		Groups map[string]int `json:"groups"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	p, err := s.Ceremony.SetAttendance(r.Context(), id, pid, in.Groups)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) apiListRehearsals(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := s.Ceremony.Find(r.Context(), id); err != nil {
		return err
	}
	list, err := s.Ceremony.Rehearsals(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, items(list))
	return nil
}

func (s *Server) apiScheduleRehearsal(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		StartsAt string `json:"starts_at"`
		Note     string `json:"note"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	at, err := parseRFC3339("starts_at", in.StartsAt, true)
	if err != nil {
		return err
	}
	reh, err := s.Ceremony.ScheduleRehearsal(r.Context(), id, ceremony.Rehearsal{StartsAt: at, Note: in.Note})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, reh)
	return nil
}

func (s *Server) apiListDelegates(w http.ResponseWriter, r *http.Request) error {
	id, pid, err := pointIDs(r)
	if err != nil {
		return err
	}
	list, err := s.Ceremony.Delegates(r.Context(), id, pid)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, items(list))
	return nil
}

func (s *Server) apiAddDelegate(w http.ResponseWriter, r *http.Request) error {
	id, pid, err := pointIDs(r)
	if err != nil {
		return err
	}
	var in delegateInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	d, err := s.Ceremony.AddDelegate(r.Context(), id, pid, in.delegate())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, d)
	return nil
}

// siteBase is the site's address as the client reached it, for links printed in documents.
func (s *Server) siteBase(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || s.cfg.SecureCookies || (s.cfg.TrustProxy && r.Header.Get("X-Forwarded-Proto") == "https") {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// invitationExport serves a delegate's invitation (API and page share it).
func (s *Server) invitationExport(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	did, err := pathID(r, "did")
	if err != nil {
		return err
	}
	format, err := exportFormat(r, "pdf")
	if err != nil {
		return err
	}
	pdf, d, err := s.Ceremony.Invitation(r.Context(), id, did, s.siteBase(r))
	if err != nil {
		return err
	}
	sendFile(w, "giay-moi-"+strconv.FormatInt(d.ID, 10)+"."+format, pdf)
	return nil
}

func (s *Server) apiCheckIn(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		Token string `json:"token"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	d, already, err := s.Ceremony.CheckIn(r.Context(), id, strings.TrimSpace(in.Token))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"delegate": d, "already": already})
	return nil
}

// attendanceExport serves the attendance report (API and page share it).
func (s *Server) attendanceExport(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	format, err := exportFormat(r, "xlsx")
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := s.Ceremony.AttendanceReport(r.Context(), id, s.translator(r), &buf); err != nil {
		return err
	}
	sendFile(w, "diem-danh-le-phat-dong-"+strconv.FormatInt(id, 10)+"."+format, buf.Bytes())
	return nil
}
