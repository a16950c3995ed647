package training_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/notify"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/training"
	"github.com/lantoa/lantoa/internal/units"
)

// The province is the tenant of the training module: Quảng Ngãi (51, the fixture's) and Hà Nội
// (01: Ba Đình and Hoàn Kiếm with their communes) side by side, each with its administrator and a
// learner, and a national administrator.
type tenants struct {
	*fixture
	d                   *db.DB
	qng, hn, nat        context.Context // administrators
	qngLearner, hnLearn context.Context
	hnCommune           string
	// qngCert is the certificate of the fixture's first learner (Quảng Ngãi) in f.course.
	qngCert string
}

// publishedCourse creates c as the administrator in ctx, with an exam of 5 of a bank of 8
// questions, imports the bank and publishes it.
func (x *tenants) publishedCourse(t *testing.T, ctx context.Context, c training.Course) training.Course {
	t.Helper()
	c.Exam = training.Exam{QuestionCount: 5, PassPercent: 60, TimeLimitMinutes: 20}
	c, err := x.svc.CreateCourse(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := x.svc.ImportQuestions(ctx, c.ID, strings.NewReader(bankCSV(8))); err != nil {
		t.Fatal(err)
	}
	if _, err := x.svc.Publish(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	return c
}

func setupTenants(t *testing.T, d *db.DB, opts ...training.ServiceOption) *tenants {
	t.Helper()
	f := setup(t, d, training.Exam{QuestionCount: 5, PassPercent: 60, TimeLimitMinutes: 20, ReviewAllowed: true}, opts...)
	us := units.NewService(d)
	if _, err := us.Import(f.sys, bytes.NewReader(units.ProvinceCSV(units.Vietnam2023CSV(), "01", "001", "002"))); err != nil {
		t.Fatal(err)
	}
	hn, err := us.List(f.sys, units.Filter{ParentCode: "001", Limit: 1})
	if err != nil || len(hn) == 0 {
		t.Fatalf("Hà Nội communes: %v", err)
	}
	x := &tenants{fixture: f, d: d, hnCommune: hn[0].Code}
	x.qng = f.adminOf(t, "so.quangngai", authz.ProvinceAdmin, "51", 0)
	x.hn = f.adminOf(t, "so.hanoi", authz.ProvinceAdmin, "01", 0)
	x.nat = f.adminOf(t, "quoc.gia", authz.NationalAdmin, "", 0)
	x.qngLearner = f.learners[0]
	x.hnLearn = f.learnerIn(t, "hocvien.hanoi", x.hnCommune, 0)
	x.qngCert = f.pass(t, x.qngLearner, f.course.ID)
	return x
}

// hidden checks that err answers "not found" for an object out of the actor's scope (audited).
func hidden(t *testing.T, what string, err error) {
	t.Helper()
	if ae := apperr.As(err); err == nil || ae.Kind != apperr.NotFound || !ae.OutOfScope {
		t.Errorf("%s: %v, want a hidden not-found", what, err)
	}
}

func forbidden(t *testing.T, what string, err error) {
	t.Helper()
	if !apperr.Is(err, apperr.Forbidden) {
		t.Errorf("%s: %v, want forbidden", what, err)
	}
}

// A province administrator creates courses of its own province, a national administrator national
// ones; anything else is refused, a province that does not exist is invalid.
func TestCourseProvinceOnCreate(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		x := setupTenants(t, d)
		exam := training.Exam{QuestionCount: 5, PassPercent: 60, TimeLimitMinutes: 20}
		create := func(ctx context.Context, province string) (training.Course, error) {
			return x.svc.CreateCourse(ctx, training.Course{Province: province, Title: "Khóa " + province, Exam: exam})
		}
		if got := training.DefaultProvince(authz.ActorFrom(x.hn)); got != "01" {
			t.Errorf("Hà Nội's default province %q", got)
		}
		if got := training.DefaultProvince(authz.ActorFrom(x.nat)); got != "" {
			t.Errorf("the national default province %q", got)
		}
		if c, err := create(x.hn, "01"); err != nil || c.Province != "01" {
			t.Errorf("Hà Nội's own course: %+v %v", c, err)
		}
		if c, err := create(x.nat, ""); err != nil || c.Province != "" {
			t.Errorf("a national course: %+v %v", c, err)
		}
		for _, c := range []struct {
			name     string
			ctx      context.Context
			province string
		}{
			{"Hà Nội for Quảng Ngãi", x.hn, "51"},
			{"Hà Nội, a national course", x.hn, ""},
			{"national for Hà Nội", x.nat, "01"},
		} {
			_, err := create(c.ctx, c.province)
			wantRefusal(t, c.name, err, apperr.Forbidden, "training.error.create_province_forbidden")
		}
		for _, bad := range []string{"99", "535", "5%"} {
			_, err := create(x.qng, bad)
			wantRefusal(t, "province "+bad, err, apperr.Invalid, "training.error.province_unknown")
		}
		_, err := create(x.qngLearner, "51")
		wantRefusal(t, "a learner", err, apperr.Forbidden, "training.error.manage_forbidden")
		var n int
		if err := d.Reader().QueryRowContext(context.Background(), "SELECT COUNT(*) FROM training_courses").Scan(&n); err != nil || n != 3 {
			t.Errorf("%d courses (%v), want the fixture's and the two allowed", n, err)
		}
	})
}

