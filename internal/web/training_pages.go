package web

import (
	"bytes"
	"encoding/base64"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/skip2/go-qrcode"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/orgs"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/training"
	"github.com/lantoa/lantoa/internal/units"
)

// trainingRegisterInput is the self-registration form (and the body of POST /api/v1/register).
type trainingRegisterInput struct {
	Username        string `json:"username"`
	DisplayName     string `json:"display_name"`
	Email           string `json:"email"`
	Password        string `json:"password"`
	UnitCode        string `json:"unit_code"`
	OrgID           int64  `json:"org_id"`
	Under16         bool   `json:"under_16"`
	GuardianName    string `json:"guardian_name"`
	GuardianConsent bool   `json:"guardian_consent"`
}

// Place is the chosen place as the form's select names it ("org:12", "unit:21484"), so a refused
// form shows it chosen again.
func (in trainingRegisterInput) Place() string {
	switch {
	case in.OrgID != 0:
		return "org:" + strconv.FormatInt(in.OrgID, 10)
	case in.UnitCode != "":
		return "unit:" + in.UnitCode
	}
	return ""
}

func (in trainingRegisterInput) newUser() accounts.NewUser {
	return accounts.NewUser{Username: in.Username, DisplayName: in.DisplayName, Email: in.Email, Password: in.Password, Role: authz.Learner,
		UnitCode: in.UnitCode, OrgID: in.OrgID, Under16: in.Under16, GuardianName: in.GuardianName, GuardianConsent: in.GuardianConsent}
}

type trainingRegisterData struct {
	Page
	Form      trainingRegisterInput
	Orgs      []orgs.Org
	Districts []units.Unit
	Communes  []units.Unit
}

func (s *Server) registerForm(w http.ResponseWriter, r *http.Request) error {
	return s.renderRegister(w, r, trainingRegisterInput{}, nil)
}

func (s *Server) renderRegister(w http.ResponseWriter, r *http.Request, form trainingRegisterInput, formErr error) error {
	p := s.newPage(r, "training.register.title")
	data := trainingRegisterData{Page: p, Form: form}
	// The places offered are the request's province's (its portal's, or the deployment's only
	// one); a page about no province offers every province's.
	var under string
	if p.Province != "" {
		under = authz.ProvincePath(p.Province)
	}
	var err error
	if data.Orgs, err = s.Orgs.List(r.Context(), orgs.Filter{UnitPath: under}); err != nil {
		return err
	}
	if data.Communes, err = s.Units.List(r.Context(), units.Filter{Level: "commune", Under: under, Limit: units.MaxList}); err != nil {
		return err
	}
	return s.renderForm(w, r, "training_register", &data, formErr)
}

func (s *Server) registerSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r, formSmall); err != nil {
		return err
	}
	f := trainingRegisterInput{Username: r.PostFormValue("username"), DisplayName: r.PostFormValue("display_name"), Email: r.PostFormValue("email"),
		Password: r.PostFormValue("password"), Under16: r.PostFormValue("under_16") == "1", GuardianName: r.PostFormValue("guardian_name"),
		GuardianConsent: r.PostFormValue("guardian_consent") == "1"}
	// One field chooses the place: "org:12" or "unit:21484".
	if kind, v, ok := strings.Cut(r.PostFormValue("place"), ":"); ok {
		if kind == "org" {
			f.OrgID, _ = strconv.ParseInt(v, 10, 64)
		} else {
			f.UnitCode = v
		}
	}
	u, err := s.Accounts.Register(r.Context(), f.newUser())
	if err != nil {
		f.Password = ""
		return s.renderRegister(w, r, f, err)
	}
	if err := s.startSession(w, r, u.ID); err != nil {
		return err
	}
	return s.redirectFlash(w, r, "/courses", "training.register.done")
}

type trainingCoursesData struct {
	Page
	Courses   []training.Course
	Query     string
	IsManager bool
	Now       time.Time // for each course's status as learners meet it (Course.StatusAt)
	// Provinces names the provinces of the listed courses (code → official name).
	Provinces map[string]string
}

func (s *Server) coursesPage(w http.ResponseWriter, r *http.Request) error {
	f, err := s.courseFilter(r)
	if err != nil {
		return err
	}
	f.All = true
	list, err := s.Training.ListCourses(r.Context(), f)
	if err != nil {
		return err
	}
	data := &trainingCoursesData{Page: s.newPage(r, "training.courses.title"), Courses: list, Query: f.Query, Now: s.Training.Now(),
		IsManager: training.MayCreate(authz.ActorFrom(r.Context())), Provinces: map[string]string{}}
	for _, c := range list {
		if prov, ok := s.provinces.find(r.Context(), c.Province); ok {
			data.Provinces[c.Province] = prov.Name
		}
	}
	return s.render(w, r, http.StatusOK, "training_courses", data)
}

