package notify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Reasons a provider gives, as codes the outbox shows in Vietnamese (notify.reason.<code> in the
// locales). A sender attaches one with WithReason; the worker stores it in last_reason.
const (
	ReasonUnreachable    = "provider.unreachable"  // the request did not reach the provider
	ReasonNoAnswer       = "provider.no_answer"    // sent, no answer: it may or may not have gone out
	ReasonDown           = "provider.down"         // the provider answered 5xx
	ReasonRateLimited    = "provider.rate_limited" // too many requests: later
	ReasonRejected       = "provider.rejected"     // the provider refused the request as malformed
	ReasonOutcomeUnknown = "outcome_unknown"       // a send whose result was lost; not repeated
	ReasonNoSender       = "no_sender"             // no sender is configured for the channel
)

// Reasons lists every reason code the senders of this package give, each with a text in the
// locales (notify.reason.<code>; a test checks).
var Reasons = []string{ReasonUnreachable, ReasonNoAnswer, ReasonDown, ReasonRateLimited, ReasonRejected, ReasonOutcomeUnknown, ReasonNoSender,
	"email.rejected",
	"sms.invalid_number", "sms.auth", "sms.account", "sms.balance", "sms.brandname", "sms.template", "sms.carrier", "sms.rejected", "sms.too_long", "sms.error",
	"zalo.token", "zalo.refresh", "zalo.invalid_phone", "zalo.no_account", "zalo.blocked", "zalo.not_follower", "zalo.rejected", "zalo.template",
	"zalo.no_template", "zalo.quota", "zalo.night", "zalo.too_long", "zalo.error"}

// reasonError carries a reason code with an error.
type reasonError struct {
	reason string
	err    error
}

func (r reasonError) Error() string { return r.err.Error() }
func (r reasonError) Unwrap() error { return r.err }

// WithReason attaches a reason code (ReasonRateLimited, "sms.invalid_number") to err.
func WithReason(reason string, err error) error {
	if err == nil {
		return nil
	}
	return reasonError{reason, err}
}

// ReasonOf returns the reason code attached to err, or "".
func ReasonOf(err error) string {
	var r reasonError
	if errors.As(err, &r) {
		return r.reason
	}
	return ""
}

// uncertainError marks a failure after the request reached the provider: the message may have
// gone out. The worker sends it again only through a sender whose provider recognises a repeat.
type uncertainError struct{ err error }

func (u uncertainError) Error() string { return u.err.Error() }
func (u uncertainError) Unwrap() error { return u.err }

// Uncertain marks err as a failure whose outcome is unknown (a timeout after the request was sent).
func Uncertain(err error) error {
	if err == nil {
		return nil
	}
	return uncertainError{err}
}

// IsUncertain tells whether err was marked with Uncertain.
func IsUncertain(err error) bool {
	var u uncertainError
	return errors.As(err, &u)
}

// laterError asks for the next attempt no sooner than after.
type laterError struct {
	err   error
	after time.Duration
}

func (l laterError) Error() string { return l.err.Error() }
func (l laterError) Unwrap() error { return l.err }

// RetryAfter asks the worker to wait at least d before the next attempt (a rate limit's
// Retry-After, Zalo's night-time pause for notifications).
func RetryAfter(err error, d time.Duration) error {
	if err == nil {
		return nil
	}
	return laterError{err, d}
}

// RetryAfterOf returns the wait asked with RetryAfter, or 0.
func RetryAfterOf(err error) time.Duration {
	var l laterError
	if errors.As(err, &l) {
		return l.after
	}
	return 0
}

// IdempotentSender is a Sender whose provider recognises a repeated request for one outbox row
// (a request id derived from the row) and does not deliver it twice. The worker repeats an
// uncertain send only through such a sender.
type IdempotentSender interface {
	Sender
	Idempotent() bool
}

// RefSender is a Sender that returns the provider's id of what it sent, kept in provider_ref.
type RefSender interface {
	Sender
	SendRef(ctx context.Context, m Message) (ref string, err error)
}

// RequestID is the id a provider sees for an outbox row: stable across attempts (so a provider
// that deduplicates recognises a repeat), unique across deployments sharing one provider account
// (the row's random unsubscribe token, not its number, which every database starts at 1), and
// revealing nothing (a hash, not the token that unsubscribes).
func RequestID(m Message) string {
	h := sha256.Sum256([]byte("lantoa-request:" + m.UnsubscribeToken + ":" + strconv.FormatInt(m.ID, 10)))
	return "lt" + hex.EncodeToString(h[:15])
}

// maxAnswer bounds what is read of a provider's answer.
const maxAnswer = 1 << 20

// httpStatusError is a provider's non-2xx answer.
type httpStatusError struct {
	Status int
	Body   string
}

func (e *httpStatusError) Error() string {
	b := e.Body
	if len(b) > 200 {
		b = b[:200]
	}
	return fmt.Sprintf("HTTP %d: %s", e.Status, strings.TrimSpace(b))
}

// doJSON sends req and decodes a 2xx JSON answer into out. It tells a request that never reached
// the provider (safe to repeat) from one that did and got no usable answer (Uncertain), and
// classifies the provider's HTTP statuses: 429 → RetryAfter, 500/502/503 → retried, 504 →
// Uncertain (a gateway gave up waiting for a provider that may have sent), other 4xx → Permanent.
// Go's transport does not repeat a POST by itself, so the only repeats are the worker's.
func doJSON(client *http.Client, req *http.Request, who string, out any) error {
	// The transport calls WroteRequest from its own goroutine.
	var wrote atomic.Bool
	trace := &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { wrote.Store(true) }}
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), trace))
	resp, err := client.Do(req)
	if err != nil {
		if !wrote.Load() {
			return WithReason(ReasonUnreachable, fmt.Errorf("%s: %w", who, err))
		}
		return Uncertain(WithReason(ReasonNoAnswer, fmt.Errorf("%s: no answer: %w", who, err)))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return Uncertain(WithReason(ReasonNoAnswer, fmt.Errorf("%s: answer cut: %w", who, err)))
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		se := fmt.Errorf("%s: %w", who, &httpStatusError{Status: resp.StatusCode, Body: string(body)})
		switch {
		case resp.StatusCode == http.StatusTooManyRequests:
			return RetryAfter(WithReason(ReasonRateLimited, se), retryAfterHeader(resp.Header.Get("Retry-After")))
		case resp.StatusCode == http.StatusGatewayTimeout:
			return Uncertain(WithReason(ReasonNoAnswer, se))
		case resp.StatusCode >= 500:
			return WithReason(ReasonDown, se)
		case resp.StatusCode == http.StatusRequestTimeout:
			return WithReason(ReasonDown, se)
		default:
			return Permanent(WithReason(ReasonRejected, se))
		}
	}
	if err := json.Unmarshal(body, out); err != nil {
		// A 2xx answer we cannot read: the provider may have accepted the message.
		return Uncertain(WithReason(ReasonNoAnswer, fmt.Errorf("%s: unreadable answer %q: %w", who, truncate(string(body), 200), err)))
	}
	return nil
}

// retryAfterHeader reads Retry-After in seconds or as an HTTP date; 0 when absent or unreadable.
func retryAfterHeader(v string) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(min(n, 24*3600)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return 0
}

func postJSON(ctx context.Context, client *http.Client, url, who string, header http.Header, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return Permanent(fmt.Errorf("%s: encode: %w", who, err))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return Permanent(fmt.Errorf("%s: %w", who, err))
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	return doJSON(client, req, who, out)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// defaultClient is used when a sender has no Client: a send is bounded by the worker's context.
var defaultClient = &http.Client{Timeout: 60 * time.Second}
