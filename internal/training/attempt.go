package training

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
)

// Grace absorbs network latency: an answer sent just before the deadline that arrives within it
// still counts. Anything later is refused.
const Grace = 3 * time.Second

// attemptMeta is what never changes in an attempt once drawn.
type attemptMeta struct {
	id, courseID, userID int64
	started, deadline    time.Time
	order                []int64           // question ids in the attempt's order
	options              map[int64][]int64 // question id → option ids in the attempt's order
	submitted            atomic.Bool
	// passPercent is the pass mark the attempt started under (0 on attempts from before it was
	// stored: the course's current one applies).
	passPercent int
}

// encodeLayout stores the drawn questions and the order of their options in one column:
// "12:40.38.39.41;15:52.51".
func encodeLayout(order []int64, opts map[int64][]int64) string {
	var b strings.Builder
	for i, q := range order {
		if i > 0 {
			b.WriteByte(';')
		}
		b.WriteString(strconv.FormatInt(q, 10))
		b.WriteByte(':')
		for j, o := range opts[q] {
			if j > 0 {
				b.WriteByte('.')
			}
			b.WriteString(strconv.FormatInt(o, 10))
		}
	}
	return b.String()
}

func decodeLayout(s string) ([]int64, map[int64][]int64, error) {
	opts := map[int64][]int64{}
	var order []int64
	for _, part := range strings.Split(s, ";") {
		qs, os, ok := strings.Cut(part, ":")
		if !ok {
			return nil, nil, fmt.Errorf("bad layout %q", part)
		}
		q, err := strconv.ParseInt(qs, 10, 64)
		if err != nil {
			return nil, nil, err
		}
		order = append(order, q)
		for _, x := range strings.Split(os, ".") {
			o, err := strconv.ParseInt(x, 10, 64)
			if err != nil {
				return nil, nil, err
			}
			opts[q] = append(opts[q], o)
		}
	}
	return order, opts, nil
}

func encodeChoices(c []int64) string {
	parts := make([]string, len(c))
	for i, x := range c {
		parts[i] = strconv.FormatInt(x, 10)
	}
	return strings.Join(parts, ",")
}

func decodeChoices(s string) []int64 {
	out := []int64{}
	for _, p := range strings.Split(s, ",") {
		if v, err := strconv.ParseInt(p, 10, 64); err == nil {
			out = append(out, v)
		}
	}
	return out
}

// StartOffset is the learner's own start time within the exam's start window: spread at random
// over the window but stable for one learner, so reloading the lobby does not move it.
func StartOffset(courseID, userID int64, windowSeconds int) time.Duration {
	if windowSeconds <= 0 {
		return 0
	}
	h := fnv.New64a()
	fmt.Fprintf(h, "%d/%d", courseID, userID)
	return time.Duration(h.Sum64()%uint64(windowSeconds)) * time.Second // #nosec G115 -- the remainder is below windowSeconds, an int64
}

// LearnerStart is when the learner may start the exam (zero when the exam is not scheduled).
func LearnerStart(c Course, userID int64) time.Time {
	if c.Exam.ExamAt.IsZero() {
		return time.Time{}
	}
	return c.Exam.ExamAt.Add(StartOffset(c.ID, userID, c.Exam.StartWindowSeconds))
}

// Lobby tells a learner where they stand before a scheduled exam.
type Lobby struct {
	ExamAt     time.Time `json:"exam_at,omitzero"`
	OpensAt    time.Time `json:"lobby_opens_at,omitzero"`
	YourStart  time.Time `json:"your_start,omitzero"`
	Open       bool      `json:"lobby_open"`
	CanStart   bool      `json:"can_start"`
	WaitSecond int       `json:"wait_seconds"`
}

// LobbyFor computes the lobby of c for the learner.
func (s *Service) LobbyFor(c Course, userID int64) Lobby {
	now := s.Now()
	l := Lobby{ExamAt: c.Exam.ExamAt, YourStart: LearnerStart(c, userID)}
	if l.ExamAt.IsZero() {
		l.Open, l.CanStart = true, true
		return l
	}
	l.OpensAt = l.ExamAt.Add(-time.Duration(c.Exam.LobbyMinutes) * time.Minute)
	l.Open = !now.Before(l.OpensAt)
	l.CanStart = !now.Before(l.YourStart)
	if !l.CanStart {
		l.WaitSecond = int(math.Ceil(l.YourStart.Sub(now).Seconds()))
	}
	return l
}

