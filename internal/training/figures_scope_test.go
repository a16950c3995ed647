package training_test

import (
	"context"
	"testing"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/orgs"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/training"
)

// A district's administrator sees, by organisation, the schools in the district whose parent
// organisation is provincial: they are the district's top rows, not hidden behind a parent the
// district cannot open.
func TestFiguresByOrgReachSchoolsUnderProvincialParents(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setup(t, d, training.Exam{QuestionCount: 5, PassPercent: 50, TimeLimitMinutes: 20})
		os := orgs.NewService(d)
		dept, err := os.Create(f.sys, orgs.Org{Name: "Sở Giáo dục và Đào tạo", Kind: orgs.Department, UnitCode: "51"})
		if err != nil {
			t.Fatal(err)
		}
		school, err := os.Create(f.sys, orgs.Org{Name: "Trường THPT Minh Long", Kind: orgs.School, UnitCode: "535", ParentID: dept.ID})
		if err != nil {
			t.Fatal(err)
		}
		u, err := f.acc.Register(f.sys, accounts.NewUser{Username: "hocsinh.minhlong", DisplayName: "Đinh Thị Hoa", Password: pw, OrgID: school.ID})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Enrol(authz.WithActor(context.Background(), &authz.Actor{UserID: u.ID, Username: u.Username, Grants: u.Grants}), f.course.ID); err != nil {
			t.Fatal(err)
		}
		admin, err := f.acc.CreateUser(f.sys, accounts.NewUser{Username: "ubnd.bato", Password: pw, Role: authz.UnitAdmin, UnitCode: "535"})
		if err != nil {
			t.Fatal(err)
		}
		bato := authz.WithActor(context.Background(), &authz.Actor{UserID: admin.ID, Username: admin.Username, Grants: admin.Grants})
		rows, err := f.svc.Figures(bato, training.FigureFilter{CourseID: f.course.ID, By: "org"})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, r := range rows {
			if r.Name == school.Name {
				found = r.Enrolled == 1
			}
			if r.Name == dept.Name {
				t.Errorf("the provincial department is a row for Ba Tơ: %+v", r)
			}
		}
		if !found {
			t.Errorf("Ba Tơ's rows by organisation lack %q with its learner: %+v", school.Name, rows)
		}
	})
}
