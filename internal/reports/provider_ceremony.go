package reports

import (
	"context"
	"strings"
	"time"

	"github.com/lantoa/lantoa/internal/ceremony"
)

// CeremonyProvider reports the bridge points of the launch ceremony (the latest one) through
// ceremony's exported methods List, ListPoints and CountPoints: readiness and attendance.
type CeremonyProvider struct{ Svc *ceremony.Service }

// Section is "ceremony".
func (p CeremonyProvider) Section() string { return "ceremony" }

// Fields: bridge points, points ready (target: every point), points on air, delegates present
// (target: delegates expected).
func (p CeremonyProvider) Fields(ctx context.Context, unitPath string, asOf time.Time) ([]Field, error) {
	ctx = system(ctx)
	list, err := p.Svc.List(ctx)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, nil
	}
	latest := list[0]
	for _, c := range list {
		if c.ID > latest.ID {
			latest = c
		}
	}
	points, err := p.Svc.ListPoints(ctx, latest.ID, ceremony.PointFilter{})
	if err != nil {
		return nil, err
	}
	var mine []ceremony.Point
	for _, pt := range points {
		if strings.HasPrefix(pt.UnitPath, unitPath) {
			mine = append(mine, pt)
		}
	}
	c := ceremony.CountPoints(mine, asOf)
	total := float64(c.Total)
	return []Field{
		{Key: "points_ready", LabelKey: "reports.field.points_ready", Value: float64(c.Ready + c.OnAir), Target: total, Unit: "reports.measure.points"},
		{Key: "points", LabelKey: "reports.field.points", Value: total, Unit: "reports.measure.points"},
		{Key: "points_on_air", LabelKey: "reports.field.points_on_air", Value: float64(c.OnAir), Unit: "reports.measure.points"},
		{Key: "attendance", LabelKey: "reports.field.attendance", Value: float64(c.Actual), Target: float64(c.Expected), Unit: "reports.measure.people"},
	}, nil
}
