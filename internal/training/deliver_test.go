package training_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/orgs"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/platform/i18n"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/training"
	"github.com/lantoa/lantoa/internal/units"
)

// wantRefusal checks that err is of kind with the catalogue key key, and that the key has a
// message in Vietnamese and English (the learner is told why, not shown a bare code).
func wantRefusal(t *testing.T, what string, err error, kind apperr.Kind, key string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: accepted, want kind %v key %q", what, kind, key)
		return
	}
	ae := apperr.As(err)
	if ae.Kind != kind || ae.Key != key {
		t.Errorf("%s: got %v (kind %v, key %q), want kind %v key %q", what, err, ae.Kind, ae.Key, kind, key)
		return
	}
	b := i18n.MustLoad()
	for _, lang := range []string{"vi", "en"} {
		if !b.Has(lang, key) {
			t.Errorf("%s: no %s message for %q", what, lang, key)
		}
	}
}

// actorOf signs a user in for the service.
func actorOf(u accounts.User) context.Context {
	return authz.WithActor(context.Background(), &authz.Actor{UserID: u.ID, Username: u.Username, Grants: u.Grants})
}

// learnerIn registers a learner attached to a unit (unitCode) or an organisation (orgID).
func (f *fixture) learnerIn(t *testing.T, username, unitCode string, orgID int64) context.Context {
	t.Helper()
	u, err := f.acc.Register(f.sys, accounts.NewUser{Username: username, DisplayName: "Học viên " + username, Password: pw, UnitCode: unitCode, OrgID: orgID})
	if err != nil {
		t.Fatalf("register %s: %v", username, err)
	}
	return actorOf(u)
}

// adminOf creates an administrator with one grant.
func (f *fixture) adminOf(t *testing.T, username string, role authz.Role, unitCode string, orgID int64) context.Context {
	t.Helper()
	u, err := f.acc.CreateUser(f.sys, accounts.NewUser{Username: username, Password: pw, Role: role, UnitCode: unitCode, OrgID: orgID})
	if err != nil {
		t.Fatalf("create %s: %v", username, err)
	}
	return actorOf(u)
}

// publishedCourse creates c with a bank of n questions (bankCSV) and publishes it; c is a course
// of Quảng Ngãi (51), the fixture's province, unless it names another.
func (f *fixture) publishedCourse(t *testing.T, c training.Course, bank string) training.Course {
	t.Helper()
	if c.Province == "" {
		c.Province = "51"
	}
	c, err := f.svc.CreateCourse(f.sys, c)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.ImportQuestions(f.sys, c.ID, strings.NewReader(bank)); err != nil {
		t.Fatal(err)
	}
	if c, err = f.svc.Publish(f.sys, c.ID); err != nil {
		t.Fatal(err)
	}
	return c
}

// pass makes the learner sit the course's exam, answer every question correctly and submit, at
// the fixture's clock; it returns the certificate code.
func (f *fixture) pass(t *testing.T, learner context.Context, courseID int64) string {
	t.Helper()
	bank, err := f.svc.Questions(f.sys, courseID)
	if err != nil {
		t.Fatal(err)
	}
	correct := map[int64][]int64{}
	for _, q := range bank {
		for _, o := range q.Options {
			if o.Correct {
				correct[q.ID] = append(correct[q.ID], o.ID)
			}
		}
	}
	a, err := f.svc.StartAttempt(learner, courseID)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range a.Questions {
		if _, err := f.svc.SaveAnswer(learner, a.ID, q.ID, correct[q.ID]); err != nil {
			t.Fatal(err)
		}
	}
	r, err := f.svc.Submit(learner, a.ID)
	if err != nil || !r.Passed || r.CertificateCode == "" {
		t.Fatalf("pass: %+v %v", r, err)
	}
	return r.CertificateCode
}

