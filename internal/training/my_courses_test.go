package training_test

import (
	"context"
	"strings"
	"testing"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/training"
)

// The learner's workspace lists their own enrolments only, with the course and where they stand.
func TestMyCourses(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setup(t, d, training.Exam{QuestionCount: 10, PassPercent: 50, TimeLimitMinutes: 20, MaxAttempts: 3})
		me, other := f.learners[0], f.learners[1]
		if got, err := f.svc.MyCourses(me); err != nil || len(got) != 0 {
			t.Fatalf("before enrolling: %v %v", got, err)
		}
		second, err := f.svc.CreateCourse(f.sys, training.Course{Province: "51", Title: "An toàn thông tin", Exam: training.Exam{QuestionCount: 10, PassPercent: 50, TimeLimitMinutes: 20, MaxAttempts: 3}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.ImportQuestions(f.sys, second.ID, strings.NewReader(bankCSV(12))); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Publish(f.sys, second.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Enrol(me, f.course.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.StartAttempt(me, f.course.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Enrol(other, second.ID); err != nil {
			t.Fatal(err)
		}
		got, err := f.svc.MyCourses(me)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Course.ID != f.course.ID || got[0].Course.Title != "Kỹ năng số cơ bản" || !got[0].Started || got[0].Passed ||
			got[0].Course.Exam.TimeLimitMinutes != 20 {
			t.Fatalf("my courses: %+v", got)
		}
		if got, err := f.svc.MyCourses(other); err != nil || len(got) != 1 || got[0].Course.ID != second.ID || got[0].Started {
			t.Fatalf("the other learner's courses: %+v %v", got, err)
		}
		if _, err := f.svc.MyCourses(context.Background()); !apperr.Is(err, apperr.Unauthenticated) {
			t.Fatalf("anonymous: %v", err)
		}
	})
}
