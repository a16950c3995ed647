package web

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/training"
)

// The training API: courses, question banks, attempts, certificates and figures.

// trainingCourseInput is the body of POST /api/v1/courses. Without province_code the course is the
// creator's province's (the one it administers) or, for a national administrator, national;
// "province_code": "" asks for a national course explicitly.
type trainingCourseInput struct {
	Province   *string       `json:"province_code"`
	Title      string        `json:"title"`
	Summary    string        `json:"summary"`
	Audience   string        `json:"audience"`
	Sequential bool          `json:"sequential"`
	OpensAt    time.Time     `json:"opens_at"`
	ClosesAt   time.Time     `json:"closes_at"`
	Exam       training.Exam `json:"exam"`
}

func (s *Server) apiListCourses(w http.ResponseWriter, r *http.Request) error {
	f, err := s.courseFilter(r)
	if err != nil {
		return err
	}
	f.All = r.URL.Query().Get("all") == "1"
	list, err := s.Training.ListCourses(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, items(list))
	return nil
}

func (s *Server) apiCreateCourse(w http.ResponseWriter, r *http.Request) error {
	in := trainingCourseInput{Exam: training.Exam{ReviewAllowed: true}}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	c, err := s.Training.CreateCourse(r.Context(), training.Course{Province: in.province(r), Title: in.Title, Summary: in.Summary, Audience: in.Audience,
		Sequential: in.Sequential, OpensAt: in.OpensAt, ClosesAt: in.ClosesAt, Exam: in.Exam})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, c)
	return nil
}

func (s *Server) apiGetCourse(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	c, err := s.Training.FindCourse(r.Context(), id)
	if err != nil {
		return err
	}
	mods, err := s.Training.Modules(r.Context(), c)
	if err != nil {
		return err
	}
	if mods == nil {
		mods = []training.Module{}
	}
	writeJSON(w, http.StatusOK, struct {
		training.Course
		Modules []training.Module `json:"modules"`
	}{c, mods})
	return nil
}

func (s *Server) apiUpdateExam(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in training.Exam
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	c, err := s.Training.UpdateExam(r.Context(), id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) apiPublishCourse(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	c, err := s.Training.Publish(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) apiAddModule(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		Title string `json:"title"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	m, err := s.Training.AddModule(r.Context(), id, in.Title)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, m)
	return nil
}

func (s *Server) apiAddLesson(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		Title         string `json:"title"`
		BodyHTML      string `json:"body_html"`
		VideoURL      string `json:"video_url"`
		AttachmentURL string `json:"attachment_url"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	l, err := s.Training.AddLesson(r.Context(), id, training.Lesson{Title: in.Title, BodyHTML: in.BodyHTML, VideoURL: in.VideoURL, AttachmentURL: in.AttachmentURL})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, l)
	return nil
}

func (s *Server) apiCompleteLesson(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	lesson, err := pathID(r, "lesson")
	if err != nil {
		return err
	}
	if err := s.Training.CompleteLesson(r.Context(), id, lesson); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) apiImportQuestions(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	// Who may not change the course is refused before the upload is read.
	if _, err := s.Training.ManagedCourse(r.Context(), id); err != nil {
		return err
	}
	body, done, err := openUpload(w, r, "file", training.MaxImportBytes)
	if err != nil {
		return err
	}
	defer done()
	n, err := s.Training.ImportQuestions(r.Context(), id, body)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]int{"imported": n})
	return nil
}

// province is the province a new course belongs to: the one named, else the creator's default.
func (in trainingCourseInput) province(r *http.Request) string {
	if in.Province != nil {
		return *in.Province
	}
	return training.DefaultProvince(authz.ActorFrom(r.Context()))
}

// courseFilter reads the catalogue's query: q, and province (a GSO code) to keep one province's
// courses and the national ones. An anonymous visitor's catalogue is the request's province's
// (its portal's, or the deployment's only one) when the query names none; a signed-in actor's
// is limited by the service to the provinces it takes part in.
func (s *Server) courseFilter(r *http.Request) (training.CourseFilter, error) {
	q := r.URL.Query()
	f := training.CourseFilter{Query: q.Get("q"), Province: q.Get("province")}
	if len(f.Query) > 100 {
		return f, apperr.InvalidField("q", "error.query_long")
	}
	if strings.Trim(f.Province, "0123456789") != "" || len(f.Province) > 10 {
		return f, apperr.InvalidField("province", "training.error.province_unknown", f.Province)
	}
	if f.Province == "" && authz.ActorFrom(r.Context()) == nil {
		f.Province = s.requestProvince(r)
	}
	return f, nil
}

