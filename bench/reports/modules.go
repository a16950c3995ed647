package main

import (
	"context"
	"fmt"
	"time"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/ceremony"
	"github.com/lantoa/lantoa/internal/outreach"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/events"
	"github.com/lantoa/lantoa/internal/reports"
	"github.com/lantoa/lantoa/internal/training"
	"github.com/lantoa/lantoa/internal/units"
)

var outreachSvc *outreach.Service

// registerModules registers the providers of the other modules, as internal/app does.
func registerModules(ctx context.Context, b *bench) {
	outreachSvc = outreach.NewService(b.d, accounts.NewService(b.d))
	tp := &reports.TrainingProvider{Svc: training.NewService(b.d), Clock: func() time.Time { return b.clock }}
	b.rs.Register(reports.OutreachProvider{Svc: outreachSvc}, tp,
		reports.CeremonyProvider{Svc: ceremony.NewService(b.d, units.NewService(b.d), events.New(b.d, nil), "51")})
}

// generateModules adds the modules' large data, and names what it added in b.extra:
// outreach records with their counters (generateOutreach), and one published course with an
// enrolment for every learner account, 40% of them passed. Training keeps no counter table, so
// its figures are counted from the enrolments when the cache is refreshed.
func generateModules(ctx context.Context, b *bench, o options) error {
	if err := outreachSvc.SeedSkills(ctx); err != nil {
		return err
	}
	c, err := outreachSvc.CreateCampaign(ctx, outreach.Campaign{Name: "Chiến dịch 7 ngày (benchmark)", LaunchAt: time.Now().Add(-48 * time.Hour)})
	if err != nil {
		return err
	}
	if err := generateOutreach(ctx, b.d, c.ID, o.records); err != nil {
		return err
	}
	b.extra = append(b.extra, fmt.Sprintf("%d outreach records", o.records))
	now := db.Millis(time.Now().Add(-24 * time.Hour))
	err = b.d.WriteTx(ctx, func(tx *db.Tx) error {
		id, err := tx.InsertID(ctx, `INSERT INTO training_courses (title, audience, status, question_count, pass_percent, time_limit_minutes, created_at, updated_at)
			VALUES ('Kỹ năng số cơ bản', 'citizens', 'published', 10, 80, 30, ?, ?) RETURNING id`, now, now)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO training_enrolments (course_id, user_id, unit_path, enrolled_at, started_at, passed_at)
			SELECT ?, g.user_id, g.unit_path, ?, ?, CASE WHEN g.user_id % 5 < 2 THEN ? ELSE 0 END FROM role_grants g WHERE g.role = 'learner'`, id, now, now, now)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "ANALYZE")
		return err
	})
	if err != nil {
		return err
	}
	b.extra = append(b.extra, fmt.Sprintf("%d enrolments", o.learners))
	return nil
}
