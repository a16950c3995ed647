package training_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/orgs"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/training"
	"github.com/lantoa/lantoa/internal/units"
)

const pw = "mật khẩu thử nghiệm 2023"

// bankCSV makes n valid questions in two categories.
func bankCSV(n int) string {
	var b strings.Builder
	b.WriteString("category,type,question,A,B,C,D,correct\n")
	for i := 0; i < n; i++ {
		cat := "Dịch vụ công trực tuyến"
		if i%2 == 1 {
			cat = "An toàn thông tin"
		}
		switch i % 3 {
		case 0:
			fmt.Fprintf(&b, "%s,single,Câu hỏi số %d?,Đáp án một,Đáp án hai,Đáp án ba,Đáp án bốn,B\n", cat, i)
		case 1:
			fmt.Fprintf(&b, "%s,multiple,Câu nhiều đáp án %d?,Một,Hai,Ba,Bốn,\"A,C\"\n", cat, i)
		default:
			fmt.Fprintf(&b, "%s,truefalse,Khẳng định %d đúng không?,Đúng,Sai,,,A\n", cat, i)
		}
	}
	return b.String()
}

type fixture struct {
	svc      *training.Service
	acc      *accounts.Service
	sys      context.Context
	course   training.Course
	learners []context.Context
	clock    *time.Time
}

func setup(t *testing.T, d *db.DB, exam training.Exam, opts ...training.ServiceOption) *fixture {
	t.Helper()
	sys := authz.WithActor(context.Background(), authz.System)
	if _, err := units.NewService(d).SeedQuangNgai(sys); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2023, 7, 20, 8, 0, 0, 0, time.UTC)
	f := &fixture{svc: training.NewService(d, opts...), acc: accounts.NewService(d), sys: sys, clock: &now}
	t.Cleanup(f.svc.Close)
	f.svc.Now = func() time.Time { return *f.clock }
	org, err := orgs.NewService(d).Create(sys, orgs.Org{Name: "Trường THPT Ba Tơ", Kind: orgs.School, UnitCode: "535"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := f.svc.CreateCourse(sys, training.Course{Province: "51", Title: "Kỹ năng số cơ bản", Exam: exam})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := f.svc.ImportQuestions(sys, c.ID, strings.NewReader(bankCSV(12))); err != nil || n != 12 {
		t.Fatalf("import: %d %v", n, err)
	}
	if f.course, err = f.svc.Publish(sys, c.ID); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		u, err := f.acc.Register(sys, accounts.NewUser{Username: fmt.Sprintf("hocsinh.%d", i), DisplayName: "Đinh Văn Học", Password: pw, OrgID: org.ID})
		if err != nil {
			t.Fatal(err)
		}
		f.learners = append(f.learners, authz.WithActor(context.Background(), &authz.Actor{UserID: u.ID, Username: u.Username, Grants: u.Grants}))
	}
	return f
}

