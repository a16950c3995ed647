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
	Position  int
	Title     string
	PlannedAt time.Time
}

// The kinds of StepOp.
const (
	StepAdd    = "add"
	StepUpdate = "update"
	StepUp     = "up"
	StepDown   = "down"
	StepDelete = "delete"
)

// programmeOpen refuses changes to the programme (and to who presses the button) once the
// ceremony has launched, and from the ceremony's day on (Vietnam time) or the opening of the launch
// window, whichever comes first.
func (s *Service) programmeOpen(c Ceremony) error {
	if c.Launched() {
		return apperr.New(apperr.Conflict, "ceremony.error.launched_locked")
	}
	from, _ := c.Window()
	y, m, d := c.StartsAt.In(VietnamTime).Date()
	if day := time.Date(y, m, d, 0, 0, 0, 0, VietnamTime); !s.Now().Before(day) || s.Now().After(from) {
		return apperr.New(apperr.Conflict, "ceremony.error.steps_locked")
	}
	return nil
}

// EditStep applies one edit to the programme in one transaction: the steps are read, changed,
// checked as a whole and written back, so that two administrators editing at once cannot leave a
// gap or a duplicate position. It is refused once the ceremony has launched or its day has come.
func (s *Service) EditStep(ctx context.Context, id int64, op StepOp) (Ceremony, error) {
	op.Title = strings.Join(strings.Fields(op.Title), " ")
	err := s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		c, err := s.findToChange(ctx, tx, id)
		if err != nil {
			return err
		}
		if !op.PlannedAt.IsZero() && (op.PlannedAt.Year() < 2000 || op.PlannedAt.Year() > 2100) {
			return apperr.InvalidField("planned_at", "ceremony.error.starts_at")
		}
		if err := s.programmeOpen(c); err != nil {
			return err
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
			steps = append(steps, Step{Title: op.Title, PlannedAt: op.PlannedAt})
			detail = op.Kind + " " + op.Title
		case StepUpdate:
			steps[i].Title, steps[i].PlannedAt = op.Title, op.PlannedAt
			detail += " " + op.Title
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
		if op.Kind == StepAdd || op.Kind == StepUpdate {
			if op.Title == "" {
				return apperr.InvalidField("title", "ceremony.error.step_title")
			}
		}
		if err := validSteps(steps); err != nil {
			if ae := apperr.As(err); ae.Field == "steps" {
				return apperr.InvalidField("title", ae.Key, ae.Args...)
			}
			return err
		}
		if err := writeSteps(ctx, tx, id, steps); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "ceremony.steps", ObjectType: "ceremony", ObjectID: strconv.FormatInt(id, 10), UnitPath: c.provincePath(), Detail: detail})
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
	if _, err := s.findToChange(ctx, s.DB.Reader(), id); err != nil {
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
	c, err := s.findToChange(ctx, s.DB.Reader(), id)
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
		return audit.Record(ctx, tx, audit.Entry{Action: action, ObjectType: "ceremony", ObjectID: strconv.FormatInt(id, 10), UnitPath: c.provincePath(), Detail: strconv.FormatInt(userID, 10)})
	})
	if err != nil {
		return Ceremony{}, err
	}
	return s.Find(ctx, id)
}
