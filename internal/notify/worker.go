package notify

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/db"
)

// Sender delivers messages of one channel. Send returns nil once the channel accepted the message;
// an error wrapped with Permanent is not retried.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// permanentError marks a failure that retrying cannot fix (a refused address).
type permanentError struct{ err error }

func (p permanentError) Error() string { return p.err.Error() }
func (p permanentError) Unwrap() error { return p.err }

// Permanent marks err as not worth retrying.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

// IsPermanent tells whether err was marked with Permanent.
func IsPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}

// Backoff is the wait before each retry: the n-th retry waits Backoff[n-1] (the last value
// repeats). After MaxAttempts attempts a message fails for good.
var Backoff = []time.Duration{time.Minute, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 6 * time.Hour}

// MaxAttempts is how many times a message is tried before it is given up.
const MaxAttempts = 6

// claimSQL is the one place where the engines differ for the outbox. On PostgreSQL several
// instances run workers over the same table: the inner SELECT locks the chosen row and skips rows
// other workers hold, so two workers never claim the same message. SQLite has a single writer
// connection (one process owns the file), so the plain sub-select is already exclusive.
var claimSQL = map[db.Engine]string{
	db.Postgres: `UPDATE notify_messages SET status = 'sending', attempts = attempts + 1, claimed_until = ?
		WHERE id = (SELECT id FROM notify_messages
			WHERE (status = 'pending' AND next_attempt_at <= ?) OR (status = 'sending' AND claimed_until < ?)
			ORDER BY next_attempt_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
		RETURNING ` + messageColumns,
	db.SQLite: `UPDATE notify_messages SET status = 'sending', attempts = attempts + 1, claimed_until = ?
		WHERE id = (SELECT id FROM notify_messages
			WHERE (status = 'pending' AND next_attempt_at <= ?) OR (status = 'sending' AND claimed_until < ?)
			ORDER BY next_attempt_at, id LIMIT 1)
		RETURNING ` + messageColumns,
}

// Worker delivers queued messages. Several workers (in several instances over one PostgreSQL
// database) may run at once: each message is claimed by one of them for Lease, and a message whose
// worker died is claimed again once the lease runs out.
type Worker struct {
	Service *Service
	Senders map[Channel]Sender
	Logger  *slog.Logger
	// Name identifies this worker in the attempt records (host and process id by default).
	Name string
	// Poll is how often the worker looks for due messages when nobody wakes it.
	Poll time.Duration
	// Lease is how long a claimed message belongs to this worker; it must exceed a send's timeout.
	Lease time.Duration
	// SendTimeout bounds one delivery attempt.
	SendTimeout time.Duration

	wakeCh chan struct{}
}

// NewWorker returns a worker for s with the given senders and wires s to wake it after commits.
func NewWorker(s *Service, senders map[Channel]Sender, log *slog.Logger) *Worker {
	if log == nil {
		log = slog.Default()
	}
	host, _ := os.Hostname()
	w := &Worker{Service: s, Senders: senders, Logger: log, Name: host + ":" + strconv.Itoa(os.Getpid()),
		Poll: 5 * time.Second, Lease: 2 * time.Minute, SendTimeout: 30 * time.Second, wakeCh: make(chan struct{}, 1)}
	s.wake = w.Wake
	return w
}

// Wake asks the worker to look for due messages now.
func (w *Worker) Wake() {
	select {
	case w.wakeCh <- struct{}{}:
	default:
	}
}

// Run delivers messages until ctx ends. A send under way when ctx ends is allowed to finish within
// its timeout, so that its outcome is recorded.
func (w *Worker) Run(ctx context.Context) {
	t := time.NewTicker(w.Poll)
	defer t.Stop()
	for {
		if _, err := w.RunOnce(ctx); err != nil && ctx.Err() == nil {
			w.Logger.Error("outbox", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-w.wakeCh:
		}
	}
}

// RunOnce delivers every message due now and returns how many attempts it made.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	n := 0
	for ctx.Err() == nil {
		m, ok, err := w.claim(ctx)
		if err != nil {
			return n, err
		}
		if !ok {
			return n, nil
		}
		n++
		if err := w.deliver(context.WithoutCancel(ctx), m); err != nil {
			return n, err
		}
	}
	return n, nil
}

// claimed is a message this worker holds, with its attempt record.
type claimed struct {
	Message
	attemptID int64
	// lost: an earlier attempt was started and never recorded (its worker stopped between the
	// send and the record), so nobody knows whether that one went out.
	lost bool
}

// claim takes the next due message and records the start of its attempt in the same transaction,
// before anything is sent: an attempt without a finish is the trace of a send whose outcome was
// lost, which the next claim of the message sees.
func (w *Worker) claim(ctx context.Context) (claimed, bool, error) {
	s := w.Service
	var c claimed
	found := false
	err := s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		now := s.Now()
		var err error
		c.Message, err = scanMessage(tx.QueryRowContext(ctx, claimSQL[tx.Engine()], db.Millis(now.Add(w.Lease)), db.Millis(now), db.Millis(now)))
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return apperr.Wrap(err, "claim message")
		}
		res, err := tx.ExecContext(ctx, "UPDATE notify_attempts SET finished_at = ?, error = ? WHERE message_id = ? AND finished_at = 0",
			db.Millis(now), "worker stopped during the send: outcome unknown", c.ID)
		if err != nil {
			return apperr.Wrap(err, "close lost attempt")
		}
		n, _ := res.RowsAffected()
		c.lost = n > 0
		c.attemptID, err = tx.InsertID(ctx, `INSERT INTO notify_attempts (message_id, attempt, worker, started_at, finished_at, ok, error)
			VALUES (?, ?, ?, ?, 0, 0, '') RETURNING id`, c.ID, c.Attempts, w.Name, db.Millis(now))
		if err != nil {
			return apperr.Wrap(err, "record attempt")
		}
		found = true
		return nil
	})
	return c, found, err
}