// Hà Nội's administrator and learner meet none of Quảng Ngãi's course: every read, change, export
// and enrolment answers "not found". The national administrator reads it and changes nothing.
func TestAnotherProvincesCourseIsHidden(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		x := setupTenants(t, d)
		id := x.course.ID
		mod, err := x.svc.AddModule(x.qng, id, "Chương 1")
		if err != nil {
			t.Fatal(err)
		}
		lesson, err := x.svc.AddLesson(x.qng, mod.ID, training.Lesson{Title: "Bài 1", BodyHTML: "<p>Nội dung</p>"})
		if err != nil {
			t.Fatal(err)
		}
		learnerID := authz.ActorFrom(x.qngLearner).UserID
		calls := map[string]func(ctx context.Context) error{
			"find": func(ctx context.Context) error { _, err := x.svc.FindCourse(ctx, id); return err },
			"exam settings": func(ctx context.Context) error {
				_, err := x.svc.UpdateExam(ctx, id, x.course.Exam)
				return err
			},
			"module": func(ctx context.Context) error { _, err := x.svc.AddModule(ctx, id, "Chương lạ"); return err },
			"lesson": func(ctx context.Context) error {
				_, err := x.svc.AddLesson(ctx, mod.ID, training.Lesson{Title: "Bài lạ"})
				return err
			},
			"question import": func(ctx context.Context) error {
				_, err := x.svc.ImportQuestions(ctx, id, strings.NewReader(bankCSV(1)))
				return err
			},
			"question export": func(ctx context.Context) error {
				return x.svc.ExportQuestions(ctx, id, "csv", &bytes.Buffer{})
			},
			"publish": func(ctx context.Context) error { _, err := x.svc.Publish(ctx, id); return err },
			"close":   func(ctx context.Context) error { return x.svc.CloseCourse(ctx, id) },
			"roster": func(ctx context.Context) error {
				_, err := x.svc.EnrolRoster(ctx, id, strings.NewReader("username\nhocsinh.1\n"))
				return err
			},
			"extra time": func(ctx context.Context) error { _, err := x.svc.SetExtraTime(ctx, id, learnerID, 10); return err },
			"revoke": func(ctx context.Context) error {
				_, err := x.svc.RevokeCertificate(ctx, x.qngCert, "Thi hộ")
				return err
			},
			"enrol":   func(ctx context.Context) error { _, err := x.svc.Enrol(ctx, id); return err },
			"attempt": func(ctx context.Context) error { _, err := x.svc.StartAttempt(ctx, id); return err },
			"lesson done": func(ctx context.Context) error {
				return x.svc.CompleteLesson(ctx, id, lesson.ID)
			},
			"figures": func(ctx context.Context) error {
				_, err := x.svc.Figures(ctx, training.FigureFilter{CourseID: id})
				return err
			},
			"totals": func(ctx context.Context) error { _, err := x.svc.TotalsFor(ctx, id); return err },
			"figures export": func(ctx context.Context) error {
				return x.svc.ExportFigures(ctx, id, &bytes.Buffer{})
			},
			"bulk certificates": func(ctx context.Context) error {
				_, err := x.svc.BulkCertificates(ctx, training.BulkFilter{CourseID: id}, "", &bytes.Buffer{})
				return err
			},
		}
		learnerCalls := []string{"find", "enrol", "attempt", "lesson done"}
		reads := map[string]bool{"find": true, "figures": true, "totals": true, "figures export": true, "bulk certificates": true}
		for name, call := range calls {
			hidden(t, "Hà Nội's administrator: "+name, call(x.hn))
			if !reads[name] {
				forbidden(t, "the national administrator: "+name, call(x.nat))
			} else if err := call(x.nat); err != nil {
				t.Errorf("the national administrator reads (%s): %v", name, err)
			}
		}
		for _, name := range learnerCalls {
			hidden(t, "Hà Nội's learner: "+name, calls[name](x.hnLearn))
		}
		// The catalogue: each province its own, the national administrator everything.
		for _, c := range []struct {
			name string
			ctx  context.Context
			want bool
		}{{"Hà Nội's administrator", x.hn, false}, {"Hà Nội's learner", x.hnLearn, false}, {"Quảng Ngãi's learner", x.qngLearner, true},
			{"the national administrator", x.nat, true}, {"an anonymous visitor", context.Background(), true}} {
			list, err := x.svc.ListCourses(c.ctx, training.CourseFilter{All: true})
			if err != nil {
				t.Fatal(err)
			}
			if got := len(list) == 1 && list[0].ID == id; got != c.want {
				t.Errorf("%s lists %+v", c.name, list)
			}
		}
		if list, _ := x.svc.ListCourses(context.Background(), training.CourseFilter{Province: "01"}); len(list) != 0 {
			t.Errorf("Hà Nội's portal lists Quảng Ngãi's course")
		}
		// Quảng Ngãi's own administrator does every change; the certificate is still there to revoke.
		for _, name := range []string{"exam settings", "module", "question export", "revoke", "figures export"} {
			if err := calls[name](x.qng); err != nil {
				t.Errorf("Quảng Ngãi's administrator: %s: %v", name, err)
			}
		}
		recount(t, d)
	})
}

