package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/training"
)

// Targets as shares: the province's headcounts (imported from a file or edited one at a time) and
// its target share, on one page for its administrator (GET /training/targets), and the API.

type trainingTargetsData struct {
	Page
	Province   string
	Headcounts []training.Headcount
	Targets    []trainingTargetView
	Courses    []training.Course
	Groups     []trainingGroupView
}

type trainingTargetView struct {
	training.Target
	Course string
}

type trainingGroupView struct {
	Code, Name string
}

// targetsProvince is the province whose headcounts the request is about: the one the actor
// administers (the query's province, when it administers several).
func targetsProvince(r *http.Request) (string, error) {
	a := authz.ActorFrom(r.Context())
	if a == nil {
		return "", apperr.New(apperr.Unauthenticated, "error.login_required")
	}
	if p := r.URL.Query().Get("province"); p != "" {
		if !a.AdministersProvince(p) {
			return "", apperr.New(apperr.Forbidden, "training.error.headcount_forbidden")
		}
		return p, nil
	}
	if p := a.AdminProvinces(); len(p) > 0 {
		return p[0], nil
	}
	return "", apperr.New(apperr.Forbidden, "training.error.headcount_forbidden")
}

func (s *Server) targetsPage(w http.ResponseWriter, r *http.Request) error {
	prov, err := targetsProvince(r)
	if err != nil {
		return err
	}
	data := trainingTargetsData{Page: s.newPage(r, "targets.title"), Province: prov}
	if data.Headcounts, err = s.Training.Headcounts(r.Context(), prov); err != nil {
		return err
	}
	targets, err := s.Training.Targets(r.Context(), prov)
	if err != nil {
		return err
	}
	if data.Courses, err = s.Training.ListCourses(r.Context(), training.CourseFilter{Province: prov, All: true}); err != nil {
		return err
	}
	for _, t := range targets {
		v := trainingTargetView{Target: t, Course: data.T("targets.every_course")}
		for _, c := range data.Courses {
			if c.ID == t.CourseID {
				v.Course = c.Title
			}
		}
		data.Targets = append(data.Targets, v)
	}
	for _, g := range training.HeadcountGroups {
		data.Groups = append(data.Groups, trainingGroupView{g, training.AudienceNames[g]})
	}
	for i, h := range data.Headcounts {
		data.Headcounts[i].Group = training.AudienceNames[h.Group]
	}
	return s.render(w, r, http.StatusOK, "training_targets", &data)
}

func (s *Server) headcountTemplate(w http.ResponseWriter, r *http.Request) error {
	data, err := training.HeadcountTemplate()
	if err != nil {
		return apperr.Wrap(err, "headcount template")
	}
	sendFile(w, "mau-so-nguoi.xlsx", data)
	return nil
}

// importHeadcounts imports the uploaded headcount file (the form's field "file", or the raw
// body) into the province of the request.
func (s *Server) importHeadcounts(w http.ResponseWriter, r *http.Request) (int, error) {
	prov, err := targetsProvince(r)
	if err != nil {
		return 0, err
	}
	body, done, err := openUpload(w, r, "file", training.MaxImportBytes)
	if err != nil {
		return 0, err
	}
	defer done()
	return s.Training.ImportHeadcounts(r.Context(), prov, body)
}

// headcountsImportSubmit takes the headcount file from the page's form.
func (s *Server) headcountsImportSubmit(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.importHeadcounts(w, r); err != nil {
		return err
	}
	return s.redirectFlash(w, r, "/training/targets", "targets.imported")
}

// headcountSubmit sets one count from the page's form.
func (s *Server) headcountSubmit(w http.ResponseWriter, r *http.Request) error {
	prov, err := targetsProvince(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r, formSmall); err != nil {
		return err
	}
	l := training.HeadcountLine{Code: r.PostFormValue("code"), Group: r.PostFormValue("group"), Count: r.PostFormValue("count")}
	if err := s.Training.SetHeadcount(r.Context(), prov, l); err != nil {
		return err
	}
	return s.redirectFlash(w, r, "/training/targets", "targets.saved")
}

// targetSubmit sets the province's target share from the page's form.
func (s *Server) targetSubmit(w http.ResponseWriter, r *http.Request) error {
	prov, err := targetsProvince(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r, formSmall); err != nil {
		return err
	}
	course, _ := strconv.ParseInt(strings.TrimSpace(r.PostFormValue("course")), 10, 64)
	pct, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(r.PostFormValue("percent")), "%")))
	if err != nil {
		return apperr.InvalidField("percent", "training.error.target_percent", r.PostFormValue("percent"))
	}
	if err := s.Training.SetTargetShare(r.Context(), prov, course, pct); err != nil {
		return err
	}
	return s.redirectFlash(w, r, "/training/targets", "targets.target_saved")
}

func (s *Server) apiHeadcounts(w http.ResponseWriter, r *http.Request) error {
	prov, err := targetsProvince(r)
	if err != nil {
		return err
	}
	list, err := s.Training.Headcounts(r.Context(), prov)
	if err != nil {
		return err
	}
	targets, err := s.Training.Targets(r.Context(), prov)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		Province string               `json:"province_code"`
		Items    []training.Headcount `json:"items"`
		Targets  []training.Target    `json:"targets"`
	}{prov, list, targets})
	return nil
}

func (s *Server) apiImportHeadcounts(w http.ResponseWriter, r *http.Request) error {
	n, err := s.importHeadcounts(w, r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]int{"imported": n})
	return nil
}

func (s *Server) apiSetTarget(w http.ResponseWriter, r *http.Request) error {
	prov, err := targetsProvince(r)
	if err != nil {
		return err
	}
	var in training.Target
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := s.Training.SetTargetShare(r.Context(), prov, in.CourseID, in.Percent); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, in)
	return nil
}