// enrolmentScope is where a learner belongs for the figures: their learner grant, else their
// first grant.
func enrolmentScope(a *authz.Actor) (orgID int64, orgPath, unitPath string) {
	var g *authz.Grant
	for i := range a.Grants {
		if a.Grants[i].Role == authz.Learner {
			g = &a.Grants[i]
			break
		}
	}
	if g == nil && len(a.Grants) > 0 {
		g = &a.Grants[0]
	}
	if g == nil {
		return 0, "", ""
	}
	return g.OrgID, g.OrgPath, g.UnitPath
}

type attemptStats struct {
	count    int // attempts that count toward the course's max attempts
	open     int64
	lastEnd  time.Time
	passed   bool
	enrolled bool
	extra    int
	// countedAfter: only attempts with a larger id count toward max attempts (see migration 0005).
	countedAfter int64
}

func (s *Service) stats(ctx context.Context, q db.Querier, courseID, userID int64) (attemptStats, error) {
	var st attemptStats
	var passed int64
	err := q.QueryRowContext(ctx, "SELECT passed_at, extra_minutes, attempts_counted_after FROM training_enrolments WHERE course_id = ? AND user_id = ?", courseID, userID).
		Scan(&passed, &st.extra, &st.countedAfter)
	if err == nil {
		st.enrolled, st.passed = true, passed != 0
	} else if !errors.Is(err, sql.ErrNoRows) {
		return st, apperr.Wrap(err, "enrolment")
	}
	rows, err := q.QueryContext(ctx, "SELECT id, deadline_at, submitted_at FROM training_attempts WHERE user_id = ? AND course_id = ?", userID, courseID)
	if err != nil {
		return st, apperr.Wrap(err, "attempt stats")
	}
	for rows.Next() {
		var id, deadline, submitted int64
		if err := rows.Scan(&id, &deadline, &submitted); err != nil {
			rows.Close()
			return st, apperr.Wrap(err, "attempt stats")
		}
		if id > st.countedAfter {
			st.count++
		}
		if submitted == 0 {
			st.open = id
		} else if t := db.FromMillis(submitted); t.After(st.lastEnd) {
			st.lastEnd = t
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return st, apperr.Wrap(err, "attempt stats")
	}
	return st, nil
}

// StartAttempt starts an exam attempt for the signed-in learner, or returns the attempt they
// already have open (a lost connection or a closed tab resumes where it was). The questions are
// drawn at random from the in-memory snapshot of the bank and their options shuffled; the write
// is one INSERT (plus the enrolment on a first start) through the group-commit batcher. The rules
// are in attempt_start_rule.go; here are the reads they need, each only once the rules before it
// have let the learner through, and the write.
func (s *Service) StartAttempt(ctx context.Context, courseID int64) (AttemptView, error) {
	actor := authz.ActorFrom(ctx)
	if actor == nil {
		return AttemptView{}, apperr.New(apperr.Unauthenticated, "error.login_required")
	}
	t0 := time.Now()
	// A course of another province is not found; a national administrator takes no province's exam.
	c, err := s.participableCourse(ctx, s.DB.Reader(), courseID)
	if err != nil {
		return AttemptView{}, err
	}
	now := s.Now()
	if err := courseStartable(c, now); err != nil {
		return AttemptView{}, err
	}
	in, open, err := s.readStart(ctx, c, actor.UserID, now)
	if err != nil {
		return AttemptView{}, err
	}
	d, err := s.decide(ctx, in, open)
	if err != nil {
		return AttemptView{}, err
	}
	if d.resume {
		return s.view(ctx, c, open)
	}
	if d.lessonsFirst {
		if err := s.requireLessonsDone(ctx, c); err != nil {
			return AttemptView{}, err
		}
	}
	b, err := s.bankFor(ctx, c)
	if err != nil {
		return AttemptView{}, err
	}
	m := &attemptMeta{courseID: courseID, userID: actor.UserID, started: now, deadline: d.deadline, passPercent: c.Exam.PassPercent}
	if m.order, m.options, err = draw(b, d.questions); err != nil {
		return AttemptView{}, err
	}
	layout := encodeLayout(m.order, m.options)
	t1 := time.Now()
	resumed, t2, err := s.insertAttempt(ctx, actor, c, in.stats, m, layout)
	if err != nil {
		return AttemptView{}, err
	}
	if resumed != 0 {
		// Another start of the same learner opened one first.
		if m, err = s.meta(ctx, resumed); err != nil {
			return AttemptView{}, err
		}
		return s.view(ctx, c, m)
	}
	s.remember(m)
	t3 := time.Now()
	v, err := s.render(ctx, c, m, true)
	if err == nil {
		s.observeStart(t0, t1, t2, t3)
	}
	return v, err
}

// observeStart tells ObserveStart how long the phases of a start took: from t0 the reads and the
// draw, from t1 the wait for the group commit, from t2 the write, and from t3 the render until now.
func (s *Service) observeStart(t0, t1, t2, t3 time.Time) {
	if obs := s.ObserveStart; obs != nil && !t2.IsZero() {
		obs("read", t1.Sub(t0))
		obs("wait", t2.Sub(t1))
		obs("write", t3.Sub(t2))
		obs("render", time.Since(t3))
	}
}

// readStart reads what decideStart needs of the learner: their attempts and enrolment and, when
// they have an attempt open, that attempt.
func (s *Service) readStart(ctx context.Context, c Course, userID int64, now time.Time) (startInput, *attemptMeta, error) {
	in := startInput{course: c, userID: userID, now: now}
	var err error
	if in.stats, err = s.stats(ctx, s.DB.Reader(), c.ID, userID); err != nil || in.stats.open == 0 {
		return in, nil, err
	}
	open, err := s.meta(ctx, in.stats.open)
	if err != nil {
		return in, nil, err
	}
	in.openDeadline = open.deadline
	return in, open, nil
}

// decide is decideStart for a learner whose open attempt may have run out of time: that
// attempt is submitted as saved (another request may have done it first), and the decision is
// taken again on the attempts read anew.
func (s *Service) decide(ctx context.Context, in startInput, open *attemptMeta) (startDecision, error) {
	d, err := decideStart(in)
	if err != nil || !d.expire {
		return d, err
	}
	if _, err := s.finish(ctx, open, true); err != nil && !apperr.Is(err, apperr.Conflict) {
		return d, err
	}
	if in.stats, err = s.stats(ctx, s.DB.Reader(), in.course.ID, in.userID); err != nil {
		return d, err
	}
	in.openDeadline = time.Time{}
	return decideStart(in)
}

// requireLessonsDone refuses the exam of a sequential course until every lesson is done.
func (s *Service) requireLessonsDone(ctx context.Context, c Course) error {
	done, err := s.AllLessonsDone(ctx, c)
	if err != nil {
		return err
	}
	if !done {
		return apperr.New(apperr.Conflict, "training.error.lessons_first")
	}
	return nil
}

// insertAttempt writes the drawn attempt m in the group commit, with the learner's enrolment on
// their first start, and returns when the write began (for ObserveStart). When recheckStart finds
// an attempt opened meanwhile, nothing is written and that attempt's id is returned instead.
func (s *Service) insertAttempt(ctx context.Context, actor *authz.Actor, c Course, st attemptStats, m *attemptMeta, layout string) (resumed int64, began time.Time, err error) {
	err = s.batch.Do(ctx, func(tx *db.Tx) error {
		began = time.Now()
		var open, count, counted int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(CASE WHEN submitted_at = 0 THEN id ELSE 0 END), 0), COUNT(*),
			COALESCE(SUM(CASE WHEN id > ? THEN 1 ELSE 0 END), 0) FROM training_attempts WHERE user_id = ? AND course_id = ?`,
			st.countedAfter, actor.UserID, c.ID).Scan(&open, &count, &counted); err != nil {
			return apperr.Wrap(err, "recheck attempts")
		}
		var err error
		if resumed, err = recheckStart(c, open, counted); err != nil || resumed != 0 {
			return err
		}
		ms := db.Millis(m.started)
		if err := enrolOnStart(ctx, tx, actor, c.ID, st.enrolled, count == 0, ms); err != nil {
			return err
		}
		id, err := tx.InsertID(ctx, `INSERT INTO training_attempts (course_id, user_id, layout, started_at, deadline_at, question_total, pass_percent)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, c.ID, actor.UserID, layout, ms, db.Millis(m.deadline), len(m.order), m.passPercent)
		m.id = id
		return apperr.Wrap(err, "insert attempt")
	})
	return resumed, began, err
}

