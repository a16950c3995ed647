package training_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/notify"
	"github.com/lantoa/lantoa/internal/orgs"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/training"
	"github.com/lantoa/lantoa/internal/units"
)

// Scheduling the exam of a published course, or moving it, queues one message per enrolled
// learner with an e-mail address, with the course's title, the time in Vietnam time and the exam
// link; saving the same time again, publishing again, a draft or closed course, and a time in the
// past queue nothing.
func TestExamScheduleNotifiesLearners(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newScheduleEnv(t, d)
		sys, svc, out, acc, org, now := e.sys, e.svc, e.out, e.acc, e.org, e.now
		exam := training.Exam{QuestionCount: 4, PassPercent: 50, TimeLimitMinutes: 20, LobbyMinutes: 15}
		c, err := svc.CreateCourse(sys, training.Course{Province: "51", Title: "Kỹ năng số cơ bản", Exam: exam})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.ImportQuestions(sys, c.ID, strings.NewReader(bankCSV(8))); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Publish(sys, c.ID); err != nil {
			t.Fatal(err)
		}
		// Three learners enrol; one has no e-mail address.
		var withEmail []int64
		for i, email := range []string{"hs0@bato.edu.vn", "", "hs2@bato.edu.vn"} {
			u, err := acc.Register(sys, accounts.NewUser{Username: fmt.Sprintf("hocsinh.%d", i), Email: email, Password: pw, OrgID: org.ID})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Enrol(authz.WithActor(context.Background(), &authz.Actor{UserID: u.ID, Username: u.Username, Grants: u.Grants}), c.ID); err != nil {
				t.Fatal(err)
			}
			if email != "" {
				withEmail = append(withEmail, u.ID)
			}
		}
		messages := func() []notify.Message {
			t.Helper()
			list, err := out.List(sys, notify.Filter{Kind: notify.ExamSchedule, Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			return list
		}
		if n := len(messages()); n != 0 {
			t.Fatalf("%d messages before any schedule", n)
		}
		// 08:30 on 1 December in Vietnam is 01:30 UTC.
		first := time.Date(2026, 12, 1, 1, 30, 0, 0, time.UTC)
		exam.ExamAt = first
		if _, err := svc.UpdateExam(sys, c.ID, exam); err != nil {
			t.Fatal(err)
		}
		list := messages()
		if len(list) != 2 {
			t.Fatalf("%d messages after scheduling, want 2 (the learners with an address)", len(list))
		}
		users := map[int64]bool{}
		for _, m := range list {
			users[m.UserID] = true
			if !strings.Contains(m.Subject, "Kỹ năng số cơ bản") || !strings.Contains(m.Body, "01/12/2026 08:30") || !strings.Contains(m.Body, "Kỹ năng số cơ bản") {
				t.Errorf("message %q:\n%s", m.Subject, m.Body)
			}
			if want := fmt.Sprintf("https://lantoa.quangngai.gov.vn/courses/%d/exam", c.ID); m.Link != want || !strings.Contains(m.Body, want) {
				t.Errorf("link %q, want %q", m.Link, want)
			}
			if m.Status != notify.Pending {
				t.Errorf("status %s", m.Status)
			}
		}
		if !users[withEmail[0]] || !users[withEmail[1]] {
			t.Errorf("recipients %v, want %v", users, withEmail)
		}
		// The same time saved again (another setting changed) and publishing again: nothing new.
		exam.PassPercent = 60
		if _, err := svc.UpdateExam(sys, c.ID, exam); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Publish(sys, c.ID); err != nil {
			t.Fatal(err)
		}
		if n := len(messages()); n != 2 {
			t.Errorf("%d messages after saving the same time, want 2", n)
		}
		// A new time: a new message to each.
		exam.ExamAt = first.Add(24 * time.Hour)
		if _, err := svc.UpdateExam(sys, c.ID, exam); err != nil {
			t.Fatal(err)
		}
		list = messages()
		if len(list) != 4 || !strings.Contains(list[0].Body, "02/12/2026 08:30") {
			t.Fatalf("%d messages after moving the exam, want 4; newest:\n%s", len(list), list[0].Body)
		}
		// A time in the past is not announced.
		exam.ExamAt = now.Add(-time.Hour)
		if _, err := svc.UpdateExam(sys, c.ID, exam); err != nil {
			t.Fatal(err)
		}
		// A closed course is not announced; publishing it again with its new time is.
		if err := svc.CloseCourse(sys, c.ID); err != nil {
			t.Fatal(err)
		}
		exam.ExamAt = first.Add(48 * time.Hour)
		if _, err := svc.UpdateExam(sys, c.ID, exam); err != nil {
			t.Fatal(err)
		}
		if n := len(messages()); n != 4 {
			t.Errorf("%d messages after a past time and a closed course, want 4", n)
		}
		if _, err := svc.Publish(sys, c.ID); err != nil {
			t.Fatal(err)
		}
		list = messages()
		if len(list) != 6 || !strings.Contains(list[0].Body, "03/12/2026 08:30") {
			t.Errorf("%d messages after publishing with a new time, want 6", len(list))
		}
	})
}

