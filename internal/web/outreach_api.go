package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/lantoa/lantoa/internal/outreach"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/sheet"
)

// The JSON API of the community digital technology teams (docs/openapi.yaml, tag outreach).

// apiOutreachSkills lists the catalogue of skills and platforms of a province (?province=CODE, else
// the request's province): the national entries and the province's own; inactive entries with
// ?all=1.
func (s *Server) apiOutreachSkills(w http.ResponseWriter, r *http.Request) error {
	province := strings.TrimSpace(r.URL.Query().Get("province"))
	if len(province) > 10 {
		return apperr.InvalidField("province", "error.query_long")
	}
	if province == "" {
		province = s.requestProvince(r)
	}
	list, err := s.Outreach.Skills(r.Context(), province, r.URL.Query().Get("all") == "1")
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, items(list))
	return nil
}

func (s *Server) apiOutreachSaveSkill(w http.ResponseWriter, r *http.Request) error {
	var k outreach.Skill
	if err := decodeJSON(w, r, &k); err != nil {
		return err
	}
	saved, err := s.Outreach.SaveSkill(r.Context(), k)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, saved)
	return nil
}

func (s *Server) apiOutreachCampaigns(w http.ResponseWriter, r *http.Request) error {
	list, err := s.Outreach.Campaigns(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, items(list))
	return nil
}

func (s *Server) apiOutreachCreateCampaign(w http.ResponseWriter, r *http.Request) error {
	var c outreach.Campaign
	if err := decodeJSON(w, r, &c); err != nil {
		return err
	}
	c.ID, c.RetainedAt = 0, time.Time{}
	created, err := s.Outreach.CreateCampaign(r.Context(), c)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, created)
	return nil
}

func (s *Server) apiOutreachLaunch(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var body struct {
		LaunchAt time.Time `json:"launch_at"`
	}
	if err := decodeJSON(w, r, &body); err != nil {
		return err
	}
	c, err := s.Outreach.SetLaunch(r.Context(), id, body.LaunchAt)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

// recordJSON is a stored record as the API returns it, with created telling a first store (201)
// from a replay (200).
type recordJSON struct {
	outreach.Record
	Created bool `json:"created"`
}

// apiOutreachCreateRecord stores a guidance record once per client_id: 201 the first time, 200
// with the stored record for an identical replay, 409 for the same id with other content.
func (s *Server) apiOutreachCreateRecord(w http.ResponseWriter, r *http.Request) error {
	var in outreach.RecordInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	res, err := s.Outreach.SaveRecord(r.Context(), in)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if res.Created {
		status = http.StatusCreated
	}
	writeJSON(w, status, recordJSON{Record: res.Record, Created: res.Created})
	return nil
}

func (s *Server) apiOutreachRecords(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := outreach.RecordFilter{UnitCode: q.Get("unit"), Mine: q.Get("mine") == "1", FlaggedOnly: q.Get("flagged") == "1"}
	var err error
	if f.CampaignID, err = queryID(r, "campaign"); err != nil {
		return err
	}
	if f.MemberID, err = queryID(r, "member"); err != nil {
		return err
	}
	if f.BeforeID, err = queryID(r, "before"); err != nil {
		return err
	}
	if f.Limit, err = queryInt(r, "limit", 100); err != nil {
		return err
	}
	list, err := s.Outreach.ListRecords(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, items(list))
	return nil
}

func (s *Server) apiOutreachRecord(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	rec, err := s.Outreach.ViewRecord(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rec)
	return nil
}

func (s *Server) apiOutreachCreateVisit(w http.ResponseWriter, r *http.Request) error {
	var in outreach.VisitInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	v, created, err := s.Outreach.SaveVisit(r.Context(), in)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, v)
	return nil
}

// apiOutreachVisits lists the acting member's own household visits (?limit, ?before=ID) with the
// counts per outcome.
func (s *Server) apiOutreachVisits(w http.ResponseWriter, r *http.Request) error {
	before, err := queryID(r, "before")
	if err != nil {
		return err
	}
	limit, err := queryID(r, "limit")
	if err != nil {
		return err
	}
	v, err := s.Outreach.ListMyVisits(r.Context(), int(min(limit, 500)), before)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// apiOutreachProgress answers, for ?unit=CODE or PATH (the viewer's top unit when absent),
// ?campaign=ID (the current campaign when absent) and ?view=now|was (now when absent): members,
// members meeting the target, records and distinct citizens, with the breakdowns and, as it is
// now, the "from split units" line.
func (s *Server) apiOutreachProgress(w http.ResponseWriter, r *http.Request) error {
	campaign, err := queryID(r, "campaign")
	if err != nil {
		return err
	}
	unit := strings.TrimSpace(r.URL.Query().Get("unit"))
	if len(unit) > 100 {
		return apperr.InvalidField("unit", "error.query_long")
	}
	view, err := outreach.ParseView(r.URL.Query().Get("view"))
	if err != nil {
		return err
	}
	p, err := s.Outreach.ProgressView(r.Context(), unit, campaign, view)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) apiOutreachMe(w http.ResponseWriter, r *http.Request) error {
	m, err := s.Outreach.Mine(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

func (s *Server) apiOutreachTeams(w http.ResponseWriter, r *http.Request) error {
	list, err := s.Outreach.ListTeams(r.Context(), r.URL.Query().Get("unit"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, items(list))
	return nil
}

func (s *Server) apiOutreachCreateTeam(w http.ResponseWriter, r *http.Request) error {
	var t outreach.Team
	if err := decodeJSON(w, r, &t); err != nil {
		return err
	}
	created, err := s.Outreach.CreateTeam(r.Context(), outreach.Team{Name: t.Name, UnitCode: t.UnitCode})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, created)
	return nil
}

func (s *Server) apiOutreachTeam(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	t, err := s.Outreach.FindTeam(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

func (s *Server) apiOutreachAddMember(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var body struct {
		Username string `json:"username"`
		Leader   bool   `json:"leader"`
	}
	if err := decodeJSON(w, r, &body); err != nil {
		return err
	}
	t, err := s.Outreach.AddMember(r.Context(), id, body.Username, body.Leader)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

func (s *Server) apiOutreachRemoveMember(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	user, err := pathID(r, "user")
	if err != nil {
		return err
	}
	if err := s.Outreach.RemoveMember(r.Context(), id, user); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// apiOutreachRoster imports a roster sent as a multipart field "file" or as the raw body.
func (s *Server) apiOutreachRoster(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	body, done, err := openUpload(w, r, "file", sheet.DefaultLimits.MaxBytes)
	if err != nil {
		return err
	}
	defer done()
	res, err := s.Outreach.ImportRoster(r.Context(), id, body)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *Server) apiOutreachSubjectRequest(w http.ResponseWriter, r *http.Request) error {
	var req outreach.SubjectRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	res, err := s.Outreach.HandleSubjectRequest(r.Context(), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *Server) apiOutreachRetention(w http.ResponseWriter, r *http.Request) error {
	res, err := s.Outreach.ApplyRetention(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}
