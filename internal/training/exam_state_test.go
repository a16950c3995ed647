package training_test

import (
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/apperr/apperrtest"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/training"
)

func TestFormatScore(t *testing.T) {
	for _, c := range []struct {
		score  float64
		lang   string
		want   string
		reason string
	}{
		{100, "vi", "100", "no trailing ,0"},
		{87.5, "vi", "87,5", "comma decimal"},
		{87.5, "en", "87.5", "English keeps the point"},
		{0, "vi", "0", "a zero score"},
		{66.66666, "vi", "66,7", "one decimal, as scores are kept"},
		{70.04, "vi", "70", "rounds to a whole number"},
		{9.95, "vi", "10", "rounds up across the decimal"},
	} {
		if got := training.FormatScore(c.score, c.lang); got != c.want {
			t.Errorf("FormatScore(%v, %s) = %q, want %q (%s)", c.score, c.lang, got, c.want, c.reason)
		}
	}
}

// TestExamStateStartsNothing: reading the state of the exam page creates no attempt; it tells
// the terms, the attempts used and left, resumes a running attempt, shows the latest result, and
// says why a learner may not start (out of attempts, passed).
func TestExamStateStartsNothing(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setup(t, d, training.Exam{QuestionCount: 5, PassPercent: 80, TimeLimitMinutes: 10, MaxAttempts: 2})
		me := f.learners[0]
		attempts := func() int {
			var n int
			if err := d.Reader().QueryRowContext(f.sys, "SELECT COUNT(*) FROM training_attempts WHERE course_id = ?", f.course.ID).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		st, err := f.svc.ExamStateFor(me, f.course)
		if err != nil {
			t.Fatal(err)
		}
		if n := attempts(); n != 0 {
			t.Fatalf("reading the state made %d attempts", n)
		}
		if st.Questions != 5 || st.Minutes != 10 || st.Used != 0 || st.Left() != 2 || st.Open != 0 || st.Result != nil || st.Refusal != nil || !st.Lobby.CanStart {
			t.Fatalf("fresh state %+v", st)
		}
		a, err := f.svc.StartAttempt(me, f.course.ID)
		if err != nil {
			t.Fatal(err)
		}
		if st, err = f.svc.ExamStateFor(me, f.course); err != nil || st.Open != a.ID || st.Used != 1 || st.Left() != 1 {
			t.Fatalf("running attempt: %+v %v", st, err)
		}
		// Time runs out with nothing answered: the state submits the attempt and shows its result.
		*f.clock = f.clock.Add(11 * time.Minute)
		if st, err = f.svc.ExamStateFor(me, f.course); err != nil || st.Open != 0 || st.Result == nil || !st.Result.TimedOut || st.Result.Passed || st.Refusal != nil {
			t.Fatalf("after the time limit: %+v %v", st, err)
		}
		if _, err := f.svc.StartAttempt(me, f.course.ID); err != nil {
			t.Fatal(err)
		}
		*f.clock = f.clock.Add(11 * time.Minute)
		if st, err = f.svc.ExamStateFor(me, f.course); err != nil {
			t.Fatal(err)
		}
		apperrtest.WantRefusal(t, st.Refusal, apperr.Conflict, "Bạn đã dùng hết 2 lần làm bài.")
		if st.Used != 2 || st.Left() != 0 || st.Passed {
			t.Errorf("out of attempts: %+v", st)
		}
		if n := attempts(); n != 2 {
			t.Errorf("%d attempts, want the 2 started", n)
		}

		// The other learner passes: the state shows the passing result and its certificate.
		other := f.learners[1]
		b, err := f.svc.StartAttempt(other, f.course.ID)
		if err != nil {
			t.Fatal(err)
		}
		bank, err := f.svc.Questions(f.sys, f.course.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range b.Questions {
			var right []int64
			for _, bq := range bank {
				if bq.ID == q.ID {
					for _, o := range bq.Options {
						if o.Correct {
							right = append(right, o.ID)
						}
					}
				}
			}
			if _, err := f.svc.SaveAnswer(other, b.ID, q.ID, right); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := f.svc.Submit(other, b.ID); err != nil {
			t.Fatal(err)
		}
		if st, err = f.svc.ExamStateFor(other, f.course); err != nil {
			t.Fatal(err)
		}
		if !st.Passed || st.Result == nil || !st.Result.Passed || st.Result.Score != 100 || st.Result.CertificateCode == "" {
			t.Fatalf("passed: %+v %+v", st, st.Result)
		}
		apperrtest.WantRefusal(t, st.Refusal, apperr.Conflict, "Bạn đã đạt bài kiểm tra của khóa học này.")
	})
}
