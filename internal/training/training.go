// Package training is section IV of the plan: digital-skills courses (modules and lessons), their
// question banks, the exams that complete them, certificates that anyone can verify, and the
// mobilisation figures of every organisation and unit.
//
// The exam engine runs on the server only. An attempt draws its questions at random from the
// course's chosen categories and shuffles their options; the browser gets question and option ids
// and texts, never which options are correct. Each answer is saved as it is chosen through the
// platform's group commit (db.Batcher), the time limit is kept by the server, and scoring happens
// at submission. Starting an attempt does no heavy work: the course's question bank is kept in
// memory as a compact snapshot (question ids per category, options per question) with a version
// number, so a start is a random pick of ids plus one INSERT.
package training

import (
	"cmp"
	"embed"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/lantoa/lantoa/internal/notify"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/db"
)

//go:embed migrations
var migrations embed.FS

// Migrations is the training schema; it follows accounts and orgs.
var Migrations = db.MigrationSet{Module: "training", FS: migrations}

// Status is where a course is in its life.
type Status string

// The statuses of a course.
const (
	Draft     Status = "draft"
	Published Status = "published"
	Closed    Status = "closed"
	// Upcoming is never stored: a published course before its open date (StatusAt).
	Upcoming Status = "upcoming"
)

// Kind is the type of a question.
type Kind string

// The kinds of question.
const (
	Single    Kind = "single"    // one correct option
	Multiple  Kind = "multiple"  // one or more correct options, all must be chosen
	TrueFalse Kind = "truefalse" // two options: Đúng / Sai
)

// Valid tells whether k is a known kind.
func (k Kind) Valid() bool { return k == Single || k == Multiple || k == TrueFalse }

// Exam is the exam that completes a course.
type Exam struct {
	// QuestionCount questions are drawn for each attempt.
	QuestionCount int `json:"question_count"`
	// PassPercent is the pass mark, 1–100.
	PassPercent int `json:"pass_percent"`
	// TimeLimitMinutes is kept by the server; 0 is not allowed.
	TimeLimitMinutes int `json:"time_limit_minutes"`
	// MaxAttempts is the number of attempts a learner may make; 0 means unlimited.
	MaxAttempts int `json:"max_attempts"`
	// RetryDelayMinutes must pass between the end of one attempt and the start of the next.
	RetryDelayMinutes int `json:"retry_delay_minutes"`
	// Categories are those the questions are drawn from; empty means every category.
	Categories []string `json:"categories"`
	// ReviewAllowed lets learners see the correct answers after submission.
	ReviewAllowed bool `json:"review_allowed"`
	// ExamAt is a scheduled start; before it learners wait in the lobby. Zero: any time.
	ExamAt time.Time `json:"exam_at,omitzero"`
	// LobbyMinutes is how long before ExamAt the lobby opens.
	LobbyMinutes int `json:"lobby_minutes"`
	// StartWindowSeconds spreads the start: each learner gets an own start time at random in
	// [ExamAt, ExamAt+StartWindowSeconds), so thousands do not press "start" in the same second.
	StartWindowSeconds int `json:"start_window_seconds"`
}

// Course is a digital-skills course.
type Course struct {
	ID int64 `json:"id"`
	// Province is the GSO code of the province that runs the course; "" is a national course,
	// open to learners of every province and published by a national administrator.
	Province   string    `json:"province_code"`
	Title      string    `json:"title"`
	Summary    string    `json:"summary"`
	Audience   string    `json:"audience"`
	Status     Status    `json:"status"`
	OpensAt    time.Time `json:"opens_at,omitzero"`
	ClosesAt   time.Time `json:"closes_at,omitzero"`
	Sequential bool      `json:"sequential"`
	Exam       Exam      `json:"exam"`
	// QuestionTotal is the number of active questions in the bank.
	QuestionTotal int       `json:"question_total"`
	PublishedAt   time.Time `json:"published_at,omitzero"`
	CreatedAt     time.Time `json:"created_at"`
	bankVersion   int64
}

// StatusAt is the course's status as a learner meets it at now: a published course is closed
// once its close date has passed and upcoming before its open date. Starting an attempt,
// enrolling and the pages all decide by it.
func (c Course) StatusAt(now time.Time) Status {
	if c.Status != Published {
		return c.Status
	}
	switch {
	case !c.ClosesAt.IsZero() && now.After(c.ClosesAt):
		return Closed
	case !c.OpensAt.IsZero() && now.Before(c.OpensAt):
		return Upcoming
	}
	return Published
}

// Audiences are the target groups the plan names.
var Audiences = []string{"officials", "teachers", "pupils", "students", "youth", "citizens"}

// AudienceNames are the audiences as the plan writes them, for labels people read.
var AudienceNames = map[string]string{"officials": "cán bộ, công chức", "teachers": "giáo viên", "pupils": "học sinh",
	"students": "sinh viên", "youth": "đoàn viên thanh niên", "citizens": "người dân"}

// AudienceText spells a course's audience list ("citizens,youth") as people read it.
func AudienceText(list string) string {
	var out []string
	for _, a := range strings.Split(list, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, cmp.Or(AudienceNames[a], a))
		}
	}
	return strings.Join(out, "; ")
}