// A course with many learners is announced in multi-row inserts, each learner once.
func TestExamScheduleManyLearners(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		sys := authz.WithActor(context.Background(), authz.System)
		now := time.Date(2026, 11, 20, 1, 0, 0, 0, time.UTC)
		svc := training.NewService(d, training.WithNotify(notify.NewService(d), ""))
		t.Cleanup(svc.Close)
		svc.Now = func() time.Time { return now }
		exam := training.Exam{QuestionCount: 4, PassPercent: 50, TimeLimitMinutes: 20}
		c, err := svc.CreateCourse(sys, training.Course{Title: "Khóa đông học viên", Exam: exam})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.ImportQuestions(sys, c.ID, strings.NewReader(bankCSV(8))); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Publish(sys, c.ID); err != nil {
			t.Fatal(err)
		}
		const n = 6000 // more than one EnqueueMany chunk
		err = d.WriteTx(sys, func(tx *db.Tx) error {
			users := make([][]any, n)
			for i := range users {
				users[i] = []any{fmt.Sprintf("hv%05d", i), fmt.Sprintf("hv%05d@x.vn", i), "hv", "x", 1, 1}
			}
			var ids []int64
			if err := tx.InsertRows(sys, "users", []string{"username", "email", "search_key", "password_hash", "created_at", "updated_at"}, users,
				"RETURNING id", func(r *sql.Rows) error {
					var id int64
					ids = append(ids, id)
					return r.Scan(&ids[len(ids)-1])
				}); err != nil {
				return err
			}
			enrol := make([][]any, len(ids))
			for i, id := range ids {
				enrol[i] = []any{c.ID, id, 1}
			}
			return tx.InsertRows(sys, "training_enrolments", []string{"course_id", "user_id", "enrolled_at"}, enrol, "", nil)
		})
		if err != nil {
			t.Fatal(err)
		}
		exam.ExamAt = now.Add(72 * time.Hour)
		if _, err := svc.UpdateExam(sys, c.ID, exam); err != nil {
			t.Fatal(err)
		}
		// Publishing again goes through the same learners; their dedupe keys queue nothing.
		if _, err := svc.Publish(sys, c.ID); err != nil {
			t.Fatal(err)
		}
		var total, distinct int
		if err := d.Reader().QueryRowContext(sys, "SELECT COUNT(*), COUNT(DISTINCT user_id) FROM notify_messages WHERE kind = 'exam_schedule'").Scan(&total, &distinct); err != nil {
			t.Fatal(err)
		}
		if total != n || distinct != n {
			t.Errorf("%d messages to %d learners, want %d", total, distinct, n)
		}
	})
}