func lessonsOf(t *testing.T, f *fixture, ctx context.Context, c training.Course) []training.Lesson {
	t.Helper()
	mods, err := f.svc.Modules(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	var out []training.Lesson
	for _, m := range mods {
		out = append(out, m.Lessons...)
	}
	return out
}

// 1. Sequential unlocking: in a sequential course a lesson cannot be completed before the one
// before it (across modules too), nor the exam started before every lesson is done; a course
// that is not sequential lets lessons be done in any order.
func TestDeliverSequentialUnlocking(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setup(t, d, training.Exam{QuestionCount: 5, PassPercent: 50, TimeLimitMinutes: 10})
		build := func(sequential bool) (training.Course, []int64) {
			c := f.publishedCourse(t, training.Course{Title: fmt.Sprintf("Chuyển đổi số %v", sequential), Sequential: sequential,
				Exam: training.Exam{QuestionCount: 5, PassPercent: 50, TimeLimitMinutes: 10}}, bankCSV(6))
			var ids []int64
			for i, mt := range []string{"Phần 1", "Phần 2"} {
				m, err := f.svc.AddModule(f.sys, c.ID, mt)
				if err != nil {
					t.Fatal(err)
				}
				n := 2
				if i == 1 {
					n = 1
				}
				for j := 0; j < n; j++ {
					l, err := f.svc.AddLesson(f.sys, m.ID, training.Lesson{Title: fmt.Sprintf("Bài %d.%d", i+1, j+1), BodyHTML: "<p>Nội dung</p>"})
					if err != nil {
						t.Fatal(err)
					}
					ids = append(ids, l.ID)
				}
			}
			return c, ids
		}
		me := f.learners[0]
		c, ids := build(true)
		done := func() []bool {
			var out []bool
			for _, l := range lessonsOf(t, f, me, c) {
				out = append(out, l.Done)
			}
			return out
		}
		wantRefusal(t, "lesson 2 before lesson 1", f.svc.CompleteLesson(me, c.ID, ids[1]), apperr.Conflict, "training.error.lesson_locked")
		wantRefusal(t, "lesson 3 (next module) before lesson 1", f.svc.CompleteLesson(me, c.ID, ids[2]), apperr.Conflict, "training.error.lesson_locked")
		if got := done(); !slices.Equal(got, []bool{false, false, false}) {
			t.Fatalf("a refused lesson was recorded: %v", got)
		}
		_, err := f.svc.StartAttempt(me, c.ID)
		wantRefusal(t, "exam before the lessons", err, apperr.Conflict, "training.error.lessons_first")

		if err := f.svc.CompleteLesson(me, c.ID, ids[0]); err != nil {
			t.Fatalf("lesson 1: %v", err)
		}
		// Lesson 3 is still locked behind lesson 2.
		wantRefusal(t, "lesson 3 before lesson 2", f.svc.CompleteLesson(me, c.ID, ids[2]), apperr.Conflict, "training.error.lesson_locked")
		if err := f.svc.CompleteLesson(me, c.ID, ids[1]); err != nil {
			t.Fatalf("lesson 2 after lesson 1: %v", err)
		}
		if err := f.svc.CompleteLesson(me, c.ID, ids[2]); err != nil {
			t.Fatalf("lesson 3 after lesson 2: %v", err)
		}
		if got := done(); !slices.Equal(got, []bool{true, true, true}) {
			t.Errorf("progress after all three: %v", got)
		}
		if _, err := f.svc.StartAttempt(me, c.ID); err != nil {
			t.Errorf("exam after every lesson: %v", err)
		}
		// Progress is per learner: the other learner is still locked out of lesson 2.
		wantRefusal(t, "another learner's lesson 2", f.svc.CompleteLesson(f.learners[1], c.ID, ids[1]), apperr.Conflict, "training.error.lesson_locked")

		free, fids := build(false)
		if err := f.svc.CompleteLesson(me, free.ID, fids[2]); err != nil {
			t.Errorf("last lesson first in a course that is not sequential: %v", err)
		}
	})
}

