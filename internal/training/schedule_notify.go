package training

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/lantoa/lantoa/internal/notify"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/units"
)

// scheduleChunk is how many messages one notify.EnqueueMany call takes: a course may have
// 100,000 enrolments, queued in multi-row inserts without holding them all at once.
const scheduleChunk = 5000

// ExamLink is the address of a course's exam page under base ("" when the site's address is unknown).
func ExamLink(base string, courseID int64) string {
	base = strings.TrimRight(strings.TrimSpace(base), "/")
	if base == "" {
		return ""
	}
	return base + "/courses/" + strconv.FormatInt(courseID, 10) + "/exam"
}

// queueExamSchedule queues, inside tx, a message announcing c's exam time to every enrolled learner
// with an e-mail address (and an enabled account), when c is published and its exam is scheduled
// in the future. Each message's dedupe key names the course, the exam time and the learner, so a
// learner is told once per schedule: publishing again or saving the same time again queues
// nothing, a new time queues a new message. It returns how many messages were queued.
func (s *Service) queueExamSchedule(ctx context.Context, tx *db.Tx, c Course) (int, error) {
	return s.queueExamScheduleTo(ctx, tx, c, nil)
}

// queueExamScheduleFor tells learners who enrol once the exam is scheduled (self-enrolment, a
// roster, an administrator's enrolment) what queueExamSchedule told those already enrolled; the
// same dedupe key keeps it to one message per learner and schedule. The enrolment's own audit
// entry covers it.
func (s *Service) queueExamScheduleFor(ctx context.Context, tx *db.Tx, c Course, userIDs []int64) error {
	if len(userIDs) == 0 {
		return nil
	}
	_, err := s.queueExamScheduleTo(ctx, tx, c, userIDs)
	return err
}

// scheduleIDsChunk bounds the user ids of one recipients query (placeholders per statement).
const scheduleIDsChunk = 500

// queueExamScheduleTo queues the schedule's messages to the enrolled learners userIDs, or to every
// enrolled learner when userIDs is nil (then the announcement is audited).
func (s *Service) queueExamScheduleTo(ctx context.Context, tx *db.Tx, c Course, userIDs []int64) (int, error) {
	if s.notify == nil || c.Status != Published || c.Exam.ExamAt.IsZero() || !c.Exam.ExamAt.After(s.Now()) {
		return 0, nil
	}
	type learner struct {
		id              int64
		email, unitPath string
	}
	// Read every recipient first: a transaction runs one statement at a time.
	var ls []learner
	read := func(extra string, args ...any) error {
		rows, err := tx.QueryContext(ctx, `SELECT u.id, u.email, e.unit_path FROM training_enrolments e JOIN users u ON u.id = e.user_id
			WHERE e.course_id = ? AND u.disabled = 0 AND u.email <> ''`+extra+` ORDER BY u.id`, append([]any{c.ID}, args...)...)
		if err != nil {
			return apperr.Wrap(err, "exam schedule recipients")
		}
		defer rows.Close()
		for rows.Next() {
			var l learner
			if err := rows.Scan(&l.id, &l.email, &l.unitPath); err != nil {
				return apperr.Wrap(err, "exam schedule recipients")
			}
			ls = append(ls, l)
		}
		return apperr.Wrap(rows.Err(), "exam schedule recipients")
	}
	if userIDs == nil {
		if err := read(""); err != nil {
			return 0, err
		}
	}
	for start := 0; start < len(userIDs); start += scheduleIDsChunk {
		chunk := userIDs[start:min(start+scheduleIDsChunk, len(userIDs))]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		if err := read(" AND e.user_id IN (?"+strings.Repeat(", ?", len(chunk)-1)+")", args...); err != nil {
			return 0, err
		}
	}
	if len(ls) == 0 {
		return 0, nil
	}
	at := c.Exam.ExamAt.In(vietnam).Format("02/01/2006 15:04")
	link := ExamLink(s.baseURL, c.ID)
	where := "Vào thi tại: " + link
	if link == "" {
		where = "Vào thi trên Lan Tỏa, mục Khóa học, trang của khóa học."
	}
	lobby := ""
	if c.Exam.LobbyMinutes > 0 {
		lobby = fmt.Sprintf(" Phòng chờ mở trước %d phút.", c.Exam.LobbyMinutes)
	}
	subject := fmt.Sprintf("Lịch thi: %s (%s)", c.Title, at)
	if r := []rune(subject); len(r) > notify.MaxSubjectLen {
		subject = string(r[:notify.MaxSubjectLen-1]) + "…"
	}
	// The message is signed by the movement of the course's province; a national course's by that
	// of each learner's province. Each message is about the learner's unit, so that the outbox of
	// the learner's province holds it.
	bodies := map[string]string{}
	bodyFor := func(province string) (string, error) {
		if b, ok := bodies[province]; ok {
			return b, nil
		}
		name, err := s.provinceName(ctx, tx, province)
		if err != nil {
			return "", err
		}
		movement := "Lan Tỏa — Phong trào chuyển đổi số"
		if name != "" {
			movement += " " + units.InSentence(name)
		}
		b := fmt.Sprintf("Kính gửi học viên,\n\nBài thi của khóa học «%s» mở lúc %s (giờ Việt Nam).%s\n\n%s\n\n%s", c.Title, at, lobby, where, movement)
		bodies[province] = b
		return b, nil
	}
	examMillis := db.Millis(c.Exam.ExamAt)
	queued := 0
	for start := 0; start < len(ls); start += scheduleChunk {
		chunk := ls[start:min(start+scheduleChunk, len(ls))]
		msgs := make([]notify.Message, 0, len(chunk))
		for _, l := range chunk {
			province, unitPath := c.Province, l.unitPath
			if province == "" {
				province = authz.ProvinceOfPath(l.unitPath)
			}
			if unitPath == "" {
				unitPath = coursePath(c)
			}
			body, err := bodyFor(province)
			if err != nil {
				return 0, err
			}
			m := notify.Message{Kind: notify.ExamSchedule, Channel: notify.Email, Recipient: strings.TrimSpace(l.email), UserID: l.id,
				Subject: subject, Body: body, Link: link, UnitPath: unitPath, DedupeKey: fmt.Sprintf("exam_schedule:%d:%d:%d", c.ID, examMillis, l.id)}
			if m.Validate() != nil {
				continue // an address the outbox cannot send to must not hold up the schedule
			}
			msgs = append(msgs, m)
		}
		n, err := s.notify.EnqueueMany(ctx, tx, msgs)
		if err != nil {
			return 0, err
		}
		queued += n
	}
	if queued == 0 || userIDs != nil {
		return queued, nil
	}
	return queued, audit.Record(ctx, tx, audit.Entry{Action: "course.exam_schedule", ObjectType: "course", ObjectID: strconv.FormatInt(c.ID, 10),
		UnitPath: coursePath(c), Detail: fmt.Sprintf("%s: %d messages", at, queued)})
}