// enrolOnStart enrols the learner on their first contact with the course and marks their first
// start (firstAttempt), moving the figures' counters in the same transaction.
func enrolOnStart(ctx context.Context, tx *db.Tx, actor *authz.Actor, courseID int64, enrolled, firstAttempt bool, ms int64) error {
	inserted := false
	if !enrolled {
		orgID, orgPath, unitPath := enrolmentScope(actor)
		res, err := tx.ExecContext(ctx, `INSERT INTO training_enrolments (course_id, user_id, org_id, org_path, unit_path, source, enrolled_at, started_at)
			VALUES (?, ?, ?, ?, ?, 'self', ?, ?) ON CONFLICT (course_id, user_id) DO NOTHING`, courseID, actor.UserID, db.NullInt(orgID), orgPath, unitPath, ms, ms)
		if err != nil {
			return apperr.Wrap(err, "enrol")
		}
		if n, _ := res.RowsAffected(); n == 1 {
			inserted = true
			if err := bumpEnrolment(ctx, tx, courseID, actor.UserID, figureDelta{enrolled: 1, started: 1}); err != nil {
				return err
			}
		}
	}
	if inserted || !firstAttempt {
		return nil
	}
	res, err := tx.ExecContext(ctx, "UPDATE training_enrolments SET started_at = ? WHERE course_id = ? AND user_id = ? AND started_at = 0", ms, courseID, actor.UserID)
	if err != nil {
		return apperr.Wrap(err, "enrolment start")
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return bumpEnrolment(ctx, tx, courseID, actor.UserID, figureDelta{started: 1})
	}
	return nil
}

