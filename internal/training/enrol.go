package training

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/sheet"
)

// Enrolment is a learner's place in a course.
type Enrolment struct {
	CourseID     int64   `json:"course_id"`
	UserID       int64   `json:"user_id"`
	Source       string  `json:"source"`
	ExtraMinutes int     `json:"extra_minutes"`
	Started      bool    `json:"started"`
	Passed       bool    `json:"passed"`
	BestScore    float64 `json:"best_score"`
}

// Enrol puts the signed-in learner into a published course of their province or a national one
// (idempotent). Another province's course is not found.
func (s *Service) Enrol(ctx context.Context, courseID int64) (Enrolment, error) {
	a := authz.ActorFrom(ctx)
	if a == nil {
		return Enrolment{}, apperr.New(apperr.Unauthenticated, "error.login_required")
	}
	c, err := s.participableCourse(ctx, s.DB.Reader(), courseID)
	if err != nil {
		return Enrolment{}, err
	}
	// Enrolling ahead of the open date is welcome; after the close date it is not, as a start is not.
	if st := c.StatusAt(s.Now()); st != Published && st != Upcoming {
		return Enrolment{}, apperr.New(apperr.Conflict, "training.error.course_closed")
	}
	orgID, orgPath, unitPath := enrolmentScope(a)
	err = s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO training_enrolments (course_id, user_id, org_id, org_path, unit_path, source, enrolled_at)
			VALUES (?, ?, ?, ?, ?, 'self', ?) ON CONFLICT (course_id, user_id) DO NOTHING`, courseID, a.UserID, db.NullInt(orgID), orgPath, unitPath, db.Millis(s.Now()))
		if err != nil {
			return apperr.Wrap(err, "enrol")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		if err := bumpEnrolment(ctx, tx, courseID, a.UserID, figureDelta{enrolled: 1}); err != nil {
			return err
		}
		if err := s.queueExamScheduleFor(ctx, tx, c, []int64{a.UserID}); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "course.enrol", ObjectType: "course", ObjectID: strconv.FormatInt(courseID, 10), UnitPath: unitPath})
	})
	if err != nil {
		return Enrolment{}, err
	}
	return s.MyEnrolment(ctx, courseID)
}

// MyEnrolment returns the signed-in learner's enrolment in a course.
func (s *Service) MyEnrolment(ctx context.Context, courseID int64) (Enrolment, error) {
	a := authz.ActorFrom(ctx)
	if a == nil {
		return Enrolment{}, apperr.New(apperr.Unauthenticated, "error.login_required")
	}
	e := Enrolment{CourseID: courseID, UserID: a.UserID}
	var started, passed int64
	err := s.DB.Reader().QueryRowContext(ctx, "SELECT source, extra_minutes, started_at, passed_at, best_score FROM training_enrolments WHERE course_id = ? AND user_id = ?",
		courseID, a.UserID).Scan(&e.Source, &e.ExtraMinutes, &started, &passed, &e.BestScore)
	if errors.Is(err, sql.ErrNoRows) {
		return e, apperr.New(apperr.NotFound, "training.error.not_enrolled")
	}
	if err != nil {
		return e, apperr.Wrap(err, "enrolment")
	}
	e.Started, e.Passed = started != 0, passed != 0
	return e, nil
}

// learnerInScope finds a user the actor administers, with the paths of their learner grant (or
// first grant), among the people c is for: a province course's learners are of its province.
// Someone out of scope is "not found".
func (s *Service) learnerInScope(ctx context.Context, q db.Querier, a *authz.Actor, c Course, where string, arg any) (id int64, orgID int64, orgPath, unitPath string, err error) {
	conds, args := a.AdminScope().Orgs("g.org_path", "g.unit_path").And([]string{where}, []any{arg})
	if c.Province != "" {
		conds = append(conds, "g.unit_path LIKE ?")
		args = append(args, authz.ProvincePath(c.Province)+"%")
	}
	err = q.QueryRowContext(ctx, `SELECT u.id, COALESCE(g.org_id, 0), g.org_path, g.unit_path FROM users u JOIN role_grants g ON g.user_id = u.id
		WHERE `+strings.Join(conds, " AND ")+` ORDER BY CASE WHEN g.role = 'learner' THEN 0 ELSE 1 END, g.id LIMIT 1`, args...).
		Scan(&id, &orgID, &orgPath, &unitPath)
	if errors.Is(err, sql.ErrNoRows) {
		// Someone who exists out of the actor's reach is a refusal the audit log keeps.
		var one int
		if q.QueryRowContext(ctx, "SELECT 1 FROM users u WHERE "+where, arg).Scan(&one) == nil {
			return 0, 0, "", "", apperr.Hidden("accounts.error.user_not_found")
		}
		return 0, 0, "", "", apperr.New(apperr.NotFound, "accounts.error.user_not_found")
	}
	return id, orgID, orgPath, unitPath, apperr.Wrap(err, "find learner")
}

// SetExtraTime gives a learner extra minutes on every later attempt of a course (a per-learner
// override, e.g. for a disability); the administrator must administer the learner, who must be
// one of the people the course is for (its province's, for a province course). Another
// province's course is not found; a national administrator is refused a province's course.
func (s *Service) SetExtraTime(ctx context.Context, courseID, userID int64, minutes int) (Enrolment, error) {
	a := authz.ActorFrom(ctx)
	if err := requireFigures(a); err != nil {
		return Enrolment{}, err
	}
	c, err := s.participableCourse(ctx, s.DB.Reader(), courseID)
	if err != nil {
		return Enrolment{}, err
	}
	if minutes < 0 || minutes > 600 {
		return Enrolment{}, apperr.InvalidField("extra_minutes", "training.error.extra_minutes")
	}
	e := Enrolment{CourseID: courseID, UserID: userID, ExtraMinutes: minutes}
	err = s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		id, orgID, orgPath, unitPath, err := s.learnerInScope(ctx, tx, a, c, "u.id = ?", userID)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO training_enrolments (course_id, user_id, org_id, org_path, unit_path, source, enrolled_at, extra_minutes)
			VALUES (?, ?, ?, ?, ?, 'admin', ?, ?) ON CONFLICT (course_id, user_id) DO NOTHING`,
			courseID, id, db.NullInt(orgID), orgPath, unitPath, db.Millis(s.Now()), minutes)
		if err != nil {
			return apperr.Wrap(err, "extra time")
		}
		if n, _ := res.RowsAffected(); n == 1 {
			if err := bumpEnrolment(ctx, tx, courseID, id, figureDelta{enrolled: 1}); err != nil {
				return err
			}
			if err := s.queueExamScheduleFor(ctx, tx, c, []int64{id}); err != nil {
				return err
			}
		} else if _, err := tx.ExecContext(ctx, "UPDATE training_enrolments SET extra_minutes = ? WHERE course_id = ? AND user_id = ?", minutes, courseID, id); err != nil {
			return apperr.Wrap(err, "extra time")
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "enrolment.extra_time", ObjectType: "user", ObjectID: strconv.FormatInt(id, 10), UnitPath: unitPath,
			Detail: fmt.Sprintf("course=%d minutes=%d", courseID, minutes)})
	})
	return e, err
}