// 2. The unit leaderboard: Level "district" and "commune" give one row per unit of that level in
// the caller's scope, ranked by passes then enrolments, with the counts of the data made here.
func TestDeliverUnitLeaderboard(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setup(t, d, training.Exam{QuestionCount: 5, PassPercent: 50, TimeLimitMinutes: 10})
		us := units.NewService(d)
		count := func(parent, level string) []string {
			list, err := us.List(f.sys, units.Filter{ParentCode: parent, Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			var codes []string
			for _, u := range list {
				if string(u.Level) == level {
					codes = append(codes, u.Code)
				}
			}
			return codes
		}
		districts := count("51", "district")
		baToCommunes := count("535", "commune")
		if len(districts) < 2 || len(baToCommunes) < 2 {
			t.Fatalf("seed: %d districts, %d communes in Ba Tơ", len(districts), len(baToCommunes))
		}
		allCommunes := 0
		for _, dc := range districts {
			allCommunes += len(count(dc, "commune"))
		}
		// Ba Tơ: in commune A one passes and one only starts; in commune B one only enrols.
		// Sơn Tây: in one commune one passes.
		cA, cB := baToCommunes[0], baToCommunes[1]
		cS := count("530", "commune")[0]
		f.pass(t, f.learnerIn(t, "bato.dat", cA, 0), f.course.ID)
		if _, err := f.svc.StartAttempt(f.learnerIn(t, "bato.batdau", cA, 0), f.course.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Enrol(f.learnerIn(t, "bato.ghidanh", cB, 0), f.course.ID); err != nil {
			t.Fatal(err)
		}
		f.pass(t, f.learnerIn(t, "sontay.dat", cS, 0), f.course.ID)

		type counts struct{ enrolled, started, passed int }
		check := func(who string, rows []training.FigureRow, wantRows int, want map[string]counts, top []string) {
			t.Helper()
			if len(rows) != wantRows {
				t.Errorf("%s: %d rows, want %d", who, len(rows), wantRows)
			}
			seen := map[string]bool{}
			for _, r := range rows {
				if seen[r.Key] {
					t.Errorf("%s: unit %s twice", who, r.Key)
				}
				seen[r.Key] = true
				w := want[r.Key]
				if r.Enrolled != w.enrolled || r.Started != w.started || r.Passed != w.passed {
					t.Errorf("%s: row %s = %d/%d/%d, want %d/%d/%d", who, r.Key, r.Enrolled, r.Started, r.Passed, w.enrolled, w.started, w.passed)
				}
				if r.Direct {
					t.Errorf("%s: a leaderboard row marked direct: %+v", who, r)
				}
			}
			for k := range want {
				if !seen[k] {
					t.Errorf("%s: no row for %s", who, k)
				}
			}
			for i, k := range top {
				if i >= len(rows) || rows[i].Key != k {
					t.Errorf("%s: rank %d is not %s: %+v", who, i+1, k, rows[:min(len(rows), len(top))])
				}
			}
		}
		province := f.sys
		rows, err := f.svc.Figures(province, training.FigureFilter{CourseID: f.course.ID, Level: "district"})
		if err != nil {
			t.Fatal(err)
		}
		check("province by district", rows, len(districts), map[string]counts{"535": {3, 2, 1}, "530": {1, 1, 1}}, []string{"535", "530"})
		if rows[0].PassRate != 33.3 {
			t.Errorf("Ba Tơ pass rate %v, want 33.3", rows[0].PassRate)
		}
		rows, err = f.svc.Figures(province, training.FigureFilter{CourseID: f.course.ID, Level: "commune"})
		if err != nil {
			t.Fatal(err)
		}
		check("province by commune", rows, allCommunes, map[string]counts{cA: {2, 2, 1}, cS: {1, 1, 1}, cB: {1, 0, 0}}, []string{cA, cS, cB})

		// Ba Tơ's administrator: their district only, and only Ba Tơ's communes.
		bato := f.adminOf(t, "ubnd.bato", authz.UnitAdmin, "535", 0)
		rows, err = f.svc.Figures(bato, training.FigureFilter{CourseID: f.course.ID, Level: "district"})
		if err != nil {
			t.Fatal(err)
		}
		check("Ba Tơ by district", rows, 1, map[string]counts{"535": {3, 2, 1}}, []string{"535"})
		rows, err = f.svc.Figures(bato, training.FigureFilter{CourseID: f.course.ID, Level: "commune"})
		if err != nil {
			t.Fatal(err)
		}
		check("Ba Tơ by commune", rows, len(baToCommunes), map[string]counts{cA: {2, 2, 1}, cB: {1, 0, 0}}, []string{cA, cB})
		for _, r := range rows {
			if !slices.Contains(baToCommunes, r.Key) {
				t.Errorf("Ba Tơ sees commune %s outside Ba Tơ", r.Key)
			}
		}
		// A limit keeps the top of the board.
		rows, err = f.svc.Figures(province, training.FigureFilter{CourseID: f.course.ID, Level: "commune", Limit: 2})
		if err != nil || len(rows) != 2 || rows[0].Key != cA || rows[1].Key != cS {
			t.Errorf("top 2 communes: %v %+v", err, rows)
		}
		_, err = f.svc.Figures(province, training.FigureFilter{CourseID: f.course.ID, Level: "village"})
		wantRefusal(t, "level village", err, apperr.Invalid, "units.error.level")
		if _, err := f.svc.Figures(f.learners[0], training.FigureFilter{CourseID: f.course.ID, Level: "district"}); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("learner reads the leaderboard: %v", err)
		}
	})
}

