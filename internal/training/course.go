package training

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/microcosm-cc/bluemonday"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/textfold"
)

const courseColumns = `c.id, c.province_code, c.title, c.summary, c.audience, c.status, c.opens_at, c.closes_at, c.sequential, c.question_count, c.pass_percent,
	c.time_limit_minutes, c.max_attempts, c.retry_delay_minutes, c.categories, c.review_allowed, c.exam_at, c.lobby_minutes,
	c.start_window_seconds, c.bank_version, c.created_at, c.published_at,
	(SELECT COUNT(*) FROM training_questions q WHERE q.course_id = c.id AND q.active = 1)`

func scanCourse(row interface{ Scan(...any) error }) (Course, error) {
	var c Course
	var opens, closes, examAt, created, published int64
	var seq, review int
	var cats string
	err := row.Scan(&c.ID, &c.Province, &c.Title, &c.Summary, &c.Audience, &c.Status, &opens, &closes, &seq, &c.Exam.QuestionCount, &c.Exam.PassPercent,
		&c.Exam.TimeLimitMinutes, &c.Exam.MaxAttempts, &c.Exam.RetryDelayMinutes, &cats, &review, &examAt, &c.Exam.LobbyMinutes,
		&c.Exam.StartWindowSeconds, &c.bankVersion, &created, &published, &c.QuestionTotal)
	c.OpensAt, c.ClosesAt, c.Exam.ExamAt = db.FromMillis(opens), db.FromMillis(closes), db.FromMillis(examAt)
	c.CreatedAt, c.PublishedAt = db.FromMillis(created), db.FromMillis(published)
	c.Sequential, c.Exam.ReviewAllowed = seq == 1, review == 1
	c.Exam.Categories = splitCategories(cats)
	return c, err
}

