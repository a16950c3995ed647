package notify

import (
	"context"
	"database/sql"
	"strconv"
	"strings"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/db"
)

// EnqueueMany queues msgs inside tx as Enqueue does each one — validated, suppressed for a
// recipient who opted out, not queued again when its DedupeKey is already in the outbox — but in
// multi-row inserts, with the opt-outs read once per kind and channel and one audit entry for the
// batch. It is for messages to many people at once (an exam schedule to every learner of a
// course). It returns how many messages were queued (pending or suppressed); those skipped by
// their DedupeKey are not counted.
func (s *Service) EnqueueMany(ctx context.Context, tx *db.Tx, msgs []Message) (int, error) {
	if len(msgs) == 0 {
		return 0, nil
	}
	type kc struct {
		kind    Kind
		channel Channel
	}
	groups := map[kc]bool{}
	for i := range msgs {
		m := &msgs[i]
		m.Recipient = strings.TrimSpace(m.Recipient)
		if m.Channel == Email {
			m.Recipient = strings.ToLower(m.Recipient)
		}
		m.Subject = strings.TrimSpace(m.Subject)
		if err := m.Validate(); err != nil {
			return 0, err
		}
		if !m.Kind.Mandatory() {
			groups[kc{m.Kind, m.Channel}] = true
		}
	}
	// Opt-outs by address (an unsubscribe link) and by preference (a user), for each kind and
	// channel in the batch: few rows, read once rather than once per message.
	offAddr := map[kc]map[string]bool{}
	offUser := map[kc]map[int64]bool{}
	for g := range groups {
		offAddr[g], offUser[g] = map[string]bool{}, map[int64]bool{}
		if err := readSet(ctx, tx, `SELECT recipient FROM notify_optouts WHERE channel = ? AND (kind = ? OR kind = '')`,
			[]any{string(g.channel), string(g.kind)}, func(rows *sql.Rows) error {
				var r string
				if err := rows.Scan(&r); err != nil {
					return err
				}
				offAddr[g][r] = true
				return nil
			}); err != nil {
			return 0, err
		}
		if err := readSet(ctx, tx, `SELECT user_id FROM notify_prefs WHERE kind = ? AND channel = ? AND enabled = 0`,
			[]any{string(g.kind), string(g.channel)}, func(rows *sql.Rows) error {
				var id int64
				if err := rows.Scan(&id); err != nil {
					return err
				}
				offUser[g][id] = true
				return nil
			}); err != nil {
			return 0, err
		}
	}
	now := s.Now()
	cols := []string{"kind", "channel", "recipient", "user_id", "subject", "body", "link", "dedupe_key", "unsubscribe_token", "status",
		"attempts", "next_attempt_at", "created_at", "unit_path", "template_data"}
	rows := make([][]any, 0, len(msgs))
	for _, m := range msgs {
		status := Pending
		if g := (kc{m.Kind, m.Channel}); !m.Kind.Mandatory() && (offAddr[g][m.Recipient] || (m.UserID != 0 && offUser[g][m.UserID])) {
			status = Suppressed
		}
		next := now
		if m.NotBefore.After(now) {
			next = m.NotBefore
		}
		token, err := newToken()
		if err != nil {
			return 0, err
		}
		data, err := encodeTemplateData(m.TemplateData)
		if err != nil {
			return 0, err
		}
		rows = append(rows, []any{string(m.Kind), string(m.Channel), m.Recipient, db.NullInt(m.UserID), m.Subject, m.Body, m.Link,
			db.NullString(m.DedupeKey), token, string(status), 0, db.Millis(next), db.Millis(now), m.UnitPath, data})
	}
	queued, pending := 0, 0
	err := tx.InsertRows(ctx, "notify_messages", cols, rows, "ON CONFLICT (dedupe_key) DO NOTHING RETURNING status", func(r *sql.Rows) error {
		var st Status
		if err := r.Scan(&st); err != nil {
			return err
		}
		queued++
		if st == Pending {
			pending++
		}
		return nil
	})
	if err != nil {
		return 0, apperr.Wrap(err, "queue messages")
	}
	if queued == 0 {
		return 0, nil
	}
	if err := audit.Record(ctx, tx, audit.Entry{Action: "notify.enqueue", ObjectType: "notify_message",
		Detail: string(msgs[0].Kind) + " " + strconv.Itoa(queued) + " messages, " + strconv.Itoa(pending) + " pending"}); err != nil {
		return 0, err
	}
	if pending > 0 && s.wake != nil {
		tx.AfterCommit(s.wake)
	}
	return queued, nil
}

func readSet(ctx context.Context, tx *db.Tx, q string, args []any, scan func(*sql.Rows) error) error {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return apperr.Wrap(err, "read opt-outs")
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return apperr.Wrap(err, "read opt-outs")
		}
	}
	return apperr.Wrap(rows.Err(), "read opt-outs")
}
