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
// one-time passwords come back as a printable PDF or a spreadsheet for an hour.
//
// The job lives in the database (accounts.PupilJob), so that behind a round-robin proxy any
// instance answers the poll and the download. Its list of passwords is sealed under a key the
// database never holds: the upload's answer gives it to the page, which sends it back in the
// X-Pupil-Job-Key header when it polls and as ?k= in the two download links. The links carry it
// in their address because a plain link (a click, "save link as") cannot send a header; the
// address is logged by no part of this server (the request log has the path only) and the
// answers are no-store, while a proxy's access log may keep it: with the key alone nothing opens
// without the uploader's session, and the list is deleted after an hour.

// pupilJobKey is the job's key as the page sent it: the header, else the query.
func pupilJobKey(r *http.Request) string {
	if k := r.Header.Get("X-Pupil-Job-Key"); k != "" {
		return k
	}
	return r.URL.Query().Get("k")
}

// maxPupilFile bounds a roster upload.
const maxPupilFile = 4 << 20

// pupilSchool finds a school the actor may create pupils in; anything else is "not found".
func (s *Server) pupilSchool(r *http.Request) (orgs.Org, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return orgs.Org{}, err
	}
	o, err := s.Orgs.Find(r.Context(), id)
	if err != nil {
		return orgs.Org{}, apperr.New(apperr.NotFound, "orgs.error.not_found", id)
	}
	// A school out of the actor's reach exists: not found to them, a denial in the audit log.
	if a := authz.ActorFrom(r.Context()); !a.MayGrant(authz.Grant{Role: authz.Learner, OrgID: o.ID, OrgPath: o.Path, UnitPath: o.UnitPath}) {
		return orgs.Org{}, apperr.Hidden("orgs.error.not_found", id)
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
	format, err := exportFormat(r, "csv", "xlsx")
	if err != nil {
		return err
	}
	data, err := accounts.PupilTemplate(format)
	if err != nil {
		return apperr.Wrap(err, "template")
	}
	sendFile(w, "mau-danh-sach-hoc-sinh."+format, data)
	return nil
}

// apiImportPupils checks the roster (422 with every bad line, nothing created) and starts the job
// that creates the accounts: 202 with the job to poll.
func (s *Server) apiImportPupils(w http.ResponseWriter, r *http.Request) error {
	o, err := s.pupilSchool(r)
	if err != nil {
		return err
	}
	body, done, err := openUpload(w, r, "file", maxPupilFile)
	if err != nil {
		return err
	}
	defer done()
	ro, err := s.Accounts.CheckPupilRoster(r.Context(), o.ID, body)
	if err != nil {
		return err
	}
	job, err := s.Accounts.StartPupilJob(r.Context(), ro, func(err error) {
		s.Logger.Error("pupil accounts job failed", "org", o.ID, "err", err)
	})
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusAccepted, job)
	return nil
}

// apiPupilJob tells how far a job is; only the administrator who started it sees it, with its key.
func (s *Server) apiPupilJob(w http.ResponseWriter, r *http.Request) error {
	job, err := s.Accounts.PupilJob(r.Context(), r.PathValue("job"), pupilJobKey(r))
	if err != nil {
		return err
	}
	if job.Err != nil {
		job.Message = s.I18n.T(langOf(r), job.Err.Key, job.Err.Args...)
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, job)
	return nil
}

// apiPupilCredentialsExport downloads the one-time passwords of a finished job, as PDF or xlsx,
// opened with the key the request carries.
func (s *Server) apiPupilCredentialsExport(w http.ResponseWriter, r *http.Request) error {
	format, err := exportFormat(r, "pdf", "xlsx")
	if err != nil {
		return err
	}
	job, creds, err := s.Accounts.PupilJobCredentials(r.Context(), r.PathValue("job"), pupilJobKey(r))
	if err != nil {
		return err
	}
	if err := audit.RecordView(r.Context(), s.DB, audit.Entry{Action: "pupils.credentials", ObjectType: "org", ObjectID: strconv.FormatInt(job.OrgID, 10),
		Detail: fmt.Sprintf("pupils=%d", len(creds))}); err != nil {
		return apperr.Wrap(err, "audit")
	}
	var buf bytes.Buffer
	if format == "xlsx" {
		err = accounts.CredentialsXLSX(&buf, job.School, creds)
	} else {
		err = accounts.CredentialsPDF(&buf, job.School, s.placeOfOrg(r.Context(), job.OrgID), creds, time.Now())
	}
	if err != nil {
		return apperr.Wrap(err, "credentials "+format)
	}
	sendFile(w, "tai-khoan-hoc-sinh."+format, buf.Bytes())
	return nil
}
