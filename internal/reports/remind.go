package reports

import (
	"context"
	"fmt"
	"time"

	"github.com/lantoa/lantoa/internal/notify"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/units"
)

// RemindBefore is how long before a due date the reminders go out.
const RemindBefore = 3 * 24 * time.Hour

// RemindResult tells how many reminders were queued.
type RemindResult struct {
	Periods int `json:"periods"`
	Queued  int `json:"queued"`
	// WithoutEmail counts the administrators of units still to report who have no e-mail
	// address, so could not be reminded: when Queued is 0 it is often the reason.
	WithoutEmail int `json:"without_email"`
}

// SendReminders queues, through the notification outbox, a reminder to every administrator with
// an e-mail address of each assigned unit that has not yet submitted, for every period due within
// RemindBefore that the actor reviews (every period for the command line). The administrators of
// a unit are its People's Committee's (unit_admin); of a province answering a national period,
// its province administrators. Each reminder carries a dedupe key (period, unit, user), so running
// it again — hourly, or by hand — queues nothing twice.
func (s *Service) SendReminders(ctx context.Context) (RemindResult, error) {
	if err := mayDefine(authz.ActorFrom(ctx)); err != nil {
		return RemindResult{}, err
	}
	return s.remind(ctx, 0)
}

// RemindPeriod is SendReminders for one period only, as its reviewer asks from its page; a
// period out of the actor's sight is not found.
func (s *Service) RemindPeriod(ctx context.Context, periodID int64) (RemindResult, error) {
	actor := authz.ActorFrom(ctx)
	if err := mayDefine(actor); err != nil {
		return RemindResult{}, err
	}
	p, err := s.FindPeriod(ctx, periodID)
	if err != nil {
		return RemindResult{}, err
	}
	if !MayReview(actor, p.Province) {
		return RemindResult{}, reviewError(actor, p.Province)
	}
	return s.remind(ctx, periodID)
}

