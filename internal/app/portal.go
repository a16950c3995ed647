package app

import (
	"context"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/portal"
	"github.com/lantoa/lantoa/internal/training"
)

// portalFigures builds the registry of the portal's live headline figures. The foundation's
// counts come first; each module with public figures registers a source here, so that the portal
// never imports the modules. The registry caches the figures for 15 s, so a crowd on launch day
// costs one round of these queries per 15 s.
func portalFigures(svc *Services) *portal.FigureRegistry {
	r := portal.NewFigureRegistry()
	r.Register(portal.FoundationFigures{DB: svc.DB})
	if svc.Outreach != nil {
		r.Register(portal.FigureFunc(func(ctx context.Context) (map[string]int64, error) {
			p, err := svc.Outreach.Progress(authz.WithActor(ctx, authz.System), ProvinceCode, 0)
			if apperr.Is(err, apperr.NotFound) {
				return nil, nil // no campaign yet: no outreach figures to show
			}
			if err != nil {
				return nil, err
			}
			return map[string]int64{
				"portal.figure.outreach.citizens":    p.Citizens,
				"portal.figure.outreach.records":     p.Records,
				"portal.figure.outreach.members_met": int64(p.MembersMet),
			}, nil
		}))
	}
	if svc.Training != nil {
		r.Register(portal.FigureFunc(func(ctx context.Context) (map[string]int64, error) {
			sys := authz.WithActor(ctx, authz.System)
			courses, err := svc.Training.ListCourses(sys, training.CourseFilter{})
			if err != nil {
				return nil, err
			}
			var enrolled, passed int64
			for _, c := range courses {
				t, err := svc.Training.TotalsFor(sys, c.ID)
				if err != nil {
					return nil, err
				}
				enrolled += int64(t.Enrolled)
				passed += int64(t.Passed)
			}
			return map[string]int64{"portal.figure.training.enrolled": enrolled, "portal.figure.training.passed": passed}, nil
		}))
	}
	return r
}
