// Package notify is Lan Tỏa's outbox: every message the system sends (report reminders, exam
// schedules, readiness chasers, account invitations) is a row of one table, written inside the
// transaction of the change that caused it, and delivered afterwards by a background worker with
// retries and a record of each attempt. Email goes through SMTP; SMS and Zalo OA go through the
// Sender interface, with a file sender for development. Recipients choose what they receive
// (preferences) and may unsubscribe from a kind of message with the link each message carries.
package notify

import (
	"context"
	"crypto/rand"
	"database/sql"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
)

//go:embed migrations
var migrations embed.FS

// Migrations is the outbox's schema; it follows the accounts' schema (messages refer to users).
var Migrations = db.MigrationSet{Module: "notify", FS: migrations}

// Channel is how a message travels.
type Channel string

// The channels Lan Tỏa sends through.
const (
	Email Channel = "email"
	SMS   Channel = "sms"
	Zalo  Channel = "zalo" // Zalo Official Account message
)

// Channels lists every channel.
var Channels = []Channel{Email, SMS, Zalo}

// Valid tells whether c is a known channel.
func (c Channel) Valid() bool { return c == Email || c == SMS || c == Zalo }

// Kind is what a message is about. Other modules use these names when they enqueue; a recipient's
// preferences and unsubscriptions are per kind.
type Kind string

// The kinds of message. Mandatory kinds (account invitations, password resets) cannot be turned
// off: they carry what a person needs to reach their account.
const (
	ReportReminder    Kind = "report_reminder"
	ExamSchedule      Kind = "exam_schedule"
	ReadinessChaser   Kind = "readiness_chaser"
	AccountInvitation Kind = "account_invitation"
	NewsDigest        Kind = "news_digest"
	General           Kind = "general"
	// CeremonyInvitation carries a ceremony's invitation to a delegate (ceremony/invitations.go).
	CeremonyInvitation Kind = "ceremony_invitation"
)

// Kinds lists every kind, in the order preferences show them.
var Kinds = []Kind{ReportReminder, ExamSchedule, ReadinessChaser, CeremonyInvitation, NewsDigest, General, AccountInvitation}

// Valid tells whether k is a known kind.
func (k Kind) Valid() bool {
	for _, x := range Kinds {
		if x == k {
			return true
		}
	}
	return false
}

// Mandatory tells whether recipients may not opt out of k.
func (k Kind) Mandatory() bool { return k == AccountInvitation }

// Status is where a message is in its life.
type Status string

// The statuses of a message.
const (
	Pending    Status = "pending"    // waiting for its next attempt
	Sending    Status = "sending"    // claimed by a worker until claimed_until
	Sent       Status = "sent"       // delivered to the channel
	Failed     Status = "failed"     // given up: permanent error or attempts exhausted
	Suppressed Status = "suppressed" // not sent: the recipient opted out
)

// Limits on a message's fields.
const (
	MaxSubjectLen   = 200
	MaxBodyLen      = 20000
	MaxRecipientLen = 200
)