var vietnam = time.FixedZone("ICT", 7*3600)

const maxCachedAttempts = 100_000

func (s *Service) remember(m *attemptMeta) {
	s.mu.Lock()
	if len(s.attempts) >= maxCachedAttempts {
		for k := range s.attempts { // drop an arbitrary tenth; a miss costs one indexed read
			delete(s.attempts, k)
			if len(s.attempts) < maxCachedAttempts*9/10 {
				break
			}
		}
	}
	s.attempts[m.id] = m
	s.mu.Unlock()
}

// meta returns the fixed part of an attempt, from memory or from the database.
func (s *Service) meta(ctx context.Context, id int64) (*attemptMeta, error) {
	s.mu.Lock()
	m := s.attempts[id]
	s.mu.Unlock()
	if m != nil {
		return m, nil
	}
	var layout string
	var started, deadline, submitted int64
	m = &attemptMeta{id: id}
	err := s.DB.Reader().QueryRowContext(ctx, "SELECT course_id, user_id, layout, started_at, deadline_at, submitted_at, pass_percent FROM training_attempts WHERE id = ?", id).
		Scan(&m.courseID, &m.userID, &layout, &started, &deadline, &submitted, &m.passPercent)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.New(apperr.NotFound, "training.error.attempt_not_found")
	}
	if err != nil {
		return nil, apperr.Wrap(err, "find attempt")
	}
	m.started, m.deadline = db.FromMillis(started), db.FromMillis(deadline)
	m.submitted.Store(submitted != 0)
	if m.order, m.options, err = decodeLayout(layout); err != nil {
		return nil, apperr.Wrap(err, "attempt layout")
	}
	s.remember(m)
	return m, nil
}

// own returns the attempt if it belongs to the signed-in learner; anyone else's is "not found".
func (s *Service) own(ctx context.Context, id int64) (*attemptMeta, error) {
	actor := authz.ActorFrom(ctx)
	if actor == nil {
		return nil, apperr.New(apperr.Unauthenticated, "error.login_required")
	}
	m, err := s.meta(ctx, id)
	if err != nil {
		return nil, err
	}
	if m.userID != actor.UserID {
		// Someone else's attempt: not found to the asker, and a denial in the audit log.
		return nil, apperr.Hidden("training.error.attempt_not_found")
	}
	return m, nil
}