type trainingCourseData struct {
	Page
	Course training.Course
	// CourseProvince is the official name of the course's province ("" for a national course).
	CourseProvince string
	Status         training.Status // as a learner meets it now (Course.StatusAt)
	Modules        []trainingModuleView
	Lobby          training.Lobby
	Enrolment      *training.Enrolment
	IsManager      bool
	Categories     map[string]int
}

func (s *Server) coursePage(w http.ResponseWriter, r *http.Request) error {
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
	actor := authz.ActorFrom(r.Context())
	data := trainingCourseData{Page: s.newPage(r, ""), Course: c, Status: c.StatusAt(s.Training.Now()), IsManager: training.MayManage(actor, c)}
	if prov, ok := s.provinces.find(r.Context(), c.Province); ok {
		data.CourseProvince = prov.Name
	}
	for _, m := range mods {
		mv := trainingModuleView{Title: m.Title}
		for _, l := range m.Lessons {
			// The body was sanitised (bluemonday UGC policy) when it was stored.
			mv.Lessons = append(mv.Lessons, trainingLessonView{Lesson: l, Body: template.HTML(l.BodyHTML)})
		}
		data.Modules = append(data.Modules, mv)
	}
	data.Title = c.Title
	if actor != nil {
		data.Lobby = s.Training.LobbyFor(c, actor.UserID)
		if e, err := s.Training.MyEnrolment(r.Context(), id); err == nil {
			data.Enrolment = &e
		}
	}
	if data.IsManager {
		if data.Categories, err = s.Training.Categories(r.Context(), id); err != nil {
			return err
		}
	}
	return s.render(w, r, http.StatusOK, "training_course", &data)
}

type trainingModuleView struct {
	Title   string
	Lessons []trainingLessonView
}

type trainingLessonView struct {
	training.Lesson
	Body template.HTML
}

type trainingExamData struct {
	Page
	Course training.Course
	State  training.ExamState
	// Refusal is why the learner cannot start now, in their language ("" when they can); it is
	// left out when the page's error already says it (a start that was just refused).
	Refusal string
}

// examPage is the start step and the exam. Opening it starts nothing: it shows the exam's terms
// and the learner's attempts, the result once there is one, and the "Bắt đầu làm bài" form; an
// attempt already running is resumed by training.js through the API, which saves each answer
// as it is chosen and shows the server's remaining time.
func (s *Server) examPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderExam(w, r, nil)
}

func (s *Server) renderExam(w http.ResponseWriter, r *http.Request, formErr error) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	c, err := s.Training.CourseToTake(r.Context(), id)
	if err != nil {
		return err
	}
	st, err := s.Training.ExamStateFor(r.Context(), c)
	if err != nil {
		return err
	}
	data := trainingExamData{Page: s.newPage(r, "training.exam.title"), Course: c, State: st}
	if st.Refusal != nil {
		ae := apperr.As(st.Refusal)
		data.Refusal = data.T(ae.Key, ae.Args...)
		if formErr != nil {
			if fe := apperr.As(formErr); data.T(fe.Key, fe.Args...) == data.Refusal {
				data.Refusal = ""
			}
		}
	}
	return s.renderForm(w, r, "training_exam", &data, formErr)
}

// examStartSubmit is the "Bắt đầu làm bài" button: the one way the page starts an attempt, with
// the same admission rules as POST /api/v1/courses/{id}/attempts (lobby, attempts, retry delay).
// A running attempt is resumed, not doubled. The learner lands back on the exam page, which then
// has the attempt running; a refusal is shown on the start step.
func (s *Server) examStartSubmit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := parseForm(w, r, formSmall); err != nil {
		return err
	}
	if _, err := s.Training.StartAttempt(r.Context(), id); err != nil {
		return s.renderExam(w, r, err)
	}
	http.Redirect(w, r, "/courses/"+strconv.FormatInt(id, 10)+"/exam", http.StatusSeeOther)
	return nil
}

// Score writes a score out of 100 in the page's language: "87,5 điểm", "100 điểm".
func (p Page) Score(v float64) string {
	return p.T("training.score", training.FormatScore(v, p.Lang))
}

type trainingVerifyData struct {
	Page
	Cert      training.Certificate
	Found     bool
	VerifyURL string
}