// Message is one message to send.
type Message struct {
	ID        int64   `json:"id"`
	Kind      Kind    `json:"kind"`
	Channel   Channel `json:"channel"`
	Recipient string  `json:"recipient"` // email address, phone number or Zalo user id
	UserID    int64   `json:"user_id,omitempty"`
	Subject   string  `json:"subject,omitempty"`
	Body      string  `json:"body"`
	// Link is an absolute URL the message points to (the report form, the exam page).
	Link string `json:"link,omitempty"`
	// DedupeKey, when set, makes Enqueue idempotent: a second message with the same key is not
	// queued again ("report_reminder:2026-W48:unit:535").
	DedupeKey string `json:"-"`
	// NotBefore delays the first attempt.
	NotBefore time.Time `json:"-"`
	// UnitPath is the path of the unit the message is about ("/51/535/"): the chased point's, the
	// reminded unit's, the recipient's. The outbox of a province shows the messages under it.
	UnitPath string `json:"-"`
	// TemplateData, for a Zalo message to a phone number, is the parameters of the OA's
	// notification template (ZNS) for the message's kind ({"otp": "482913"}); without it the Zalo
	// sender fills the parameters subject, content and link from the message (see ZaloSender).
	// Never in JSON: it may carry a one-time code.
	TemplateData map[string]string `json:"-"`

	Status        Status    `json:"status"`
	Attempts      int       `json:"attempts"`
	NextAttemptAt time.Time `json:"next_attempt_at"`
	LastError     string    `json:"last_error,omitempty"`
	// LastReason is the provider's reason for the last failure as a code the outbox shows in
	// Vietnamese ("sms.invalid_number", "zalo.blocked"; see Reason); empty when unknown.
	LastReason string `json:"last_reason,omitempty"`
	// ProviderRef is the provider's id of the sent message (eSMS's SMSID, Zalo's msg_id).
	ProviderRef      string    `json:"provider_ref,omitempty"`
	CreatedAt        time.Time `json:"created_at"`
	SentAt           time.Time `json:"sent_at,omitzero"`
	UnsubscribeToken string    `json:"-"`
}

// Validate checks the fields that need no database.
func (m Message) Validate() error {
	if !m.Kind.Valid() {
		return apperr.InvalidField("kind", "notify.error.kind")
	}
	if !m.Channel.Valid() {
		return apperr.InvalidField("channel", "notify.error.channel")
	}
	r := strings.TrimSpace(m.Recipient)
	if r == "" || len(r) > MaxRecipientLen || strings.ContainsAny(r, "\r\n<>,; ") {
		return apperr.InvalidField("recipient", "notify.error.recipient")
	}
	if m.Channel == Email && (strings.Count(r, "@") != 1 || strings.HasPrefix(r, "@") || strings.HasSuffix(r, "@")) {
		return apperr.InvalidField("recipient", "notify.error.recipient")
	}
	if m.Channel == Email && strings.TrimSpace(m.Subject) == "" {
		return apperr.InvalidField("subject", "notify.error.subject")
	}
	if utf8.RuneCountInString(m.Subject) > MaxSubjectLen || strings.ContainsAny(m.Subject, "\r\n") {
		return apperr.InvalidField("subject", "notify.error.subject")
	}
	if strings.TrimSpace(m.Body) == "" || len(m.Body) > MaxBodyLen || !utf8.ValidString(m.Body) {
		return apperr.InvalidField("body", "notify.error.body")
	}
	if m.Link != "" && !(strings.HasPrefix(m.Link, "https://") || strings.HasPrefix(m.Link, "http://")) {
		return apperr.InvalidField("link", "notify.error.link")
	}
	if len(m.TemplateData) > maxTemplateParams {
		return apperr.InvalidField("template_data", "notify.error.template_data")
	}
	for k, v := range m.TemplateData {
		if k == "" || len(k) > 64 || len(v) > 1000 || !utf8.ValidString(k) || !utf8.ValidString(v) {
			return apperr.InvalidField("template_data", "notify.error.template_data")
		}
	}
	return nil
}

// maxTemplateParams bounds a message's template parameters (Zalo's templates have a handful).
const maxTemplateParams = 20

// Service queues messages and manages preferences.
type Service struct {
	DB  *db.DB
	Now func() time.Time
	// wake, when set, nudges a worker in this process after a commit that queued a message.
	wake func()
}

// NewService returns a Service on d.
func NewService(d *db.DB) *Service { return &Service{DB: d, Now: time.Now} }