func splitCategories(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, "\n")
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// CreateCourse creates a draft course with its exam settings, for c.Province ("" is a national
// course). A province administrator creates courses of its own province, a national
// administrator national ones; a course for another province, or a national course by a province
// administrator, is forbidden. A province code that is not a province of the unit tree is invalid.
func (s *Service) CreateCourse(ctx context.Context, c Course) (Course, error) {
	actor := authz.ActorFrom(ctx)
	if actor == nil {
		return Course{}, apperr.New(apperr.Unauthenticated, "error.login_required")
	}
	if !MayCreate(actor) {
		return Course{}, apperr.New(apperr.Forbidden, "training.error.manage_forbidden")
	}
	c.Province = strings.TrimSpace(c.Province)
	if c.Province != "" {
		// A new course belongs to a province in force, not to one the reform of 2025 merged away.
		var n int
		if err := s.DB.Reader().QueryRowContext(ctx, "SELECT COUNT(*) FROM units WHERE code = ? AND level = 'province' AND valid_to = ''", c.Province).Scan(&n); err != nil {
			return Course{}, apperr.Wrap(err, "course province")
		}
		if n == 0 {
			return Course{}, apperr.InvalidField("province_code", "training.error.province_unknown", c.Province)
		}
	}
	if !MayManage(actor, c) {
		return Course{}, apperr.New(apperr.Forbidden, "training.error.create_province_forbidden")
	}
	if err := c.Validate(); err != nil {
		return Course{}, err
	}
	var id int64
	err := s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		now := db.Millis(s.Now())
		var err error
		id, err = tx.InsertID(ctx, `INSERT INTO training_courses (province_code, title, summary, audience, status, opens_at, closes_at, sequential, question_count,
			pass_percent, time_limit_minutes, max_attempts, retry_delay_minutes, categories, review_allowed, exam_at, lobby_minutes,
			start_window_seconds, search_key, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, 'draft', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			c.Province, c.Title, c.Summary, c.Audience, db.Millis(c.OpensAt), db.Millis(c.ClosesAt), boolInt(c.Sequential), c.Exam.QuestionCount,
			c.Exam.PassPercent, c.Exam.TimeLimitMinutes, c.Exam.MaxAttempts, c.Exam.RetryDelayMinutes, strings.Join(c.Exam.Categories, "\n"),
			boolInt(c.Exam.ReviewAllowed), db.Millis(c.Exam.ExamAt), c.Exam.LobbyMinutes, c.Exam.StartWindowSeconds, textfold.Fold(c.Title),
			db.NullInt(actor.UserID), now, now)
		if err != nil {
			return apperr.Wrap(err, "insert course")
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "course.create", ObjectType: "course", ObjectID: strconv.FormatInt(id, 10), UnitPath: coursePath(c), Detail: c.Title})
	})
	if err != nil {
		return Course{}, err
	}
	return s.findCourse(ctx, s.DB.Reader(), id)
}

// UpdateExam changes the exam settings of a course. Attempts already started keep theirs.
func (s *Service) UpdateExam(ctx context.Context, id int64, e Exam) (Course, error) {
	if _, err := s.manageableCourse(ctx, s.DB.Reader(), id); err != nil {
		return Course{}, err
	}
	if err := e.Validate(); err != nil {
		return Course{}, err
	}
	err := s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		c, err := s.findCourse(ctx, tx, id)
		if err != nil {
			return err
		}
		if n := s.drawable(ctx, tx, id, e.Categories); c.Status == Published && e.QuestionCount > n {
			return apperr.InvalidField("question_count", "training.error.bank_too_small", e.QuestionCount, n)
		}
		_, err = tx.ExecContext(ctx, `UPDATE training_courses SET question_count = ?, pass_percent = ?, time_limit_minutes = ?, max_attempts = ?,
			retry_delay_minutes = ?, categories = ?, review_allowed = ?, exam_at = ?, lobby_minutes = ?, start_window_seconds = ?,
			bank_version = bank_version + 1, updated_at = ? WHERE id = ?`,
			e.QuestionCount, e.PassPercent, e.TimeLimitMinutes, e.MaxAttempts, e.RetryDelayMinutes, strings.Join(e.Categories, "\n"),
			boolInt(e.ReviewAllowed), db.Millis(e.ExamAt), e.LobbyMinutes, e.StartWindowSeconds, db.Millis(s.Now()), id)
		if err != nil {
			return apperr.Wrap(err, "update exam")
		}
		if db.Millis(e.ExamAt) != db.Millis(c.Exam.ExamAt) {
			// A new or moved exam time is announced to the learners of a published course.
			c.Exam = e
			if _, err := s.queueExamSchedule(ctx, tx, c); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "course.exam", ObjectType: "course", ObjectID: strconv.FormatInt(id, 10), UnitPath: coursePath(c)})
	})
	if err != nil {
		return Course{}, err
	}
	return s.findCourse(ctx, s.DB.Reader(), id)
}

func (s *Service) findCourse(ctx context.Context, q db.Querier, id int64) (Course, error) {
	c, err := scanCourse(q.QueryRowContext(ctx, "SELECT "+courseColumns+" FROM training_courses c WHERE c.id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return Course{}, apperr.New(apperr.NotFound, "training.error.course_not_found")
	}
	if err != nil {
		return Course{}, apperr.Wrap(err, "find course")
	}
	return c, nil
}

// FindCourse returns a course the actor may read (access.go): a published or closed one of the
// actor's provinces or a national one, a draft to those who may change it and to national
// administrators. Another province's course is not found.
func (s *Service) FindCourse(ctx context.Context, id int64) (Course, error) {
	return s.visibleCourse(ctx, s.DB.Reader(), id)
}

// CourseFilter narrows the catalogue.
type CourseFilter struct {
	Query string
	// Province keeps the courses of one province and the national ones ("" keeps every course the
	// actor may see).
	Province string
	// All includes drafts and closed courses (managers only).
	All bool
}

// ListCourses is the catalogue: published courses, newest first, of the provinces the actor takes
// part in and the national ones (every course for a national administrator, every published course
// for an anonymous visitor, whom f.Province limits to a portal's province); with All, also the
// drafts and closed courses the actor may change (every one for a national administrator).
func (s *Service) ListCourses(ctx context.Context, f CourseFilter) ([]Course, error) {
	a := authz.ActorFrom(ctx)
	conds := []string{}
	var args []any
	if a != nil {
		conds, args = a.VisibleProvinces("c.province_code", true).And(conds, args)
	}
	if f.Province != "" {
		conds = append(conds, "c.province_code IN (?, '')")
		args = append(args, f.Province)
	}
	status := "c.status = 'published'"
	if f.All {
		switch {
		case a.IsNational():
			status = "1 = 1"
		case len(a.AdminProvinces()) > 0:
			provinces := a.AdminProvinces()
			status = "(c.status = 'published' OR c.province_code IN (?" + strings.Repeat(", ?", len(provinces)-1) + "))"
			for _, p := range provinces {
				args = append(args, p)
			}
		}
	}
	conds = append(conds, status)
	if q := strings.TrimSpace(f.Query); q != "" {
		conds = append(conds, `c.search_key LIKE ? ESCAPE '\'`)
		args = append(args, textfold.LikePattern(q))
	}
	query := "SELECT " + courseColumns + " FROM training_courses c WHERE " + strings.Join(conds, " AND ")
	query += " ORDER BY c.id DESC LIMIT 500"
	rows, err := s.DB.Reader().QueryContext(ctx, query, args...)
	if err != nil {
		return nil, apperr.Wrap(err, "list courses")
	}
	defer rows.Close()
	out := []Course{}
	for rows.Next() {
		c, err := scanCourse(rows)
		if err != nil {
			return nil, apperr.Wrap(err, "scan course")
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// drawable counts the active questions an attempt can draw from.
func (s *Service) drawable(ctx context.Context, q db.Querier, courseID int64, cats []string) int {
	query := "SELECT COUNT(*) FROM training_questions WHERE course_id = ? AND active = 1"
	args := []any{courseID}
	if len(cats) > 0 {
		query += " AND category IN (" + strings.TrimSuffix(strings.Repeat("?,", len(cats)), ",") + ")"
		for _, c := range cats {
			args = append(args, c)
		}
	}
	var n int
	if err := q.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
		return 0
	}
	return n
}

// Publish opens a course to learners. Its bank must hold enough questions for one attempt; the
// bank's snapshot is built now, so that the first start of the exam day finds it ready.
func (s *Service) Publish(ctx context.Context, id int64) (Course, error) {
	if _, err := s.manageableCourse(ctx, s.DB.Reader(), id); err != nil {
		return Course{}, err
	}
	err := s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		c, err := s.findCourse(ctx, tx, id)
		if err != nil {
			return err
		}
		if n := s.drawable(ctx, tx, id, c.Exam.Categories); n < c.Exam.QuestionCount {
			return apperr.New(apperr.Invalid, "training.error.bank_too_small", c.Exam.QuestionCount, n)
		}
		_, err = tx.ExecContext(ctx, `UPDATE training_courses SET status = 'published', published_at = CASE WHEN published_at = 0 THEN ? ELSE published_at END,
			bank_version = bank_version + 1, updated_at = ? WHERE id = ?`, db.Millis(s.Now()), db.Millis(s.Now()), id)
		if err != nil {
			return apperr.Wrap(err, "publish")
		}
		// A course published with its exam already scheduled announces the time (once per learner
		// and time: publishing again queues nothing).
		c.Status = Published
		if _, err := s.queueExamSchedule(ctx, tx, c); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "course.publish", ObjectType: "course", ObjectID: strconv.FormatInt(id, 10), UnitPath: coursePath(c), Detail: c.Title})
	})
	if err != nil {
		return Course{}, err
	}
	c, err := s.findCourse(ctx, s.DB.Reader(), id)
	if err != nil {
		return Course{}, err
	}
	if _, err := s.bankFor(ctx, c); err != nil {
		return Course{}, err
	}
	return c, nil
}

