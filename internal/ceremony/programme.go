package ceremony

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/db"
)

// StepOp is one edit of the programme, as the programme page makes them one at a time.
type StepOp struct {
	// Kind is add, update, up, down or delete.
	Kind string
	// Position is the (1-based) step the edit applies to; unused by add.
	Position int
	// The fields of an add or an update.
	Title       string
	PlannedAt   time.Time
	Speaker     string
	DurationMin int
	MCLines     string
	Notes       string
}

func (op StepOp) step() Step {
	return Step{Title: op.Title, PlannedAt: op.PlannedAt, Speaker: op.Speaker, DurationMin: op.DurationMin, MCLines: op.MCLines, Notes: op.Notes}.clean()
}

// The kinds of StepOp.
const (
	StepAdd    = "add"
	StepUpdate = "update"
	StepUp     = "up"
	StepDown   = "down"
	StepDelete = "delete"
)

// The programme's rule on and around the ceremony's day (Vietnam time):
//   - before the day, the programme changes freely;
//   - on the day (from its first minute, or from the opening of the launch window when that comes
//     first, to its end), only the steps already run are fixed: the steps before the current one
//     and the current one itself, once the control room has moved to it (positions 1..CurrentStep:
//     its title is on every screen and the MC is reading it). Every later step can be edited,
//     added, removed or reordered, before and after the launch; each such change is audited as
//     ceremony.steps_on_day and reaches every screen live through a "programme" event;
//   - after the day, the programme is the record of what happened: it is closed.
//
// A cancelled or archived ceremony cannot change at all (findToChange).

// onDay tells whether now is on the ceremony's day, as the programme's rule counts it; over tells
// whether the day has ended.
func (s *Service) onDay(c Ceremony) (on, over bool) {
	from, to := c.Window()
	y, m, d := c.StartsAt.In(VietnamTime).Date()
	if day := time.Date(y, m, d, 0, 0, 0, 0, VietnamTime); day.Before(from) {
		from = day
	}
	now := s.Now()
	if !now.Before(to) {
		return false, true
	}
	return !now.Before(from), false
}

// programmeChange checks that the programme may change from the ceremony's steps to steps now and
// tells whether the change is made on the ceremony's day. A change that touches a step already
// run is refused naming that step, and nothing is changed.
func (s *Service) programmeChange(c Ceremony, steps []Step) (bool, error) {
	on, over := s.onDay(c)
	if over {
		return false, apperr.New(apperr.Conflict, "ceremony.error.steps_over")
	}
	if !on {
		return false, nil
	}
	run := min(c.CurrentStep, len(c.Steps))
	for i := 0; i < run; i++ {
		if i >= len(steps) || !steps[i].clean().sameAs(c.Steps[i]) {
			return true, apperr.New(apperr.Conflict, "ceremony.error.step_run", c.Steps[i].Position, c.Steps[i].Title)
		}
	}
	return true, nil
}

// saveProgramme checks and writes a changed programme, tells every screen and audits the change
// (ceremony.steps before the day, ceremony.steps_on_day on it).
func (s *Service) saveProgramme(ctx context.Context, tx *db.Tx, c Ceremony, steps []Step, detail string) error {
	for i := range steps {
		steps[i] = steps[i].clean()
		steps[i].Position = i + 1
	}
	if err := validSteps(steps); err != nil {
		return err
	}
	on, err := s.programmeChange(c, steps)
	if err != nil {
		return err
	}
	if err := writeSteps(ctx, tx, c.ID, steps); err != nil {
		return err
	}
	if err := s.publish(ctx, tx, c.ID, "programme", programmeData(c.CurrentStep, steps)); err != nil {
		return err
	}
	entry := audit.Entry{Action: "ceremony.steps"}
	if on {
		entry = audit.Entry{Action: "ceremony.steps_on_day"}
	}
	entry.ObjectType, entry.ObjectID, entry.UnitPath, entry.Detail = "ceremony", strconv.FormatInt(c.ID, 10), c.scopePath(), detail
	return audit.Record(ctx, tx, entry)
}