// 3. Open and close dates: an attempt cannot start before the open date or after the close
// date, and nothing is recorded by the refusal; between them (bounds included) it starts.
// datedCourse is a published course that opens a day after the fixture's clock and closes two
// days later.
func datedCourse(t *testing.T, d *db.DB) (f *fixture, c training.Course, opens, closes time.Time) {
	t.Helper()
	f = setup(t, d, training.Exam{QuestionCount: 5, PassPercent: 50, TimeLimitMinutes: 10})
	opens = f.clock.Add(24 * time.Hour)
	closes = opens.Add(48 * time.Hour)
	c = f.publishedCourse(t, training.Course{Title: "Khóa có thời hạn", OpensAt: opens, ClosesAt: closes,
		Exam: training.Exam{QuestionCount: 5, PassPercent: 50, TimeLimitMinutes: 10}}, bankCSV(6))
	return f, c, opens, closes
}

func TestDeliverCourseOpenCloseDates(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f, c, opens, closes := datedCourse(t, d)
		if !c.OpensAt.Equal(opens) || !c.ClosesAt.Equal(closes) {
			t.Fatalf("dates not kept: %v %v", c.OpensAt, c.ClosesAt)
		}
		me, other := f.learners[0], f.learners[1]

		*f.clock = opens.Add(-time.Millisecond)
		_, err := f.svc.StartAttempt(me, c.ID)
		wantRefusal(t, "start before the open date", err, apperr.Conflict, "training.error.course_not_open")
		if _, err := f.svc.MyEnrolment(me, c.ID); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("a refused start enrolled the learner: %v", err)
		}
		if got := c.StatusAt(*f.clock); got != training.Upcoming {
			t.Errorf("status before opening: %v", got)
		}

		*f.clock = opens
		a, err := f.svc.StartAttempt(me, c.ID)
		if err != nil || len(a.Questions) != 5 {
			t.Fatalf("start at the open date: %v", err)
		}
		*f.clock = closes
		if _, err := f.svc.StartAttempt(other, c.ID); err != nil {
			t.Errorf("start at the close date: %v", err)
		}

		*f.clock = closes.Add(time.Millisecond)
		third := f.learnerIn(t, "muon.qua", "535", 0)
		_, err = f.svc.StartAttempt(third, c.ID)
		wantRefusal(t, "start after the close date", err, apperr.Conflict, "training.error.course_closed")
		if _, err := f.svc.MyEnrolment(third, c.ID); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("a refused start enrolled the learner: %v", err)
		}
		if got := c.StatusAt(*f.clock); got != training.Closed {
			t.Errorf("status after closing: %v", got)
		}
		var n int
		if err := d.Reader().QueryRowContext(context.Background(), "SELECT COUNT(*) FROM training_attempts WHERE course_id = ?", c.ID).Scan(&n); err != nil || n != 2 {
			t.Errorf("attempts stored: %d %v, want 2", n, err)
		}
		// A close date not after the open date is refused when the course is created.
		_, err = f.svc.CreateCourse(f.sys, training.Course{Province: "51", Title: "Ngược ngày", OpensAt: closes, ClosesAt: opens,
			Exam: training.Exam{QuestionCount: 5, PassPercent: 50, TimeLimitMinutes: 10}})
		wantRefusal(t, "close before open", err, apperr.Invalid, "training.error.dates")
	})
}

// 3b. Enrolment after the close date: a course past its close date is "closed" to learners
// (Course.StatusAt, the catalogue, StartAttempt), as one closed by CloseCourse is; enrolling in
// it is refused the same way and counts nobody in the figures. Before the open date enrolment
// is allowed (learners sign up ahead).
func TestDeliverEnrolAfterCloseDate(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f, c, _, closes := datedCourse(t, d)
		if _, err := f.svc.Enrol(f.learners[0], c.ID); err != nil {
			t.Errorf("enrol before the open date: %v", err)
		}
		*f.clock = closes.Add(time.Hour)
		_, err := f.svc.Enrol(f.learners[1], c.ID)
		wantRefusal(t, "enrol after the close date", err, apperr.Conflict, "training.error.course_closed")
		_, err = f.svc.EnrolRoster(f.sys, c.ID, strings.NewReader("username\nhocsinh.1\n"))
		wantRefusal(t, "roster after the close date", err, apperr.Conflict, "training.error.course_closed")
		if tot, err := f.svc.TotalsFor(f.sys, c.ID); err != nil || tot.Enrolled != 1 {
			t.Errorf("enrolled after the close date counted: %+v %v", tot, err)
		}
	})
}

