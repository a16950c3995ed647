package training_test

import (
	"context"
	"sync"
	"testing"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/training"
)

// An attempt submitted on another instance takes no more answers here, although this instance
// still holds it open in memory: the writer's statement leaves its rows out and the save is
// answered with a conflict, while the saves of open attempts that share its batches go in.
func TestSaveAfterSubmitOnAnotherInstance(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setup(t, d, training.Exam{QuestionCount: 5, PassPercent: 50, TimeLimitMinutes: 20, MaxAttempts: 3})
		me, other := f.learners[0], f.learners[1]
		mine, err := f.svc.StartAttempt(me, f.course.ID)
		if err != nil {
			t.Fatal(err)
		}
		theirs, err := f.svc.StartAttempt(other, f.course.ID)
		if err != nil {
			t.Fatal(err)
		}
		choice := func(a training.AttemptView, i int) (int64, []int64) {
			return a.Questions[i].ID, []int64{a.Questions[i].Options[0].ID}
		}
		// One save of mine before: held by the time of the submit.
		q, c := choice(mine, 0)
		if _, err := f.svc.SaveAnswer(me, mine.ID, q, c); err != nil {
			t.Fatal(err)
		}
		peer := training.NewService(d)
		t.Cleanup(peer.Close)
		peer.Now = f.svc.Now
		if _, err := peer.Submit(me, mine.ID); err != nil {
			t.Fatal(err)
		}
		// Saves of both attempts at once, so that some share a batch.
		var wg sync.WaitGroup
		errs := make([]error, 20)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if i%4 == 0 {
					q, c := choice(mine, 1+i%3)
					_, errs[i] = f.svc.SaveAnswer(me, mine.ID, q, c)
					return
				}
				q, c := choice(theirs, i%5)
				_, errs[i] = f.svc.SaveAnswer(other, theirs.ID, q, c)
			}()
		}
		wg.Wait()
		for i, err := range errs {
			switch {
			case i%4 == 0 && !apperr.Is(err, apperr.Conflict):
				t.Errorf("save %d to the attempt submitted elsewhere: %v, want a conflict", i, err)
			case i%4 != 0 && err != nil:
				t.Errorf("save %d to an open attempt: %v", i, err)
			}
		}
		var mineStored, theirsStored int
		if err := d.Reader().QueryRowContext(context.Background(), "SELECT COUNT(*) FROM training_answers WHERE attempt_id = ?", mine.ID).Scan(&mineStored); err != nil {
			t.Fatal(err)
		}
		if err := d.Reader().QueryRowContext(context.Background(), "SELECT COUNT(*) FROM training_answers WHERE attempt_id = ?", theirs.ID).Scan(&theirsStored); err != nil {
			t.Fatal(err)
		}
		if mineStored != 1 || theirsStored != 5 {
			t.Errorf("answers stored: submitted attempt %d (want 1), open attempt %d (want 5)", mineStored, theirsStored)
		}
	})
}