func (s *Server) apiExportQuestions(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	format, err := exportFormat(r, "csv", "xlsx")
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := s.Training.ExportQuestions(r.Context(), id, format, &buf); err != nil {
		return err
	}
	sendFile(w, fmt.Sprintf("cau-hoi-khoa-%d.%s", id, format), buf.Bytes())
	return nil
}

// questionTemplate is public: the documented template anyone preparing a bank can download. It is
// a blank form, not an export, so it keeps its address; its formats are read as an export's.
func (s *Server) questionTemplate(w http.ResponseWriter, r *http.Request) error {
	format, err := exportFormat(r, "csv", "xlsx")
	if err != nil {
		return err
	}
	data, err := training.Template(format)
	if err != nil {
		return apperr.Wrap(err, "template")
	}
	sendFile(w, "mau-cau-hoi."+format, data)
	return nil
}

func (s *Server) apiEnrol(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	e, err := s.Training.Enrol(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

func (s *Server) apiEnrolRoster(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	body, done, err := openUpload(w, r, "file", 16<<20)
	if err != nil {
		return err
	}
	defer done()
	res, err := s.Training.EnrolRoster(r.Context(), id, body)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *Server) apiSetExtraTime(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	user, err := pathID(r, "user")
	if err != nil {
		return err
	}
	var in struct {
		ExtraMinutes int `json:"extra_minutes"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	e, err := s.Training.SetExtraTime(r.Context(), id, user, in.ExtraMinutes)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

func (s *Server) apiLobby(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	c, err := s.Training.FindCourse(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.Training.LobbyFor(c, authz.ActorFrom(r.Context()).UserID))
	return nil
}

func (s *Server) apiStartAttempt(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	a, err := s.Training.StartAttempt(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, a)
	return nil
}

func (s *Server) apiGetAttempt(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	a, err := s.Training.GetAttempt(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

func (s *Server) apiSaveAnswer(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	q, err := pathID(r, "question_id")
	if err != nil {
		return err
	}
	var in struct {
		Choices []int64 `json:"choices"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	a, err := s.Training.SaveAnswer(r.Context(), id, q, in.Choices)
	if err != nil {
		return err
	}
	buf := answerBufs.Get().(*[]byte)
	*buf = savedAnswerJSON((*buf)[:0], a)
	writeJSONBytes(w, http.StatusOK, *buf)
	answerBufs.Put(buf)
	return nil
}

var answerBufs = sync.Pool{New: func() any { b := make([]byte, 0, 128); return &b }}

// savedAnswerJSON appends a as encoding/json writes it (TestSavedAnswerJSON holds the two equal).
// An exam's answer saves are most of exam-day traffic, and reflection over this small struct was a
// tenth of a save's handler time.
func savedAnswerJSON(b []byte, a training.SavedAnswer) []byte {
	b = append(b, `{"attempt_id":`...)
	b = strconv.AppendInt(b, a.AttemptID, 10)
	b = append(b, `,"question_id":`...)
	b = strconv.AppendInt(b, a.QuestionID, 10)
	b = append(b, `,"choices":`...)
	if a.Choices == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, c := range a.Choices {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, c, 10)
		}
		b = append(b, ']')
	}
	b = append(b, `,"saved_at":"`...)
	b = a.SavedAt.AppendFormat(b, time.RFC3339Nano)
	return append(b, "\"}\n"...)
}

func (s *Server) apiSubmitAttempt(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	res, err := s.Training.Submit(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *Server) apiReviewAttempt(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	list, res, err := s.Training.Review(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		Result    training.Result       `json:"result"`
		Questions []training.ReviewItem `json:"questions"`
	}{res, list})
	return nil
}

// apiCertificateExport is public: whoever holds the unguessable code may download the certificate
// (the learner shares it with an employer, who checks it on /verify/{code}).
func (s *Server) apiCertificateExport(w http.ResponseWriter, r *http.Request) error {
	format, err := exportFormat(r, "pdf")
	if err != nil {
		return err
	}
	pdf, c, err := s.Training.CertificatePDF(r.Context(), r.PathValue("code"), s.publicBaseURL(r))
	if err != nil {
		return err
	}
	sendFile(w, "chung-nhan-"+c.Code+"."+format, pdf)
	return nil
}

func (s *Server) apiGetCertificate(w http.ResponseWriter, r *http.Request) error {
	c, err := s.Training.FindCertificate(r.Context(), r.PathValue("code"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) apiMyCertificates(w http.ResponseWriter, r *http.Request) error {
	list, err := s.Training.MyCertificates(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, items(list))
	return nil
}

func (s *Server) apiRevokeCertificate(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Reason string `json:"reason"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	c, err := s.Training.RevokeCertificate(r.Context(), r.PathValue("code"), in.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func trainingDay(r *http.Request, name string) (time.Time, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.ParseInLocation("2006-01-02", v, vietnamTime)
	if err != nil {
		return t, apperr.InvalidField(name, "training.error.date", name)
	}
	return t, nil
}

// apiCertificatesExport downloads the certificates a filter chooses, a zip of their PDFs.
func (s *Server) apiCertificatesExport(w http.ResponseWriter, r *http.Request) error {
	format, err := exportFormat(r, "zip")
	if err != nil {
		return err
	}
	var f training.BulkFilter
	if f.CourseID, err = queryID(r, "course"); err != nil {
		return err
	}
	if f.UnitPath, err = s.unitPathParam(r, "unit"); err != nil {
		return err
	}
	if f.OrgPath, err = s.orgPathParam(r, "org"); err != nil {
		return err
	}
	if f.From, err = trainingDay(r, "from"); err != nil {
		return err
	}
	if f.To, err = trainingDay(r, "to"); err != nil {
		return err
	}
	if !f.To.IsZero() {
		f.To = f.To.AddDate(0, 0, 1) // the "to" day is included
	}
	var buf bytes.Buffer
	if _, err := s.Training.BulkCertificates(r.Context(), f, s.publicBaseURL(r), &buf); err != nil {
		return err
	}
	sendFile(w, "chung-nhan."+format, buf.Bytes())
	return nil
}

func (s *Server) figureFilter(r *http.Request) (training.FigureFilter, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return training.FigureFilter{}, err
	}
	q := r.URL.Query()
	f := training.FigureFilter{CourseID: id, By: q.Get("by"), Parent: q.Get("parent"), Level: q.Get("level"), View: q.Get("view")}
	if f.By != "" && f.By != "unit" && f.By != "org" {
		return f, apperr.InvalidField("by", "training.error.by")
	}
	if f.View != "" && f.View != training.ViewNow && f.View != training.ViewWas {
		return f, apperr.InvalidField("view", "training.error.view")
	}
	// A parent is a unit code, a unit version's path ("/51/522/21034/": a village's is longer) or an
	// organisation id.
	if len(f.Parent) > 80 {
		return f, apperr.InvalidField("parent", "error.query_long")
	}
	f.Limit, err = queryInt(r, "limit", 0)
	return f, err
}

func (s *Server) apiFigures(w http.ResponseWriter, r *http.Request) error {
	f, err := s.figureFilter(r)
	if err != nil {
		return err
	}
	rows, err := s.Training.Figures(r.Context(), f)
	if err != nil {
		return err
	}
	t, err := s.Training.TotalsFor(r.Context(), f.CourseID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		Totals training.Totals      `json:"totals"`
		Items  []training.FigureRow `json:"items"`
	}{t, rows})
	return nil
}

func (s *Server) apiFiguresExport(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	format, err := exportFormat(r, "xlsx")
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := s.Training.ExportFigures(r.Context(), id, &buf); err != nil {
		return err
	}
	sendFile(w, fmt.Sprintf("so-lieu-khoa-%d.%s", id, format), buf.Bytes())
	return nil
}

// apiRegister creates a learner's own account (no login needed).
func (s *Server) apiRegister(w http.ResponseWriter, r *http.Request) error {
	var in trainingRegisterInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	u, err := s.Accounts.Register(r.Context(), in.newUser())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toUserJSON(u))
	return nil
}