// 4. Option shuffling: over 30 attempts of a one-question exam the four options come in more than
// one order, each a permutation of the question's options, and each attempt keeps its order when
// resumed, also from the database by a service that never saw it drawn.
func TestDeliverOptionShuffle(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setup(t, d, training.Exam{QuestionCount: 5, PassPercent: 50, TimeLimitMinutes: 10})
		c := f.publishedCourse(t, training.Course{Title: "Một câu hỏi", Exam: training.Exam{QuestionCount: 1, PassPercent: 100, TimeLimitMinutes: 10}},
			"category,type,question,A,B,C,D,correct\nAn toàn thông tin,single,Mật khẩu nào mạnh nhất?,123456,matkhau,Qn!2023#xY,ngày sinh,C\n")
		bank, err := f.svc.Questions(f.sys, c.ID)
		if err != nil || len(bank) != 1 || len(bank[0].Options) != 4 {
			t.Fatalf("bank: %v %+v", err, bank)
		}
		var bankOpts []int64
		for _, o := range bank[0].Options {
			bankOpts = append(bankOpts, o.ID)
		}
		slices.Sort(bankOpts)
		order := func(a training.AttemptView) []int64 {
			var ids []int64
			for _, o := range a.Questions[0].Options {
				ids = append(ids, o.ID)
			}
			return ids
		}
		me := f.learners[0]
		orders := map[int64][]int64{}
		distinct := map[string]bool{}
		for i := 0; i < 30; i++ {
			a, err := f.svc.StartAttempt(me, c.ID)
			if err != nil {
				t.Fatalf("attempt %d: %v", i, err)
			}
			got := order(a)
			sorted := slices.Sorted(slices.Values(got))
			if !slices.Equal(sorted, bankOpts) {
				t.Fatalf("attempt %d options %v are not the question's %v", i, got, bankOpts)
			}
			again, err := f.svc.StartAttempt(me, c.ID)
			if err != nil || again.ID != a.ID || !slices.Equal(order(again), got) {
				t.Fatalf("resume of attempt %d: %v, order %v then %v", i, err, got, order(again))
			}
			orders[a.ID] = got
			distinct[fmt.Sprint(got)] = true
			// A wrong answer, so that the next attempt is a new one.
			wrong := a.Questions[0].Options[0].ID
			for _, o := range a.Questions[0].Options {
				if o.Text != "Qn!2023#xY" {
					wrong = o.ID
				}
			}
			if _, err := f.svc.SaveAnswer(me, a.ID, a.Questions[0].ID, []int64{wrong}); err != nil {
				t.Fatal(err)
			}
			if r, err := f.svc.Submit(me, a.ID); err != nil || r.Passed {
				t.Fatalf("submit %d: %+v %v", i, r, err)
			}
		}
		if len(distinct) < 2 {
			t.Errorf("30 attempts, %d distinct option orders: not shuffled", len(distinct))
		}
		// Read back by a service with an empty memory: every attempt has its own order.
		cold := training.NewService(d)
		t.Cleanup(cold.Close)
		for id, want := range orders {
			a, err := cold.GetAttempt(me, id)
			if err != nil || !slices.Equal(order(a), want) {
				t.Errorf("attempt %d read back: %v, order %v, was %v", id, err, order(a), want)
			}
		}
	})
}

