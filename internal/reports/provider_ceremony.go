package reports

import (
	"context"
	"time"

	"github.com/lantoa/lantoa/internal/ceremony"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/units"
)

// CeremonySource is what the ceremony provider reads of the ceremony module (*ceremony.Service
// has it): the ceremonies and one ceremony's bridge points.
type CeremonySource interface {
	List(ctx context.Context) ([]ceremony.Ceremony, error)
	// ListArchived gives the archived ceremonies, which List leaves out: a period's ceremony may
	// have been archived since.
	ListArchived(ctx context.Context) ([]ceremony.Ceremony, error)
	ListPoints(ctx context.Context, id int64, f ceremony.PointFilter) ([]ceremony.Point, error)
}

// CeremonyProvider reports the bridge points of the launch ceremony of the unit's province (the
// latest one the province holds) through ceremony's exported methods List, ListPoints and
// CountPoints: readiness and attendance. Another province's ceremony never counts.
type CeremonyProvider struct {
	Svc CeremonySource
	// Units, when set, lets the provider answer every child of a unit in one pass (ChildFields).
	Units *units.Service
}

// Section is "ceremony".
func (p CeremonyProvider) Section() string { return "ceremony" }

// Fields: bridge points, points ready (target: every point), points on air, delegates present
// (target: delegates expected). No figures when the province holds no ceremony.
func (p CeremonyProvider) Fields(ctx context.Context, unitPath string, asOf time.Time) ([]Field, error) {
	ctx = system(ctx)
	province := authz.ProvinceOfPath(unitPath)
	latest, err := p.latest(ctx, province)
	if err != nil || latest == nil {
		return nil, err
	}
	// The points that count under the unit today: its own subtree's, and those of earlier unit
	// versions rolled up into it (a ceremony not regenerated since the map switch).
	mine, err := p.Svc.ListPoints(ctx, latest.ID, ceremony.PointFilter{UnderNow: unitPath})
	if err != nil {
		return nil, err
	}
	return ceremonyFields(ceremony.CountPoints(mine, asOf)), nil
}

// latest is the province's latest ceremony, or nil.
func (p CeremonyProvider) latest(ctx context.Context, province string) (*ceremony.Ceremony, error) {
	list, err := p.Svc.List(ctx)
	if err != nil {
		return nil, err
	}
	var latest *ceremony.Ceremony
	for i, c := range list {
		if c.Province == province && province != "" && !c.Hosted() && (latest == nil || c.ID > latest.ID) {
			latest = &list[i]
		}
	}
	return latest, nil
}

// PeriodFields are Fields over the period's ceremony (ofPeriod): a newer ceremony, say one
// created after the period and still without points, never replaces it. A period that holds no
// ceremony of the province has no ceremony figures.
func (p CeremonyProvider) PeriodFields(ctx context.Context, unitPath string, span Span, asOf time.Time) ([]Field, error) {
	ctx = system(ctx)
	c, err := p.ofPeriod(ctx, authz.ProvinceOfPath(unitPath), span)
	if err != nil || c == nil {
		return nil, err
	}
	mine, err := p.Svc.ListPoints(ctx, c.ID, ceremony.PointFilter{UnderNow: unitPath})
	if err != nil {
		return nil, err
	}
	return ceremonyFields(ceremony.CountPoints(mine, asOf)), nil
}

// ceremonyMoment is when a ceremony took place for the periods: its launch moment, or the moment
// it is scheduled for while it has not been launched.
func ceremonyMoment(c ceremony.Ceremony) time.Time {
	if c.Launched() {
		return c.LaunchAt
	}
	return c.StartsAt
}

// ofPeriod is the province's ceremony of the period: the one launched (or, not launched yet,
// scheduled) within the period's dates; of several, the latest to take place. Nil when none.
// A cancelled ceremony is skipped (countsForPeriod); an archived one still counts for its period.
func (p CeremonyProvider) ofPeriod(ctx context.Context, province string, span Span) (*ceremony.Ceremony, error) {
	if province == "" {
		return nil, nil
	}
	list, err := p.Svc.List(ctx)
	if err != nil {
		return nil, err
	}
	archived, err := p.Svc.ListArchived(ctx)
	if err != nil {
		return nil, err
	}
	list = append(list, archived...)
	var best *ceremony.Ceremony
	for i, c := range list {
		if c.Province != province || !countsForPeriod(c) || !span.Contains(ceremonyMoment(c)) {
			continue
		}
		if best == nil || ceremonyMoment(c).After(ceremonyMoment(*best)) || (ceremonyMoment(c).Equal(ceremonyMoment(*best)) && c.ID > best.ID) {
			best = &list[i]
		}
	}
	return best, nil
}

// countsForPeriod tells whether a ceremony can be a period's ceremony: a cancelled one cannot, nor
// a hosted one (a launch event's live screen, which List leaves out already).
func countsForPeriod(c ceremony.Ceremony) bool { return c.Status != ceremony.Cancelled && !c.Hosted() }

// ChildFields is Fields for every child in force of the unit at parentPath from one listing of
// the parent's points, when each of them lies under a child in force (a ceremony generated on
// the map in force). A point of an earlier unit version that rolls up (a ceremony not regenerated
// since the map switch) leaves the answer to Fields, child by child: nil.
func (p CeremonyProvider) ChildFields(ctx context.Context, parentPath string, asOf time.Time) (map[string][]Field, error) {
	if p.Units == nil {
		return nil, nil
	}
	ctx = system(ctx)
	latest, err := p.latest(ctx, authz.ProvinceOfPath(parentPath))
	if err != nil || latest == nil {
		return nil, err
	}
	children, err := p.Units.List(ctx, units.Filter{ParentPath: parentPath})
	if err != nil {
		return nil, err
	}
	points := make(map[string][]ceremony.Point, len(children))
	for _, c := range children {
		points[c.Path] = nil
	}
	all, err := p.Svc.ListPoints(ctx, latest.ID, ceremony.PointFilter{UnderNow: parentPath})
	if err != nil {
		return nil, err
	}
	for _, pt := range all {
		c := units.ChildPath(parentPath, pt.UnitPath)
		if c == "" {
			continue // the parent's own point
		}
		if _, ok := points[c]; !ok {
			return nil, nil
		}
		points[c] = append(points[c], pt)
	}
	out := make(map[string][]Field, len(points))
	for c, pts := range points {
		out[c] = ceremonyFields(ceremony.CountPoints(pts, asOf))
	}
	return out, nil
}

// ceremonyFields are the ceremony section's figures of a unit.
func ceremonyFields(c ceremony.Counts) []Field {
	total := float64(c.Total)
	return []Field{
		{Key: "points_ready", LabelKey: "reports.field.points_ready", Value: float64(c.Ready + c.OnAir), Target: total, Unit: "reports.measure.points"},
		{Key: "points", LabelKey: "reports.field.points", Value: total, Unit: "reports.measure.points"},
		{Key: "points_on_air", LabelKey: "reports.field.points_on_air", Value: float64(c.OnAir), Unit: "reports.measure.points"},
		{Key: "attendance", LabelKey: "reports.field.attendance", Value: float64(c.Actual), Target: float64(c.Expected), Unit: "reports.measure.people"},
	}
}