// Close ends a course: no new attempts; certificates stay valid.
func (s *Service) CloseCourse(ctx context.Context, id int64) error {
	c, err := s.manageableCourse(ctx, s.DB.Reader(), id)
	if err != nil {
		return err
	}
	return s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, "UPDATE training_courses SET status = 'closed', updated_at = ? WHERE id = ?", db.Millis(s.Now()), id); err != nil {
			return apperr.Wrap(err, "close course")
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "course.close", ObjectType: "course", ObjectID: strconv.FormatInt(id, 10), UnitPath: coursePath(c)})
	})
}

// Module is a part of a course, holding lessons.
type Module struct {
	ID      int64    `json:"id"`
	Title   string   `json:"title"`
	Lessons []Lesson `json:"lessons"`
}

// Lesson is one page of a course: sanitised rich text, an optional video link and attachment.
type Lesson struct {
	ID            int64  `json:"id"`
	ModuleID      int64  `json:"module_id"`
	Title         string `json:"title"`
	BodyHTML      string `json:"body_html"`
	VideoURL      string `json:"video_url,omitempty"`
	AttachmentURL string `json:"attachment_url,omitempty"`
	Done          bool   `json:"done"`
	Locked        bool   `json:"locked"`
}

var lessonPolicy = bluemonday.UGCPolicy()