func TestExamFlowAndBadInput(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setup(t, d, training.Exam{QuestionCount: 10, PassPercent: 50, TimeLimitMinutes: 20, MaxAttempts: 3, ReviewAllowed: true})
		me, other := f.learners[0], f.learners[1]
		a, err := f.svc.StartAttempt(me, f.course.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(a.Questions) != 10 {
			t.Fatalf("questions %d", len(a.Questions))
		}
		// Nothing in the attempt's JSON tells which option is correct.
		js, _ := json.Marshal(a)
		if strings.Contains(string(js), "correct") {
			t.Fatalf("attempt JSON reveals correctness: %s", js)
		}
		// Resuming returns the same attempt.
		again, err := f.svc.StartAttempt(me, f.course.ID)
		if err != nil || again.ID != a.ID {
			t.Fatalf("resume: %v %d != %d", err, again.ID, a.ID)
		}
		// Answer everything correctly, using the bank (server side) to know the answers.
		bank, err := f.svc.Questions(f.sys, f.course.ID)
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
		for _, q := range a.Questions {
			if _, err := f.svc.SaveAnswer(me, a.ID, q.ID, correct[q.ID]); err != nil {
				t.Fatalf("save %d: %v", q.ID, err)
			}
		}
		q0 := a.Questions[0]
		// Bad input, each refused and changing nothing.
		if _, err := f.svc.SaveAnswer(other, a.ID, q0.ID, nil); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("another learner's attempt: %v", err)
		}
		var notIn int64
		for _, q := range bank {
			if _, ok := correct[q.ID]; ok {
				in := false
				for _, x := range a.Questions {
					in = in || x.ID == q.ID
				}
				if !in {
					notIn = q.ID
				}
			}
		}
		if _, err := f.svc.SaveAnswer(me, a.ID, notIn, nil); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("question not in attempt: %v", err)
		}
		if _, err := f.svc.SaveAnswer(me, a.ID, q0.ID, []int64{a.Questions[1].Options[0].ID}); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("tampered choice: %v", err)
		}
		if _, err := f.svc.SaveAnswer(me, a.ID, q0.ID, []int64{q0.Options[0].ID, q0.Options[0].ID}); apperr.As(err).Key != "training.error.choice_twice" {
			t.Errorf("a choice sent twice: %v, want training.error.choice_twice", err)
		}
		if _, err := f.svc.SaveAnswer(me, a.ID, q0.ID, []int64{999999}); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("made-up choice: %v", err)
		}
		cur, _ := f.svc.GetAttempt(me, a.ID)
		for _, q := range cur.Questions {
			if len(q.Choices) != len(correct[q.ID]) {
				t.Errorf("question %d changed by refused input: %v", q.ID, q.Choices)
			}
		}
		res, err := f.svc.Submit(me, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !res.Passed || res.Score != 100 || !training.ValidCode(res.CertificateCode) {
			t.Fatalf("result %+v", res)
		}
		if _, err := f.svc.Submit(me, a.ID); !apperr.Is(err, apperr.Conflict) {
			t.Errorf("second submit: %v", err)
		}
		if _, err := f.svc.SaveAnswer(me, a.ID, q0.ID, nil); !apperr.Is(err, apperr.Conflict) {
			t.Errorf("answer after submit: %v", err)
		}
		after, _ := f.svc.GetAttempt(me, a.ID)
		if after.Result == nil || after.Result.Score != 100 {
			t.Errorf("result changed after refused submit: %+v", after.Result)
		}
		if _, err := f.svc.StartAttempt(me, f.course.ID); !apperr.Is(err, apperr.Conflict) {
			t.Errorf("start after passing: %v", err)
		}
		items, _, err := f.svc.Review(me, a.ID)
		if err != nil || len(items) != 10 || !items[0].Correct {
			t.Errorf("review: %v %d", err, len(items))
		}
		cert, err := f.svc.FindCertificate(context.Background(), res.CertificateCode)
		if err != nil || cert.LearnerName != "Đinh Văn Học" || cert.CourseTitle != "Kỹ năng số cơ bản" {
			t.Fatalf("certificate %+v %v", cert, err)
		}
		pdf, _, err := f.svc.CertificatePDF(context.Background(), cert.Code, "https://lantoa.example")
		if err != nil || !bytes.HasPrefix(pdf, []byte("%PDF")) || !bytes.Contains(pdf, []byte("https://lantoa.example/verify/"+cert.Code)) {
			t.Fatalf("pdf: %v %d", err, len(pdf))
		}
		if _, err := f.svc.RevokeCertificate(me, cert.Code, "thử"); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("learner revokes: %v", err)
		}
		if c, err := f.svc.RevokeCertificate(f.sys, cert.Code, "Gian lận khi thi"); err != nil || !c.Revoked {
			t.Errorf("revoke: %v", err)
		}
		if _, _, err := f.svc.CertificatePDF(context.Background(), cert.Code, ""); !apperr.Is(err, apperr.Conflict) {
			t.Errorf("pdf of revoked: %v", err)
		}
		// Figures: one enrolled and started, under Ba Tơ and under the school; the pass went with
		// the revoked certificate.
		tot, err := f.svc.TotalsFor(f.sys, f.course.ID)
		if err != nil || tot.Enrolled != 1 || tot.Started != 1 || tot.Passed != 0 {
			t.Errorf("totals %+v %v", tot, err)
		}
		rows, err := f.svc.Figures(f.sys, training.FigureFilter{CourseID: f.course.ID})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if (r.Key == "535") != (r.Enrolled == 1) || r.Passed != 0 {
				t.Errorf("figures row %+v", r)
			}
		}
		if _, err := f.svc.Figures(me, training.FigureFilter{CourseID: f.course.ID}); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("learner sees figures: %v", err)
		}
	})
}

