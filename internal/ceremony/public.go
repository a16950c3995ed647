package ceremony

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/db"
)

// PublicCeremony is what the public portal shows of the current ceremony: no personal data
// (no contacts, delegates, operators or leaders), only the programme and how many bridge points
// are ready.
type PublicCeremony struct {
	ID            int64
	Title         string
	Venue         string
	LivestreamURL string
	StartsAt      time.Time
	// LaunchAt is the launch moment; zero until the button is pressed.
	LaunchAt time.Time
	Steps    []PublicStep
	// Points counts the bridge points in force (retired ones left out); PointsReady those whose
	// checklist is complete (whether or not they are on air yet); PointsOnAir those on air with
	// a live screen (a "lost" point is not counted).
	Points, PointsReady, PointsOnAir int
}

// PublicStep is one programme step as the public sees it; Current marks the step under way.
type PublicStep struct {
	Position  int
	Title     string
	PlannedAt time.Time
	Current   bool
}

// PublicSummary returns the current ceremony of a province for its public portal: the province's
// latest one by start (there is no archived or cancelled state: every ceremony counts), or false
// when it has none. Another province's ceremonies never show; a national page (province "") has
// no ceremony. It needs no actor.
func (s *Service) PublicSummary(ctx context.Context, province string) (PublicCeremony, bool, error) {
	if province == "" {
		return PublicCeremony{}, false, nil
	}
	q := s.DB.Reader()
	var id int64
	err := q.QueryRowContext(ctx, "SELECT id FROM ceremonies WHERE province_code = ? ORDER BY starts_at DESC, id DESC LIMIT 1", province).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return PublicCeremony{}, false, nil
	}
	if err != nil {
		return PublicCeremony{}, false, apperr.Wrap(err, "current ceremony")
	}
	c, err := s.load(ctx, q, id)
	if err != nil {
		return PublicCeremony{}, false, err
	}
	out := PublicCeremony{ID: c.ID, Title: c.Title, Venue: c.Venue, LivestreamURL: c.LivestreamURL, StartsAt: c.StartsAt, LaunchAt: c.LaunchAt,
		Steps: make([]PublicStep, 0, len(c.Steps))}
	for _, st := range c.Steps {
		out.Steps = append(out.Steps, PublicStep{Position: st.Position, Title: st.Title, PlannedAt: st.PlannedAt, Current: st.Position == c.CurrentStep})
	}
	alive := db.Millis(s.Now().Add(-LostAfter))
	var ready, onAir sql.NullInt64
	err = q.QueryRowContext(ctx, `SELECT COUNT(*),
		SUM(CASE WHEN chk_line = 1 AND chk_camera = 1 AND chk_microphone = 1 AND chk_screen = 1 AND chk_sound = 1 AND chk_rehearsal = 1 THEN 1 ELSE 0 END),
		SUM(CASE WHEN on_air = 1 AND last_heartbeat >= ? THEN 1 ELSE 0 END)
		FROM bridge_points WHERE ceremony_id = ? AND retired_at = 0`, alive, id).Scan(&out.Points, &ready, &onAir)
	if err != nil {
		return PublicCeremony{}, false, apperr.Wrap(err, "count points")
	}
	out.PointsReady, out.PointsOnAir = int(ready.Int64), int(onAir.Int64)
	return out, true, nil
}
