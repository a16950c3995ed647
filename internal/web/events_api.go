package web

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"

	launchevents "github.com/lantoa/lantoa/internal/events"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/portal"
)

// The launch events' API (issue 19, part 1): units and organisations record the follow-on launches,
// youth "ra quân" and community days they hold; the levels above read them.

// eventsFilter reads a listing's filter: ?unit= (a unit code: its subtree), ?kind=, ?from=, ?to=
// (YYYY-MM-DD), ?org= (an organisation's id: its subtree) and ?province= for a viewer who reads
// several provinces.
func (s *Server) eventsFilter(r *http.Request) (launchevents.Filter, error) {
	q := r.URL.Query()
	f := launchevents.Filter{UnitCode: strings.TrimSpace(q.Get("unit")), Kind: launchevents.Kind(q.Get("kind")), From: q.Get("from"), To: q.Get("to")}
	if f.UnitCode != "" && (len(f.UnitCode) > 20 || strings.Trim(f.UnitCode, "0123456789") != "") {
		return f, apperr.InvalidField("unit", "events.error.unit_code")
	}
	if org := strings.TrimSpace(q.Get("org")); org != "" {
		id, err := strconv.ParseInt(org, 10, 64)
		if err != nil || id <= 0 {
			return f, apperr.InvalidField("org", "error.query_number", "org")
		}
		f.OrgID = id
	}
	if code := strings.TrimSpace(q.Get("province")); code != "" {
		if _, ok := s.provinces.find(r.Context(), code); !ok {
			return f, apperr.InvalidField("province", "portal.error.province_unknown", code)
		}
		f.Province = code
	}
	return f, nil
}

func (s *Server) apiListLaunchEvents(w http.ResponseWriter, r *http.Request) error {
	f, err := s.eventsFilter(r)
	if err != nil {
		return err
	}
	if f.Limit, err = queryInt(r, "limit", 200); err != nil || f.Limit < 1 || f.Limit > launchevents.MaxList {
		return apperr.InvalidField("limit", "error.query_number", "limit")
	}
	list, err := s.LaunchEvents.List(r.Context(), f)
	if err != nil {
		return err
	}
	if list == nil {
		list = []launchevents.Event{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"events": list, "count": len(list)})
	return nil
}

func (s *Server) apiCreateLaunchEvent(w http.ResponseWriter, r *http.Request) error {
	var in launchevents.Input
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	e, err := s.LaunchEvents.Create(r.Context(), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, e)
	return nil
}

func (s *Server) apiGetLaunchEvent(w http.ResponseWriter, r *http.Request) error {
	id, err := pathIDOr(r, "id", "events.error.not_found")
	if err != nil {
		return err
	}
	e, err := s.LaunchEvents.Find(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

func (s *Server) apiUpdateLaunchEvent(w http.ResponseWriter, r *http.Request) error {
	id, err := pathIDOr(r, "id", "events.error.not_found")
	if err != nil {
		return err
	}
	var in launchevents.Input
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	e, err := s.LaunchEvents.Update(r.Context(), id, in)
	if err != nil {
		return err
	}
	_ = s.followOnScreen(r.Context(), e) // logged; the event is saved either way
	writeJSON(w, http.StatusOK, e)
	return nil
}

// readEventPhoto reads a photo sent as a form (field "photo", optional "alt") or, when json is
// set, as JSON {"image_base64": "…", "alt": "…"}.
func readEventPhoto(w http.ResponseWriter, r *http.Request, json bool) ([]byte, string, error) {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") || !json {
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
			return nil, "", apperr.InvalidField("photo", "events.error.photo_required")
		}
		data, err := readUpload(w, r, "photo", portal.MaxImageBytes)
		if err == nil && data == nil {
			// "file", as the other upload forms name their file, is taken too.
			data, err = readUpload(w, r, "file", portal.MaxImageBytes)
		}
		if err != nil {
			return nil, "", err
		}
		if data == nil {
			return nil, "", apperr.InvalidField("photo", "events.error.photo_required")
		}
		return data, r.FormValue("alt"), nil
	}
	var body struct {
		ImageBase64 string `json:"image_base64"`
		Alt         string `json:"alt"`
	}
	if err := decodeJSONLimit(w, r, &body, portal.MaxImageBytes*4/3+64<<10); err != nil {
		return nil, "", err
	}
	data, err := base64.StdEncoding.DecodeString(body.ImageBase64)
	if err != nil || len(data) == 0 {
		return nil, "", apperr.InvalidField("image_base64", "portal.error.image_broken")
	}
	return data, body.Alt, nil
}

func (s *Server) apiAddLaunchEventPhoto(w http.ResponseWriter, r *http.Request) error {
	id, err := pathIDOr(r, "id", "events.error.not_found")
	if err != nil {
		return err
	}
	// The event is checked before the upload is read: a probe out of scope costs no 8 MB.
	if _, err := s.LaunchEvents.Find(r.Context(), id); err != nil {
		return err
	}
	data, alt, err := readEventPhoto(w, r, true)
	if err != nil {
		return err
	}
	p, err := s.LaunchEvents.AddPhoto(r.Context(), id, data, alt)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, p)
	return nil
}

func (s *Server) apiDeleteLaunchEvent(w http.ResponseWriter, r *http.Request) error {
	id, err := pathIDOr(r, "id", "events.error.not_found")
	if err != nil {
		return err
	}
	if err := s.deleteLaunchEvent(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) apiRemoveLaunchEventPhoto(w http.ResponseWriter, r *http.Request) error {
	id, err := pathIDOr(r, "id", "events.error.not_found")
	if err != nil {
		return err
	}
	img, err := pathIDOr(r, "image", "events.error.photo_not_found")
	if err != nil {
		return err
	}
	if err := s.LaunchEvents.RemovePhoto(r.Context(), id, img); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// apiOpenLaunchEventLive opens the event's live screen (a ceremony hosted by the event's unit or
// organisation): 201 with the ceremony, or 200 with the one opened before.
func (s *Server) apiOpenLaunchEventLive(w http.ResponseWriter, r *http.Request) error {
	id, err := pathIDOr(r, "id", "events.error.not_found")
	if err != nil {
		return err
	}
	c, opened, err := s.openEventLive(r.Context(), id)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if opened {
		status = http.StatusCreated
	}
	writeJSON(w, status, c)
	return nil
}