// 5. Lesson links: a lesson keeps its video link and attachment; a link that is not http(s) or
// a site path (javascript:, data:, ftp:, a quote that would break out of an attribute) is
// refused on the field at fault and nothing is stored.
func TestDeliverLessonLinks(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setup(t, d, training.Exam{QuestionCount: 5, PassPercent: 50, TimeLimitMinutes: 10})
		m, err := f.svc.AddModule(f.sys, f.course.ID, "Dịch vụ công trực tuyến")
		if err != nil {
			t.Fatal(err)
		}
		video, attach := "https://www.youtube.com/watch?v=dQw4w9WgXcQ", "https://dichvucong.gov.vn/huong-dan-nop-ho-so.pdf"
		l, err := f.svc.AddLesson(f.sys, m.ID, training.Lesson{Title: "Nộp hồ sơ trực tuyến", BodyHTML: "<p>Bước 1</p>", VideoURL: video, AttachmentURL: attach})
		if err != nil {
			t.Fatal(err)
		}
		if l.VideoURL != video || l.AttachmentURL != attach {
			t.Errorf("returned lesson: %+v", l)
		}
		if _, err := f.svc.AddLesson(f.sys, m.ID, training.Lesson{Title: "Tài liệu nội bộ", VideoURL: "http://video.quangngai.gov.vn/bai-2.mp4", AttachmentURL: "/files/bai-2.docx"}); err != nil {
			t.Errorf("http video and site-path attachment: %v", err)
		}
		for _, bad := range []struct{ field, url string }{
			{"video_url", "javascript:alert(1)"},
			{"video_url", "JavaScript:alert(document.cookie)"},
			{"video_url", " javascript:alert(1)"},
			{"video_url", "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="},
			{"video_url", "ftp://example.vn/video.mp4"},
			{"video_url", "www.youtube.com/watch?v=x"},
			{"video_url", `https://example.vn/" onmouseover="alert(1)`},
			{"video_url", "https://example.vn/" + strings.Repeat("a", 500)},
			{"attachment_url", "javascript:alert(1)"},
			{"attachment_url", "vbscript:msgbox(1)"},
			{"attachment_url", "https://example.vn/<script>"},
		} {
			in := training.Lesson{Title: "Bài xấu"}
			if bad.field == "video_url" {
				in.VideoURL = bad.url
			} else {
				in.AttachmentURL = bad.url
			}
			_, err := f.svc.AddLesson(f.sys, m.ID, in)
			wantRefusal(t, bad.field+" "+bad.url, err, apperr.Invalid, "training.error.url")
			if ae := apperr.As(err); ae.Field != bad.field {
				t.Errorf("%q: field %q, want %q", bad.url, ae.Field, bad.field)
			}
		}
		ls := lessonsOf(t, f, f.learners[0], f.course)
		if len(ls) != 2 {
			t.Fatalf("lessons stored: %+v", ls)
		}
		if ls[0].VideoURL != video || ls[0].AttachmentURL != attach || ls[0].Locked {
			t.Errorf("lesson as the learner reads it: %+v", ls[0])
		}
		if ls[1].VideoURL != "http://video.quangngai.gov.vn/bai-2.mp4" || ls[1].AttachmentURL != "/files/bai-2.docx" {
			t.Errorf("second lesson: %+v", ls[1])
		}
		if _, err := f.svc.AddLesson(f.learners[0], m.ID, training.Lesson{Title: "Của học viên", VideoURL: video}); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("learner adds a lesson: %v", err)
		}
	})
}

// zipEntries reads a zip: entry name → content.
func zipEntries(t *testing.T, b []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("not a zip: %v", err)
	}
	out := map[string][]byte{}
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if _, dup := out[zf.Name]; dup {
			t.Errorf("entry %s twice", zf.Name)
		}
		out[zf.Name] = body
	}
	return out
}