// ProgrammeData is the payload of a "programme" event: the programme as the screens show it (no
// MC lines or notes), the step under way and the titles of the current and next steps.
type ProgrammeData struct {
	CurrentStep  int             `json:"current_step"`
	CurrentTitle string          `json:"current_title"`
	NextTitle    string          `json:"next_title"`
	Steps        []ProgrammeStep `json:"steps"`
}

// ProgrammeStep is one step of a "programme" event.
type ProgrammeStep struct {
	Position    int       `json:"position"`
	Title       string    `json:"title"`
	PlannedAt   time.Time `json:"planned_at,omitzero"`
	Speaker     string    `json:"speaker"`
	DurationMin int       `json:"duration_min"`
}

func programmeData(current int, steps []Step) ProgrammeData {
	d := ProgrammeData{CurrentStep: current, Steps: make([]ProgrammeStep, len(steps))}
	for i, st := range steps {
		d.Steps[i] = ProgrammeStep{Position: i + 1, Title: st.Title, PlannedAt: st.PlannedAt, Speaker: st.Speaker, DurationMin: st.DurationMin}
	}
	if current > 0 && current <= len(steps) {
		d.CurrentTitle = steps[current-1].Title
	}
	if current < len(steps) {
		d.NextTitle = steps[current].Title
	}
	return d
}

// NextTitle is the title of the step after the current one ("" at the end).
func (c Ceremony) NextTitle() string {
	if c.CurrentStep >= 0 && c.CurrentStep < len(c.Steps) {
		return c.Steps[c.CurrentStep].Title
	}
	return ""
}

// OnDay tells whether now is the ceremony's day as the programme's rule counts it (edits are live
// and audited as on-day changes).
func (s *Service) OnDay(c Ceremony) bool {
	on, _ := s.onDay(c)
	return on
}

// DayOver tells whether the ceremony's day has ended (Vietnam time).
func (s *Service) DayOver(c Ceremony) bool {
	_, over := s.onDay(c)
	return over
}

// FixedSteps is how many steps, from the first, cannot change now: the steps already run on the
// ceremony's day; all of them after the day; none before it.
func (s *Service) FixedSteps(c Ceremony) int {
	on, over := s.onDay(c)
	switch {
	case over || c.Status != Scheduled:
		return len(c.Steps)
	case on:
		return min(c.CurrentStep, len(c.Steps))
	}
	return 0
}

// EditStep applies one edit to the programme in one transaction: the steps are read, changed,
// checked as a whole and written back, so that two administrators editing at once cannot leave a
// gap or a duplicate position. On the ceremony's day the steps already run are fixed.
func (s *Service) EditStep(ctx context.Context, id int64, op StepOp) (Ceremony, error) {
	step := op.step()
	err := s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		c, err := s.findToChange(ctx, tx, id)
		if err != nil {
			return err
		}
		if at := step.PlannedAt; !at.IsZero() && (at.Year() < 2000 || at.Year() > 2100) {
			return apperr.InvalidField("planned_at", "ceremony.error.starts_at")
		}
		steps := append([]Step(nil), c.Steps...)
		i := op.Position - 1
		if op.Kind != StepAdd && (i < 0 || i >= len(steps)) {
			return apperr.InvalidField("position", "ceremony.error.step", len(steps))
		}
		detail := op.Kind + " " + strconv.Itoa(op.Position)
		switch op.Kind {
		case StepAdd:
			if len(steps) >= MaxSteps {
				return apperr.InvalidField("title", "ceremony.error.steps_count", MaxSteps)
			}
			steps = append(steps, step)
			detail = op.Kind + " " + step.Title
		case StepUpdate:
			steps[i] = step
			detail += " " + step.Title
		case StepUp:
			if i == 0 {
				return nil
			}
			steps[i-1], steps[i] = steps[i], steps[i-1]
		case StepDown:
			if i == len(steps)-1 {
				return nil
			}
			steps[i+1], steps[i] = steps[i], steps[i+1]
		case StepDelete:
			if len(steps) == 1 {
				return apperr.InvalidField("position", "ceremony.error.steps_count", MaxSteps)
			}
			detail += " " + steps[i].Title
			steps = append(steps[:i], steps[i+1:]...)
		default:
			return apperr.InvalidField("op", "ceremony.error.step_op")
		}
		if (op.Kind == StepAdd || op.Kind == StepUpdate) && step.Title == "" {
			return apperr.InvalidField("title", "ceremony.error.step_title")
		}
		err = s.saveProgramme(ctx, tx, c, steps, detail)
		if ae := apperr.As(err); ae != nil && ae.Field == "steps" {
			return apperr.InvalidField("title", ae.Key, ae.Args...)
		}
		return err
	})
	if err != nil {
		return Ceremony{}, err
	}
	return s.Find(ctx, id)
}

