package training

import (
	"slices"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/apperr/apperrtest"
)

var startNow = time.Date(2023, 7, 28, 2, 0, 0, 0, time.UTC) // 09:00 in Vietnam

func TestCourseStartable(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    Course
		kind apperr.Kind
		msg  string
	}{
		{"published", Course{Status: Published}, 0, ""},
		{"open and closing later", Course{Status: Published, OpensAt: startNow.Add(-time.Hour), ClosesAt: startNow.Add(time.Hour)}, 0, ""},
		{"closing this instant", Course{Status: Published, ClosesAt: startNow}, 0, ""},
		{"opening this instant", Course{Status: Published, OpensAt: startNow}, 0, ""},
		{"draft", Course{Status: Draft}, apperr.NotFound, "Không tìm thấy khóa học."},
		{"closed by hand", Course{Status: Closed}, apperr.Conflict, "Khóa học đã đóng."},
		{"past its closing date", Course{Status: Published, ClosesAt: startNow.Add(-time.Second)}, apperr.Conflict, "Khóa học đã đóng."},
		{"before its opening date", Course{Status: Published, OpensAt: startNow.Add(time.Second)}, apperr.Conflict, "Khóa học chưa mở."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			apperrtest.WantRefusal(t, courseStartable(tc.c, startNow), tc.kind, tc.msg)
		})
	}
}

func TestDecideStart(t *testing.T) {
	exam := Exam{QuestionCount: 20, PassPercent: 80, TimeLimitMinutes: 30}
	course := func(edit func(*Exam)) Course {
		c := Course{ID: 7, Status: Published, Exam: exam}
		if edit != nil {
			edit(&c.Exam)
		}
		return c
	}
	// A learner whose own start in a 10-minute start window is not the window's first second.
	const late = int64(1001)
	offset := StartOffset(7, late, 600)
	if offset == 0 {
		t.Fatal("pick another learner: their start is the window's first second")
	}
	deadline := startNow.Add(30 * time.Minute)
	for _, tc := range []struct {
		name   string
		c      Course
		userID int64
		now    time.Time
		st     attemptStats
		open   time.Time // the open attempt's deadline
		want   startDecision
		kind   apperr.Kind
		msg    string
	}{
		{name: "first attempt", c: course(nil), want: startDecision{questions: 20, deadline: deadline}},
		{name: "extra minutes granted", c: course(nil), st: attemptStats{extra: 15},
			want: startDecision{questions: 20, deadline: startNow.Add(45 * time.Minute)}},
		{name: "sequential course", c: Course{ID: 7, Status: Published, Sequential: true, Exam: exam},
			want: startDecision{lessonsFirst: true, questions: 20, deadline: deadline}},

		{name: "open attempt with time left", c: course(nil), open: startNow.Add(time.Minute), want: startDecision{resume: true}},
		{name: "open attempt within the grace", c: course(nil), open: startNow.Add(-Grace + time.Millisecond), want: startDecision{resume: true}},
		{name: "open attempt at the end of the grace", c: course(nil), open: startNow.Add(-Grace), want: startDecision{expire: true}},
		{name: "open attempt long over", c: course(nil), open: startNow.Add(-time.Hour), want: startDecision{expire: true}},
		{name: "open attempt before every refusal", c: course(func(e *Exam) { e.MaxAttempts = 1 }),
			st: attemptStats{passed: true, count: 1}, open: startNow.Add(time.Minute), want: startDecision{resume: true}},

		{name: "already passed", c: course(nil), st: attemptStats{passed: true}, kind: apperr.Conflict,
			msg: "Bạn đã đạt bài kiểm tra của khóa học này."},
		{name: "passed before not yet", c: course(func(e *Exam) { e.ExamAt = startNow.Add(time.Hour) }), st: attemptStats{passed: true},
			kind: apperr.Conflict, msg: "Bạn đã đạt bài kiểm tra của khóa học này."},

		{name: "scheduled exam not started", c: course(func(e *Exam) { e.ExamAt = startNow.Add(time.Hour) }), kind: apperr.Conflict,
			msg: "Chưa đến giờ làm bài của bạn: phòng thi mở cho bạn lúc 10:00:00 28/07/2023 (giờ Việt Nam). Vui lòng chờ ở phòng chờ."},
		{name: "scheduled exam at its start", c: course(func(e *Exam) { e.ExamAt = startNow }), want: startDecision{questions: 20, deadline: deadline}},
		{name: "own start later in the window", c: course(func(e *Exam) { e.ExamAt, e.StartWindowSeconds = startNow, 600 }), userID: late,
			kind: apperr.Conflict, msg: "Chưa đến giờ làm bài của bạn: phòng thi mở cho bạn lúc " +
				startNow.Add(offset).In(vietnam).Format("15:04:05 02/01/2006") + " (giờ Việt Nam). Vui lòng chờ ở phòng chờ."},
		{name: "own start come", c: course(func(e *Exam) { e.ExamAt, e.StartWindowSeconds = startNow.Add(-offset), 600 }), userID: late,
			want: startDecision{questions: 20, deadline: deadline}},

		{name: "attempts used up", c: course(func(e *Exam) { e.MaxAttempts = 3 }), st: attemptStats{count: 3}, kind: apperr.Conflict,
			msg: "Bạn đã dùng hết 3 lần làm bài."},
		{name: "last attempt left", c: course(func(e *Exam) { e.MaxAttempts = 3 }), st: attemptStats{count: 2},
			want: startDecision{questions: 20, deadline: deadline}},
		{name: "unlimited attempts", c: course(nil), st: attemptStats{count: 100}, want: startDecision{questions: 20, deadline: deadline}},
		{name: "not yet before attempts used up", c: course(func(e *Exam) { e.MaxAttempts, e.ExamAt = 1, startNow.Add(time.Hour) }),
			st: attemptStats{count: 1}, kind: apperr.Conflict,
			msg: "Chưa đến giờ làm bài của bạn: phòng thi mở cho bạn lúc 10:00:00 28/07/2023 (giờ Việt Nam). Vui lòng chờ ở phòng chờ."},

		{name: "retry too soon", c: course(func(e *Exam) { e.RetryDelayMinutes = 30 }), st: attemptStats{count: 1, lastEnd: startNow.Add(-10 * time.Minute)},
			kind: apperr.TooMany, msg: "Bạn cần chờ thêm 20 phút trước khi làm lại."},
		{name: "retry wait rounded up", c: course(func(e *Exam) { e.RetryDelayMinutes = 30 }), st: attemptStats{count: 1, lastEnd: startNow.Add(-10*time.Minute - 30*time.Second)},
			kind: apperr.TooMany, msg: "Bạn cần chờ thêm 20 phút trước khi làm lại."},
		{name: "retry delay just over", c: course(func(e *Exam) { e.RetryDelayMinutes = 30 }), st: attemptStats{count: 1, lastEnd: startNow.Add(-30 * time.Minute)},
			want: startDecision{questions: 20, deadline: deadline}},
		{name: "retry delay without an ended attempt", c: course(func(e *Exam) { e.RetryDelayMinutes = 30 }),
			want: startDecision{questions: 20, deadline: deadline}},
		{name: "attempts used up before retry delay", c: course(func(e *Exam) { e.MaxAttempts, e.RetryDelayMinutes = 1, 30 }),
			st: attemptStats{count: 1, lastEnd: startNow.Add(-time.Minute)}, kind: apperr.Conflict, msg: "Bạn đã dùng hết 1 lần làm bài."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := decideStart(startInput{course: tc.c, userID: tc.userID, now: startNow, stats: tc.st, openDeadline: tc.open})
			apperrtest.WantRefusal(t, err, tc.kind, tc.msg)
			if d != tc.want {
				t.Errorf("decision %+v, want %+v", d, tc.want)
			}
		})
	}
}