// AttemptView is an attempt as the learner sees it. It holds no field that tells which option is
// correct: only ids, texts and the learner's own saved choices.
type AttemptView struct {
	ID               int64          `json:"id"`
	CourseID         int64          `json:"course_id"`
	CourseTitle      string         `json:"course_title"`
	StartedAt        time.Time      `json:"started_at"`
	Deadline         time.Time      `json:"deadline"`
	RemainingSeconds int            `json:"remaining_seconds"`
	Submitted        bool           `json:"submitted"`
	Questions        []QuestionView `json:"questions"`
	Result           *Result        `json:"result,omitempty"`
	// SaveToken, while the attempt is open, lets the page save answers without its session being
	// read each time (savetoken.go); it is sent back in the X-Lantoa-Save-Token header.
	SaveToken string `json:"save_token,omitempty"`
}

// QuestionView is a question of an attempt.
type QuestionView struct {
	ID      int64        `json:"id"`
	Type    Kind         `json:"type"`
	Text    string       `json:"text"`
	Options []OptionView `json:"options"`
	Choices []int64      `json:"choices"`
}

// OptionView is an option of an attempt's question.
type OptionView struct {
	ID   int64  `json:"id"`
	Text string `json:"text"`
}

// Result is the outcome of a submitted attempt.
type Result struct {
	Score           float64 `json:"score"`
	Passed          bool    `json:"passed"`
	Correct         int     `json:"correct"`
	Total           int     `json:"total"`
	TimedOut        bool    `json:"timed_out"`
	CertificateCode string  `json:"certificate_code"`
}

func (s *Service) view(ctx context.Context, c Course, m *attemptMeta) (AttemptView, error) {
	return s.render(ctx, c, m, false)
}

// render builds the learner's view of an attempt; a fresh attempt has no saved answer and no
// result, so the start path reads nothing more from the database.
func (s *Service) render(ctx context.Context, c Course, m *attemptMeta, fresh bool) (AttemptView, error) {
	b, err := s.bankFor(ctx, c)
	if err != nil {
		return AttemptView{}, err
	}
	saved := map[int64][]int64{}
	if !fresh {
		if saved, err = s.savedChoices(ctx, s.DB.Reader(), m.id); err != nil {
			return AttemptView{}, err
		}
	}
	v := AttemptView{ID: m.id, CourseID: c.ID, CourseTitle: c.Title, StartedAt: m.started, Deadline: m.deadline, Questions: make([]QuestionView, 0, len(m.order))}
	v.RemainingSeconds = max(0, int(math.Ceil(m.deadline.Sub(s.Now()).Seconds())))
	for _, qid := range m.order {
		q := b.questions[qid]
		if q == nil {
			return AttemptView{}, apperr.New(apperr.Internal, "error.internal")
		}
		qv := QuestionView{ID: qid, Type: q.Kind, Text: q.Text, Choices: saved[qid]}
		if qv.Choices == nil {
			qv.Choices = []int64{}
		}
		for _, oid := range m.options[qid] {
			for _, o := range q.Options {
				if o.ID == oid {
					qv.Options = append(qv.Options, OptionView{ID: o.ID, Text: o.Text})
				}
			}
		}
		v.Questions = append(v.Questions, qv)
	}
	if !fresh {
		r, err := s.result(ctx, m.id)
		if err != nil {
			return AttemptView{}, err
		}
		if r != nil {
			v.Submitted, v.Result, v.RemainingSeconds = true, r, 0
			return v, nil
		}
	}
	if v.SaveToken, err = s.saveToken(ctx, m); err != nil {
		return AttemptView{}, err
	}
	return v, nil
}

func (s *Service) savedChoices(ctx context.Context, q db.Querier, attemptID int64) (map[int64][]int64, error) {
	rows, err := q.QueryContext(ctx, "SELECT question_id, choices FROM training_answers WHERE attempt_id = ?", attemptID)
	if err != nil {
		return nil, apperr.Wrap(err, "answers")
	}
	defer rows.Close()
	out := map[int64][]int64{}
	for rows.Next() {
		var qid int64
		var ch string
		if err := rows.Scan(&qid, &ch); err != nil {
			return nil, apperr.Wrap(err, "answers")
		}
		out[qid] = decodeChoices(ch)
	}
	return out, rows.Err()
}

