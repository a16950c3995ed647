package notify

import (
	"context"
	"database/sql"
	"errors"
	"strconv"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
)

// Pref is whether a user receives one kind of message on one channel. Without a stored row every
// kind is on.
type Pref struct {
	Kind    Kind    `json:"kind"`
	Channel Channel `json:"channel"`
	Enabled bool    `json:"enabled"`
}

// optedOut tells whether m's recipient turned m's kind off, by preference (user) or by an
// unsubscribe link (address).
func optedOut(ctx context.Context, q db.Querier, m Message) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM notify_optouts WHERE channel = ? AND recipient = ? AND (kind = ? OR kind = '')`,
		string(m.Channel), m.Recipient, string(m.Kind)).Scan(&n)
	if err != nil {
		return false, apperr.Wrap(err, "read opt-outs")
	}
	if n > 0 {
		return true, nil
	}
	if m.UserID == 0 {
		return false, nil
	}
	var enabled int
	err = q.QueryRowContext(ctx, "SELECT enabled FROM notify_prefs WHERE user_id = ? AND kind = ? AND channel = ?",
		m.UserID, string(m.Kind), string(m.Channel)).Scan(&enabled)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, apperr.Wrap(err, "read preference")
	}
	return enabled == 0, nil
}

// Prefs returns the signed-in user's preferences for every optional kind and channel.
func (s *Service) Prefs(ctx context.Context) ([]Pref, error) {
	actor := authz.ActorFrom(ctx)
	if actor == nil || actor.UserID == 0 {
		return nil, apperr.New(apperr.Unauthenticated, "error.login_required")
	}
	stored := map[[2]string]bool{}
	rows, err := s.DB.Reader().QueryContext(ctx, "SELECT kind, channel, enabled FROM notify_prefs WHERE user_id = ?", actor.UserID)
	if err != nil {
		return nil, apperr.Wrap(err, "read preferences")
	}
	defer rows.Close()
	for rows.Next() {
		var k, c string
		var en int
		if err := rows.Scan(&k, &c, &en); err != nil {
			return nil, apperr.Wrap(err, "scan preference")
		}
		stored[[2]string{k, c}] = en == 1
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []Pref
	for _, k := range Kinds {
		if k.Mandatory() {
			continue
		}
		for _, c := range Channels {
			en, ok := stored[[2]string{string(k), string(c)}]
			out = append(out, Pref{Kind: k, Channel: c, Enabled: !ok || en})
		}
	}
	return out, nil
}

// SetPrefs stores the signed-in user's preferences; kinds and channels not listed keep theirs.
func (s *Service) SetPrefs(ctx context.Context, prefs []Pref) error {
	actor := authz.ActorFrom(ctx)
	if actor == nil || actor.UserID == 0 {
		return apperr.New(apperr.Unauthenticated, "error.login_required")
	}
	for _, p := range prefs {
		if !p.Kind.Valid() || p.Kind.Mandatory() {
			return apperr.InvalidField("kind", "notify.error.kind")
		}
		if !p.Channel.Valid() {
			return apperr.InvalidField("channel", "notify.error.channel")
		}
	}
	now := db.Millis(s.Now())
	return s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		for _, p := range prefs {
			en := 0
			if p.Enabled {
				en = 1
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO notify_prefs (user_id, kind, channel, enabled, updated_at) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (user_id, kind, channel) DO UPDATE SET enabled = excluded.enabled, updated_at = excluded.updated_at`,
				actor.UserID, string(p.Kind), string(p.Channel), en, now); err != nil {
				return apperr.Wrap(err, "store preference")
			}
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "notify.prefs", ObjectType: "user", ObjectID: strconv.FormatInt(actor.UserID, 10)})
	})
}

// Unsubscription is what an unsubscribe link points at.
type Unsubscription struct {
	Kind      Kind
	Channel   Channel
	Recipient string
}

// ByToken resolves an unsubscribe token from a message's link. An unknown token is not found.
func (s *Service) ByToken(ctx context.Context, token string) (Unsubscription, error) {
	var u Unsubscription
	if token == "" || len(token) > 64 {
		return u, apperr.New(apperr.NotFound, "notify.error.token")
	}
	err := s.DB.Reader().QueryRowContext(ctx, "SELECT kind, channel, recipient FROM notify_messages WHERE unsubscribe_token = ?", token).
		Scan(&u.Kind, &u.Channel, &u.Recipient)
	if errors.Is(err, sql.ErrNoRows) {
		return u, apperr.New(apperr.NotFound, "notify.error.token")
	}
	return u, apperr.Wrap(err, "find token")
}

// Unsubscribe turns off, for the recipient of the message that carried token, every later message
// of the same kind on the same channel; all=true turns off every optional kind. Repeating it is
// harmless. It needs no login: the token is the proof of receipt.
func (s *Service) Unsubscribe(ctx context.Context, token string, all bool) (Unsubscription, error) {
	u, err := s.ByToken(ctx, token)
	if err != nil {
		return u, err
	}
	kind := string(u.Kind)
	if all {
		kind = ""
	}
	err = s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO notify_optouts (channel, recipient, kind, created_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (channel, recipient, kind) DO NOTHING`, string(u.Channel), u.Recipient, kind, db.Millis(s.Now())); err != nil {
			return apperr.Wrap(err, "store opt-out")
		}
		// Messages of that kind still waiting are not sent either.
		q := "UPDATE notify_messages SET status = ? WHERE status = ? AND channel = ? AND recipient = ? AND kind <> ?"
		args := []any{string(Suppressed), string(Pending), string(u.Channel), u.Recipient, string(AccountInvitation)}
		if !all {
			q += " AND kind = ?"
			args = append(args, string(u.Kind))
		}
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return apperr.Wrap(err, "suppress pending")
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "notify.unsubscribe", ObjectType: "recipient", Detail: string(u.Channel) + " " + kind})
	})
	return u, err
}
