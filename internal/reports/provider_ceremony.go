package reports

import (
	"context"
	"time"

	"github.com/lantoa/lantoa/internal/ceremony"
	"github.com/lantoa/lantoa/internal/platform/authz"
)

// CeremonySource is what the ceremony provider reads of the ceremony module (*ceremony.Service
// has it): the ceremonies and one ceremony's bridge points.
type CeremonySource interface {
	List(ctx context.Context) ([]ceremony.Ceremony, error)
	ListPoints(ctx context.Context, id int64, f ceremony.PointFilter) ([]ceremony.Point, error)
}

// CeremonyProvider reports the bridge points of the launch ceremony of the unit's province (the
// latest one the province holds) through ceremony's exported methods List, ListPoints and
// CountPoints: readiness and attendance. Another province's ceremony never counts.
type CeremonyProvider struct{ Svc CeremonySource }

// Section is "ceremony".
func (p CeremonyProvider) Section() string { return "ceremony" }

// Fields: bridge points, points ready (target: every point), points on air, delegates present
// (target: delegates expected). No figures when the province holds no ceremony.
func (p CeremonyProvider) Fields(ctx context.Context, unitPath string, asOf time.Time) ([]Field, error) {
	ctx = system(ctx)
	province := authz.ProvinceOfPath(unitPath)
	list, err := p.Svc.List(ctx)
	if err != nil {
		return nil, err
	}
	var latest *ceremony.Ceremony
	for i, c := range list {
		if c.Province == province && province != "" && (latest == nil || c.ID > latest.ID) {
			latest = &list[i]
		}
	}
	if latest == nil {
		return nil, nil
	}
	// The points that count under the unit today: its own subtree's, and those of earlier unit
	// versions rolled up into it (a ceremony not regenerated since the map switch).
	mine, err := p.Svc.ListPoints(ctx, latest.ID, ceremony.PointFilter{UnderNow: unitPath})
	if err != nil {
		return nil, err
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