// ReplaceSteps edits and reorders the whole programme; on the ceremony's day the steps already run
// must come back unchanged, at their places.
func (s *Service) ReplaceSteps(ctx context.Context, id int64, steps []Step) (Ceremony, error) {
	err := s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		c, err := s.findToChange(ctx, tx, id)
		if err != nil {
			return err
		}
		steps = append([]Step(nil), steps...)
		titles := make([]string, len(steps))
		for i, st := range steps {
			titles[i] = strings.Join(strings.Fields(st.Title), " ")
		}
		return s.saveProgramme(ctx, tx, c, steps, strings.Join(titles, " | "))
	})
	if err != nil {
		return Ceremony{}, err
	}
	return s.Find(ctx, id)
}

// SetStatus cancels (Cancelled), archives (Archived) or reinstates (Scheduled) a ceremony. A
// launched ceremony cannot be cancelled (it took place); a ceremony is archived once cancelled or
// once its day is over; it is reinstated from cancelled only, before its day ends. Audited as ceremony.cancel,
// ceremony.archive or ceremony.reinstate.
func (s *Service) SetStatus(ctx context.Context, id int64, to Status) (Ceremony, error) {
	err := s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		c, err := s.findManaged(ctx, tx, id)
		if err != nil {
			return err
		}
		if c.Status == to {
			return nil
		}
		_, over := s.onDay(c)
		var entry audit.Entry
		switch to {
		case Cancelled:
			if c.Status == Archived {
				return apperr.New(apperr.Conflict, "ceremony.error.archived")
			}
			if c.Launched() {
				return apperr.New(apperr.Conflict, "ceremony.error.cancel_launched")
			}
			entry = audit.Entry{Action: "ceremony.cancel"}
		case Archived:
			if c.Status == Scheduled && !over {
				return apperr.New(apperr.Conflict, "ceremony.error.archive_early")
			}
			entry = audit.Entry{Action: "ceremony.archive"}
		case Scheduled:
			if c.Status == Archived {
				return apperr.New(apperr.Conflict, "ceremony.error.archived")
			}
			if over {
				return apperr.New(apperr.Conflict, "ceremony.error.steps_over")
			}
			entry = audit.Entry{Action: "ceremony.reinstate"}
		default:
			return apperr.InvalidField("status", "ceremony.error.status", string(to))
		}
		if _, err := tx.ExecContext(ctx, "UPDATE ceremonies SET status = ?, updated_at = ? WHERE id = ?", string(to), db.Millis(s.Now()), id); err != nil {
			return apperr.Wrap(err, "set status")
		}
		entry.ObjectType, entry.ObjectID, entry.UnitPath, entry.Detail = "ceremony", strconv.FormatInt(id, 10), c.scopePath(), string(c.Status)+" → "+string(to)
		return audit.Record(ctx, tx, entry)
	})
	if err != nil {
		return Ceremony{}, err
	}
	return s.Find(ctx, id)
}

