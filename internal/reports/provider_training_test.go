package reports_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/reports"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/training"
	"github.com/lantoa/lantoa/internal/units"
)

func fieldOf(fields []reports.Field, key string) (reports.Field, bool) {
	for _, f := range fields {
		if f.Key == key {
			return f, true
		}
	}
	return reports.Field{}, false
}

// With headcounts imported, the training section gives each course's headcount, its "% hoàn
// thành" with the province's target share as target, as a percent that the national sum leaves
// out; without, no share at all.
func TestTrainingFieldsCarryShares(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		sys := authz.WithActor(context.Background(), authz.System)
		if _, err := units.NewService(d).SeedQuangNgai(sys); err != nil {
			t.Fatal(err)
		}
		svc := training.NewService(d)
		t.Cleanup(svc.Close)
		c, err := svc.CreateCourse(sys, training.Course{Province: "51", Title: "Kỹ năng số", Audience: "officials", Exam: training.Exam{QuestionCount: 2, PassPercent: 50, TimeLimitMinutes: 10}})
		if err != nil {
			t.Fatal(err)
		}
		bank := "category,type,question,A,B,C,D,correct\nA,truefalse,Câu 1?,Đúng,Sai,,,A\nA,truefalse,Câu 2?,Đúng,Sai,,,B\nA,truefalse,Câu 3?,Đúng,Sai,,,A\n"
		if _, err := svc.ImportQuestions(sys, c.ID, strings.NewReader(bank)); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Publish(sys, c.ID); err != nil {
			t.Fatal(err)
		}
		key := "course_" + strconv.FormatInt(c.ID, 10)
		p := &reports.TrainingProvider{Svc: svc}
		fields, err := p.Fields(context.Background(), "/51/535/", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := fieldOf(fields, key+"_completed_share"); ok {
			t.Errorf("a share without headcount: %+v", fields)
		}
		csv := "Mã đơn vị hoặc Mã tổ chức,Nhóm,Số người\n535,cán bộ công chức,40\n535,giáo viên,900\n"
		if _, err := svc.ImportHeadcounts(sys, "51", strings.NewReader(csv)); err != nil {
			t.Fatal(err)
		}
		if err := svc.SetTargetShare(sys, "51", 0, 80); err != nil {
			t.Fatal(err)
		}
		p = &reports.TrainingProvider{Svc: svc} // a fresh memo
		for _, path := range []string{"/51/535/", "/51/"} {
			fields, err = p.Fields(context.Background(), path, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			// The course is for officials: the teachers do not count.
			if h, ok := fieldOf(fields, key+"_headcount"); !ok || h.Value != 40 {
				t.Errorf("%s headcount: %+v", path, fields)
			}
			sh, ok := fieldOf(fields, key+"_completed_share")
			if !ok || sh.Value != 0 || sh.Target != 80 || sh.Unit != reports.PercentUnit || !strings.Contains(sh.LabelKey, "% hoàn thành") {
				t.Errorf("%s completed share: %+v", path, sh)
			}
		}
		// Two provinces' shares do not add up.
		sum := reports.SumFields([][]reports.Field{fields, fields})
		if _, ok := fieldOf(sum, key+"_completed_share"); ok {
			t.Errorf("a share summed: %+v", sum)
		}
		if h, _ := fieldOf(sum, key+"_headcount"); h.Value != 80 {
			t.Errorf("headcounts summed: %+v", h)
		}
	})
}