// verifyPage is public: anyone holding a certificate (or its QR code) checks it here, no account.
func (s *Server) verifyPage(w http.ResponseWriter, r *http.Request) error {
	code := r.PathValue("code")
	c, err := s.Training.FindCertificate(r.Context(), code)
	data := trainingVerifyData{Page: s.newPage(r, "training.verify.title")}
	if err != nil {
		if !apperr.Is(err, apperr.NotFound) {
			return err
		}
		return s.render(w, r, http.StatusNotFound, "training_verify", &data)
	}
	data.Cert, data.Found = c, true
	data.VerifyURL = training.VerifyURL(s.publicBaseURL(r), c.Code)
	return s.render(w, r, http.StatusOK, "training_verify", &data)
}

type trainingCertificatesData struct {
	Page
	Certificates []trainingCertView
}

type trainingCertView struct {
	training.Certificate
	VerifyURL string
	QR        template.URL
}

func trainingQR(text string) template.URL {
	png, err := qrcode.Encode(text, qrcode.Medium, 160)
	if err != nil {
		return ""
	}
	var b bytes.Buffer
	b.WriteString("data:image/png;base64,")
	b.WriteString(base64.StdEncoding.EncodeToString(png))
	return template.URL(b.String()) // a data: URL made here, not user input
}

func (s *Server) certificatesPage(w http.ResponseWriter, r *http.Request) error {
	list, err := s.Training.MyCertificates(r.Context())
	if err != nil {
		return err
	}
	data := trainingCertificatesData{Page: s.newPage(r, "training.certificates.title")}
	for _, c := range list {
		u := training.VerifyURL(s.publicBaseURL(r), c.Code)
		data.Certificates = append(data.Certificates, trainingCertView{Certificate: c, VerifyURL: u, QR: trainingQR(u)})
	}
	return s.render(w, r, http.StatusOK, "training_certificates", &data)
}

type trainingFiguresData struct {
	Page
	Course training.Course
	Totals training.Totals
	Rows   []training.FigureRow
	By     string
	Parent string
	// View is "now" (rolled up into today's units and organisations) or "was" (as recorded).
	View  string
	Board []training.FigureRow
	// BoardLevel is what the leaderboard ranks: "district" (the map of 2023), "commune" (the map of
	// 2025, which has no district), or "province" (a national course read by a national
	// administrator).
	BoardLevel string
	// BoardByShare: some rows have a headcount, the leaderboard ranks them by completed share.
	BoardByShare bool
	// Target is the province's target share of the course (0: none set); MayEditTargets shows the
	// way to the targets page.
	Target         int
	MayEditTargets bool
}

func (s *Server) figuresPage(w http.ResponseWriter, r *http.Request) error {
	f, err := s.figureFilter(r)
	if err != nil {
		return err
	}
	c, err := s.Training.FindCourse(r.Context(), f.CourseID)
	if err != nil {
		return err
	}
	data := trainingFiguresData{Page: s.newPage(r, "training.figures.title"), Course: c, By: f.By, Parent: f.Parent, View: f.View}
	if data.By == "" {
		data.By = "unit"
	}
	if data.View == "" {
		data.View = training.ViewNow
	}
	if data.Rows, err = s.Training.Figures(r.Context(), f); err != nil {
		return err
	}
	if data.Totals, err = s.Training.TotalsFor(r.Context(), f.CourseID); err != nil {
		return err
	}
	// The leaderboard ranks districts; a national course read by a national administrator ranks
	// the provinces.
	board := "district"
	if c.Province == "" && authz.ActorFrom(r.Context()).IsNational() {
		board = "province"
	} else if province := c.Province; province != "" || authz.ActorFrom(r.Context()).HomeProvince() != "" {
		if province == "" {
			province = authz.ActorFrom(r.Context()).HomeProvince()
		}
		// On the two-tier map of 2025 a province has no district: the communes are ranked.
		n, err := s.Units.Count(r.Context(), units.Filter{ParentCode: province, Level: units.District})
		if err != nil {
			return err
		}
		if n == 0 {
			board = "commune"
		}
	}
	data.BoardLevel = board
	if data.Board, err = s.Training.Figures(r.Context(), training.FigureFilter{CourseID: f.CourseID, Level: board, View: f.View, Limit: 10}); err != nil {
		return err
	}
	data.BoardByShare = len(data.Board) > 0 && data.Board[0].CompletedShare != nil
	a := authz.ActorFrom(r.Context())
	province := c.Province
	if province == "" {
		province = a.HomeProvince()
	}
	data.MayEditTargets = province != "" && a.AdministersProvince(province)
	if province != "" {
		if data.Target, err = s.Training.TargetShare(r.Context(), province, c.ID); err != nil {
			return err
		}
	}
	return s.render(w, r, http.StatusOK, "training_figures", &data)
}