// RosterResult is the outcome of a roster import.
type RosterResult struct {
	Enrolled int `json:"enrolled"`
	Already  int `json:"already"`
}

// EnrolRoster enrols the learners listed in a roster (xlsx or CSV with a "username" column) in a
// course. Every listed account must be one the administrator administers and one of the people
// the course is for (its province's, for a province course; anyone's for a national course); the
// whole file is checked first and nothing is enrolled when a line is wrong. Another province's
// course is not found; a national administrator is refused a province's course.
func (s *Service) EnrolRoster(ctx context.Context, courseID int64, r io.Reader) (RosterResult, error) {
	a := authz.ActorFrom(ctx)
	if err := requireFigures(a); err != nil {
		return RosterResult{}, err
	}
	c, err := s.participableCourse(ctx, s.DB.Reader(), courseID)
	if err != nil {
		return RosterResult{}, err
	}
	if st := c.StatusAt(s.Now()); st != Published && st != Upcoming {
		return RosterResult{}, apperr.New(apperr.Conflict, "training.error.course_closed")
	}
	if r == nil { // no file sent: said after the access check, which comes first
		return RosterResult{}, apperr.InvalidField("file", "import.error.no_file")
	}
	header, rows, err := sheet.ReadTable(r, sheet.DefaultLimits)
	if err != nil {
		return RosterResult{}, apperr.New(apperr.Invalid, "training.error.import_format")
	}
	col := -1
	for i, h := range header {
		if strings.EqualFold(strings.TrimPrefix(strings.TrimSpace(h), "\ufeff"), "username") {
			col = i
		}
	}
	if col < 0 || len(rows) == 0 {
		return RosterResult{}, apperr.New(apperr.Invalid, "training.error.roster_header")
	}
	type learner struct {
		id, orgID         int64
		orgPath, unitPath string
	}
	var list []learner
	var details []apperr.Detail
	seen := map[string]int{}
	rd := s.DB.Reader()
	for _, row := range rows {
		name := ""
		if col < len(row.Fields) {
			name = strings.ToLower(strings.TrimSpace(row.Fields[col]))
		}
		if first, dup := seen[name]; dup && name != "" {
			details = append(details, apperr.Detail{Line: row.Line, Key: "training.import.duplicate_in_file", Args: []any{first}})
			continue
		}
		seen[name] = row.Line
		if name == "" {
			details = append(details, apperr.Detail{Line: row.Line, Key: "training.roster.username_required"})
			continue
		}
		id, orgID, orgPath, unitPath, err := s.learnerInScope(ctx, rd, a, c, "u.username = ?", name)
		if apperr.Is(err, apperr.NotFound) {
			details = append(details, apperr.Detail{Line: row.Line, Key: "training.roster.unknown", Args: []any{name}})
			continue
		} else if err != nil {
			return RosterResult{}, err
		}
		list = append(list, learner{id, orgID, orgPath, unitPath})
	}
	if len(details) > 0 {
		if len(details) > maxImportErrors {
			details = details[:maxImportErrors]
		}
		e := apperr.New(apperr.Invalid, "training.error.import_rejected", len(details))
		e.Details = details
		return RosterResult{}, e
	}
	var res RosterResult
	err = s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		now := db.Millis(s.Now())
		added := map[figureKey]figureDelta{}
		var enrolled []int64
		for _, l := range list {
			r, err := tx.ExecContext(ctx, `INSERT INTO training_enrolments (course_id, user_id, org_id, org_path, unit_path, source, enrolled_at)
				VALUES (?, ?, ?, ?, ?, 'roster', ?) ON CONFLICT (course_id, user_id) DO NOTHING`, courseID, l.id, db.NullInt(l.orgID), l.orgPath, l.unitPath, now)
			if err != nil {
				return apperr.Wrap(err, "enrol roster")
			}
			if n, _ := r.RowsAffected(); n == 1 {
				res.Enrolled++
				enrolled = append(enrolled, l.id)
				k := figureKey{courseID: courseID, unitPath: l.unitPath, orgPath: l.orgPath}
				d := added[k]
				d.enrolled++
				added[k] = d
			} else {
				res.Already++
			}
		}
		if err := bumpKeys(ctx, tx, added); err != nil {
			return err
		}
		if err := s.queueExamScheduleFor(ctx, tx, c, enrolled); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "enrolment.roster", ObjectType: "course", ObjectID: strconv.FormatInt(courseID, 10),
			UnitPath: rosterPath(a, c), Detail: fmt.Sprintf("enrolled=%d already=%d", res.Enrolled, res.Already)})
	})
	return res, err
}