// Enqueue queues m inside tx, the caller's write transaction, so that the message exists if and
// only if the change that caused it commits. A recipient who opted out of the kind gets a
// suppressed row (kept for the record) instead of a pending one. With a DedupeKey already queued,
// Enqueue returns the existing message's id and queues nothing.
func (s *Service) Enqueue(ctx context.Context, tx *db.Tx, m Message) (int64, error) {
	m.Recipient = strings.TrimSpace(m.Recipient)
	if m.Channel == Email {
		m.Recipient = strings.ToLower(m.Recipient)
	}
	m.Subject = strings.TrimSpace(m.Subject)
	if err := m.Validate(); err != nil {
		return 0, err
	}
	if m.DedupeKey != "" {
		var id int64
		err := tx.QueryRowContext(ctx, "SELECT id FROM notify_messages WHERE dedupe_key = ?", m.DedupeKey).Scan(&id)
		if err == nil {
			return id, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return 0, apperr.Wrap(err, "find queued message")
		}
	}
	status := Pending
	if !m.Kind.Mandatory() {
		off, err := optedOut(ctx, tx, m)
		if err != nil {
			return 0, err
		}
		if off {
			status = Suppressed
		}
	}
	now := s.Now()
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
	id, err := tx.InsertID(ctx, `INSERT INTO notify_messages (kind, channel, recipient, user_id, subject, body, link, dedupe_key,
		unsubscribe_token, status, attempts, next_attempt_at, created_at, unit_path, template_data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?) RETURNING id`,
		string(m.Kind), string(m.Channel), m.Recipient, db.NullInt(m.UserID), m.Subject, m.Body, m.Link, db.NullString(m.DedupeKey),
		token, string(status), db.Millis(next), db.Millis(now), m.UnitPath, data)
	if err != nil {
		return 0, apperr.Wrap(err, "queue message")
	}
	if err := audit.Record(ctx, tx, audit.Entry{Action: "notify.enqueue", ObjectType: "notify_message", ObjectID: strconv.FormatInt(id, 10),
		Detail: string(m.Kind) + " " + string(m.Channel) + " " + string(status)}); err != nil {
		return 0, err
	}
	if status == Pending && s.wake != nil {
		tx.AfterCommit(s.wake)
	}
	return id, nil
}

// EnqueueNow queues m in a transaction of its own, for callers that have none.
func (s *Service) EnqueueNow(ctx context.Context, m Message) (int64, error) {
	var id int64
	err := s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		var err error
		id, err = s.Enqueue(ctx, tx, m)
		return err
	})
	return id, err
}

