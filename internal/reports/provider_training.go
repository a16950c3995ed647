package reports

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/memo"
	"github.com/lantoa/lantoa/internal/training"
	"github.com/lantoa/lantoa/internal/units"
)

// TrainingProvider reports the digital-skills courses of the unit's province — its own courses
// and the national ones, whose figures split by province — through training's exported methods
// ListCourses and Figures: learners enrolled and passed, per course (each course names its
// audience) and in total. Training sums its counter table when asked; the provider still asks
// once per course and level — every district, or every commune — or province, and keeps the
// answer for CacheTTL, instead of once per unit, so a dashboard of 13 districts is one query per
// course.
type TrainingProvider struct {
	Svc *training.Service
	// Units, when set, tells a unit's level from its path. Without it the level is read from the
	// path's depth, which holds only on the three-tier map: on the two-tier map (from
	// 01/07/2025) a commune lies directly under its province, at a district's depth.
	Units *units.Service

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

func (p *TrainingProvider) cache() *memo.Cache[map[string]training.FigureRow] {
	p.once.Do(func() { p.memo = &memo.Cache[map[string]training.FigureRow]{TTL: CacheTTL, Now: p.now} })
	return p.memo
}

// rowsAt returns every unit's figures of a level for a course, from the memo when fresh.
func (p *TrainingProvider) rowsAt(ctx context.Context, courseID int64, level string) (map[string]training.FigureRow, error) {
	return p.cache().Get(ctx, fmt.Sprintf("%d|%s", courseID, level), func(ctx context.Context, _ time.Time) (map[string]training.FigureRow, error) {
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

// provinceTotal returns a course's figures in one province: the sum of the rows of its
// children and of the people attached to the province itself, from the memo when fresh. Its
// shares are those of the rows with a headcount (passed and started of those rows against their
// headcounts); none when no row has one.
func (p *TrainingProvider) provinceTotal(ctx context.Context, courseID int64, province string) (training.FigureRow, error) {
	m, err := p.cache().Get(ctx, fmt.Sprintf("%d|province|%s", courseID, province), func(ctx context.Context, _ time.Time) (map[string]training.FigureRow, error) {
		rows, err := p.Svc.Figures(ctx, training.FigureFilter{CourseID: courseID, By: "unit", Parent: province, Limit: 1000})
		if err != nil {
			return nil, err
		}
		var total training.FigureRow
		var heads, passed, started int
		known := false
		for _, r := range rows {
			total.Enrolled += r.Enrolled
			total.Started += r.Started
			total.Passed += r.Passed
			if r.Headcount != nil {
				known = true
				heads += *r.Headcount
				passed += r.Passed
				started += r.Started
			}
		}
		if known {
			total.Shares = training.SharesOf(passed, started, heads)
		}
		return map[string]training.FigureRow{province: total}, nil
	})
	return m[province], err
}

// Fields: learners enrolled and passed in total, and per published course with its audience.
func (p *TrainingProvider) Fields(ctx context.Context, unitPath string, asOf time.Time) ([]Field, error) {
	ctx = system(ctx)
	province := authz.ProvinceOfPath(unitPath)
	if province == "" {
		return nil, nil // figures are per province; the national dashboard adds them up
	}
	courses, err := p.Svc.ListCourses(ctx, training.CourseFilter{Province: province})
	if err != nil {
		return nil, err
	}
	depth := strings.Count(strings.Trim(unitPath, "/"), "/")
	code := codeOf(unitPath)
	var enrolled, passed float64
	var perCourse []Field
	for _, c := range courses {
		if c.Province != "" && c.Province != province {
			continue // another province's course
		}
		var e, ps int
		var sh training.Shares
		switch depth {
		case 0:
			t, err := p.provinceTotal(ctx, c.ID, code)
			if err != nil {
				return nil, err
			}
			e, ps, sh = t.Enrolled, t.Passed, t.Shares
		case 1, 2:
			level, err := p.levelOf(ctx, unitPath, depth)
			if err != nil {
				return nil, err
			}
			rows, err := p.rowsAt(ctx, c.ID, level)
			if err != nil {
				return nil, err
			}
			e, ps, sh = rows[code].Enrolled, rows[code].Passed, rows[code].Shares
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
		if sh.Headcount != nil {
			// Against the headcount (issue 19): the people of the course's groups, "% hoàn
			// thành" with the province's target share as its target, and "% đạt". A share is not
			// a count: the national sum leaves it out (SumFields).
			target, err := p.Svc.TargetShare(ctx, province, c.ID)
			if err != nil {
				return nil, err
			}
			perCourse = append(perCourse,
				Field{Key: fmt.Sprintf("course_%d_headcount", c.ID), LabelKey: LiteralLabel + "Số người — " + label, Value: float64(*sh.Headcount), Unit: "reports.measure.people"},
				Field{Key: fmt.Sprintf("course_%d_completed_share", c.ID), LabelKey: LiteralLabel + "% hoàn thành — " + label, Value: valueOf(sh.CompletedShare), Target: float64(target), Unit: PercentUnit})
			if sh.PassedShare != nil {
				perCourse = append(perCourse,
					Field{Key: fmt.Sprintf("course_%d_passed_share", c.ID), LabelKey: LiteralLabel + "% đạt — " + label, Value: *sh.PassedShare, Unit: PercentUnit})
			}
		}
	}
	out := []Field{
		{Key: "passed", LabelKey: "reports.field.learners_passed", Value: passed, Target: enrolled, Unit: "reports.measure.people"},
		{Key: "enrolled", LabelKey: "reports.field.learners_enrolled", Value: enrolled, Unit: "reports.measure.people"},
	}
	return append(out, perCourse...), nil
}

// levelOf is the level of the district- or commune-level unit at path ("district", "commune").
func (p *TrainingProvider) levelOf(ctx context.Context, path string, depth int) (string, error) {
	if p.Units != nil {
		u, err := p.Units.FindPath(ctx, path)
		if err != nil {
			return "", err
		}
		return string(u.Level), nil
	}
	if depth == 2 {
		return "commune", nil
	}
	return "district", nil
}

func valueOf(p *float64) float64 {
	if p == nil {
		return 0
	}
	return *p
}
