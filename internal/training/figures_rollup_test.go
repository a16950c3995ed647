package training_test

import (
	"bytes"
	"context"
	"strconv"
	"testing"

	"github.com/lantoa/lantoa/internal/orgs"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/training"
	"github.com/lantoa/lantoa/internal/units"
)

func rowOf(rows []training.FigureRow, path string) (training.FigureRow, bool) {
	for _, r := range rows {
		if r.Path == path && !r.Direct && !r.Earlier {
			return r, true
		}
	}
	return training.FigureRow{}, false
}

func sumEnrolled(rows []training.FigureRow) (n int) {
	for _, r := range rows {
		n += r.Enrolled
	}
	return n
}

// Learners enrolled in 2023 communes count, after the switch to the map of 2025, in the commune
// they rolled up into ("as it is now"): Xã Nghĩa Dõng's learner under Xã An Phú, directly under the
// province, with no district between; "as it was" keeps the 2023 tree. A split commune's learner
// (Xã Trà Bùi) and the pupils of a school located in a retired district count in the province on
// a row of their own, so the rows still add up. The certificate earned in 2023 stays valid and
// shows under today's unit, and a commune administrator of 2025 sees its commune's history.
func TestFiguresRollUpAcrossTheSwitch(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setup(t, d, training.Exam{QuestionCount: 5, PassPercent: 60, TimeLimitMinutes: 20})
		nghiaDong := f.learnerIn(t, "hocvien.nghiadong", "21037", 0)
		traBui := f.learnerIn(t, "hocvien.trabui", "21142", 0)
		for _, l := range append([]context.Context{nghiaDong, traBui}, f.learners...) {
			if _, err := f.svc.Enrol(l, f.course.ID); err != nil {
				t.Fatal(err)
			}
		}
		cert := f.pass(t, nghiaDong, f.course.ID)
		before, err := f.svc.Figures(f.sys, training.FigureFilter{CourseID: f.course.ID})
		if err != nil {
			t.Fatal(err)
		}
		if r, ok := rowOf(before, "/51/522/"); !ok || r.Enrolled != 1 || r.Passed != 1 {
			t.Errorf("Thành phố Quảng Ngãi before the switch: %+v", r)
		}

		us := units.NewService(d)
		if _, err := us.SwitchMap(f.sys, bytes.NewReader(units.Vietnam2025CSV()), bytes.NewReader(units.QuangNgaiLineage2025CSV()), "2025-07-01"); err != nil {
			t.Fatal(err)
		}
		total := len(f.learners) + 2

		// As it is now: the province's rows are its 96 communes, no district.
		now, err := f.svc.Figures(f.sys, training.FigureFilter{CourseID: f.course.ID})
		if err != nil {
			t.Fatal(err)
		}
		communes := 0
		for _, r := range now {
			if r.Direct || r.Earlier {
				continue
			}
			communes++
			if r.ValidTo != "" || len(r.Path) != len("/51/21034/") {
				t.Errorf("a row that is not a commune in force: %+v", r)
			}
		}
		if communes != 96 {
			t.Errorf("%d rows at the province, want its 96 communes", communes)
		}
		anPhu, ok := rowOf(now, "/51/21034/")
		if !ok || anPhu.Name != "Xã An Phú" || anPhu.Enrolled != 1 || anPhu.Passed != 1 || anPhu.Key != "21034" {
			t.Errorf("Xã An Phú as it is now: %+v", anPhu)
		}
		last := now[len(now)-1]
		if !last.Earlier || last.Enrolled != total-1 {
			t.Errorf("the row of earlier units not rolled up (Trà Bùi, the Ba Tơ school's pupils): %+v", last)
		}
		if got := sumEnrolled(now); got != total {
			t.Errorf("rows add up to %d, want %d", got, total)
		}
		// The commune leaderboard of 2025 ranks An Phú first.
		board, err := f.svc.Figures(f.sys, training.FigureFilter{CourseID: f.course.ID, Level: "commune", Limit: 3})
		if err != nil || len(board) == 0 || board[0].Path != "/51/21034/" {
			t.Errorf("commune leaderboard: %+v %v", board, err)
		}
		if rows, err := f.svc.Figures(f.sys, training.FigureFilter{CourseID: f.course.ID, Level: "district"}); err != nil || len(rows) != 0 {
			t.Errorf("districts in force after the switch: %+v %v", rows, err)
		}
		// Drill-down by code reaches today's unit: An Phú has no villages yet, so its only row is
		// the people counted at the commune itself, the rolled-up learner among them.
		if rows, err := f.svc.Figures(f.sys, training.FigureFilter{CourseID: f.course.ID, Parent: "21034"}); err != nil || len(rows) != 1 || !rows[0].Direct || rows[0].Enrolled != 1 {
			t.Errorf("drilling into An Phú: %+v %v", rows, err)
		}

		// As it was: the 2023 district-level units (Thành phố Quảng Ngãi among them), retired, with their learners where they enrolled.
		was, err := f.svc.Figures(f.sys, training.FigureFilter{CourseID: f.course.ID, View: training.ViewWas})
		if err != nil {
			t.Fatal(err)
		}
		city, ok := rowOf(was, "/51/522/")
		if !ok || city.Enrolled != 1 || city.ValidTo != "2025-06-30" || city.Children == 0 {
			t.Errorf("Thành phố Quảng Ngãi as it was: %+v", city)
		}
		if r, _ := rowOf(was, "/51/21034/"); r.Enrolled != 0 {
			t.Errorf("An Phú as it was counts the 2023 learner: %+v", r)
		}
		if got := sumEnrolled(was); got != total {
			t.Errorf("rows as it was add up to %d, want %d", got, total)
		}
		inCity, err := f.svc.Figures(f.sys, training.FigureFilter{CourseID: f.course.ID, Parent: "/51/522/"})
		if err != nil {
			t.Fatal(err)
		}
		if r, ok := rowOf(inCity, "/51/522/21037/"); !ok || r.Enrolled != 1 || r.Name != "Xã Nghĩa Dõng" {
			t.Errorf("Nghĩa Dõng in the city as it was: %+v", inCity)
		}
		if r, ok := rowOf(inCity, "/51/522/21034/"); !ok || r.Name != "Xã Nghĩa Dũng" || r.Enrolled != 0 {
			t.Errorf("the 2023 version of 21034 in the city: %+v", r)
		}
		if _, err := f.svc.Figures(f.sys, training.FigureFilter{CourseID: f.course.ID, View: "then"}); err == nil {
			t.Error("an unknown view was accepted")
		}

		// A commune administrator of 2025, directly under the province, sees its commune's history.
		admin := f.adminOf(t, "ubnd.anphu", authz.UnitAdmin, "21034", 0)
		tot, err := f.svc.TotalsFor(admin, f.course.ID)
		if err != nil || tot.Enrolled != 1 || tot.Passed != 1 {
			t.Errorf("An Phú's administrator's totals: %+v %v", tot, err)
		}
		own, err := f.svc.Figures(admin, training.FigureFilter{CourseID: f.course.ID})
		if err != nil || len(own) != 1 || own[0].Path != "/51/21034/" || own[0].Enrolled != 1 {
			t.Errorf("An Phú's administrator's rows: %+v %v", own, err)
		}
		wasOwn, err := f.svc.Figures(admin, training.FigureFilter{CourseID: f.course.ID, Level: "commune", View: training.ViewWas})
		if err != nil {
			t.Fatal(err)
		}
		if r, ok := rowOf(wasOwn, "/51/522/21037/"); !ok || r.Enrolled != 1 {
			t.Errorf("An Phú's administrator as it was lacks Nghĩa Dõng: %+v", wasOwn)
		}

		// The certificate stays valid and shows under today's unit.
		c, err := f.svc.FindCertificate(f.sys, cert)
		if err != nil || c.Revoked || c.UnitName != "Xã An Phú" || c.UnitNameThen != "Xã Nghĩa Dõng" || c.Issuer == "" {
			t.Errorf("certificate after the switch: %+v %v", c, err)
		}
	})
}

