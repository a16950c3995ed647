package training_test

import (
	"context"
	"testing"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/training"
)

// answerKey maps each question of the course's bank to its correct options.
func answerKey(t *testing.T, f *fixture) map[int64][]int64 {
	t.Helper()
	bank, err := f.svc.Questions(f.sys, f.course.ID)
	if err != nil {
		t.Fatal(err)
	}
	key := map[int64][]int64{}
	for _, q := range bank {
		for _, o := range q.Options {
			if o.Correct {
				key[q.ID] = append(key[q.ID], o.ID)
			}
		}
	}
	return key
}

// sit answers the first `right` questions of the attempt correctly and the rest wrongly.
func sit(t *testing.T, svc *training.Service, me context.Context, a training.AttemptView, key map[int64][]int64, right int) {
	t.Helper()
	for i, q := range a.Questions {
		ch := key[q.ID]
		if i >= right {
			ch = nil
		}
		if _, err := svc.SaveAnswer(me, a.ID, q.ID, ch); err != nil {
			t.Fatalf("save %d: %v", q.ID, err)
		}
	}
}

// TestPassMarkKeptByAttempt: raising the pass mark while an attempt is in progress does not move
// that attempt's pass mark (even when it is scored by another instance, from the database); an
// attempt started after the change gets the new one.
func TestPassMarkKeptByAttempt(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		exam := training.Exam{QuestionCount: 3, PassPercent: 60, TimeLimitMinutes: 20}
		f := setup(t, d, exam)
		key := answerKey(t, f)
		me, other := f.learners[0], f.learners[1]
		a, err := f.svc.StartAttempt(me, f.course.ID)
		if err != nil {
			t.Fatal(err)
		}
		exam.PassPercent = 90
		if _, err := f.svc.UpdateExam(f.sys, f.course.ID, exam); err != nil {
			t.Fatal(err)
		}
		sit(t, f.svc, me, a, key, 2)
		// Another app instance, with nothing in memory, scores the attempt.
		svc2 := training.NewService(d)
		t.Cleanup(svc2.Close)
		svc2.Now = f.svc.Now
		res, err := svc2.Submit(me, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if res.Score != 66.7 || !res.Passed || res.CertificateCode == "" {
			t.Errorf("attempt started at 60 %%, scored 66.7 after the change to 90 %%: %+v", res)
		}
		b, err := f.svc.StartAttempt(other, f.course.ID)
		if err != nil {
			t.Fatal(err)
		}
		sit(t, f.svc, other, b, key, 2)
		if res, err := f.svc.Submit(other, b.ID); err != nil || res.Passed {
			t.Errorf("attempt started at 90 %% passed with %+v %v", res, err)
		}
	})
}

// TestRevokeWithdrawsPass: revoking a certificate withdraws the pass — the enrolment is no longer
// passed, the figures count one pass fewer, the learner may sit the exam again with the full
// number of attempts, and a new pass issues a new certificate while the old one stays revoked.
func TestRevokeWithdrawsPass(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setup(t, d, training.Exam{QuestionCount: 3, PassPercent: 60, TimeLimitMinutes: 20, MaxAttempts: 2})
		key := answerKey(t, f)
		me := f.learners[0]
		var lastPass int64
		pass := func() training.Result {
			t.Helper()
			a, err := f.svc.StartAttempt(me, f.course.ID)
			if err != nil {
				t.Fatal(err)
			}
			sit(t, f.svc, me, a, key, 3)
			res, err := f.svc.Submit(me, a.ID)
			if err != nil || !res.Passed {
				t.Fatalf("pass: %+v %v", res, err)
			}
			lastPass = a.ID
			return res
		}
		// A failed attempt, then a pass: both attempts of two used.
		a, err := f.svc.StartAttempt(me, f.course.ID)
		if err != nil {
			t.Fatal(err)
		}
		sit(t, f.svc, me, a, key, 0)
		if _, err := f.svc.Submit(me, a.ID); err != nil {
			t.Fatal(err)
		}
		first := pass()
		firstAttempt := lastPass
		if _, err := f.svc.StartAttempt(me, f.course.ID); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("start after passing: %v", err)
		}
		if tot, _ := f.svc.TotalsFor(f.sys, f.course.ID); tot.Passed != 1 {
			t.Fatalf("totals before revocation %+v", tot)
		}
		if _, err := f.svc.RevokeCertificate(f.sys, first.CertificateCode, "Thi hộ"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.RevokeCertificate(f.sys, first.CertificateCode, "Thi hộ"); !apperr.Is(err, apperr.Conflict) {
			t.Errorf("second revocation: %v", err)
		}
		// The attempt's result no longer offers the revoked certificate.
		if v, err := f.svc.GetAttempt(me, firstAttempt); err != nil || v.Result == nil || v.Result.CertificateCode != "" {
			t.Errorf("result after revocation: %v %+v", err, v.Result)
		}
		if tot, _ := f.svc.TotalsFor(f.sys, f.course.ID); tot.Enrolled != 1 || tot.Started != 1 || tot.Passed != 0 {
			t.Errorf("totals after revocation %+v", tot)
		}
		if _, _, p := recount(t, d); p != 0 {
			t.Errorf("recount passed %d", p)
		}
		if e, err := f.svc.MyEnrolment(me, f.course.ID); err != nil || e.Passed || e.BestScore != 0 {
			t.Errorf("enrolment after revocation %+v %v", e, err)
		}
		// Two attempts again: one failed, then a pass with a new certificate.
		a, err = f.svc.StartAttempt(me, f.course.ID)
		if err != nil {
			t.Fatalf("start after revocation: %v", err)
		}
		sit(t, f.svc, me, a, key, 0)
		if _, err := f.svc.Submit(me, a.ID); err != nil {
			t.Fatal(err)
		}
		second := pass()
		if second.CertificateCode == first.CertificateCode {
			t.Errorf("the revoked certificate was reused")
		}
		if c, err := f.svc.FindCertificate(context.Background(), first.CertificateCode); err != nil || !c.Revoked {
			t.Errorf("old certificate %+v %v", c, err)
		}
		if c, err := f.svc.FindCertificate(context.Background(), second.CertificateCode); err != nil || c.Revoked {
			t.Errorf("new certificate %+v %v", c, err)
		}
		if tot, _ := f.svc.TotalsFor(f.sys, f.course.ID); tot.Passed != 1 {
			t.Errorf("totals after the new pass %+v", tot)
		}
		if _, _, p := recount(t, d); p != 1 {
			t.Errorf("recount passed %d", p)
		}
		if _, err := f.svc.StartAttempt(me, f.course.ID); !apperr.Is(err, apperr.Conflict) {
			t.Errorf("start after the new pass: %v", err)
		}
		// Revoked again, the learner has two fresh attempts; spent, the limit holds.
		if _, err := f.svc.RevokeCertificate(f.sys, second.CertificateCode, "Kết quả bị huỷ"); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 2; i++ {
			a, err := f.svc.StartAttempt(me, f.course.ID)
			if err != nil {
				t.Fatalf("attempt %d after the second revocation: %v", i+1, err)
			}
			sit(t, f.svc, me, a, key, 0)
			if _, err := f.svc.Submit(me, a.ID); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := f.svc.StartAttempt(me, f.course.ID); !apperr.Is(err, apperr.Conflict) {
			t.Errorf("third attempt of two after revocation: %v", err)
		}
		mine, err := f.svc.MyCertificates(me)
		if err != nil || len(mine) != 2 || !mine[0].Revoked || !mine[1].Revoked {
			t.Errorf("my certificates %+v %v", mine, err)
		}
	})
}
