package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/reports"
)

// newReports builds the reports service with its providers: the built-in foundation provider,
// and the adapters of the modules whose figures are ready (see internal/reports/provider_*.go).
func newReports(svc *Services, w wiring) *reports.Service {
	rs := reports.NewService(svc.DB, svc.Units, reports.WithNotify(w.outbox, w.baseURL), reports.WithClock(w.now),
		reports.WithPublicServices(svc.PublicServices))
	rs.Register(reports.OutreachProvider{Svc: svc.Outreach}, &reports.TrainingProvider{Svc: svc.Training, Units: svc.Units, Clock: w.now},
		reports.CeremonyProvider{Svc: svc.Ceremony, Units: svc.Units},
		// Communication tracking: items by channel.
		reports.CommsProvider{Portal: svc.Portal})
	return rs
}

// runReportReminders queues the reminders of reports due within three days, every hour, until
// ctx ends. Each reminder is queued once (see reports.SendReminders).
func runReportReminders(ctx context.Context, rs *reports.Service, log *slog.Logger) {
	ctx = authz.WithActor(ctx, authz.System)
	tick := time.NewTicker(time.Hour)
	defer tick.Stop()
	for {
		if res, err := rs.SendReminders(ctx); err != nil {
			log.Warn("report reminders", "err", err)
		} else if res.Queued > 0 {
			log.Info("report reminders queued", "count", res.Queued)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