// Validate checks a course's fields without the database and normalises them.
func (c *Course) Validate() error {
	c.Title = strings.Join(strings.Fields(c.Title), " ")
	c.Summary = strings.TrimSpace(c.Summary)
	if c.Title == "" {
		return apperr.InvalidField("title", "training.error.title_required")
	}
	if utf8.RuneCountInString(c.Title) > 200 {
		return apperr.InvalidField("title", "training.error.title_long")
	}
	if utf8.RuneCountInString(c.Summary) > 4000 {
		return apperr.InvalidField("summary", "training.error.summary_long")
	}
	var aud []string
	for _, a := range strings.FieldsFunc(c.Audience, func(r rune) bool { return r == ',' || r == ' ' }) {
		ok := false
		for _, x := range Audiences {
			ok = ok || x == a
		}
		if !ok {
			return apperr.InvalidField("audience", "training.error.audience", a)
		}
		aud = append(aud, a)
	}
	c.Audience = strings.Join(aud, ",")
	if !c.OpensAt.IsZero() && !c.ClosesAt.IsZero() && !c.ClosesAt.After(c.OpensAt) {
		return apperr.InvalidField("closes_at", "training.error.dates")
	}
	return c.Exam.Validate()
}

// Validate checks the exam settings.
func (e *Exam) Validate() error {
	switch {
	case e.QuestionCount < 1 || e.QuestionCount > 200:
		return apperr.InvalidField("question_count", "training.error.question_count")
	case e.PassPercent < 1 || e.PassPercent > 100:
		return apperr.InvalidField("pass_percent", "training.error.pass_percent")
	case e.TimeLimitMinutes < 1 || e.TimeLimitMinutes > 600:
		return apperr.InvalidField("time_limit_minutes", "training.error.time_limit")
	case e.MaxAttempts < 0 || e.MaxAttempts > 100:
		return apperr.InvalidField("max_attempts", "training.error.max_attempts")
	case e.RetryDelayMinutes < 0 || e.RetryDelayMinutes > 60*24*30:
		return apperr.InvalidField("retry_delay_minutes", "training.error.retry_delay")
	case e.LobbyMinutes < 0 || e.LobbyMinutes > 24*60:
		return apperr.InvalidField("lobby_minutes", "training.error.lobby")
	case e.StartWindowSeconds < 0 || e.StartWindowSeconds > 3600:
		return apperr.InvalidField("start_window_seconds", "training.error.start_window")
	}
	var cats []string
	for _, c := range e.Categories {
		c = strings.Join(strings.Fields(c), " ")
		if c == "" {
			continue
		}
		if utf8.RuneCountInString(c) > 100 || strings.Contains(c, "\n") {
			return apperr.InvalidField("categories", "training.error.category")
		}
		cats = append(cats, c)
	}
	e.Categories = cats
	return nil
}

// Service runs the training module.
type Service struct {
	DB    *db.DB
	Now   func() time.Time
	batch *db.Batcher
	// saves feeds the answer writer (answers_writer.go).
	saves      chan *pendingSave
	writerDone chan struct{}

	closeOnce sync.Once
	mu        sync.Mutex
	loadMu    sync.Mutex
	banks     map[int64]*bank
	// attempts caches what never changes in an attempt (owner, questions, options, deadline), so
	// saving an answer reads nothing from the database.
	attempts map[int64]*attemptMeta
	// saveKey signs the attempts' save tokens (savetoken.go).
	saveKey saveKey
	// ObserveStart, if set, is told how long each phase of a successful StartAttempt took:
	// "read" (course and the learner's attempts), "wait" (queued for the group commit), "write"
	// (the write and its commit) and "render". The benchmark uses it to find where the tail is.
	ObserveStart func(phase string, d time.Duration)
	// notify, when set, tells enrolled learners when their exam is scheduled or moved
	// (schedule_notify.go); baseURL is the site's public address for the exam link. Both are
	// given at construction (WithNotify), so that no caller can forget to attach them.
	notify  *notify.Service
	baseURL string
}

// Option configures a Service at construction.
type ServiceOption func(*Service)

// WithNotify announces exam schedules to enrolled learners through n, with links under baseURL
// (the site's public address; "" tells the learner where to find the exam instead).
func WithNotify(n *notify.Service, baseURL string) ServiceOption {
	return func(s *Service) { s.notify, s.baseURL = n, baseURL }
}

// NewService returns the training service. Close stops its group-commit batcher.
func NewService(d *db.DB, opts ...ServiceOption) *Service {
	s := &Service{DB: d, Now: time.Now, batch: d.NewBatcher(256, 0), banks: map[int64]*bank{}, attempts: map[int64]*attemptMeta{}}
	for _, o := range opts {
		o(s)
	}
	writers := 1
	if d.Engine == db.Postgres {
		writers = 8
	}
	s.startAnswerWriters(writers)
	return s
}

// Close finishes the queued writes and stops the writers. Nothing may be saved after it.
func (s *Service) Close() {
	s.closeOnce.Do(func() {
		close(s.saves)
		<-s.writerDone
		s.batch.Close()
	})
}