// remind reminds the units of periodID, or of every period the actor reviews when it is 0.
func (s *Service) remind(ctx context.Context, periodID int64) (RemindResult, error) {
	actor := authz.ActorFrom(ctx)
	var res RemindResult
	if s.notify == nil {
		return res, apperr.New(apperr.Conflict, "reports.error.no_outbox")
	}
	now := s.Now()
	type target struct {
		periodID        int64
		province        string
		title, unitName string
		unitPath        string
		due             time.Time
		userID          int64
		email, unitCode string
	}
	only, args := "", []any{db.Millis(now), db.Millis(now.Add(RemindBefore))}
	if periodID != 0 {
		only, args = " AND p.id = ?", append(args, periodID)
	}
	rows, err := s.DB.Reader().QueryContext(ctx, `SELECT p.id, p.province_code, p.title, p.due_at, a.unit_code, a.unit_path, un.name, us.id, us.email
		FROM report_periods p
		JOIN report_assignments a ON a.period_id = p.id
		JOIN units un ON un.path = a.unit_path
		JOIN role_grants g ON g.unit_path = a.unit_path AND (g.role = 'unit_admin' OR (g.role = 'province_admin' AND un.level = 'province'))
		JOIN users us ON us.id = g.user_id AND us.disabled = 0
		LEFT JOIN reports r ON r.period_id = p.id AND r.unit_path = a.unit_path
		WHERE p.due_at >= ? AND p.due_at <= ? AND (r.id IS NULL OR r.state IN ('draft', 'returned'))`+only+`
		ORDER BY p.id, a.unit_code, us.id`, args...)
	if err != nil {
		return res, apperr.Wrap(err, "reminder targets")
	}
	var targets []target
	periods := map[int64]bool{}
	noEmail := map[int64]bool{}
	for rows.Next() {
		var t target
		var due int64
		if err := rows.Scan(&t.periodID, &t.province, &t.title, &due, &t.unitCode, &t.unitPath, &t.unitName, &t.userID, &t.email); err != nil {
			rows.Close()
			return res, apperr.Wrap(err, "reminder targets")
		}
		if !MayReview(actor, t.province) {
			continue // another reviewer's period
		}
		if t.email == "" {
			noEmail[t.userID] = true
			continue
		}
		t.due = db.FromMillis(due)
		targets = append(targets, t)
		periods[t.periodID] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return res, apperr.Wrap(err, "reminder targets")
	}
	res.Periods, res.WithoutEmail = len(periods), len(noEmail)
	if len(targets) == 0 {
		return res, nil
	}
	// The province of each unit reminded, named from the unit tree.
	var codes []string
	for _, t := range targets {
		codes = append(codes, authz.ProvinceOfPath(t.unitPath))
	}
	provinces, err := s.Units.FindMany(ctx, codes)
	if err != nil {
		return res, err
	}
	err = s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		// One audit entry per period reminded, in its province's log (the root's for a national
		// period).
		queued := map[int64]int{}
		var order []target
		for _, t := range targets {
			link := ""
			if s.baseURL != "" {
				link = fmt.Sprintf("%s/reports/periods/%d", s.baseURL, t.periodID)
			}
			due := t.due.In(VietnamTime).Format("02/01/2006")
			var seen int
			if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM report_reminders WHERE period_id = ? AND unit_code = ? AND user_id = ?", t.periodID, t.unitCode, t.userID).Scan(&seen); err != nil {
				return apperr.Wrap(err, "reminder")
			}
			if seen > 0 {
				continue
			}
			msgID, err := s.notify.Enqueue(ctx, tx, notify.Message{
				Kind: notify.ReportReminder, Channel: notify.Email, Recipient: t.email, UserID: t.userID,
				Subject:   fmt.Sprintf("Nhắc hạn nộp: %s (hạn %s)", t.title, due),
				Body:      reminderBody(t.title, t.unitName, provinces[authz.ProvinceOfPath(t.unitPath)].Name, due, t.province == "", bodiesOn(t.due)),
				Link:      link,
				DedupeKey: fmt.Sprintf("report_reminder:%d:%s:%d", t.periodID, t.unitCode, t.userID),
				UnitPath:  t.unitPath,
			})
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, "INSERT INTO report_reminders (period_id, unit_code, user_id, message_id, queued_at) VALUES (?, ?, ?, ?, ?)",
				t.periodID, t.unitCode, t.userID, msgID, db.Millis(now)); err != nil {
				return apperr.Wrap(err, "reminder")
			}
			if queued[t.periodID] == 0 {
				order = append(order, t)
			}
			queued[t.periodID]++
			res.Queued++
		}
		for _, t := range order {
			if err := audit.Record(ctx, tx, audit.Entry{Action: "report.remind", ObjectType: "report_period", ObjectID: fmt.Sprint(t.periodID),
				UnitPath: authz.ProvincePath(t.province), Detail: fmt.Sprintf("%d reminders", queued[t.periodID])}); err != nil {
				return err
			}
		}
		return nil
	})
	return res, err
}

// reminderBody is the text of a reminder, naming the unit and its province from the unit tree:
// a district's or commune's People's Committee reports to its province's, a province answering a
// national period (through its Department) to the Ministry; b names the Department and the
// Ministry as they were on the due date (bodiesOn).
func reminderBody(title, unitName, provinceName, due string, national bool, b bodies) string {
	if national {
		return fmt.Sprintf("Kính gửi %s %s,\n\n%s phải gửi về %s chậm nhất ngày %s. %s chưa gửi báo cáo trên Lan Tỏa; các số liệu được tự động tổng hợp khi gửi.\n\nLan Tỏa — Phong trào chuyển đổi số",
			b.Department, units.InSentence(provinceName), title, b.Ministry, due, unitName)
	}
	return fmt.Sprintf("Kính gửi UBND %s,\n\n%s phải gửi về UBND %s (qua %s) chậm nhất ngày %s. Đơn vị chưa gửi báo cáo trên Lan Tỏa; các số liệu được tự động tổng hợp khi gửi.\n\nLan Tỏa — Phong trào chuyển đổi số %s",
		units.InSentence(unitName), title, units.InSentence(provinceName), b.Department, due, units.InSentence(provinceName))
}