// Leader is a user designated to press the launch button.
type Leader struct {
	ID          int64  `json:"id"`
	Username    string `json:"username"`
	DisplayName string `json:"display_name"`
}

// Leaders lists the ceremony's designated leaders with their names, for its province's
// administrators.
func (s *Service) Leaders(ctx context.Context, id int64) ([]Leader, error) {
	if _, err := s.findManaged(ctx, s.DB.Reader(), id); err != nil {
		return nil, err
	}
	rows, err := s.DB.Reader().QueryContext(ctx, `SELECT u.id, u.username, u.display_name FROM ceremony_leaders l JOIN users u ON u.id = l.user_id
		WHERE l.ceremony_id = ? ORDER BY u.username`, id)
	if err != nil {
		return nil, apperr.Wrap(err, "list leaders")
	}
	defer rows.Close()
	var out []Leader
	for rows.Next() {
		var l Leader
		if err := rows.Scan(&l.ID, &l.Username, &l.DisplayName); err != nil {
			return nil, apperr.Wrap(err, "scan leader")
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// LeaderID finds, for naming a leader of ceremony id, an active account by username among the
// people of the ceremony's province: another province's accounts are not found.
func (s *Service) LeaderID(ctx context.Context, id int64, username string) (int64, error) {
	c, err := s.findManaged(ctx, s.DB.Reader(), id)
	if err != nil {
		return 0, err
	}
	var uid int64
	err = s.DB.Reader().QueryRowContext(ctx, "SELECT id FROM users WHERE username = ? AND disabled = 0", strings.ToLower(strings.TrimSpace(username))).Scan(&uid)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, apperr.InvalidField("username", "ceremony.error.leader_username", strings.TrimSpace(username))
	}
	if err != nil {
		return 0, apperr.Wrap(err, "find leader")
	}
	if ok, err := leaderInProvince(ctx, s.DB.Reader(), c, uid); err != nil {
		return 0, err
	} else if !ok {
		return 0, apperr.InvalidField("username", "ceremony.error.leader_username", strings.TrimSpace(username))
	}
	return uid, nil
}

// ChangeLeader adds (add true) or removes one designated leader in one transaction, so that two
// administrators editing the list at once do not lose each other's change.
func (s *Service) ChangeLeader(ctx context.Context, id, userID int64, add bool) (Ceremony, error) {
	err := s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		c, err := s.findToChange(ctx, tx, id)
		if err != nil {
			return err
		}
		if c.Launched() {
			return apperr.New(apperr.Conflict, "ceremony.error.launched_locked")
		}
		action := "ceremony.leader_remove"
		if add {
			action = "ceremony.leader_add"
			if len(c.LeaderIDs) >= 50 {
				return apperr.InvalidField("username", "ceremony.error.leaders_count", 50)
			}
			if ok, err := leaderInProvince(ctx, tx, c, userID); err != nil {
				return err
			} else if !ok {
				return apperr.InvalidField("username", "ceremony.error.leader_unknown", userID)
			}
			for _, l := range c.LeaderIDs {
				if l == userID {
					return nil
				}
			}
			if _, err := tx.ExecContext(ctx, "INSERT INTO ceremony_leaders (ceremony_id, user_id) VALUES (?, ?)", id, userID); err != nil {
				return apperr.Wrap(err, "insert leader")
			}
		} else if _, err := tx.ExecContext(ctx, "DELETE FROM ceremony_leaders WHERE ceremony_id = ? AND user_id = ?", id, userID); err != nil {
			return apperr.Wrap(err, "delete leader")
		}
		return audit.Record(ctx, tx, audit.Entry{Action: action, ObjectType: "ceremony", ObjectID: strconv.FormatInt(id, 10), UnitPath: c.scopePath(), Detail: strconv.FormatInt(userID, 10)})
	})
	if err != nil {
		return Ceremony{}, err
	}
	return s.Find(ctx, id)
}
