package app

import (
	"context"

	"github.com/lantoa/lantoa/internal/ceremony"
	"github.com/lantoa/lantoa/internal/outreach"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/portal"
	"github.com/lantoa/lantoa/internal/units"
)

// followUnitSwitch registers what the organisations and the accounts move when a map switch
// retires units (units.Service.OnSwitch): organisations located in a retired unit follow its
// roll-up, then the grants that copy their paths and the learners' grants (orgs.FollowUnits,
// accounts.FollowUnits say why).
func followUnitSwitch(svc *Services) {
	svc.Units.OnSwitch(svc.Orgs.FollowUnits)
	svc.Units.OnSwitch(svc.Accounts.FollowUnits)
}

// newPortal builds the portal's service with the sources of its public ceremony page (board,
// from the ceremony module with the outreach campaign's window for the countdown) and of its map
// (the dashboards' measure by district, from the outreach module), each read for the province whose portal
// asks.
func newPortal(svc *Services, board *portal.CeremonyBoard) *portal.Service {
	return portal.NewService(svc.DB, portal.WithBoards(board, portal.NewDistrictBoard(PortalDistricts(svc.Outreach, svc.Units))))
}

// PortalCeremony adapts the ceremony module's public summary of a province to the portal's
// ceremony page. The campaign window after the launch is the province's current outreach
// campaign's when that campaign was open at the launch; else it is the current campaign's length
// (7 days when there is no campaign, or no outreach module) from the launch.
func PortalCeremony(c *ceremony.Service, o *outreach.Service) portal.CeremonySource {
	return portal.CeremonyFunc(func(ctx context.Context, province string) (portal.Ceremony, bool, error) {
		pc, ok, err := c.PublicSummary(ctx, province)
		if err != nil || !ok {
			return portal.Ceremony{}, false, err
		}
		out := portal.Ceremony{ID: pc.ID, Title: pc.Title, Venue: pc.Venue, LivestreamURL: pc.LivestreamURL, StartsAt: pc.StartsAt, LaunchAt: pc.LaunchAt,
			Points: pc.Points, PointsReady: pc.PointsReady, PointsOnAir: pc.PointsOnAir, CampaignDays: portal.DefaultCampaignDays,
			Steps: make([]portal.CeremonyStep, 0, len(pc.Steps))}
		for _, st := range pc.Steps {
			out.Steps = append(out.Steps, portal.CeremonyStep{Position: st.Position, Title: st.Title, PlannedAt: st.PlannedAt, Current: st.Current})
		}
		if o != nil {
			camp, found, err := o.Current(authz.WithActor(ctx, authz.System), province)
			if err != nil {
				return portal.Ceremony{}, false, err
			}
			if found && camp.Days > 0 {
				out.CampaignDays = camp.Days
			}
			// The campaign under way at the launch (one that follows the ceremony starts at that
			// moment; another may have opened before it) gives the countdown its window, so that
			// the public page and the campaign's pages name the same last day.
			if found && !pc.LaunchAt.IsZero() && camp.Contains(pc.LaunchAt) {
				out.CampaignCloses = camp.End()
			}
		}
		return out, true, nil
	})
}

// PortalDistricts gives a province's portal map the level below the province that exists (from the
// unit tree, units in force): its districts on the map of 2023, its commune-level units on the
// two-tier map of 2025, where communes hang directly under the province. Each comes with the
// dashboards' measure in the province's current campaign (outreach.Tally.Measure: members who met
// the campaign's target against all members; earlier records rolled up into today's unit by
// outreach's Progress), so the map and the dashboards read alike. Before any campaign the units
// have no figure.
func PortalDistricts(o *outreach.Service, u *units.Service) portal.DistrictSource {
	return portal.DistrictFunc(func(ctx context.Context, province string) (portal.DistrictFigures, error) {
		out := portal.DistrictFigures{LabelKey: "portal.map.members_met", TargetKey: "portal.map.members", Level: string(units.District)}
		districts, err := u.List(ctx, units.Filter{ParentCode: province, Level: units.District, Limit: units.MaxList})
		if err != nil {
			return out, err
		}
		if len(districts) == 0 {
			out.Level = string(units.Commune)
			if districts, err = u.List(ctx, units.Filter{ParentCode: province, Level: units.Commune, Limit: units.MaxList}); err != nil {
				return out, err
			}
		}
		p, err := o.Progress(authz.WithActor(ctx, authz.System), province, 0)
		if err != nil && !apperr.Is(err, apperr.NotFound) {
			return out, err
		}
		measured := map[string]portal.DistrictFigure{}
		if err == nil {
			for _, ch := range p.Children {
				value, target := ch.Measure()
				measured[ch.Unit.Code] = portal.DistrictFigure{Code: ch.Unit.Code, Name: ch.Unit.Name, Value: value, Target: target, Measured: true}
			}
		}
		for _, d := range districts {
			f, ok := measured[d.Code]
			if !ok {
				f = portal.DistrictFigure{Code: d.Code, Name: d.Name}
			}
			out.Items = append(out.Items, f)
		}
		return out, nil
	})
}

// portalFigures builds the registry of the portals' live headline figures, each counted for one
// province. The foundation's counts come first; each module with public figures registers a
// source here, so that the portal never imports the modules. The registry caches the figures for
// 15 s per province, so a crowd on launch day costs one round of these queries per 15 s.
func portalFigures(svc *Services) *portal.FigureRegistry {
	r := portal.NewFigureRegistry()
	r.Register(portal.FoundationFigures{DB: svc.DB})
	if svc.Outreach != nil {
		r.Register(portal.FigureFunc(func(ctx context.Context, province string) (map[string]int64, error) {
			sys := authz.WithActor(ctx, authz.System)
			// Teams active: the province's teams that have members.
			n, err := svc.Outreach.CountTeams(sys, province, true)
			if err != nil {
				return nil, err
			}
			active := int64(n)
			p, err := svc.Outreach.Progress(sys, province, 0)
			if apperr.Is(err, apperr.NotFound) {
				// No campaign yet: the teams, and no campaign figures.
				return map[string]int64{"portal.figure.outreach.teams": active}, nil
			}
			if err != nil {
				return nil, err
			}
			return map[string]int64{
				"portal.figure.outreach.teams":       active,
				"portal.figure.outreach.citizens":    p.Citizens,
				"portal.figure.outreach.records":     p.Records,
				"portal.figure.outreach.members_met": int64(p.MembersMet),
			}, nil
		}))
	}
	if svc.Training != nil {
		// The province's learners in its own courses and in the national ones (every learner of the
		// country on the national page).
		r.Register(portal.FigureFunc(func(ctx context.Context, province string) (map[string]int64, error) {
			t, err := svc.Training.ProvinceTotals(ctx, province)
			if err != nil {
				return nil, err
			}
			return map[string]int64{"portal.figure.training.enrolled": int64(t.Enrolled), "portal.figure.training.passed": int64(t.Passed)}, nil
		}))
	}
	return r
}
