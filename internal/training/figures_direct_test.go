package training_test

import (
	"testing"

	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/training"
)

// The rows of a drill-down add up to the row drilled into: the pupils of a school attached to
// the district itself (not to a commune) are a row of their own below the district.
func TestDrillDownRowsAddUpToTheirParent(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setup(t, d, training.Exam{QuestionCount: 5, PassPercent: 60, TimeLimitMinutes: 10})
		for _, l := range f.learners {
			if _, err := f.svc.Enrol(l, f.course.ID); err != nil {
				t.Fatal(err)
			}
		}
		sum := func(rows []training.FigureRow) (n int) {
			for _, r := range rows {
				n += r.Enrolled
			}
			return n
		}
		districts, err := f.svc.Figures(f.sys, training.FigureFilter{CourseID: f.course.ID})
		if err != nil {
			t.Fatal(err)
		}
		var baTo training.FigureRow
		for _, r := range districts {
			if r.Key == "535" {
				baTo = r
			}
		}
		if baTo.Enrolled != len(f.learners) {
			t.Fatalf("Ba Tơ enrolled %d, want %d", baTo.Enrolled, len(f.learners))
		}
		communes, err := f.svc.Figures(f.sys, training.FigureFilter{CourseID: f.course.ID, Parent: "535"})
		if err != nil {
			t.Fatal(err)
		}
		if got := sum(communes); got != baTo.Enrolled {
			t.Errorf("Ba Tơ's rows add up to %d, the district counts %d", got, baTo.Enrolled)
		}
		last := communes[len(communes)-1]
		if !last.Direct || last.Key != "535" || last.Enrolled != len(f.learners) || last.Children != 0 {
			t.Errorf("the district's own row: %+v", last)
		}
		// A parent with nobody of its own gets no such row.
		for _, r := range districts {
			if r.Direct {
				t.Errorf("a direct row at the province with nobody attached to it: %+v", r)
			}
		}
	})
}