func TestTimeLimitAndAttempts(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setup(t, d, training.Exam{QuestionCount: 5, PassPercent: 80, TimeLimitMinutes: 10, MaxAttempts: 2, RetryDelayMinutes: 30})
		me := f.learners[0]
		a, err := f.svc.StartAttempt(me, f.course.ID)
		if err != nil {
			t.Fatal(err)
		}
		q := a.Questions[0]
		if _, err := f.svc.SaveAnswer(me, a.ID, q.ID, []int64{q.Options[0].ID}); err != nil {
			t.Fatal(err)
		}
		*f.clock = f.clock.Add(11 * time.Minute)
		if _, err := f.svc.SaveAnswer(me, a.ID, a.Questions[1].ID, []int64{a.Questions[1].Options[0].ID}); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("answer after the time limit: %v", err)
		}
		got, err := f.svc.GetAttempt(me, a.ID)
		if err != nil || !got.Submitted || !got.Result.TimedOut {
			t.Fatalf("timed-out attempt: %+v %v", got.Result, err)
		}
		if len(got.Questions[1].Choices) != 0 || len(got.Questions[0].Choices) != 1 {
			t.Errorf("late answer stored or saved answer lost: %v %v", got.Questions[0].Choices, got.Questions[1].Choices)
		}
		if _, err := f.svc.StartAttempt(me, f.course.ID); !apperr.Is(err, apperr.TooMany) || apperr.As(err).RetryAfter <= 0 || apperr.As(err).RetryAfter > 30*time.Minute {
			t.Errorf("start within the retry delay: %v", err)
		}
		*f.clock = f.clock.Add(31 * time.Minute)
		b, err := f.svc.StartAttempt(me, f.course.ID)
		if err != nil {
			t.Fatal(err)
		}
		// Extra time for the other learner: their deadline is 15 minutes later.
		other := f.learners[1]
		if _, err := f.svc.SetExtraTime(me, f.course.ID, authz.ActorFrom(other).UserID, 15); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("learner sets extra time: %v", err)
		}
		if _, err := f.svc.SetExtraTime(f.sys, f.course.ID, authz.ActorFrom(other).UserID, 15); err != nil {
			t.Fatal(err)
		}
		o, err := f.svc.StartAttempt(other, f.course.ID)
		if err != nil || o.Deadline.Sub(o.StartedAt) != 25*time.Minute {
			t.Errorf("extra time: %v %v", err, o.Deadline.Sub(o.StartedAt))
		}
		// The sweeper submits the other learner's attempt once its time runs out.
		*f.clock = f.clock.Add(26 * time.Minute)
		if n, err := f.svc.SweepExpired(context.Background()); err != nil || n != 2 {
			t.Errorf("sweep: %d %v", n, err)
		}
		// The sweep submitted this learner's second attempt too: a submission now is refused.
		if _, err := f.svc.Submit(me, b.ID); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("submit after time-out: %v", err)
		}
		*f.clock = f.clock.Add(31 * time.Minute)
		if _, err := f.svc.StartAttempt(me, f.course.ID); !apperr.Is(err, apperr.Conflict) {
			t.Errorf("third attempt of two: %v", err)
		}
	})
}