func newToken() (string, error) {
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		return "", apperr.Wrap(err, "random token")
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

const messageColumns = `id, kind, channel, recipient, COALESCE(user_id, 0), subject, body, link, unsubscribe_token, status, attempts,
	next_attempt_at, last_error, created_at, sent_at, unit_path, last_reason, provider_ref, template_data`

func scanMessage(row interface{ Scan(...any) error }) (Message, error) {
	var m Message
	var next, created, sent int64
	var data string
	err := row.Scan(&m.ID, &m.Kind, &m.Channel, &m.Recipient, &m.UserID, &m.Subject, &m.Body, &m.Link, &m.UnsubscribeToken, &m.Status,
		&m.Attempts, &next, &m.LastError, &created, &sent, &m.UnitPath, &m.LastReason, &m.ProviderRef, &data)
	m.NextAttemptAt, m.CreatedAt, m.SentAt = db.FromMillis(next), db.FromMillis(created), db.FromMillis(sent)
	if err == nil && data != "" {
		// Written by encodeTemplateData; a row that does not decode sends without parameters and
		// fails at the provider, visibly, rather than stopping the worker.
		_ = json.Unmarshal([]byte(data), &m.TemplateData)
	}
	return m, err
}

func encodeTemplateData(d map[string]string) (string, error) {
	if len(d) == 0 {
		return "", nil
	}
	b, err := json.Marshal(d)
	return string(b), apperr.Wrap(err, "encode template data")
}

// Find returns one message. Only the system and province administrators read the outbox; the
// caller checks that (the web layer serves the outbox to province administrators only).
func (s *Service) Find(ctx context.Context, id int64) (Message, error) {
	m, err := scanMessage(s.DB.Reader().QueryRowContext(ctx, "SELECT "+messageColumns+" FROM notify_messages WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return Message{}, apperr.New(apperr.NotFound, "notify.error.not_found")
	}
	return m, apperr.Wrap(err, "find message")
}

// Filter narrows a listing of the outbox.
type Filter struct {
	Status Status
	Kind   Kind
	Limit  int
}

// visible limits the outbox to the messages about units the actor in ctx administers (a province
// administrator: the province's; a national administrator: all); without an actor (the worker,
// metrics, the command line) every message.
func visible(ctx context.Context) authz.Cond {
	a := authz.ActorFrom(ctx)
	if a == nil {
		return authz.Cond{SQL: "1=1"}
	}
	return a.ScopeOf(authz.ProvinceAdmin, authz.UnitAdmin).Units("unit_path")
}

// List returns the newest messages matching f among those the actor in ctx may see.
func (s *Service) List(ctx context.Context, f Filter) ([]Message, error) {
	v := visible(ctx)
	q := "SELECT " + messageColumns + " FROM notify_messages WHERE " + v.SQL
	args := append([]any(nil), v.Args...)
	if f.Status != "" {
		q += " AND status = ?"
		args = append(args, string(f.Status))
	}
	if f.Kind != "" {
		q += " AND kind = ?"
		args = append(args, string(f.Kind))
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 200
	}
	q += " ORDER BY id DESC LIMIT ?"
	args = append(args, f.Limit)
	rows, err := s.DB.Reader().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, apperr.Wrap(err, "list messages")
	}
	defer rows.Close()
	var out []Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, apperr.Wrap(err, "scan message")
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// Attempt is the record of one delivery attempt.
type Attempt struct {
	MessageID  int64     `json:"message_id"`
	Attempt    int       `json:"attempt"`
	Worker     string    `json:"worker"`
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
	OK         bool      `json:"ok"`
	Error      string    `json:"error,omitempty"`
}

// Attempts returns the delivery attempts of a message, oldest first.
func (s *Service) Attempts(ctx context.Context, messageID int64) ([]Attempt, error) {
	rows, err := s.DB.Reader().QueryContext(ctx, `SELECT message_id, attempt, worker, started_at, finished_at, ok, error
		FROM notify_attempts WHERE message_id = ? ORDER BY attempt, id`, messageID)
	if err != nil {
		return nil, apperr.Wrap(err, "list attempts")
	}
	defer rows.Close()
	var out []Attempt
	for rows.Next() {
		var a Attempt
		var started, finished int64
		var ok int
		if err := rows.Scan(&a.MessageID, &a.Attempt, &a.Worker, &started, &finished, &ok, &a.Error); err != nil {
			return nil, apperr.Wrap(err, "scan attempt")
		}
		a.StartedAt, a.FinishedAt, a.OK = db.FromMillis(started), db.FromMillis(finished), ok == 1
		out = append(out, a)
	}
	return out, rows.Err()
}

// Counts returns how many messages are in each status, for the outbox page and metrics, among those
// the actor in ctx may see.
func (s *Service) Counts(ctx context.Context) (map[Status]int64, error) {
	v := visible(ctx)
	rows, err := s.DB.Reader().QueryContext(ctx, "SELECT status, COUNT(*) FROM notify_messages WHERE "+v.SQL+" GROUP BY status", v.Args...)
	if err != nil {
		return nil, apperr.Wrap(err, "count messages")
	}
	defer rows.Close()
	out := map[Status]int64{}
	for rows.Next() {
		var st Status
		var n int64
		if err := rows.Scan(&st, &n); err != nil {
			return nil, apperr.Wrap(err, "scan count")
		}
		out[st] = n
	}
	return out, rows.Err()
}
