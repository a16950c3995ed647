package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/lantoa/lantoa/internal/platform/events"
)

// eventRetention is how long live events are kept for replay to reconnecting screens.
const eventRetention = 30 * 24 * time.Hour

// pruneEvents deletes live events older than eventRetention, hourly, until ctx ends.
func pruneEvents(ctx context.Context, bus *events.Broker, log *slog.Logger) {
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
}