// idempotent tells whether s's provider recognises a repeated send of one outbox row.
func idempotent(s Sender) bool {
	i, ok := s.(IdempotentSender)
	return ok && i.Idempotent()
}

// outcomeUnknown is the end of a message whose send may have gone out: it is not sent again, so
// that nobody gets it twice; an administrator who checks with the recipient may press Gửi lại.
func outcomeUnknown(err error) error {
	return Permanent(WithReason(ReasonOutcomeUnknown, fmt.Errorf("outcome unknown, not repeated so as not to send twice: %w", err)))
}

func (w *Worker) deliver(ctx context.Context, c claimed) error {
	s := w.Service
	m := c.Message
	var sendErr error
	ref := ""
	sender := w.Senders[m.Channel]
	switch {
	case sender == nil:
		sendErr = Permanent(WithReason(ReasonNoSender, fmt.Errorf("no sender for channel %s", m.Channel)))
	case c.lost && !idempotent(sender):
		sendErr = outcomeUnknown(errors.New("the worker of an earlier attempt stopped during the send"))
	default:
		sctx, cancel := context.WithTimeout(ctx, w.SendTimeout)
		ref, sendErr = safeSend(sctx, sender, m)
		cancel()
		if IsUncertain(sendErr) && !idempotent(sender) {
			sendErr = outcomeUnknown(sendErr)
		}
	}
	finished := s.Now()
	errText := ""
	if sendErr != nil {
		errText = sendErr.Error()
		if len(errText) > 1000 {
			errText = errText[:1000]
		}
	}
	reason := ReasonOf(sendErr)
	return s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		ok := 0
		if sendErr == nil {
			ok = 1
		}
		if _, err := tx.ExecContext(ctx, "UPDATE notify_attempts SET finished_at = ?, ok = ?, error = ? WHERE id = ?",
			db.Millis(finished), ok, errText, c.attemptID); err != nil {
			return apperr.Wrap(err, "record attempt")
		}
		var err error
		switch {
		case sendErr == nil:
			_, err = tx.ExecContext(ctx, "UPDATE notify_messages SET status = ?, sent_at = ?, last_error = '', last_reason = '', provider_ref = ?, claimed_until = 0 WHERE id = ?",
				string(Sent), db.Millis(finished), ref, m.ID)
		case IsPermanent(sendErr) || m.Attempts >= MaxAttempts:
			w.Logger.Warn("outbox: message failed for good", "id", m.ID, "attempts", m.Attempts, "reason", reason, "err", sendErr)
			_, err = tx.ExecContext(ctx, "UPDATE notify_messages SET status = ?, last_error = ?, last_reason = ?, claimed_until = 0 WHERE id = ?",
				string(Failed), errText, reason, m.ID)
		default:
			wait := max(Backoff[min(m.Attempts, len(Backoff))-1], RetryAfterOf(sendErr))
			_, err = tx.ExecContext(ctx, "UPDATE notify_messages SET status = ?, last_error = ?, last_reason = ?, next_attempt_at = ?, claimed_until = 0 WHERE id = ?",
				string(Pending), errText, reason, db.Millis(finished.Add(wait)), m.ID)
		}
		return apperr.Wrap(err, "update message")
	})
}

// safeSend turns a sender's panic into an error so that one bad message cannot stop the worker. A
// panic's outcome is unknown: it may have come after the provider accepted the message.
func safeSend(ctx context.Context, s Sender, m Message) (ref string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = Uncertain(fmt.Errorf("sender panic: %v", r))
		}
	}()
	if rs, ok := s.(RefSender); ok {
		return rs.SendRef(ctx, m)
	}
	return "", s.Send(ctx, m)
}

// Retry puts a failed message back in the queue for one more immediate attempt (an administrator
// fixed the address or the SMTP server); the attempt count goes on, so the record stays whole.
func (s *Service) Retry(ctx context.Context, id int64) error {
	return s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		v := visible(ctx)
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM notify_messages WHERE id = ? AND "+v.SQL, append([]any{id}, v.Args...)...).Scan(&n); err != nil {
			return apperr.Wrap(err, "find message")
		}
		if n == 0 {
			return apperr.Hidden("notify.error.not_found")
		}
		res, err := tx.ExecContext(ctx, "UPDATE notify_messages SET status = ?, next_attempt_at = ? WHERE id = ? AND status = ?",
			string(Pending), db.Millis(s.Now()), id, string(Failed))
		if err != nil {
			return apperr.Wrap(err, "retry message")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.New(apperr.Conflict, "notify.error.not_failed")
		}
		if err := audit.Record(ctx, tx, audit.Entry{Action: "notify.retry", ObjectType: "notify_message", ObjectID: strconv.FormatInt(id, 10)}); err != nil {
			return err
		}
		if s.wake != nil {
			tx.AfterCommit(s.wake)
		}
		return nil
	})
}
