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
// RemindBefore. Each reminder carries a dedupe key (period, unit, user), so running it again —
// hourly, or by hand — queues nothing twice. Only the province (or the system) may run it.
func (s *Service) SendReminders(ctx context.Context) (RemindResult, error) {
	if err := requireProvince(authz.ActorFrom(ctx)); err != nil {
		return RemindResult{}, err
	}
	return s.remind(ctx, 0)
}

// RemindPeriod is SendReminders for one period only, as the province asks from its page; an
// unknown period is not found.
func (s *Service) RemindPeriod(ctx context.Context, periodID int64) (RemindResult, error) {
	if err := requireProvince(authz.ActorFrom(ctx)); err != nil {
		return RemindResult{}, err
	}
	if _, err := s.FindPeriod(ctx, periodID); err != nil {
		return RemindResult{}, err
	}
	return s.remind(ctx, periodID)
}

// remind reminds the units of periodID, or of every period when it is 0.
func (s *Service) remind(ctx context.Context, periodID int64) (RemindResult, error) {
	var res RemindResult
	if s.Notify == nil {
		return res, apperr.New(apperr.Conflict, "reports.error.no_outbox")
	}
	now := s.Now()
	type target struct {
		periodID        int64
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
	rows, err := s.DB.Reader().QueryContext(ctx, `SELECT p.id, p.title, p.due_at, a.unit_code, a.unit_path, un.name, us.id, us.email
		FROM report_periods p
		JOIN report_assignments a ON a.period_id = p.id
		JOIN units un ON un.code = a.unit_code
		JOIN role_grants g ON g.unit_code = a.unit_code AND g.role = 'unit_admin'
		JOIN users us ON us.id = g.user_id AND us.disabled = 0
		LEFT JOIN reports r ON r.period_id = p.id AND r.unit_code = a.unit_code
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
		if err := rows.Scan(&t.periodID, &t.title, &due, &t.unitCode, &t.unitPath, &t.unitName, &t.userID, &t.email); err != nil {
			rows.Close()
			return res, apperr.Wrap(err, "reminder targets")
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
	err = s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		for _, t := range targets {
			link := ""
			if s.BaseURL != "" {
				link = fmt.Sprintf("%s/reports/periods/%d", s.BaseURL, t.periodID)
			}
			due := t.due.In(VietnamTime).Format("02/01/2006")
			var seen int
			if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM report_reminders WHERE period_id = ? AND unit_code = ? AND user_id = ?", t.periodID, t.unitCode, t.userID).Scan(&seen); err != nil {
				return apperr.Wrap(err, "reminder")
			}
			if seen > 0 {
				continue
			}
			msgID, err := s.Notify.Enqueue(ctx, tx, notify.Message{
				Kind: notify.ReportReminder, Channel: notify.Email, Recipient: t.email, UserID: t.userID,
				Subject: fmt.Sprintf("Nhắc hạn nộp: %s (hạn %s)", t.title, due),
				Body: fmt.Sprintf("Kính gửi UBND %s,\n\n%s phải gửi về UBND tỉnh (qua Sở Thông tin và Truyền thông) chậm nhất ngày %s. Đơn vị chưa gửi báo cáo trên Lan Tỏa; các số liệu được tự động tổng hợp khi gửi.\n\nLan Tỏa — Phong trào chuyển đổi số tỉnh Quảng Ngãi",
					t.unitName, t.title, due),
				Link:      link,
				DedupeKey: fmt.Sprintf("report_reminder:%d:%s:%d", t.periodID, t.unitCode, t.userID),
			})
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, "INSERT INTO report_reminders (period_id, unit_code, user_id, message_id, queued_at) VALUES (?, ?, ?, ?, ?)",
				t.periodID, t.unitCode, t.userID, msgID, db.Millis(now)); err != nil {
				return apperr.Wrap(err, "reminder")
			}
			res.Queued++
		}
		if res.Queued == 0 {
			return nil
		}
		object := ""
		if periodID != 0 {
			object = fmt.Sprint(periodID)
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "report.remind", ObjectType: "report_period", ObjectID: object, UnitPath: s.provincePath(), Detail: fmt.Sprintf("%d reminders", res.Queued)})
	})
	return res, err
}
