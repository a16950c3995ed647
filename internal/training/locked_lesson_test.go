package training_test

import (
	"strings"
	"testing"

	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/training"
)

// A locked lesson of a sequential course is locked to read, not only to tick: a learner gets its
// title but not its text, video or attachment until the lesson before it is done; the course's
// managers see everything.
func TestLockedLessonContentStaysOnTheServer(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setup(t, d, training.Exam{QuestionCount: 5, PassPercent: 60, TimeLimitMinutes: 10})
		c, err := f.svc.CreateCourse(f.sys, training.Course{Province: "51", Title: "Thanh toán không dùng tiền mặt", Sequential: true, Exam: training.Exam{QuestionCount: 5, PassPercent: 60, TimeLimitMinutes: 10}})
		if err != nil {
			t.Fatal(err)
		}
		m, err := f.svc.AddModule(f.sys, c.ID, "Phần 1")
		if err != nil {
			t.Fatal(err)
		}
		first, err := f.svc.AddLesson(f.sys, m.ID, training.Lesson{Title: "Bài 1", BodyHTML: "<p>Mở ứng dụng ngân hàng</p>"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.AddLesson(f.sys, m.ID, training.Lesson{Title: "Bài 2", BodyHTML: "<p>Quét mã QR để thanh toán</p>",
			VideoURL: "https://www.youtube.com/watch?v=abc", AttachmentURL: "https://example.vn/huong-dan.pdf"}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.ImportQuestions(f.sys, c.ID, strings.NewReader(bankCSV(6))); err != nil {
			t.Fatal(err)
		}
		if c, err = f.svc.Publish(f.sys, c.ID); err != nil {
			t.Fatal(err)
		}
		lessonsAs := func(who string) []training.Lesson {
			t.Helper()
			ctx := f.sys
			if who == "learner" {
				ctx = f.learners[0]
			}
			mods, err := f.svc.Modules(ctx, c)
			if err != nil || len(mods) != 1 || len(mods[0].Lessons) != 2 {
				t.Fatalf("modules as %s: %v %+v", who, err, mods)
			}
			return mods[0].Lessons
		}
		ls := lessonsAs("learner")
		if !ls[1].Locked || ls[1].Title != "Bài 2" || ls[1].BodyHTML != "" || ls[1].VideoURL != "" || ls[1].AttachmentURL != "" {
			t.Errorf("locked lesson as the learner: %+v", ls[1])
		}
		if ls[0].Locked || ls[0].BodyHTML == "" {
			t.Errorf("first lesson as the learner: %+v", ls[0])
		}
		if ls := lessonsAs("manager"); ls[1].BodyHTML == "" || ls[1].VideoURL == "" {
			t.Errorf("the manager does not see the lesson's content: %+v", ls[1])
		}
		if err := f.svc.CompleteLesson(f.learners[0], c.ID, first.ID); err != nil {
			t.Fatal(err)
		}
		if ls := lessonsAs("learner"); ls[1].Locked || ls[1].BodyHTML == "" || ls[1].VideoURL == "" || ls[1].AttachmentURL == "" {
			t.Errorf("after the first lesson, the second: %+v", ls[1])
		}
	})
}