// importQuestionsSubmit takes the question file from the course page's form.
func (s *Server) importQuestionsSubmit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := s.Training.ManagedCourse(r.Context(), id); err != nil {
		return err
	}
	body, done, err := openUpload(w, r, "file", training.MaxImportBytes)
	if err != nil {
		return err
	}
	defer done()
	if _, err := s.Training.ImportQuestions(r.Context(), id, body); err != nil {
		return err
	}
	return s.redirectFlash(w, r, "/courses/"+strconv.FormatInt(id, 10), "training.import.done")
}

func (s *Server) publishSubmit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := s.Training.Publish(r.Context(), id); err != nil {
		return err
	}
	return s.redirectFlash(w, r, "/courses/"+strconv.FormatInt(id, 10), "training.publish.done")
}

type trainingNewCourseData struct {
	Page
	Form trainingCourseInput
	// Scope says whose the new course will be: "Khóa học của tỉnh Quảng Ngãi…" or national.
	Scope string
}

// newCourseData is the form's page: the course will be the creator's province's (the one it
// administers) or, for a national administrator, national.
func (s *Server) newCourseData(r *http.Request, f trainingCourseInput) *trainingNewCourseData {
	p := s.newPage(r, "training.course.new")
	data := &trainingNewCourseData{Page: p, Form: f, Scope: p.T("training.course.scope_national")}
	if code := training.DefaultProvince(authz.ActorFrom(r.Context())); code != "" {
		name := code
		if prov, ok := s.provinces.find(r.Context(), code); ok {
			name = units.InSentence(prov.Name)
		}
		data.Scope = p.T("training.course.scope_province", name)
	}
	return data
}

func (s *Server) courseNewForm(w http.ResponseWriter, r *http.Request) error {
	if !training.MayCreate(authz.ActorFrom(r.Context())) {
		return apperr.New(apperr.Forbidden, "training.error.manage_forbidden")
	}
	f := trainingCourseInput{Exam: training.Exam{QuestionCount: 10, PassPercent: 70, TimeLimitMinutes: 20, MaxAttempts: 3, ReviewAllowed: true}}
	return s.render(w, r, http.StatusOK, "training_course_new", s.newCourseData(r, f))
}

func formInt(r *http.Request, name string) int {
	n, _ := strconv.Atoi(strings.TrimSpace(r.PostFormValue(name)))
	return n
}

// courseCreateSubmit creates a draft course from the form and opens it (to import its bank).
func (s *Server) courseCreateSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r, formLarge); err != nil {
		return err
	}
	f := trainingCourseInput{Title: r.PostFormValue("title"), Summary: r.PostFormValue("summary"), Sequential: r.PostFormValue("sequential") == "1",
		Exam: training.Exam{QuestionCount: formInt(r, "question_count"), PassPercent: formInt(r, "pass_percent"), TimeLimitMinutes: formInt(r, "time_limit_minutes"),
			MaxAttempts: formInt(r, "max_attempts"), RetryDelayMinutes: formInt(r, "retry_delay_minutes"), ReviewAllowed: r.PostFormValue("review_allowed") == "1",
			LobbyMinutes: formInt(r, "lobby_minutes"), StartWindowSeconds: formInt(r, "start_window_seconds")}}
	if cats := strings.TrimSpace(r.PostFormValue("categories")); cats != "" {
		f.Exam.Categories = strings.Split(cats, ",")
	}
	if v := r.PostFormValue("exam_at"); v != "" {
		t, err := time.ParseInLocation("2006-01-02T15:04", v, vietnamTime)
		if err != nil {
			return apperr.InvalidField("exam_at", "training.error.date", v)
		}
		f.Exam.ExamAt = t
	}
	c, err := s.Training.CreateCourse(r.Context(), training.Course{Province: f.province(r), Title: f.Title, Summary: f.Summary, Sequential: f.Sequential, Exam: f.Exam})
	if err != nil {
		return s.renderForm(w, r, "training_course_new", s.newCourseData(r, f), err)
	}
	return s.redirectFlash(w, r, "/courses/"+strconv.FormatInt(c.ID, 10), "training.course.created")
}

// rosterSubmit enrols the learners of an uploaded roster (organisation and unit administrators).
func (s *Server) rosterSubmit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	body, done, err := openUpload(w, r, "file", 16<<20)
	if err != nil {
		return err
	}
	defer done()
	if _, err := s.Training.EnrolRoster(r.Context(), id, body); err != nil {
		return err
	}
	return s.redirectFlash(w, r, "/courses/"+strconv.FormatInt(id, 10)+"/figures", "training.roster.done")
}