// SanitizeHTML keeps the safe subset of rich text (paragraphs, lists, links, emphasis, tables,
// images) and drops scripts, event handlers and styles.
func SanitizeHTML(s string) string { return lessonPolicy.Sanitize(s) }

func validURL(u string) bool {
	return u == "" || (len(u) <= 500 && (strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "/")) &&
		!strings.ContainsAny(u, " \"'<>\n"))
}

// AddModule appends a module to a course.
func (s *Service) AddModule(ctx context.Context, courseID int64, title string) (Module, error) {
	c, err := s.manageableCourse(ctx, s.DB.Reader(), courseID)
	if err != nil {
		return Module{}, err
	}
	title = strings.Join(strings.Fields(title), " ")
	if title == "" || utf8.RuneCountInString(title) > 200 {
		return Module{}, apperr.InvalidField("title", "training.error.title_required")
	}
	var m Module
	err = s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		id, err := tx.InsertID(ctx, `INSERT INTO training_modules (course_id, position, title)
			VALUES (?, (SELECT COALESCE(MAX(position), 0) + 1 FROM training_modules WHERE course_id = ?), ?) RETURNING id`, courseID, courseID, title)
		if err != nil {
			return apperr.Wrap(err, "insert module")
		}
		m = Module{ID: id, Title: title, Lessons: []Lesson{}}
		return audit.Record(ctx, tx, audit.Entry{Action: "course.module", ObjectType: "course", ObjectID: strconv.FormatInt(courseID, 10), UnitPath: coursePath(c), Detail: title})
	})
	return m, err
}

// AddLesson appends a lesson to a module; its body is sanitised.
func (s *Service) AddLesson(ctx context.Context, moduleID int64, l Lesson) (Lesson, error) {
	if authz.ActorFrom(ctx) == nil {
		return Lesson{}, apperr.New(apperr.Unauthenticated, "error.login_required")
	}
	var courseID int64
	if err := s.DB.Reader().QueryRowContext(ctx, "SELECT course_id FROM training_modules WHERE id = ?", moduleID).Scan(&courseID); errors.Is(err, sql.ErrNoRows) {
		return Lesson{}, apperr.New(apperr.NotFound, "training.error.module_not_found")
	} else if err != nil {
		return Lesson{}, apperr.Wrap(err, "find module")
	}
	c, err := s.manageableCourse(ctx, s.DB.Reader(), courseID)
	if apperr.Is(err, apperr.NotFound) {
		// Another province's module is not found, as its course is not.
		return Lesson{}, apperr.Hidden("training.error.module_not_found")
	} else if err != nil {
		return Lesson{}, err
	}
	l.Title = strings.Join(strings.Fields(l.Title), " ")
	if l.Title == "" || utf8.RuneCountInString(l.Title) > 200 {
		return Lesson{}, apperr.InvalidField("title", "training.error.title_required")
	}
	if len(l.BodyHTML) > 200_000 {
		return Lesson{}, apperr.InvalidField("body_html", "training.error.body_long")
	}
	if !validURL(l.VideoURL) {
		return Lesson{}, apperr.InvalidField("video_url", "training.error.url")
	}
	if !validURL(l.AttachmentURL) {
		return Lesson{}, apperr.InvalidField("attachment_url", "training.error.url")
	}
	l.BodyHTML = SanitizeHTML(l.BodyHTML)
	l.ModuleID = moduleID
	err = s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		var err error
		l.ID, err = tx.InsertID(ctx, `INSERT INTO training_lessons (course_id, module_id, position, title, body_html, video_url, attachment_url)
			VALUES (?, ?, (SELECT COALESCE(MAX(position), 0) + 1 FROM training_lessons WHERE module_id = ?), ?, ?, ?, ?) RETURNING id`,
			courseID, moduleID, moduleID, l.Title, l.BodyHTML, l.VideoURL, l.AttachmentURL)
		if err != nil {
			return apperr.Wrap(err, "insert lesson")
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "course.lesson", ObjectType: "course", ObjectID: strconv.FormatInt(courseID, 10), UnitPath: coursePath(c), Detail: l.Title})
	})
	return l, err
}

