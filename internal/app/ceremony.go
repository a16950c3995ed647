package app

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/lantoa/lantoa/internal/ceremony"
	"github.com/lantoa/lantoa/internal/platform/events"
)

// eventRetention is how long live events are kept for replay to reconnecting screens.
const eventRetention = 30 * 24 * time.Hour

// startEvents starts the live-events broker (on PostgreSQL it LISTENs, so that every instance
// delivers what any instance publishes) and prunes old events hourly until ctx ends.
func startEvents(ctx context.Context, svc *Services, log *slog.Logger) (*events.Broker, error) {
	bus := events.New(svc.DB, log)
	if err := bus.Start(ctx); err != nil {
		return nil, fmt.Errorf("live events: %w", err)
	}
	go func() {
		t := time.NewTicker(time.Hour)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if n, err := bus.Prune(ctx, time.Now().Add(-eventRetention)); err != nil {
					log.Error("prune events", "err", err)
				} else if n > 0 {
					log.Info("old events pruned", "events", n)
				}
			}
		}
	}()
	return bus, nil
}

// newCeremony builds the launch ceremony service over the broker. Other modules register their
// launch hooks on the returned service (OnLaunch) before the server starts.
func newCeremony(svc *Services, bus events.Bus) *ceremony.Service {
	return ceremony.NewService(svc.DB, svc.Units, bus)
}

// demoCeremony is a ceremony service for the demo loader, which runs before the live-events
// broker starts: its events are stored (and replayed to screens that connect later).
func demoCeremony(svc *Services) *ceremony.Service {
	return ceremony.NewService(svc.DB, svc.Units, events.New(svc.DB, nil))
}
