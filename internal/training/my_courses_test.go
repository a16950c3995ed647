package training_test

import (
	"context"
	"strings"
	"testing"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/orgs"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
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

// An organisation's coordinator, a district's administrator read the completion of their people
// across every course, and nobody else's.
func TestSubtreeTotals(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setup(t, d, training.Exam{QuestionCount: 10, PassPercent: 50, TimeLimitMinutes: 20, MaxAttempts: 3})
		os := orgs.NewService(d)
		list, err := os.List(f.sys, orgs.Filter{Query: "Trường THPT Ba Tơ"})
		if err != nil || len(list) != 1 {
			t.Fatalf("the fixture's school: %v %v", list, err)
		}
		school := list[0]
		if school.UnitPath == "" || school.Path == "" {
			t.Fatalf("the school has no paths: %+v", school)
		}
		other, err := os.Create(f.sys, orgs.Org{Name: "Trường THPT Sơn Tây", Kind: orgs.School, UnitCode: "530"})
		if err != nil {
			t.Fatal(err)
		}
		actor := func(name string, n accounts.NewUser) context.Context {
			n.Username, n.DisplayName, n.Password = name, "Điều phối", pw
			u, err := f.acc.CreateUser(f.sys, n)
			if err != nil {
				t.Fatal(err)
			}
			return authz.WithActor(context.Background(), &authz.Actor{UserID: u.ID, Username: u.Username, Grants: u.Grants})
		}
		coordinator := actor("dieuphoi.bato", accounts.NewUser{Role: authz.OrgAdmin, OrgID: school.ID})
		stranger := actor("dieuphoi.sontay", accounts.NewUser{Role: authz.OrgAdmin, OrgID: other.ID})
		for _, l := range f.learners {
			if _, err := f.svc.Enrol(l, f.course.ID); err != nil {
				t.Fatal(err)
			}
		}
		if got, err := f.svc.OrgTotals(coordinator, school.Path); err != nil || got.Enrolled != 2 || got.Passed != 0 {
			t.Errorf("the school's totals: %+v %v", got, err)
		}
		if got, err := f.svc.OrgTotals(stranger, school.Path); err != nil || got.Enrolled != 0 {
			t.Errorf("another school's coordinator reads %+v %v", got, err)
		}
		if _, err := f.svc.OrgTotals(f.learners[0], school.Path); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("a learner reads the totals: %v", err)
		}
		// The school lies in Ba Tơ: its people count in Ba Tơ's officials' completion, and
		// another district's administrator reads none of them even for Ba Tơ's path.
		baTo := actor("ubnd.bato", accounts.NewUser{Role: authz.UnitAdmin, UnitCode: "535"})
		sonTay := actor("ubnd.sontay", accounts.NewUser{Role: authz.UnitAdmin, UnitCode: "530"})
		if got, err := f.svc.UnitTotals(baTo, school.UnitPath); err != nil || got.Enrolled != 2 {
			t.Errorf("Ba Tơ's totals: %+v %v", got, err)
		}
		if got, err := f.svc.UnitTotals(sonTay, school.UnitPath); err != nil || got.Enrolled != 0 {
			t.Errorf("Sơn Tây reads Ba Tơ's totals: %+v %v", got, err)
		}
	})
}
