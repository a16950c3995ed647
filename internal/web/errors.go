package web

import (
	"database/sql"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
)

// handler is an HTTP handler that returns its error; errorHandler renders it in one place.
type handler func(w http.ResponseWriter, r *http.Request) error

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

func statusOf(kind apperr.Kind) int {
	switch kind {
	case apperr.Invalid:
		return http.StatusUnprocessableEntity
	case apperr.NotFound:
		return http.StatusNotFound
	case apperr.Forbidden:
		return http.StatusForbidden
	case apperr.Unauthenticated:
		return http.StatusUnauthorized
	case apperr.Conflict:
		return http.StatusConflict
	case apperr.TooMany:
		return http.StatusTooManyRequests
	case apperr.Locked:
		return http.StatusLocked
	default:
		return http.StatusInternalServerError
	}
}

// statusOfErr is the status of an error: its kind's, but 413 for a body over its limit (an
// Invalid kind, so that forms show it, whose cause is errBodyTooLarge).
func statusOfErr(err error) int {
	if errors.Is(err, errBodyTooLarge) {
		return http.StatusRequestEntityTooLarge
	}
	return statusOf(apperr.KindOf(err))
}

// apiError is the JSON body of every API error.
type apiError struct {
	Error struct {
		Kind    string         `json:"kind"`
		Message string         `json:"message"`
		Field   string         `json:"field,omitempty"`
		Errors  []apiErrorLine `json:"errors,omitempty"`
	} `json:"error"`
	// Errors repeats the per-line problems at the top level, where importers look for them.
	Errors []apiErrorLine `json:"errors,omitempty"`
}

type apiErrorLine struct {
	Line    int    `json:"line,omitempty"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// writeError renders err for the user: JSON for the API, an error page otherwise. Internal causes
// are logged here, once, and never shown.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	ae := apperr.As(err)
	status := statusOfErr(err)
	if ae.Kind == apperr.Internal {
		s.Logger.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	s.auditDenial(r, err)
	lang := langOf(r)
	msg := s.I18n.T(lang, ae.Key, ae.Args...)
	lines := make([]apiErrorLine, 0, len(ae.Details))
	for _, d := range ae.Details {
		lines = append(lines, apiErrorLine{Line: d.Line, Field: d.Field, Message: s.I18n.T(lang, d.Key, d.Args...)})
	}
	// A refused upload always answers with the list of lines an importer's client reads, even
	// when the problem is the whole file (its header, its size, its encoding): the first line.
	if ae.Kind == apperr.Invalid && len(lines) == 0 && isUpload(r) {
		lines = append(lines, apiErrorLine{Line: 1, Field: ae.Field, Message: msg})
	}
	setRetryAfter(w, status, err)
	if isAPI(r) || wantsJSON(r) {
		var body apiError
		body.Error.Kind, body.Error.Message, body.Error.Field, body.Error.Errors = ae.Kind.String(), msg, ae.Field, lines
		body.Errors = lines
		writeJSON(w, status, body)
		return
	}
	s.errorPage(w, r, status, msg, lines)
}

// retryAfterUnknown is the Retry-After of a 429 whose refusal does not say when to come back:
// a minute, short enough not to lock a person out for nothing, long enough not to invite a
// hammering client.
const retryAfterUnknown = time.Minute

// setRetryAfter gives every 429 a Retry-After (RFC 9110 §10.2.3) in whole seconds, rounded up, so
// that a client (and the phone form's queue) waits as long as the refusal says and no longer.
func setRetryAfter(w http.ResponseWriter, status int, err error) {
	if status != http.StatusTooManyRequests {
		return
	}
	after := apperr.As(err).RetryAfter
	if after <= 0 {
		after = retryAfterUnknown
	}
	w.Header().Set("Retry-After", strconv.FormatInt(int64((after+time.Second-1)/time.Second), 10))
}

// errorPage renders the error page: the status, the message, the lines of a refused file and a
// link home.
func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, status int, msg string, lines []apiErrorLine) {
	data := struct {
		Page
		Status  int
		Message string
		Lines   []apiErrorLine
	}{s.newPage(r, "error.title"), status, msg, lines}
	if rerr := s.render(w, r, status, "error", &data); rerr != nil {
		s.Logger.Error("render error page", "err", rerr)
		http.Error(w, msg, status)
	}
}

// denialsPerMinute is how many refusals of one actor a minute are written one row each. A script
// walking ids out of its scope would otherwise write a row per request; past the budget the
// minute's further refusals are counted on one access.denied_more row instead, so the log keeps
// every refusal's trace (the number and the last one) without being flooded.
const denialsPerMinute = 30

// auditDenial writes to the audit log that a signed-in actor was refused something out of their
// scope (a 403, or a 404 hiding another district's or province's object), once per refusal, under
// the actor's own province, whose administrators see who probes. Anonymous refusals are 401s and
// not logged here. The budget is counted in the database, so it holds across instances.
func (s *Server) auditDenial(r *http.Request, err error) {
	actor := authz.ActorFrom(r.Context())
	if actor == nil || !apperr.Denial(err) {
		return
	}
	path := "/"
	if p := actor.Provinces(); len(p) > 0 {
		path = authz.ProvincePath(p[0])
	}
	ctx := r.Context()
	now := s.Now()
	minute := now.Truncate(time.Minute)
	detail := r.Method + " " + r.URL.Path + " " + apperr.As(err).Kind.String()
	werr := s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM audit_log WHERE actor_id = ? AND at >= ? AND action = 'access.denied'",
			actor.UserID, db.Millis(minute)).Scan(&n); err != nil {
			return err
		}
		if n < denialsPerMinute {
			return audit.Record(ctx, tx, audit.Entry{Action: "access.denied", ObjectType: "request", UnitPath: path, Detail: detail, At: now})
		}
		var id int64
		var more int
		err := tx.QueryRowContext(ctx, "SELECT id, object_id FROM audit_log WHERE actor_id = ? AND at >= ? AND action = 'access.denied_more' ORDER BY id DESC LIMIT 1",
			actor.UserID, db.Millis(minute)).Scan(&id, &more)
		if errors.Is(err, sql.ErrNoRows) {
			return audit.Record(ctx, tx, audit.Entry{Action: "access.denied_more", ObjectType: "request", ObjectID: "1", UnitPath: path, Detail: detail, At: now})
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "UPDATE audit_log SET object_id = ?, detail = ? WHERE id = ?", strconv.Itoa(more+1), detail, id)
		return err
	})
	if werr != nil {
		s.Logger.Error("audit denial", "err", werr)
	}
}

func wantsJSON(r *http.Request) bool { return r.Header.Get("Accept") == "application/json" }

// h adapts a handler to net/http, rendering its error.
func (s *Server) h(fn handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := fn(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// isUpload tells whether the request carries a file (a form upload or a raw CSV/xlsx body).
func isUpload(r *http.Request) bool {
	ct := r.Header.Get("Content-Type")
	return strings.HasPrefix(ct, "multipart/form-data") || strings.HasPrefix(ct, "text/csv") ||
		strings.HasPrefix(ct, "application/vnd.openxmlformats-officedocument.spreadsheetml")
}
