package app

import (
	"context"
	"time"

	"github.com/lantoa/lantoa/internal/ceremony"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/pubservices"
)

// launchOf answers the launch moment of a province's movement: its first launched ceremony. A later
// ceremony (a rerun, a second year) does not move the line the statistics are compared across, nor
// does a launch event's live screen (a hosted ceremony, which List leaves out already).
func launchOf(cs *ceremony.Service) pubservices.LaunchSource {
	return func(ctx context.Context, province string) (time.Time, error) {
		ctx = authz.WithActor(ctx, authz.System)
		list, err := cs.List(ctx)
		if err != nil {
			return time.Time{}, err
		}
		// An archived ceremony is out of the current list, but its launch still happened.
		archived, err := cs.ListArchived(ctx)
		if err != nil {
			return time.Time{}, err
		}
		list = append(list, archived...)
		var first time.Time
		for _, c := range list {
			if c.Province == province && !c.Hosted() && c.Launched() && (first.IsZero() || c.LaunchAt.Before(first)) {
				first = c.LaunchAt
			}
		}
		return first, nil
	}
}
