package reports

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/lantoa/lantoa/internal/platform/memo"
	"github.com/lantoa/lantoa/internal/training"
)

// TrainingProvider reports the digital-skills courses through training's exported methods
// ListCourses, Figures and TotalsFor: learners enrolled and passed, per course (each course names
// its audience) and in total. Training sums its counter table when asked; the provider still asks
// once per course and level — every district, or every commune — and keeps the answer for
// CacheTTL, instead of once per unit, so a dashboard of 13 districts is one query per course.
type TrainingProvider struct {
	Svc *training.Service

	once  sync.Once
	memo  *memo.Cache[map[string]training.FigureRow]
	Clock func() time.Time
}

// Section is "training".
func (p *TrainingProvider) Section() string { return "training" }

func (p *TrainingProvider) now() time.Time {
	if p.Clock != nil {
		return p.Clock()
	}
	return time.Now()
}

// rowsAt returns every unit's figures of a level for a course, from the memo when fresh.
func (p *TrainingProvider) rowsAt(ctx context.Context, courseID int64, level string) (map[string]training.FigureRow, error) {
	p.once.Do(func() { p.memo = &memo.Cache[map[string]training.FigureRow]{TTL: CacheTTL, Now: p.now} })
	return p.memo.Get(ctx, fmt.Sprintf("%d|%s", courseID, level), func(ctx context.Context, _ time.Time) (map[string]training.FigureRow, error) {
		rows, err := p.Svc.Figures(ctx, training.FigureFilter{CourseID: courseID, Level: level, Limit: 100000})
		if err != nil {
			return nil, err
		}
		byCode := make(map[string]training.FigureRow, len(rows))
		for _, r := range rows {
			byCode[r.Key] = r
		}
		return byCode, nil
	})
}

// Fields: learners enrolled and passed in total, and per published course with its audience.
func (p *TrainingProvider) Fields(ctx context.Context, unitPath string, asOf time.Time) ([]Field, error) {
	ctx = system(ctx)
	courses, err := p.Svc.ListCourses(ctx, training.CourseFilter{})
	if err != nil {
		return nil, err
	}
	depth := strings.Count(strings.Trim(unitPath, "/"), "/")
	code := codeOf(unitPath)
	var enrolled, passed float64
	var perCourse []Field
	for _, c := range courses {
		var e, ps int
		switch depth {
		case 0:
			t, err := p.Svc.TotalsFor(ctx, c.ID)
			if err != nil {
				return nil, err
			}
			e, ps = t.Enrolled, t.Passed
		case 1, 2:
			level := "district"
			if depth == 2 {
				level = "commune"
			}
			rows, err := p.rowsAt(ctx, c.ID, level)
			if err != nil {
				return nil, err
			}
			e, ps = rows[code].Enrolled, rows[code].Passed
		default:
			continue // below communes training has no figures
		}
		enrolled += float64(e)
		passed += float64(ps)
		label := c.Title
		if c.Audience != "" {
			label += " (" + training.AudienceText(c.Audience) + ")"
		}
		perCourse = append(perCourse,
			Field{Key: fmt.Sprintf("course_%d_enrolled", c.ID), LabelKey: LiteralLabel + "Ghi danh — " + label, Value: float64(e), Unit: "reports.measure.people"},
			Field{Key: fmt.Sprintf("course_%d_passed", c.ID), LabelKey: LiteralLabel + "Đạt — " + label, Value: float64(ps), Target: float64(e), Unit: "reports.measure.people"})
	}
	out := []Field{
		{Key: "passed", LabelKey: "reports.field.learners_passed", Value: passed, Target: enrolled, Unit: "reports.measure.people"},
		{Key: "enrolled", LabelKey: "reports.field.learners_enrolled", Value: enrolled, Unit: "reports.measure.people"},
	}
	return append(out, perCourse...), nil
}