// Hà Nội's administrator runs a course of its own from creation to certificate, which names Hà
// Nội; Quảng Ngãi's people meet none of it.
func TestHaNoiRunsItsOwnCourse(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		x := setupTenants(t, d, training.WithNotify(notify.NewService(d), ""))
		c := x.publishedCourse(t, x.hn, training.Course{Province: "01", Title: "Kỹ năng số cho người dân Thủ đô"})
		if _, err := x.svc.Enrol(x.hnLearn, c.ID); err != nil {
			t.Fatal(err)
		}
		code := x.pass(t, x.hnLearn, c.ID)
		cert, err := x.svc.FindCertificate(context.Background(), code)
		if err != nil || cert.Province != "01" || cert.Issuer != "Sở Thông tin và Truyền thông thành phố Hà Nội" {
			t.Errorf("certificate %+v %v", cert, err)
		}
		if pdf, _, err := x.svc.CertificatePDF(context.Background(), code, "https://lantoa.hanoi.gov.vn"); err != nil || !bytes.HasPrefix(pdf, []byte("%PDF")) {
			t.Errorf("certificate PDF: %v", err)
		}
		// Hà Nội's figures start at its own districts.
		rows, err := x.svc.Figures(x.hn, training.FigureFilter{CourseID: c.ID})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		for _, r := range rows {
			got[r.Key] = r.Passed
		}
		if len(got) != 2 || got["001"] != 1 || got["002"] != 0 {
			t.Errorf("Hà Nội's rows %+v", rows)
		}
		// The exam announced later reaches the Hà Nội learner in Hà Nội's name, in Hà Nội's outbox.
		u, err := x.acc.FindUser(x.sys, authz.ActorFrom(x.hnLearn).UserID)
		if err != nil {
			t.Fatal(err)
		}
		setEmail(t, d, u.ID, "hv.hanoi@example.vn")
		if _, err := x.svc.RevokeCertificate(x.hn, code, "Chấm lại"); err != nil {
			t.Fatal(err)
		}
		exam := c.Exam
		exam.ExamAt = x.svc.Now().Add(48 * time.Hour)
		if _, err := x.svc.UpdateExam(x.hn, c.ID, exam); err != nil {
			t.Fatal(err)
		}
		var body, unitPath string
		if err := d.Reader().QueryRowContext(context.Background(), "SELECT body, unit_path FROM notify_messages WHERE user_id = ?", u.ID).Scan(&body, &unitPath); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(body, "thành phố Hà Nội") || strings.Contains(body, "Quảng Ngãi") || !strings.HasPrefix(unitPath, "/01/001/") {
			t.Errorf("message %q at %q", body, unitPath)
		}
		// Quảng Ngãi does not see it.
		_, err = x.svc.FindCourse(x.qngLearner, c.ID)
		hidden(t, "Quảng Ngãi's learner", err)
		_, err = x.svc.Questions(x.qng, c.ID)
		hidden(t, "Quảng Ngãi's administrator", err)
		_, err = x.svc.RevokeCertificate(x.qng, code, "x")
		hidden(t, "Quảng Ngãi's administrator revoking", err)
	})
}

