package portal

import (
	"context"
	"sync"
	"time"

	"github.com/lantoa/lantoa/internal/platform/memo"
)

// DistrictFigure is one district's public figure for the portal's map: a count and the target it
// is measured against (0 when there is none). Measured is false for a district without a figure
// (no campaign yet): the map shows "no data" there, not a zero.
type DistrictFigure struct {
	Code     string
	Name     string
	Value    int64
	Target   int64
	Measured bool
}

// Share is Value over Target, or -1 when there is no figure or no target (the map shows "no
// data").
func (f DistrictFigure) Share() float64 {
	if !f.Measured || f.Target <= 0 {
		return -1
	}
	return float64(f.Value) / float64(f.Target)
}

// DistrictFigures is one figure by district of a province. LabelKey names the figure and TargetKey
// its target (translation keys of the module that gives them); Items lists every current district
// of the province, measured or not — or, on the two-tier map in force since 1 July 2025, where a
// province has no district, every commune-level unit (Level says which).
type DistrictFigures struct {
	LabelKey, TargetKey string
	// Level is the level of the items: "district" (the map of 2023) or "commune" (the map of 2025).
	Level string
	Items []DistrictFigure
}

// DistrictSource gives the figure a province's portal map shows by district. The outreach module's
// source is registered in internal/app, so that the portal never imports it.
type DistrictSource interface {
	DistrictFigures(ctx context.Context, province string) (DistrictFigures, error)
}

// DistrictFunc adapts a function to DistrictSource.
type DistrictFunc func(ctx context.Context, province string) (DistrictFigures, error)

// DistrictFigures calls f.
func (f DistrictFunc) DistrictFigures(ctx context.Context, province string) (DistrictFigures, error) {
	return f(ctx, province)
}

// DistrictBoard caches a DistrictSource for TTL per province, like the headline figures (one
// computation at a time, renewed in the background before it expires; see platform/memo).
type DistrictBoard struct {
	TTL time.Duration
	Now func() time.Time

	src  DistrictSource
	once sync.Once
	memo *memo.Cache[DistrictFigures]
}

// NewDistrictBoard returns a board over src with a 15-second cache.
func NewDistrictBoard(src DistrictSource) *DistrictBoard {
	return &DistrictBoard{TTL: 15 * time.Second, Now: time.Now, src: src}
}

// Figures returns the figures by district of province; ok is false when there is no source (or no
// province).
func (b *DistrictBoard) Figures(ctx context.Context, province string) (f DistrictFigures, ok bool, err error) {
	if b == nil || b.src == nil || province == "" {
		return DistrictFigures{}, false, nil
	}
	b.once.Do(func() { b.memo = &memo.Cache[DistrictFigures]{TTL: b.TTL, Now: func() time.Time { return b.Now() }} })
	f, err = b.memo.Get(ctx, province, func(ctx context.Context, _ time.Time) (DistrictFigures, error) {
		return b.src.DistrictFigures(ctx, province)
	})
	if err != nil {
		return DistrictFigures{}, false, err
	}
	return f.clone(), true, nil
}

func (f DistrictFigures) clone() DistrictFigures {
	f.Items = append([]DistrictFigure(nil), f.Items...)
	return f
}
