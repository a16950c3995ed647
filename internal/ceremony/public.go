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

// PublicSummary returns the current ceremony of a province for its public portal, or false when
// it has none: the ceremony that was actually launched (the latest launch), else the soonest one
// still to come (its day not over), else the latest by start. Cancelled and archived ceremonies
// never count, nor hosted ones (a launch event's live screen), nor another province's; a national page (province "") has no ceremony. It needs
// no actor. PublicNext gives the ceremony that follows a launched one, for the portal to show once
// the launched one's campaign is over.
func (s *Service) PublicSummary(ctx context.Context, province string) (PublicCeremony, bool, error) {
	if province == "" {
		return PublicCeremony{}, false, nil
	}
	q := s.DB.Reader()
	dayStart := db.Millis(s.today())
	var id int64
	err := q.QueryRowContext(ctx, `SELECT id FROM ceremonies WHERE province_code = ? AND host_path = '' AND status = 'scheduled'
		ORDER BY CASE WHEN launch_at > 0 THEN 0 WHEN starts_at >= ? THEN 1 ELSE 2 END,
		CASE WHEN launch_at > 0 THEN -launch_at WHEN starts_at >= ? THEN starts_at ELSE -starts_at END, id DESC LIMIT 1`,
		province, dayStart, dayStart).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return PublicCeremony{}, false, nil
	}
	if err != nil {
		return PublicCeremony{}, false, apperr.Wrap(err, "current ceremony")
	}
	return s.publicSummary(ctx, id)
}

// PublicNext returns the soonest ceremony of a province (its own, never a hosted one) not yet launched, starting after after and
// whose day is not over (not cancelled or archived), or false when there is none.
func (s *Service) PublicNext(ctx context.Context, province string, after time.Time) (PublicCeremony, bool, error) {
	if province == "" {
		return PublicCeremony{}, false, nil
	}
	dayStart := db.Millis(s.today())
	var id int64
	err := s.DB.Reader().QueryRowContext(ctx, `SELECT id FROM ceremonies WHERE province_code = ? AND host_path = '' AND status = 'scheduled' AND launch_at = 0
		AND starts_at > ? AND starts_at >= ? ORDER BY starts_at, id LIMIT 1`, province, db.Millis(after), dayStart).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return PublicCeremony{}, false, nil
	}
	if err != nil {
		return PublicCeremony{}, false, apperr.Wrap(err, "next ceremony")
	}
	return s.publicSummary(ctx, id)
}

func (s *Service) publicSummary(ctx context.Context, id int64) (PublicCeremony, bool, error) {
	q := s.DB.Reader()
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

// today is the start of today, Vietnam time: a ceremony starting from then is still to come (or
// under way).
func (s *Service) today() time.Time {
	y, m, d := s.Now().In(VietnamTime).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, VietnamTime)
}

// PublicForEvent returns the live screen of a launch event of the province for the event's
// public page (its programme and its launch), or false when the event has none or it was
// cancelled or archived. It needs no actor: events are public by nature.
func (s *Service) PublicForEvent(ctx context.Context, province string, eventID int64) (PublicCeremony, bool, error) {
	if province == "" || eventID == 0 {
		return PublicCeremony{}, false, nil
	}
	var id int64
	err := s.DB.Reader().QueryRowContext(ctx, `SELECT id FROM ceremonies WHERE province_code = ? AND event_id = ? AND host_path <> '' AND status = 'scheduled'`,
		province, eventID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return PublicCeremony{}, false, nil
	}
	if err != nil {
		return PublicCeremony{}, false, apperr.Wrap(err, "event ceremony")
	}
	return s.publicSummary(ctx, id)
}
