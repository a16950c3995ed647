package web

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/orgs"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
)

// Pupils' accounts created by their school (issue 4, item 6): the school's administrator uploads
// the roster on /schools/{id}/pupils; the file is checked whole, then the accounts are created by
// a job (hashing takes tens of milliseconds per account) whose progress the page polls, and the
// one-time passwords come back as a printable PDF or a spreadsheet, kept in memory for an hour.

// pupilJobs holds the running and recent jobs of this process.
var pupilJobs = accounts.NewPupilJobs()

// maxPupilFile bounds a roster upload.
const maxPupilFile = 4 << 20

// pupilSchool finds a school the actor may create pupils in; anything else is "not found".
func (s *Server) pupilSchool(r *http.Request) (orgs.Org, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return orgs.Org{}, err
	}
	o, err := s.Orgs.Find(r.Context(), id)
	a := authz.ActorFrom(r.Context())
	if err != nil || !a.MayGrant(authz.Grant{Role: authz.Learner, OrgID: o.ID, OrgPath: o.Path, UnitPath: o.UnitPath}) {
		return orgs.Org{}, apperr.New(apperr.NotFound, "orgs.error.not_found", id)
	}
	if o.Kind != orgs.School {
		return orgs.Org{}, apperr.New(apperr.Invalid, "accounts.pupils.not_school")
	}
	return o, nil
}

type trainingPupilsData struct {
	Page
	School orgs.Org
}

// pupilsPage is the upload form with its progress and the download of the passwords.
func (s *Server) pupilsPage(w http.ResponseWriter, r *http.Request) error {
	o, err := s.pupilSchool(r)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "training_pupils", &trainingPupilsData{Page: s.newPage(r, "training.pupils.title"), School: o})
}

// pupilTemplate is public: the documented roster template (xlsx or CSV).
func (s *Server) pupilTemplate(w http.ResponseWriter, r *http.Request) error {
	format := r.URL.Query().Get("format")
	data, err := accounts.PupilTemplate(format)
	if err != nil {
		return apperr.Wrap(err, "template")
	}
	trainingSendFile(w, format, "mau-danh-sach-hoc-sinh", data)
	return nil
}

// apiImportPupils checks the roster (422 with every bad line, nothing created) and starts the job
// that creates the accounts: 202 with the job to poll.
func (s *Server) apiImportPupils(w http.ResponseWriter, r *http.Request) error {
	o, err := s.pupilSchool(r)
	if err != nil {
		return err
	}
	body, done, err := trainingUpload(w, r, maxPupilFile)
	if err != nil {
		return err
	}
	defer done()
	ro, err := s.Accounts.CheckPupilRoster(r.Context(), o.ID, body)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, pupilJobs.Start(r.Context(), s.Accounts, ro))
	return nil
}

// apiPupilJob tells how far a job is; only the administrator who started it sees it.
func (s *Server) apiPupilJob(w http.ResponseWriter, r *http.Request) error {
	job, _, err := pupilJobs.Get(r.Context(), r.PathValue("job"))
	if err != nil {
		return err
	}
	if job.Err != nil {
		ae := apperr.As(job.Err)
		job.Message = s.I18n.T(langOf(r), ae.Key, ae.Args...)
	}
	writeJSON(w, http.StatusOK, job)
	return nil
}

// apiPupilCredentials downloads the one-time passwords of a finished job, as PDF or xlsx.
func (s *Server) apiPupilCredentials(w http.ResponseWriter, r *http.Request) error {
	job, creds, err := pupilJobs.Get(r.Context(), r.PathValue("job"))
	if err != nil {
		return err
	}
	if job.State != "done" {
		return apperr.New(apperr.Conflict, "accounts.pupils.job_not_found")
	}
	if err := audit.RecordView(r.Context(), s.DB, audit.Entry{Action: "pupils.credentials", ObjectType: "org", ObjectID: strconv.FormatInt(job.OrgID, 10),
		Detail: fmt.Sprintf("pupils=%d", len(creds))}); err != nil {
		return apperr.Wrap(err, "audit")
	}
	var buf bytes.Buffer
	name := "tai-khoan-hoc-sinh"
	if r.URL.Query().Get("format") == "xlsx" {
		if err := accounts.CredentialsXLSX(&buf, job.School, creds); err != nil {
			return apperr.Wrap(err, "credentials xlsx")
		}
		trainingSendFile(w, "xlsx", name, buf.Bytes())
		return nil
	}
	if err := accounts.CredentialsPDF(&buf, job.School, creds, time.Now()); err != nil {
		return apperr.Wrap(err, "credentials pdf")
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.pdf"`)
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
	return nil
}