// Learners who enrol once the exam is scheduled — by themselves, from a roster, or through an
// administrator's extra time — are told the schedule too, once per learner and time: enrolling
// again, or being listed in another roster, queues nothing more. Once the exam time has passed,
// a new learner is not told.
func TestExamScheduleReachesLateEnrolments(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newScheduleEnv(t, d)
		sys, svc, out, acc, org, now := e.sys, e.svc, e.out, e.acc, e.org, e.now
		exam := training.Exam{QuestionCount: 4, PassPercent: 50, TimeLimitMinutes: 20, ExamAt: time.Date(2026, 12, 1, 1, 30, 0, 0, time.UTC)}
		c, err := svc.CreateCourse(sys, training.Course{Province: "51", Title: "Kỹ năng số cơ bản", Exam: exam})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.ImportQuestions(sys, c.ID, strings.NewReader(bankCSV(8))); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Publish(sys, c.ID); err != nil {
			t.Fatal(err)
		}
		learners := map[string]accounts.User{}
		for _, name := range []string{"tu.dang.ky", "theo.danh.sach", "khong.email", "them.gio", "den.muon"} {
			email := name + "@bato.edu.vn"
			if name == "khong.email" {
				email = ""
			}
			u, err := acc.Register(sys, accounts.NewUser{Username: name, Email: email, Password: pw, OrgID: org.ID})
			if err != nil {
				t.Fatal(err)
			}
			learners[name] = u
		}
		as := func(name string) context.Context {
			u := learners[name]
			return authz.WithActor(context.Background(), &authz.Actor{UserID: u.ID, Username: u.Username, Grants: u.Grants})
		}
		told := func() map[int64]int {
			t.Helper()
			list, err := out.List(sys, notify.Filter{Kind: notify.ExamSchedule, Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			m := map[int64]int{}
			for _, msg := range list {
				m[msg.UserID]++
				if !strings.Contains(msg.Body, "01/12/2026 08:30") || !strings.Contains(msg.Subject, "Kỹ năng số cơ bản") {
					t.Errorf("message %q:\n%s", msg.Subject, msg.Body)
				}
			}
			return m
		}
		if n := len(told()); n != 0 {
			t.Fatalf("%d learners told before anyone enrolled", n)
		}
		// Self-enrolment, twice.
		for range 2 {
			if _, err := svc.Enrol(as("tu.dang.ky"), c.ID); err != nil {
				t.Fatal(err)
			}
		}
		if got := told(); len(got) != 1 || got[learners["tu.dang.ky"].ID] != 1 {
			t.Fatalf("after self-enrolment: %v", got)
		}
		// A roster listing the learner already enrolled, a new one and one without an address; then
		// the same roster again.
		for range 2 {
			if _, err := svc.EnrolRoster(sys, c.ID, strings.NewReader("username\ntu.dang.ky\ntheo.danh.sach\nkhong.email\n")); err != nil {
				t.Fatal(err)
			}
		}
		if got := told(); len(got) != 2 || got[learners["tu.dang.ky"].ID] != 1 || got[learners["theo.danh.sach"].ID] != 1 {
			t.Fatalf("after the roster: %v", got)
		}
		// An administrator's extra time enrols a learner too.
		if _, err := svc.SetExtraTime(sys, c.ID, learners["them.gio"].ID, 15); err != nil {
			t.Fatal(err)
		}
		if got := told(); len(got) != 3 || got[learners["them.gio"].ID] != 1 {
			t.Fatalf("after extra time: %v", got)
		}
		// Past the exam time, a learner who enrols is not told.
		*now = exam.ExamAt.Add(time.Minute)
		if _, err := svc.Enrol(as("den.muon"), c.ID); err != nil {
			t.Fatal(err)
		}
		if got := told(); len(got) != 3 {
			t.Fatalf("after the exam time: %v", got)
		}
	})
}

// scheduleEnv is what the schedule tests share: the unit tree, a training service on a clock the
// test can move, the outbox, and a school in Ba Tơ.
type scheduleEnv struct {
	sys context.Context
	now *time.Time
	svc *training.Service
	out *notify.Service
	acc *accounts.Service
	org orgs.Org
}

func newScheduleEnv(t *testing.T, d *db.DB) scheduleEnv {
	t.Helper()
	e := scheduleEnv{sys: authz.WithActor(context.Background(), authz.System)}
	if _, err := units.NewService(d).SeedQuangNgai(e.sys); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 20, 1, 0, 0, 0, time.UTC)
	e.now = &now
	e.out = notify.NewService(d)
	e.svc = training.NewService(d, training.WithNotify(e.out, "https://lantoa.quangngai.gov.vn"))
	t.Cleanup(e.svc.Close)
	e.svc.Now = func() time.Time { return *e.now }
	e.acc = accounts.NewService(d)
	var err error
	if e.org, err = orgs.NewService(d).Create(e.sys, orgs.Org{Name: "Trường THPT Ba Tơ", Kind: orgs.School, UnitCode: "535"}); err != nil {
		t.Fatal(err)
	}
	return e
}