func (s *Service) result(ctx context.Context, attemptID int64) (*Result, error) {
	var r Result
	var submitted int64
	var passed, timedOut int
	var code sql.NullString
	err := s.DB.Reader().QueryRowContext(ctx, `SELECT a.submitted_at, a.score, a.passed, a.correct_count, a.question_total, a.timed_out, c.code
		FROM training_attempts a LEFT JOIN training_certificates c ON c.attempt_id = a.id AND c.revoked_at = 0 WHERE a.id = ?`, attemptID).
		Scan(&submitted, &r.Score, &passed, &r.Correct, &r.Total, &timedOut, &code)
	if err != nil {
		return nil, apperr.Wrap(err, "attempt result")
	}
	if submitted == 0 {
		return nil, nil
	}
	r.Passed, r.TimedOut, r.CertificateCode = passed == 1, timedOut == 1, code.String
	return &r, nil
}

// GetAttempt returns the learner's own attempt (to resume it). An attempt whose time ran out is
// submitted first, with what was saved.
func (s *Service) GetAttempt(ctx context.Context, id int64) (AttemptView, error) {
	m, err := s.own(ctx, id)
	if err != nil {
		return AttemptView{}, err
	}
	if !m.submitted.Load() && s.Now().After(m.deadline.Add(Grace)) {
		if _, err := s.finish(ctx, m, true); err != nil && !apperr.Is(err, apperr.Conflict) {
			return AttemptView{}, err
		}
	}
	c, err := s.findCourse(ctx, s.DB.Reader(), m.courseID)
	if err != nil {
		return AttemptView{}, err
	}
	return s.view(ctx, c, m)
}

// SavedAnswer is the answer to one question as stored.
type SavedAnswer struct {
	AttemptID  int64     `json:"attempt_id"`
	QuestionID int64     `json:"question_id"`
	Choices    []int64   `json:"choices"`
	SavedAt    time.Time `json:"saved_at"`
}

// SaveAnswer stores the learner's choice for one question of their open attempt, as it is chosen.
// It reads nothing from the database (the attempt's fixed part is in memory) and writes one
// upsert through the group-commit batcher: the call returns once the batch holding it is on disk.
// Refused, changing nothing: another learner's attempt (not found), a question not in the attempt
// or an option not of that question (invalid), an answer after the time limit or after
// submission (conflict).
func (s *Service) SaveAnswer(ctx context.Context, attemptID, questionID int64, choices []int64) (SavedAnswer, error) {
	m, err := s.own(ctx, attemptID)
	if err != nil {
		return SavedAnswer{}, err
	}
	opts, ok := m.options[questionID]
	if !ok {
		return SavedAnswer{}, apperr.New(apperr.Invalid, "training.error.question_not_in_attempt")
	}
	if len(choices) > len(opts) {
		return SavedAnswer{}, apperr.InvalidField("choices", "training.error.choice_invalid")
	}
	seen := map[int64]bool{}
	for _, c := range choices {
		found := false
		for _, o := range opts {
			found = found || o == c
		}
		if seen[c] {
			return SavedAnswer{}, apperr.InvalidField("choices", "training.error.choice_twice")
		}
		if !found {
			return SavedAnswer{}, apperr.InvalidField("choices", "training.error.choice_invalid")
		}
		seen[c] = true
	}
	if len(choices) > 1 && s.kindOf(ctx, m, questionID) != Multiple {
		return SavedAnswer{}, apperr.InvalidField("choices", "training.error.choice_one")
	}
	if m.submitted.Load() {
		return SavedAnswer{}, apperr.New(apperr.Conflict, "training.error.already_submitted")
	}
	now := s.Now()
	if now.After(m.deadline.Add(Grace)) {
		if _, err := s.finish(ctx, m, true); err != nil && !apperr.Is(err, apperr.Conflict) {
			return SavedAnswer{}, err
		}
		return SavedAnswer{}, apperr.New(apperr.Conflict, "training.error.time_up")
	}
	err = s.queueSave(ctx, &pendingSave{attemptID: attemptID, questionID: questionID, choices: encodeChoices(choices), at: db.Millis(now)})
	if apperr.Is(err, apperr.Conflict) {
		m.submitted.Store(true)
	}
	if err != nil {
		return SavedAnswer{}, err
	}
	if choices == nil {
		choices = []int64{}
	}
	return SavedAnswer{AttemptID: attemptID, QuestionID: questionID, Choices: choices, SavedAt: now.UTC()}, nil
}