// rosterPath is where a roster's audit entry belongs: the course's province, or for a national
// course the province of the administrator who sent it (each province reads its own mobilisation).
func rosterPath(a *authz.Actor, c Course) string {
	if c.Province == "" {
		if p := a.HomeProvince(); p != "" {
			return authz.ProvincePath(p)
		}
	}
	return coursePath(c)
}

// MyCourse is a course the signed-in learner is enrolled in, with where they stand in it.
type MyCourse struct {
	Course    Course
	Started   bool
	Passed    bool
	BestScore float64
}

// MaxMyCourses bounds the learner's list on their workspace: nobody takes more courses at once,
// and the page stays one query.
const MaxMyCourses = 50

// withExtra scans a course row followed by more columns, so the enrolment's columns come in
// the same query as the course's.
type withExtra struct {
	row   interface{ Scan(...any) error }
	extra []any
}

func (w withExtra) Scan(dest ...any) error { return w.row.Scan(append(dest, w.extra...)...) }

// MyCourses returns the signed-in learner's enrolments with their courses, the unfinished ones
// first, then the latest enrolled, in one query: the learner's workspace reads it on every visit.
func (s *Service) MyCourses(ctx context.Context) ([]MyCourse, error) {
	a := authz.ActorFrom(ctx)
	if a == nil {
		return nil, apperr.New(apperr.Unauthenticated, "error.login_required")
	}
	rows, err := s.DB.Reader().QueryContext(ctx, "SELECT "+courseColumns+", e.started_at, e.passed_at, e.best_score FROM training_enrolments e JOIN training_courses c ON c.id = e.course_id"+
		" WHERE e.user_id = ? ORDER BY CASE WHEN e.passed_at = 0 THEN 0 ELSE 1 END, c.id DESC LIMIT "+strconv.Itoa(MaxMyCourses), a.UserID)
	if err != nil {
		return nil, apperr.Wrap(err, "my courses")
	}
	defer rows.Close()
	out := []MyCourse{}
	for rows.Next() {
		var m MyCourse
		var started, passed int64
		if m.Course, err = scanCourse(withExtra{rows, []any{&started, &passed, &m.BestScore}}); err != nil {
			return nil, apperr.Wrap(err, "scan my course")
		}
		m.Started, m.Passed = started != 0, passed != 0
		out = append(out, m)
	}
	return out, apperr.Wrap(rows.Err(), "my courses")
}