// recheckStart is the rule inside the write: what it finds there wins over what decideStart saw.
func TestRecheckStart(t *testing.T) {
	limited := Course{Exam: Exam{MaxAttempts: 2}}
	for _, tc := range []struct {
		name          string
		c             Course
		open, counted int64
		resume        int64
		msg           string
	}{
		{"nothing meanwhile", limited, 0, 1, 0, ""},
		{"an attempt opened meanwhile", limited, 42, 2, 42, ""},
		{"the last attempt used meanwhile", limited, 0, 2, 0, "Bạn đã dùng hết 2 lần làm bài."},
		{"unlimited attempts", Course{}, 0, 50, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resume, err := recheckStart(tc.c, tc.open, tc.counted)
			apperrtest.WantRefusal(t, err, apperr.Conflict, tc.msg)
			if resume != tc.resume {
				t.Errorf("resume %d, want %d", resume, tc.resume)
			}
		})
	}
}

// draw is random: every draw must be n distinct questions of the pool, each with its own options
// in some order, and a pool too small refuses with both numbers.
func TestDraw(t *testing.T) {
	b := &bank{questions: map[int64]*Question{}}
	for q := int64(1); q <= 6; q++ {
		if q == 6 {
			b.questions[q] = &Question{ID: q, Options: []Option{{ID: 60}, {ID: 61}}} // inactive: not in the pool
			continue
		}
		b.pool = append(b.pool, q)
		b.questions[q] = &Question{ID: q, Options: []Option{{ID: q * 10}, {ID: q*10 + 1}, {ID: q*10 + 2}, {ID: q*10 + 3}}}
	}
	seen := map[int64]bool{}
	for range 200 {
		order, opts, err := draw(b, 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(order) != 3 || len(opts) != 3 {
			t.Fatalf("drew %v %v, want 3 questions", order, opts)
		}
		for i, q := range order {
			seen[q] = true
			if !slices.Contains(b.pool, q) || slices.Contains(order[:i], q) {
				t.Fatalf("drew %v from the pool %v", order, b.pool)
			}
			got := slices.Sorted(slices.Values(opts[q]))
			if want := []int64{q * 10, q*10 + 1, q*10 + 2, q*10 + 3}; !slices.Equal(got, want) {
				t.Fatalf("question %d options %v, want a shuffle of %v", q, opts[q], want)
			}
		}
	}
	if len(seen) != len(b.pool) {
		t.Errorf("200 draws picked only %v of the pool", seen)
	}
	if order, opts, err := draw(b, 0); err != nil || len(order) != 0 || len(opts) != 0 {
		t.Errorf("draw of none: %v %v %v", order, opts, err)
	}
	_, _, err := draw(b, 6)
	apperrtest.WantRefusal(t, err, apperr.Conflict, "Ngân hàng câu hỏi chưa đủ: bài kiểm tra cần 6 câu, hiện có 5 câu.")
}