// Modules returns a course's modules and lessons, with the viewer's progress; with sequential
// unlocking, a lesson is locked until the one before it is done.
func (s *Service) Modules(ctx context.Context, c Course) ([]Module, error) {
	r := s.DB.Reader()
	rows, err := r.QueryContext(ctx, `SELECT m.id, m.title, COALESCE(l.id, 0), COALESCE(l.title, ''), COALESCE(l.body_html, ''), COALESCE(l.video_url, ''), COALESCE(l.attachment_url, '')
		FROM training_modules m LEFT JOIN training_lessons l ON l.module_id = m.id WHERE m.course_id = ? ORDER BY m.position, l.position`, c.ID)
	if err != nil {
		return nil, apperr.Wrap(err, "list modules")
	}
	defer rows.Close()
	var out []Module
	for rows.Next() {
		var mid int64
		var mt string
		var l Lesson
		if err := rows.Scan(&mid, &mt, &l.ID, &l.Title, &l.BodyHTML, &l.VideoURL, &l.AttachmentURL); err != nil {
			return nil, apperr.Wrap(err, "scan module")
		}
		if len(out) == 0 || out[len(out)-1].ID != mid {
			out = append(out, Module{ID: mid, Title: mt, Lessons: []Lesson{}})
		}
		if l.ID != 0 {
			l.ModuleID = mid
			out[len(out)-1].Lessons = append(out[len(out)-1].Lessons, l)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, apperr.Wrap(err, "list modules")
	}
	done := map[int64]bool{}
	if a := authz.ActorFrom(ctx); a != nil {
		prow, err := r.QueryContext(ctx, `SELECT p.lesson_id FROM training_lesson_progress p JOIN training_lessons l ON l.id = p.lesson_id
			WHERE p.user_id = ? AND l.course_id = ?`, a.UserID, c.ID)
		if err != nil {
			return nil, apperr.Wrap(err, "progress")
		}
		defer prow.Close()
		for prow.Next() {
			var id int64
			if err := prow.Scan(&id); err != nil {
				return nil, apperr.Wrap(err, "progress")
			}
			done[id] = true
		}
	}
	prevDone := true
	manager := MayManage(authz.ActorFrom(ctx), c)
	for i := range out {
		for j := range out[i].Lessons {
			l := &out[i].Lessons[j]
			l.Done = done[l.ID]
			l.Locked = c.Sequential && !prevDone
			prevDone = l.Done
			// A locked lesson is locked to read, not only to tick: its content stays on the
			// server until the one before it is done (its title still shows the way ahead).
			// The course's managers write the lessons, so they see them all.
			if l.Locked && !manager {
				l.BodyHTML, l.VideoURL, l.AttachmentURL = "", "", ""
			}
		}
	}
	return out, nil
}

// AllLessonsDone tells whether the learner has finished every lesson (sequential courses ask it
// before the exam).
func (s *Service) AllLessonsDone(ctx context.Context, c Course) (bool, error) {
	mods, err := s.Modules(ctx, c)
	if err != nil {
		return false, err
	}
	for _, m := range mods {
		for _, l := range m.Lessons {
			if !l.Done {
				return false, nil
			}
		}
	}
	return true, nil
}

// CompleteLesson marks a lesson done for the signed-in learner; a locked lesson is refused.
func (s *Service) CompleteLesson(ctx context.Context, courseID, lessonID int64) error {
	actor := authz.ActorFrom(ctx)
	if actor == nil {
		return apperr.New(apperr.Unauthenticated, "error.login_required")
	}
	c, err := s.participableCourse(ctx, s.DB.Reader(), courseID)
	if err != nil {
		return err
	}
	mods, err := s.Modules(ctx, c)
	if err != nil {
		return err
	}
	for _, m := range mods {
		for _, l := range m.Lessons {
			if l.ID != lessonID {
				continue
			}
			if l.Locked {
				return apperr.New(apperr.Conflict, "training.error.lesson_locked")
			}
			return s.DB.WriteTx(ctx, func(tx *db.Tx) error {
				_, err := tx.ExecContext(ctx, `INSERT INTO training_lesson_progress (user_id, lesson_id, done_at) VALUES (?, ?, ?)
					ON CONFLICT (user_id, lesson_id) DO NOTHING`, actor.UserID, lessonID, db.Millis(s.Now()))
				return apperr.Wrap(err, "lesson progress")
			})
		}
	}
	return apperr.New(apperr.NotFound, "training.error.lesson_not_found")
}