func (s *Service) kindOf(ctx context.Context, m *attemptMeta, qid int64) Kind {
	s.mu.Lock()
	b := s.banks[m.courseID]
	s.mu.Unlock()
	if b == nil || b.questions[qid] == nil {
		c, err := s.findCourse(ctx, s.DB.Reader(), m.courseID)
		if err != nil {
			return Single
		}
		if b, err = s.bankFor(ctx, c); err != nil || b.questions[qid] == nil {
			return Single
		}
	}
	return b.questions[qid].Kind
}

// Submit ends the learner's attempt and scores it on the server. A second submission is refused
// (conflict) and changes nothing.
func (s *Service) Submit(ctx context.Context, attemptID int64) (Result, error) {
	m, err := s.own(ctx, attemptID)
	if err != nil {
		return Result{}, err
	}
	if m.submitted.Load() {
		return Result{}, apperr.New(apperr.Conflict, "training.error.already_submitted")
	}
	return s.finish(ctx, m, s.Now().After(m.deadline.Add(Grace)))
}

// finish scores and closes an attempt; passing completes the course and issues the certificate,
// all in one transaction.
func (s *Service) finish(ctx context.Context, m *attemptMeta, timedOut bool) (Result, error) {
	c, err := s.findCourse(ctx, s.DB.Reader(), m.courseID)
	if err != nil {
		return Result{}, err
	}
	b, err := s.bankFor(ctx, c)
	if err != nil {
		return Result{}, err
	}
	var r Result
	err = s.batch.Do(ctx, func(tx *db.Tx) error {
		saved, err := s.savedChoices(ctx, tx, m.id)
		if err != nil {
			return err
		}
		r = Result{Total: len(m.order), TimedOut: timedOut}
		for _, qid := range m.order {
			if q := b.questions[qid]; q != nil && isCorrect(q, saved[qid]) {
				r.Correct++
			}
		}
		if r.Total > 0 {
			r.Score = math.Round(float64(r.Correct)*1000/float64(r.Total)) / 10
		}
		// The pass mark is the one the attempt started under: a change to the exam settings
		// meanwhile does not move it.
		pass := m.passPercent
		if pass == 0 {
			pass = c.Exam.PassPercent
		}
		r.Passed = r.Score >= float64(pass)
		now := db.Millis(s.Now())
		res, err := tx.ExecContext(ctx, `UPDATE training_attempts SET submitted_at = ?, timed_out = ?, correct_count = ?, score = ?, passed = ?
			WHERE id = ? AND submitted_at = 0`, now, boolInt(timedOut), r.Correct, r.Score, boolInt(r.Passed), m.id)
		if err != nil {
			return apperr.Wrap(err, "submit")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.New(apperr.Conflict, "training.error.already_submitted")
		}
		var passedBefore int64
		if err := tx.QueryRowContext(ctx, "SELECT passed_at FROM training_enrolments WHERE course_id = ? AND user_id = ?", m.courseID, m.userID).Scan(&passedBefore); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return apperr.Wrap(err, "enrolment result")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE training_enrolments SET best_score = CASE WHEN best_score < ? THEN ? ELSE best_score END,
			passed_at = CASE WHEN passed_at = 0 AND ? = 1 THEN ? ELSE passed_at END WHERE course_id = ? AND user_id = ?`,
			r.Score, r.Score, boolInt(r.Passed), now, m.courseID, m.userID); err != nil {
			return apperr.Wrap(err, "enrolment result")
		}
		if r.Passed && passedBefore == 0 {
			if err := bumpEnrolment(ctx, tx, m.courseID, m.userID, figureDelta{passed: 1}); err != nil {
				return err
			}
		}
		var unitPath string
		if r.Passed {
			if r.CertificateCode, unitPath, err = s.issueCertificate(ctx, tx, c, m, r.Score, now); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "attempt.submit", ObjectType: "attempt", ObjectID: strconv.FormatInt(m.id, 10),
			ActorID: m.userID, UnitPath: unitPath, Detail: fmt.Sprintf("course=%d score=%.1f passed=%t timeout=%t", m.courseID, r.Score, r.Passed, timedOut)})
	})
	if err != nil {
		if apperr.Is(err, apperr.Conflict) {
			m.submitted.Store(true)
		}
		return Result{}, err
	}
	m.submitted.Store(true)
	return r, nil
}

func isCorrect(q *Question, chosen []int64) bool {
	want := 0
	for _, o := range q.Options {
		if o.Correct {
			want++
		}
	}
	if len(chosen) != want || want == 0 {
		return false
	}
	for _, c := range chosen {
		ok := false
		for _, o := range q.Options {
			ok = ok || (o.ID == c && o.Correct)
		}
		if !ok {
			return false
		}
	}
	return true
}

// SweepExpired submits, with what was saved, every open attempt whose time ran out, so that a
// learner who closed the tab still gets a result (and a certificate when they passed).
func (s *Service) SweepExpired(ctx context.Context) (int, error) {
	cutoff := db.Millis(s.Now().Add(-Grace))
	rows, err := s.DB.Reader().QueryContext(ctx, "SELECT id FROM training_attempts WHERE submitted_at = 0 AND deadline_at < ? ORDER BY id LIMIT 1000", cutoff)
	if err != nil {
		return 0, apperr.Wrap(err, "sweep")
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, apperr.Wrap(err, "sweep")
		}
		ids = append(ids, id)
	}
	rows.Close()
	n := 0
	for _, id := range ids {
		m, err := s.meta(ctx, id)
		if err != nil {
			return n, err
		}
		if _, err := s.finish(authz.WithActor(ctx, authz.System), m, true); err == nil {
			n++
		} else if !apperr.Is(err, apperr.Conflict) {
			return n, err
		}
	}
	return n, nil
}

// Run sweeps expired attempts every interval until ctx ends.
func (s *Service) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			_, _ = s.SweepExpired(ctx)
		}
	}
}

// ReviewItem is one question of a submitted attempt, with the correct options, for review.
type ReviewItem struct {
	ID       int64          `json:"id"`
	Type     Kind           `json:"type"`
	Text     string         `json:"text"`
	Options  []ReviewOption `json:"options"`
	Choices  []int64        `json:"choices"`
	Correct  bool           `json:"is_correct"`
	Category string         `json:"category"`
}

// ReviewOption is an option with its correctness, shown only after submission.
type ReviewOption struct {
	ID      int64  `json:"id"`
	Text    string `json:"text"`
	Correct bool   `json:"correct"`
}

// Review shows a submitted attempt with the correct answers, when the course allows it.
func (s *Service) Review(ctx context.Context, attemptID int64) ([]ReviewItem, Result, error) {
	m, err := s.own(ctx, attemptID)
	if err != nil {
		return nil, Result{}, err
	}
	r, err := s.result(ctx, m.id)
	if err != nil {
		return nil, Result{}, err
	}
	if r == nil {
		return nil, Result{}, apperr.New(apperr.Conflict, "training.error.review_before_submit")
	}
	c, err := s.findCourse(ctx, s.DB.Reader(), m.courseID)
	if err != nil {
		return nil, Result{}, err
	}
	if !c.Exam.ReviewAllowed {
		return nil, *r, apperr.New(apperr.Forbidden, "training.error.review_off")
	}
	b, err := s.bankFor(ctx, c)
	if err != nil {
		return nil, Result{}, err
	}
	saved, err := s.savedChoices(ctx, s.DB.Reader(), m.id)
	if err != nil {
		return nil, Result{}, err
	}
	var out []ReviewItem
	for _, qid := range m.order {
		q := b.questions[qid]
		it := ReviewItem{ID: qid, Type: q.Kind, Text: q.Text, Category: q.Category, Choices: saved[qid], Correct: isCorrect(q, saved[qid])}
		if it.Choices == nil {
			it.Choices = []int64{}
		}
		for _, oid := range m.options[qid] {
			for _, o := range q.Options {
				if o.ID == oid {
					it.Options = append(it.Options, ReviewOption{ID: o.ID, Text: o.Text, Correct: o.Correct})
				}
			}
		}
		out = append(out, it)
	}
	return out, *r, nil
}