// 6. Bulk certificates: the zip holds exactly the certificates in the requester's scope, the
// chosen unit or organisation and the half-open range [From, To), one "<code>.pdf" each, every
// one a PDF of that certificate; revoked ones and the rest are absent.
func TestDeliverBulkCertificates(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setup(t, d, training.Exam{QuestionCount: 5, PassPercent: 50, TimeLimitMinutes: 10})
		ict := time.FixedZone("ICT", 7*3600)
		from := time.Date(2023, 7, 20, 0, 0, 0, 0, ict)
		to := time.Date(2023, 8, 1, 0, 0, 0, 0, ict)
		os := orgs.NewService(d)
		baToSchool, err := os.List(f.sys, orgs.Filter{})
		if err != nil || len(baToSchool) != 1 {
			t.Fatalf("fixture org: %v %+v", err, baToSchool)
		}
		sonTay, err := os.Create(f.sys, orgs.Org{Name: "Trường THPT Sơn Tây", Kind: orgs.School, UnitCode: "530"})
		if err != nil {
			t.Fatal(err)
		}
		at := func(tm time.Time, who context.Context) string {
			*f.clock = tm
			return f.pass(t, who, f.course.ID)
		}
		school := baToSchool[0].ID
		atFrom := at(from, f.learners[0])                                                     // Ba Tơ school, first instant of the range
		inRange := at(from.AddDate(0, 0, 5), f.learners[1])                                   // Ba Tơ school
		beforeFrom := at(from.Add(-time.Millisecond), f.learnerIn(t, "bato.som", "", school)) // just before
		atTo := at(to, f.learnerIn(t, "bato.muon", "", school))                               // To is excluded
		commune := at(from.AddDate(0, 0, 3), f.learnerIn(t, "bato.xa", "21484", 0))           // Ba Tơ, a commune, no organisation
		sonTayCode := at(from.AddDate(0, 0, 2), f.learnerIn(t, "sontay.hs", "", sonTay.ID))   // another district
		revoked := at(from.AddDate(0, 0, 4), f.learnerIn(t, "bato.thiho", "", school))        // revoked below
		if _, err := f.svc.RevokeCertificate(f.sys, revoked, "Thi hộ"); err != nil {
			t.Fatal(err)
		}
		bulk := func(who context.Context, bf training.BulkFilter) []string {
			t.Helper()
			var buf bytes.Buffer
			n, err := f.svc.BulkCertificates(who, bf, "https://lantoa.example", &buf)
			if err != nil {
				t.Fatalf("bulk %+v: %v", bf, err)
			}
			entries := zipEntries(t, buf.Bytes())
			if n != len(entries) {
				t.Errorf("bulk %+v: said %d, zip holds %d", bf, n, len(entries))
			}
			var codes []string
			for name, body := range entries {
				code, ok := strings.CutSuffix(name, ".pdf")
				if !ok || !training.ValidCode(code) {
					t.Errorf("entry name %q", name)
				}
				if !bytes.HasPrefix(body, []byte("%PDF-")) {
					t.Errorf("entry %s is not a PDF: %q", name, body[:min(len(body), 16)])
				}
				if !bytes.Contains(body, []byte("https://lantoa.example/verify/"+code)) {
					t.Errorf("entry %s is not the certificate %s", name, code)
				}
				codes = append(codes, code)
			}
			sort.Strings(codes)
			return codes
		}
		want := func(codes ...string) []string { sort.Strings(codes); return codes }
		check := func(what string, got, want []string) {
			t.Helper()
			if !slices.Equal(got, want) {
				t.Errorf("%s: zip holds %v, want %v", what, got, want)
			}
		}
		rng := training.BulkFilter{CourseID: f.course.ID, From: from, To: to}
		check("province, range", bulk(f.sys, rng), want(atFrom, inRange, commune, sonTayCode))
		check("province, no range", bulk(f.sys, training.BulkFilter{}), want(atFrom, inRange, beforeFrom, atTo, commune, sonTayCode))

		baTo := f.adminOf(t, "ubnd.bato", authz.UnitAdmin, "535", 0)
		check("Ba Tơ admin, range", bulk(baTo, rng), want(atFrom, inRange, commune))
		byUnit := rng
		byUnit.UnitPath = "/51/535/21484/"
		check("Ba Tơ admin, one commune", bulk(baTo, byUnit), want(commune))
		byOrg := rng
		byOrg.OrgPath = baToSchool[0].Path
		check("Ba Tơ admin, the school", bulk(baTo, byOrg), want(atFrom, inRange))
		// Asking for another district's unit or organisation gives nothing outside one's scope.
		bySonTay := rng
		bySonTay.OrgPath = sonTay.Path
		check("Ba Tơ admin, Sơn Tây's school", bulk(baTo, bySonTay), nil)
		check("province, Sơn Tây's school", bulk(f.sys, bySonTay), want(sonTayCode))

		schoolAdmin := f.adminOf(t, "bgh.thpt.bato", authz.OrgAdmin, "", school)
		check("school admin, range", bulk(schoolAdmin, rng), want(atFrom, inRange))
		sonTayAdmin := f.adminOf(t, "ubnd.sontay", authz.UnitAdmin, "530", 0)
		byBaTo := rng
		byBaTo.UnitPath = "/51/535/"
		check("Sơn Tây admin asking for Ba Tơ", bulk(sonTayAdmin, byBaTo), nil)

		if _, err := f.svc.BulkCertificates(f.learners[0], rng, "", io.Discard); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("learner bulk download: %v", err)
		}
	})
}