func TestImportValidatesWholeFile(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setup(t, d, training.Exam{QuestionCount: 5, PassPercent: 80, TimeLimitMinutes: 10})
		bad := "category,type,question,A,B,C,D,E,correct\n" +
			"An toàn thông tin,single,Câu tốt?,Một,Hai,,,,A\n" +
			",single,Thiếu chủ đề,Một,Hai,,,,A\n" +
			"An toàn thông tin,essay,Sai loại,Một,Hai,,,,A\n" +
			"An toàn thông tin,single,Hai đáp án,Một,Hai,,,,\"A,B\"\n" +
			"An toàn thông tin,multiple,Đáp án ngoài,Một,Hai,,,,E\n" +
			"An toàn thông tin,single,Có khoảng trống,Một,,Ba,,,A\n" +
			"An toàn thông tin,multiple,Đáp án không ngoặc kép,Một,Hai,Ba,,,A,C\n" +
			"An toàn thông tin,single,Câu tốt?,Một,Hai,,,,A\n"
		before, _ := f.svc.Questions(f.sys, f.course.ID)
		_, err := f.svc.ImportQuestions(f.sys, f.course.ID, strings.NewReader(bad))
		ae := apperr.As(err)
		if ae.Kind != apperr.Invalid || len(ae.Details) != 7 {
			t.Fatalf("errors: %v %+v", err, ae.Details)
		}
		// Line 9: a multiple answer written A,C without quotes spills into a column of its own.
		for i, line := range []int{3, 4, 5, 6, 7, 8, 9} {
			if ae.Details[i].Line != line {
				t.Errorf("detail %d line %d, want %d", i, ae.Details[i].Line, line)
			}
		}
		after, _ := f.svc.Questions(f.sys, f.course.ID)
		if len(after) != len(before) {
			t.Errorf("imported on error: %d → %d", len(before), len(after))
		}
		for _, h := range []string{"", "cat,type,question,A,B,correct\n", "category,type,question,A,B\n"} {
			if _, err := f.svc.ImportQuestions(f.sys, f.course.ID, strings.NewReader(h+"x,single,q,a,b,A\n")); !apperr.Is(err, apperr.Invalid) {
				t.Errorf("header %q: %v", h, err)
			}
		}
		if _, err := f.svc.ImportQuestions(f.sys, f.course.ID, strings.NewReader("category,type,question,A,B,C,D,correct\n\xff\xfe,single,q,a,b,,,A\n")); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("not UTF-8: %v", err)
		}
		if _, err := f.svc.ImportQuestions(f.learners[0], f.course.ID, strings.NewReader(bankCSV(2))); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("learner imports: %v", err)
		}
		// Round trip through the xlsx template and export, formula-safe.
		tpl, err := training.Template("xlsx")
		if err != nil {
			t.Fatal(err)
		}
		if n, err := f.svc.ImportQuestions(f.sys, f.course.ID, bytes.NewReader(tpl)); err != nil || n != 3 {
			t.Fatalf("xlsx template import: %d %v", n, err)
		}
		if _, err := f.svc.ImportQuestions(f.sys, f.course.ID, strings.NewReader("category,type,question,A,B,C,D,correct\n=HYPERLINK(1),single,=1+1,@a,-b,,,A\n")); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := f.svc.ExportQuestions(f.sys, f.course.ID, "csv", &out); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(out.String(), ",=1+1") || !strings.Contains(out.String(), "'=1+1") {
			t.Errorf("export not formula-safe: %s", out.String())
		}
	})
}

// TestConcurrentSaves saves answers of many learners at once through the batcher: every save
// is acknowledged and stored.
func TestConcurrentSaves(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setup(t, d, training.Exam{QuestionCount: 10, PassPercent: 80, TimeLimitMinutes: 10})
		var wg sync.WaitGroup
		errs := make(chan error, 100)
		for _, l := range f.learners {
			a, err := f.svc.StartAttempt(l, f.course.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, q := range a.Questions {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := f.svc.SaveAnswer(l, a.ID, q.ID, []int64{q.Options[0].ID})
					errs <- err
				}()
			}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
		var n int
		if err := d.Reader().QueryRowContext(context.Background(), "SELECT COUNT(*) FROM training_answers").Scan(&n); err != nil || n != 20 {
			t.Errorf("answers stored: %d %v", n, err)
		}
	})
}

func TestRegisterGuardianConsent(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setup(t, d, training.Exam{QuestionCount: 5, PassPercent: 80, TimeLimitMinutes: 10})
		n := accounts.NewUser{Username: "em.nho", DisplayName: "Em Nhỏ", Password: pw, UnitCode: "535", Under16: true}
		if _, err := f.acc.Register(context.Background(), n); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("under 16 without guardian: %v", err)
		}
		n.GuardianName = "Đinh Văn Cha"
		if _, err := f.acc.Register(context.Background(), n); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("under 16 without consent: %v", err)
		}
		n.GuardianConsent = true
		u, err := f.acc.Register(context.Background(), n)
		if err != nil {
			t.Fatal(err)
		}
		c, ok, err := f.acc.FindGuardianConsent(context.Background(), u.ID)
		if err != nil || !ok || c.GuardianName != "Đinh Văn Cha" || c.ConsentedAt == 0 {
			t.Errorf("consent %+v %v %v", c, ok, err)
		}
		if _, err := f.acc.Register(context.Background(), accounts.NewUser{Username: "gia.mao", Password: pw, Role: authz.ProvinceAdmin, UnitCode: "51"}); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("register as admin: %v", err)
		}
	})
}

func TestAudienceText(t *testing.T) {
	if got := training.AudienceText("citizens,youth, pupils,other"); got != "người dân; đoàn viên thanh niên; học sinh; other" {
		t.Errorf("AudienceText = %q", got)
	}
}