func setEmail(t *testing.T, d *db.DB, userID int64, email string) {
	t.Helper()
	err := d.WriteTx(context.Background(), func(tx *db.Tx) error {
		_, err := tx.ExecContext(context.Background(), "UPDATE users SET email = ? WHERE id = ?", email, userID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// provinceRecount walks training_enrolments for ProvinceTotals: the learners of the province in
// its courses and the national ones ("" every enrolment).
func provinceRecount(t *testing.T, d *db.DB, province string) training.Totals {
	t.Helper()
	q := `SELECT COUNT(*), COALESCE(SUM(CASE WHEN e.started_at > 0 THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN e.passed_at > 0 THEN 1 ELSE 0 END), 0)
		FROM training_enrolments e JOIN training_courses c ON c.id = e.course_id`
	var args []any
	if province != "" {
		q += " WHERE (c.province_code = ? OR c.province_code = '') AND e.unit_path LIKE ?"
		args = append(args, province, "/"+province+"/%")
	}
	var tot training.Totals
	if err := d.Reader().QueryRowContext(context.Background(), q, args...).Scan(&tot.Enrolled, &tot.Started, &tot.Passed); err != nil {
		t.Fatal(err)
	}
	return tot
}

// A national course is taken by learners of both provinces: its figures split by province for the
// national administrator, each province's administrator reads its own part, and each province's
// portal counts its own learners.
func TestNationalCourseSplitsByProvince(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		x := setupTenants(t, d)
		c := x.publishedCourse(t, x.nat, training.Course{Title: "Kỹ năng số toàn dân"})
		// A province administrator changes no national course.
		_, err := x.svc.UpdateExam(x.qng, c.ID, c.Exam)
		forbidden(t, "Quảng Ngãi changing the national course", err)
		// Each learner takes it; Quảng Ngãi's administrator enrols its second learner from a roster,
		// but not Hà Nội's.
		qngCode := x.pass(t, x.qngLearner, c.ID)
		hnCode := x.pass(t, x.hnLearn, c.ID)
		_, err = x.svc.EnrolRoster(x.qng, c.ID, strings.NewReader("username\nhocsinh.1\nhocvien.hanoi\n"))
		if ae := apperr.As(err); err == nil || len(ae.Details) != 1 || ae.Details[0].Line != 3 || ae.Details[0].Key != "training.roster.unknown" {
			t.Errorf("roster with Hà Nội's learner: %v", err)
		}
		if res, err := x.svc.EnrolRoster(x.qng, c.ID, strings.NewReader("username\nhocsinh.1\n")); err != nil || res.Enrolled != 1 {
			t.Errorf("roster: %+v %v", res, err)
		}
		// The national administrator enrols anyone in a national course.
		if res, err := x.svc.EnrolRoster(x.nat, c.ID, strings.NewReader("username\nhocsinh.1\nhocvien.hanoi\n")); err != nil || res.Already != 2 {
			t.Errorf("national roster: %+v %v", res, err)
		}
		// Certificates name the learner's province.
		for code, want := range map[string]string{qngCode: "Sở Thông tin và Truyền thông tỉnh Quảng Ngãi", hnCode: "Sở Thông tin và Truyền thông thành phố Hà Nội"} {
			if cert, err := x.svc.FindCertificate(context.Background(), code); err != nil || cert.Issuer != want || cert.Province != "" {
				t.Errorf("certificate %s: %+v %v, want %s", code, cert, err, want)
			}
		}
		byKey := func(ctx context.Context, f training.FigureFilter) map[string][3]int {
			t.Helper()
			f.CourseID = c.ID
			rows, err := x.svc.Figures(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			out := map[string][3]int{}
			for _, r := range rows {
				out[r.Key] = [3]int{r.Enrolled, r.Started, r.Passed}
			}
			return out
		}
		// The national level lists the provinces; drilling into Hà Nội gives its districts.
		if got := byKey(x.nat, training.FigureFilter{}); fmt.Sprint(got) != fmt.Sprint(map[string][3]int{"01": {1, 1, 1}, "51": {2, 1, 1}}) {
			t.Errorf("national rows %v", got)
		}
		if got := byKey(x.nat, training.FigureFilter{Level: "province"}); got["01"] != [3]int{1, 1, 1} || got["51"] != [3]int{2, 1, 1} {
			t.Errorf("national board %v", got)
		}
		if got := byKey(x.nat, training.FigureFilter{Parent: "01"}); fmt.Sprint(got) != fmt.Sprint(map[string][3]int{"001": {1, 1, 1}, "002": {}}) {
			t.Errorf("Hà Nội's districts for the national administrator %v", got)
		}
		// Each province's administrator reads its own part.
		qngRows := byKey(x.qng, training.FigureFilter{})
		if qngRows["535"] != [3]int{2, 1, 1} || len(qngRows) != 13 {
			t.Errorf("Quảng Ngãi's part %v", qngRows)
		}
		if got := byKey(x.qng, training.FigureFilter{Parent: "01"}); len(got) != 0 {
			t.Errorf("Quảng Ngãi drills into Hà Nội: %v", got)
		}
		if got := byKey(x.qng, training.FigureFilter{Level: "province"}); fmt.Sprint(got) != fmt.Sprint(map[string][3]int{"51": {2, 1, 1}}) {
			t.Errorf("Quảng Ngãi's province board %v", got)
		}
		if got := byKey(x.hn, training.FigureFilter{}); got["001"] != [3]int{1, 1, 1} || len(got) != 2 {
			t.Errorf("Hà Nội's part %v", got)
		}
		for _, c2 := range []struct {
			name string
			ctx  context.Context
			want training.Totals
		}{{"national", x.nat, training.Totals{Enrolled: 3, Started: 2, Passed: 2, PassRate: 66.7}},
			{"Quảng Ngãi", x.qng, training.Totals{Enrolled: 2, Started: 1, Passed: 1, PassRate: 50}},
			{"Hà Nội", x.hn, training.Totals{Enrolled: 1, Started: 1, Passed: 1, PassRate: 100}}} {
			if got, err := x.svc.TotalsFor(c2.ctx, c.ID); err != nil || got != c2.want {
				t.Errorf("%s totals %+v %v, want %+v", c2.name, got, err, c2.want)
			}
		}
		// The bulk download of each province holds its own certificates.
		for _, b := range []struct {
			name string
			ctx  context.Context
			want []string
		}{{"Quảng Ngãi", x.qng, []string{qngCode}}, {"Hà Nội", x.hn, []string{hnCode}}, {"national", x.nat, []string{qngCode, hnCode}}} {
			var buf bytes.Buffer
			if n, err := x.svc.BulkCertificates(b.ctx, training.BulkFilter{CourseID: c.ID}, "", &buf); err != nil || n != len(b.want) {
				t.Errorf("%s bulk: %d %v", b.name, n, err)
				continue
			}
			entries := zipEntries(t, buf.Bytes())
			for _, code := range b.want {
				if _, ok := entries[code+".pdf"]; !ok {
					t.Errorf("%s bulk lacks %s", b.name, code)
				}
			}
		}
		// The national export has a sheet by province.
		var xlsx bytes.Buffer
		if err := x.svc.ExportFigures(x.nat, c.ID, &xlsx); err != nil || !bytes.HasPrefix(xlsx.Bytes(), []byte("PK")) {
			t.Errorf("export: %v", err)
		}
		// Each province's portal: its learners in its courses and the national ones, equal to a
		// walk of the enrolments.
		for _, p := range []string{"51", "01", ""} {
			got, err := x.svc.ProvinceTotals(context.Background(), p)
			want := provinceRecount(t, d, p)
			if err != nil || got.Enrolled != want.Enrolled || got.Started != want.Started || got.Passed != want.Passed {
				t.Errorf("ProvinceTotals(%q) %+v %v, recount %+v", p, got, err, want)
			}
		}
		if got, _ := x.svc.ProvinceTotals(context.Background(), "51"); got.Enrolled != 3 || got.Passed != 2 || got.PassRate != 66.7 {
			t.Errorf("Quảng Ngãi's portal %+v: its course (1 learner, passed) and its part of the national one (2, 1 passed)", got)
		}
		if got, _ := x.svc.ProvinceTotals(context.Background(), "01"); got.Enrolled != 1 || got.Passed != 1 {
			t.Errorf("Hà Nội's portal %+v", got)
		}
		if got, err := x.svc.ProvinceTotals(context.Background(), "99"); err != nil || got != (training.Totals{}) {
			t.Errorf("a province without learners: %+v %v", got, err)
		}
		_, err = x.svc.ProvinceTotals(context.Background(), "5%")
		wantRefusal(t, "a code with a wildcard", err, apperr.Invalid, "training.error.province_unknown")
		// The national course's certificates are revoked by the national administrator only.
		_, err = x.svc.RevokeCertificate(x.qng, qngCode, "Thi hộ")
		forbidden(t, "Quảng Ngãi revoking a national certificate", err)
		if _, err := x.svc.RevokeCertificate(x.nat, qngCode, "Thi hộ"); err != nil {
			t.Errorf("national revocation: %v", err)
		}
		if got := byKey(x.nat, training.FigureFilter{}); got["51"] != [3]int{2, 1, 0} {
			t.Errorf("after the revocation %v", got)
		}
		if _, _, p := recount(t, d); p != 2 {
			t.Errorf("passed %d after the revocation", p)
		}
		if got, want := must(x.svc.ProvinceTotals(context.Background(), "51")), provinceRecount(t, d, "51"); got.Passed != want.Passed || got.Passed != 1 {
			t.Errorf("ProvinceTotals after the revocation %+v, recount %+v", got, want)
		}
	})
}

// The exam of a national course is announced to each learner in the name of their own province,
// and each message sits in that province's outbox.
func TestNationalExamMessagesNameEachProvince(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		x := setupTenants(t, d, training.WithNotify(notify.NewService(d), ""))
		c := x.publishedCourse(t, x.nat, training.Course{Title: "An toàn số toàn quốc"})
		for i, l := range []context.Context{x.qngLearner, x.hnLearn} {
			setEmail(t, d, authz.ActorFrom(l).UserID, fmt.Sprintf("hv%d@example.vn", i))
			if _, err := x.svc.Enrol(l, c.ID); err != nil {
				t.Fatal(err)
			}
		}
		exam := c.Exam
		exam.ExamAt = x.svc.Now().Add(72 * time.Hour)
		if _, err := x.svc.UpdateExam(x.nat, c.ID, exam); err != nil {
			t.Fatal(err)
		}
		for l, want := range map[context.Context][2]string{x.qngLearner: {"tỉnh Quảng Ngãi", "/51/535/"}, x.hnLearn: {"thành phố Hà Nội", "/01/001/"}} {
			var body, unitPath string
			if err := d.Reader().QueryRowContext(context.Background(), "SELECT body, unit_path FROM notify_messages WHERE user_id = ?", authz.ActorFrom(l).UserID).Scan(&body, &unitPath); err != nil {
				t.Fatal(err)
			}
			if !strings.HasSuffix(body, "Phong trào chuyển đổi số "+want[0]) || !strings.HasPrefix(unitPath, want[1]) {
				t.Errorf("message %q at %q, want %v", body, unitPath, want)
			}
		}
	})
}