// The staff of Sở TT&TT, merged into Sở Khoa học và Công nghệ in March 2025, count under the
// successor by organisation "as it is now" and under the old department "as it was"; the
// successor's administrator reads them in its totals.
func TestFiguresFollowAMergedOrganisation(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setup(t, d, training.Exam{QuestionCount: 5, PassPercent: 60, TimeLimitMinutes: 20})
		os := orgs.NewService(d)
		tttt, err := os.Create(f.sys, orgs.Org{Name: "Sở Thông tin và Truyền thông", Kind: orgs.Department, UnitCode: "51"})
		if err != nil {
			t.Fatal(err)
		}
		khcn, err := os.Create(f.sys, orgs.Org{Name: "Sở Khoa học và Công nghệ", Kind: orgs.Department, UnitCode: "51"})
		if err != nil {
			t.Fatal(err)
		}
		staff := f.learnerIn(t, "canbo.tttt", "", tttt.ID)
		if _, err := f.svc.Enrol(staff, f.course.ID); err != nil {
			t.Fatal(err)
		}
		f.pass(t, staff, f.course.ID)
		if _, err := os.Merge(f.sys, tttt.ID, khcn.ID, "2025-03-01"); err != nil {
			t.Fatal(err)
		}
		byKey := func(rows []training.FigureRow, key string) (training.FigureRow, bool) {
			for _, r := range rows {
				if r.Key == key && !r.Direct {
					return r, true
				}
			}
			return training.FigureRow{}, false
		}
		id := func(o orgs.Org) string { return strconv.FormatInt(o.ID, 10) }
		now, err := f.svc.Figures(f.sys, training.FigureFilter{CourseID: f.course.ID, By: "org"})
		if err != nil {
			t.Fatal(err)
		}
		if r, ok := byKey(now, id(khcn)); !ok || r.Enrolled != 1 || r.Passed != 1 {
			t.Errorf("Sở KH&CN as it is now: %+v", now)
		}
		if _, ok := byKey(now, id(tttt)); ok {
			t.Errorf("the merged department is a row as it is now: %+v", now)
		}
		was, err := f.svc.Figures(f.sys, training.FigureFilter{CourseID: f.course.ID, By: "org", View: training.ViewWas})
		if err != nil {
			t.Fatal(err)
		}
		if r, ok := byKey(was, id(tttt)); !ok || r.Enrolled != 1 || r.ValidTo != "2025-02-28" {
			t.Errorf("Sở TT&TT as it was: %+v", was)
		}
		if r, _ := byKey(was, id(khcn)); r.Enrolled != 0 {
			t.Errorf("Sở KH&CN as it was counts the merged staff: %+v", r)
		}
		admin := f.adminOf(t, "qt.khcn", authz.OrgAdmin, "", khcn.ID)
		if tot, err := f.svc.TotalsFor(admin, f.course.ID); err != nil || tot.Enrolled != 1 {
			t.Errorf("the successor's administrator's totals: %+v %v", tot, err)
		}
		// The successor's administrator reads the merged department as it was.
		rows, err := f.svc.Figures(admin, training.FigureFilter{CourseID: f.course.ID, By: "org", View: training.ViewWas})
		if err != nil {
			t.Fatal(err)
		}
		if r, ok := byKey(rows, id(tttt)); !ok || r.Enrolled != 1 {
			t.Errorf("the successor's administrator as it was: %+v", rows)
		}
		if rows, err := f.svc.Figures(admin, training.FigureFilter{CourseID: f.course.ID, By: "org"}); err != nil || len(rows) != 1 || rows[0].Key != id(khcn) || rows[0].Enrolled != 1 {
			t.Errorf("the successor's administrator as it is now: %+v %v", rows, err)
		}
	})
}
