package app

import (
	"context"
	"math"
	"testing"

	"github.com/lantoa/lantoa/internal/demo"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/training"
)

// TestDemoHeadcounts: the demo province has headcounts and an 80 % target, so the demo course's
// figures carry a headcount and a "% hoàn thành" for every district and for the schools, Ba Tơ's
// share counting its learner's pass, and the workspace's list of the places below the target is
// not empty. Loading the demo again changes none of them.
func TestDemoHeadcounts(t *testing.T) {
	ctx := context.Background()
	svc := openTest(t)
	if _, err := demo.Load(ctx, svc.demo()); err != nil {
		t.Fatal(err)
	}
	u, err := svc.Accounts.FindByUsername(ctx, "so.tttt")
	if err != nil {
		t.Fatal(err)
	}
	admin := audit.WithWho(authz.WithActor(ctx, &authz.Actor{UserID: u.ID, Username: u.Username, Grants: u.Grants}), audit.Who{Username: u.Username})
	courses, err := svc.Training.ListCourses(admin, training.CourseFilter{Query: demo.DemoCourseTitle, All: true})
	if err != nil || len(courses) != 1 {
		t.Fatalf("demo course: %v %v", courses, err)
	}
	course := courses[0].ID
	heads, err := svc.Training.Headcounts(admin, "51")
	if err != nil || len(heads) < 13*3 {
		t.Fatalf("headcounts: %d %v", len(heads), err)
	}
	if target, err := svc.Training.TargetShare(admin, "51", course); err != nil || target != 80 {
		t.Errorf("target %d %v", target, err)
	}
	rows, err := svc.Training.Figures(admin, training.FigureFilter{CourseID: course, By: "unit"})
	if err != nil {
		t.Fatal(err)
	}
	districts := 0
	for _, r := range rows {
		if r.Direct || r.Earlier {
			continue
		}
		districts++
		if r.Headcount == nil || r.CompletedShare == nil || *r.Headcount < 1000 {
			t.Errorf("%s has no headcount or share: %+v", r.Name, r.Shares)
			continue
		}
		// Ba Tơ's pupils and youth members: 56 thousand people, 205 and 61 in a thousand.
		if r.Key == "535" && (r.Passed != 1 || *r.Headcount != 56*(205+61) || *r.CompletedShare != math.Round(1000/float64(*r.Headcount))/10) {
			t.Errorf("Ba Tơ: %d passed, headcount %d, share %v", r.Passed, *r.Headcount, *r.CompletedShare)
		}
	}
	if districts != 13 {
		t.Errorf("%d district rows", districts)
	}
	orgRows, err := svc.Training.Figures(admin, training.FigureFilter{CourseID: course, By: "org"})
	if err != nil {
		t.Fatal(err)
	}
	shared := map[string]int{}
	for _, r := range orgRows {
		if r.Headcount != nil {
			shared[r.Name] = *r.Headcount
		}
	}
	// The course is for citizens, youth members and pupils: the Department of Education counts its
	// two upper-secondary schools' pupils, the province's union its members and its districts'.
	if shared["Sở Giáo dục và Đào tạo"] != 1015+1120 || shared["Tỉnh đoàn Quảng Ngãi"] != 61800+3350+1260 {
		t.Errorf("organisations' headcounts: %v", shared)
	}
	below, target, err := svc.Training.BelowTarget(admin, course)
	if err != nil || target != 80 || len(below) == 0 {
		t.Fatalf("below target: %d rows, target %d, %v", len(below), target, err)
	}
	if _, err := demo.Load(ctx, svc.demo()); err != nil {
		t.Fatal(err)
	}
	if again, err := svc.Training.Headcounts(admin, "51"); err != nil || len(again) != len(heads) {
		t.Errorf("headcounts after a second load: %d, was %d (%v)", len(again), len(heads), err)
	}
}
