package notify

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/db"
)

// Zalo's documented endpoints.
const (
	// ZaloOAuthURL refreshes an Official Account's access token (OAuth v4): a form POST of app_id,
	// grant_type=refresh_token and refresh_token, with the app's secret key in the secret_key header.
	ZaloOAuthURL = "https://oauth.zaloapp.com/v4/oa/access_token"
	// ZaloCSURL sends an OA customer-service message (v3) to a Zalo user id, JSON, with the access
	// token in the access_token header; Zalo delivers it only to a user who follows the OA and
	// interacted with it recently.
	ZaloCSURL = "https://openapi.zalo.me/v3.0/oa/message/cs"
	// ZaloZNSURL sends a Zalo notification (ZNS): an approved template with its parameters, to a
	// phone number, whether or not its owner follows the OA.
	ZaloZNSURL = "https://business.openapi.zalo.me/message/template"
)

// zaloProvider is the notify_provider_tokens row of the Official Account.
const zaloProvider = "zalo_oa"

// ZaloAuth keeps the Official Account's access token fresh. Zalo's access token lives about 25
// hours; its refresh token lives three months and is spent by a refresh, which returns the next
// one. So the newest refresh token is written to the database (notify_provider_tokens) before it
// is used, every instance reads it from there, and only one instance refreshes at a time (a short
// lease taken by an optimistic UPDATE on the row's version).
type ZaloAuth struct {
	DB        *db.DB
	AppID     string
	SecretKey string
	// Bootstrap is the refresh token the operator got when authorising the app for the OA. It
	// seeds the stored chain, and replaces it when it changes (the OA was authorised again).
	Bootstrap string
	// URL is the OAuth endpoint; "" is ZaloOAuthURL.
	URL    string
	Client *http.Client
	Now    func() time.Time
	// Lease bounds one refresh; others wait for it, then read its result. 0 is 20 seconds.
	Lease time.Duration
	// Early refreshes this long before the token expires; 0 is 10 minutes.
	Early time.Duration
}

type zaloTokenRow struct {
	access, refresh, hash string
	expires, version      int64
	refreshingUntil       int64
}

func (a *ZaloAuth) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

func (a *ZaloAuth) load(ctx context.Context) (zaloTokenRow, bool, error) {
	var r zaloTokenRow
	err := a.DB.Reader().QueryRowContext(ctx, `SELECT access_token, refresh_token, bootstrap_hash, expires_at, version, refreshing_until
		FROM notify_provider_tokens WHERE provider = ?`, zaloProvider).Scan(&r.access, &r.refresh, &r.hash, &r.expires, &r.version, &r.refreshingUntil)
	if errors.Is(err, sql.ErrNoRows) {
		return r, false, nil
	}
	return r, err == nil, apperr.Wrap(err, "read zalo token")
}

func tokenHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// seed writes the operator's refresh token when there is no row yet or the operator gave a new one.
func (a *ZaloAuth) seed(ctx context.Context) (zaloTokenRow, error) {
	r, ok, err := a.load(ctx)
	if err != nil {
		return r, err
	}
	h := tokenHash(a.Bootstrap)
	if ok && (a.Bootstrap == "" || r.hash == h) {
		return r, nil
	}
	if !ok && a.Bootstrap == "" {
		return r, Permanent(WithReason("zalo.refresh", errors.New("zalo: no refresh token configured (--zalo-refresh-token)")))
	}
	now := db.Millis(a.now())
	err = a.DB.WriteTx(ctx, func(tx *db.Tx) error {
		if !ok {
			_, err := tx.ExecContext(ctx, `INSERT INTO notify_provider_tokens (provider, refresh_token, bootstrap_hash, updated_at)
				VALUES (?, ?, ?, ?) ON CONFLICT (provider) DO NOTHING`, zaloProvider, a.Bootstrap, h, now)
			return err
		}
		// The operator authorised the OA again: its new chain replaces ours, unless another
		// instance has already taken it (the hash then matches and nothing changes).
		_, err := tx.ExecContext(ctx, `UPDATE notify_provider_tokens SET refresh_token = ?, bootstrap_hash = ?, access_token = '', expires_at = 0,
			version = version + 1, refreshing_until = 0, updated_at = ? WHERE provider = ? AND bootstrap_hash <> ?`, a.Bootstrap, h, now, zaloProvider, h)
		return err
	})
	if err != nil {
		return r, apperr.Wrap(err, "seed zalo token")
	}
	r, _, err = a.load(ctx)
	return r, err
}

// Token returns a valid access token and the version of the row it came from (for Invalidate).
func (a *ZaloAuth) Token(ctx context.Context) (string, int64, error) {
	r, err := a.seed(ctx)
	if err != nil {
		return "", 0, err
	}
	early := a.Early
	if early <= 0 {
		early = 10 * time.Minute
	}
	if r.access != "" && a.now().Add(early).Before(db.FromMillis(r.expires)) {
		return r.access, r.version, nil
	}
	return a.refresh(ctx, r.version)
}

// Invalidate refreshes the token after Zalo refused it as invalid or expired, unless another
// worker already replaced the version that was refused.
func (a *ZaloAuth) Invalidate(ctx context.Context, version int64) (string, int64, error) {
	return a.refresh(ctx, version)
}

// zaloOAuthAnswer is the OAuth endpoint's answer: the tokens, or error with error_name and
// error_description. expires_in is a string of seconds in Zalo's documentation; a number is
// accepted too.
type zaloOAuthAnswer struct {
	AccessToken      string          `json:"access_token"`
	RefreshToken     string          `json:"refresh_token"`
	ExpiresIn        json.RawMessage `json:"expires_in"`
	Error            int             `json:"error"`
	ErrorName        string          `json:"error_name"`
	ErrorReason      string          `json:"error_reason"`
	ErrorDescription string          `json:"error_description"`
}

func (z zaloOAuthAnswer) expiresIn() time.Duration {
	s := strings.Trim(string(z.ExpiresIn), `"`)
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		// Zalo's documented lifetime, 25 hours, less a margin: a wrong guess costs a refresh.
		return 24 * time.Hour
	}
	return time.Duration(n) * time.Second
}

// refresh spends the stored refresh token of the row at version seen, under a lease, and stores
// the new pair. A worker that finds the row moved on (or another worker's lease) waits for that
// worker's result instead of spending the token twice: Zalo accepts each refresh token once.
func (a *ZaloAuth) refresh(ctx context.Context, seen int64) (string, int64, error) {
	lease := a.Lease
	if lease <= 0 {
		lease = 20 * time.Second
	}
	for {
		r, ok, err := a.load(ctx)
		if err != nil {
			return "", 0, err
		}
		if !ok {
			return "", 0, WithReason("zalo.refresh", errors.New("zalo: token row vanished"))
		}
		now := a.now()
		if r.version != seen && r.access != "" && now.Before(db.FromMillis(r.expires)) {
			return r.access, r.version, nil // another worker refreshed meanwhile
		}
		var took bool
		err = a.DB.WriteTx(ctx, func(tx *db.Tx) error {
			res, err := tx.ExecContext(ctx, `UPDATE notify_provider_tokens SET refreshing_until = ? WHERE provider = ? AND version = ? AND refreshing_until < ?`,
				db.Millis(now.Add(lease)), zaloProvider, r.version, db.Millis(now))
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			took = n == 1
			return nil
		})
		if err != nil {
			return "", 0, apperr.Wrap(err, "lease zalo token")
		}
		if took {
			return a.spend(ctx, r)
		}
		// Another worker holds the lease: wait for its result.
		select {
		case <-ctx.Done():
			return "", 0, WithReason("zalo.token", fmt.Errorf("zalo: waiting for another instance's token refresh: %w", ctx.Err()))
		case <-time.After(200 * time.Millisecond):
		}
		seen = r.version
	}
}

// spend calls the OAuth endpoint with r's refresh token (this worker holds the lease) and stores
// the answer.
func (a *ZaloAuth) spend(ctx context.Context, r zaloTokenRow) (string, int64, error) {
	release := func() {
		_ = a.DB.WriteTx(context.WithoutCancel(ctx), func(tx *db.Tx) error {
			_, err := tx.ExecContext(ctx, "UPDATE notify_provider_tokens SET refreshing_until = 0 WHERE provider = ? AND version = ?", zaloProvider, r.version)
			return err
		})
	}
	form := url.Values{"app_id": {a.AppID}, "grant_type": {"refresh_token"}, "refresh_token": {r.refresh}}
	u := a.URL
	if u == "" {
		u = ZaloOAuthURL
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		release()
		return "", 0, Permanent(fmt.Errorf("zalo oauth: %w", err))
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	// Zalo's header name as documented, lower case (Set would write it "Secret_key").
	req.Header["secret_key"] = []string{a.SecretKey}
	client := a.Client
	if client == nil {
		client = defaultClient
	}
	var ans zaloOAuthAnswer
	if err := doJSON(client, req, "zalo oauth", &ans); err != nil {
		// If Zalo received the request and rotated the token but its answer was lost, the stored
		// refresh token is spent: the next refresh fails and the operator authorises again. Only
		// then; a refused connection changes nothing.
		release()
		return "", 0, WithReason("zalo.refresh", err)
	}
	if ans.Error != 0 || ans.AccessToken == "" || ans.RefreshToken == "" {
		release()
		// Retried, not given up: the operator authorises the OA again (--zalo-refresh-token) and
		// the waiting messages go out on their next attempt.
		return "", 0, WithReason("zalo.refresh", fmt.Errorf("zalo oauth: error %d %s: %s %s", ans.Error, ans.ErrorName, ans.ErrorReason, ans.ErrorDescription))
	}
	now := a.now()
	var n int64
	err = a.DB.WriteTx(context.WithoutCancel(ctx), func(tx *db.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE notify_provider_tokens SET access_token = ?, refresh_token = ?, expires_at = ?, version = version + 1,
			refreshing_until = 0, updated_at = ? WHERE provider = ? AND version = ?`,
			ans.AccessToken, ans.RefreshToken, db.Millis(now.Add(ans.expiresIn())), db.Millis(now), zaloProvider, r.version)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return nil
	})
	if err != nil {
		return "", 0, apperr.Wrap(err, "store zalo token")
	}
	if n != 1 {
		// The operator's new bootstrap token replaced the row while we refreshed: theirs wins.
		return "", 0, WithReason("zalo.token", errors.New("zalo: the token row changed during the refresh"))
	}
	return ans.AccessToken, r.version + 1, nil
}

// ZaloSender delivers the outbox's Zalo messages. A recipient that is a Vietnamese mobile number
// gets a Zalo notification (ZNS) with the template configured for the message's kind; a Zalo user
// id (the long number Zalo gives a follower of the OA) gets a customer-service text message.
type ZaloSender struct {
	Auth *ZaloAuth
	// Templates maps a kind to its approved ZNS template id.
	Templates map[Kind]string
	// CSURL and ZNSURL are the endpoints; "" is Zalo's.
	CSURL, ZNSURL string
	// Development sends ZNS in Zalo's development mode (to the OA's administrators only, free).
	Development bool
	Client      *http.Client
}

// zaloAnswer is the answer of both message endpoints: error 0 and data, or error and message.
type zaloAnswer struct {
	Error   int    `json:"error"`
	Message string `json:"message"`
	Data    struct {
		MsgID     string `json:"msg_id"`
		MessageID string `json:"message_id"`
	} `json:"data"`
}

// zaloCodes maps the error codes of Zalo's published tables (OA API v3 and ZNS) that the outbox
// treats specially; a code not listed is retried, up to MaxAttempts.
var zaloCodes = map[int]struct {
	reason string
	kind   int // zaloPermanent, zaloRetry, zaloToken, zaloLater
}{
	-124: {"zalo.token", zaloToken},      // access token invalid or expired
	-216: {"zalo.token", zaloToken},      // access token invalid (OA API)
	-32:  {ReasonRateLimited, zaloLater}, // over the app's request rate
	-108: {"zalo.invalid_phone", zaloPermanent},
	-118: {"zalo.no_account", zaloPermanent}, // no Zalo account on the number, or disabled
	-119: {"zalo.no_account", zaloPermanent}, // the account cannot receive notifications
	-139: {"zalo.blocked", zaloPermanent},    // the user refused the OA's notifications
	-213: {"zalo.not_follower", zaloPermanent},
	-230: {"zalo.not_follower", zaloPermanent}, // no interaction with the OA in the last 7 days
	-201: {"zalo.rejected", zaloPermanent},     // invalid parameters
	-131: {"zalo.template", zaloPermanent},     // template not approved
	-112: {"zalo.template", zaloPermanent},     // template data invalid
	-144: {"zalo.quota", zaloLater},            // the OA's daily quota is used up
	-133: {"zalo.night", zaloLater},            // notifications are not sent at night
}

const (
	zaloPermanent = iota
	zaloRetry
	zaloToken
	zaloLater
)

// Idempotent: Zalo has no documented request id that it deduplicates (tracking_id is only echoed
// back), so a send whose outcome was lost is not repeated.
func (z *ZaloSender) Idempotent() bool { return false }

// Send delivers m.
func (z *ZaloSender) Send(ctx context.Context, m Message) error {
	_, err := z.SendRef(ctx, m)
	return err
}

// SendRef delivers m and returns Zalo's message id.
func (z *ZaloSender) SendRef(ctx context.Context, m Message) (string, error) {
	endpoint, body, err := z.request(m)
	if err != nil {
		return "", err
	}
	token, version, err := z.Auth.Token(ctx)
	if err != nil {
		return "", err
	}
	client := z.Client
	if client == nil {
		client = defaultClient
	}
	for try := 0; ; try++ {
		var ans zaloAnswer
		err := postJSON(ctx, client, endpoint, "zalo", http.Header{"access_token": {token}}, body, &ans)
		if err != nil {
			return "", err
		}
		if ans.Error == 0 {
			return cmpOr(ans.Data.MsgID, ans.Data.MessageID), nil
		}
		zerr := fmt.Errorf("zalo: error %d: %s", ans.Error, ans.Message)
		c, known := zaloCodes[ans.Error]
		if !known {
			return "", WithReason("zalo.error", zerr)
		}
		switch c.kind {
		case zaloToken:
			if try > 0 {
				return "", WithReason(c.reason, zerr)
			}
			// Refused before sending: safe to send again with a fresh token.
			if token, version, err = z.Auth.Invalidate(ctx, version); err != nil {
				return "", err
			}
			continue
		case zaloLater:
			wait := time.Minute
			if ans.Error == -144 || ans.Error == -133 {
				wait = untilMorning(z.Auth.now())
			}
			return "", RetryAfter(WithReason(c.reason, zerr), wait)
		case zaloPermanent:
			return "", Permanent(WithReason(c.reason, zerr))
		default:
			return "", WithReason(c.reason, zerr)
		}
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// untilMorning is the wait until 06:00 in Vietnam (UTC+7), when Zalo sends notifications again and
// the daily quota is renewed at midnight before it.
func untilMorning(now time.Time) time.Duration {
	vn := now.In(time.FixedZone("ICT", 7*3600))
	next := time.Date(vn.Year(), vn.Month(), vn.Day(), 6, 0, 0, 0, vn.Location())
	if !next.After(vn) {
		next = next.AddDate(0, 0, 1)
	}
	return next.Sub(vn)
}

type zaloCSRequest struct {
	Recipient struct {
		UserID string `json:"user_id"`
	} `json:"recipient"`
	Message struct {
		Text string `json:"text"`
	} `json:"message"`
}

type zaloZNSRequest struct {
	Mode         string            `json:"mode,omitempty"`
	Phone        string            `json:"phone"`
	TemplateID   string            `json:"template_id"`
	TemplateData map[string]string `json:"template_data"`
	TrackingID   string            `json:"tracking_id"`
}

// maxZaloText is the OA text message's limit.
const maxZaloText = 2000

func (z *ZaloSender) request(m Message) (string, any, error) {
	r := strings.TrimSpace(m.Recipient)
	if phone, err := NormalizePhone(r); err == nil {
		id := z.Templates[m.Kind]
		if id == "" {
			return "", nil, Permanent(WithReason("zalo.no_template", fmt.Errorf("zalo: no ZNS template for %s (--zalo-zns-template %s=ID)", m.Kind, m.Kind)))
		}
		data := m.TemplateData
		if len(data) == 0 {
			data = map[string]string{}
			for k, v := range map[string]string{"subject": m.Subject, "content": strings.Join(strings.Fields(m.Body), " "), "link": m.Link} {
				if v != "" {
					data[k] = v
				}
			}
		}
		req := zaloZNSRequest{Phone: phone, TemplateID: id, TemplateData: data, TrackingID: RequestID(m)}
		if z.Development {
			req.Mode = "development"
		}
		return cmpOr(z.ZNSURL, ZaloZNSURL), req, nil
	}
	if !isZaloUserID(r) {
		return "", nil, Permanent(WithReason("zalo.invalid_phone", fmt.Errorf("zalo: %q is neither a Vietnamese mobile number nor a Zalo user id", r)))
	}
	var parts []string
	for _, p := range []string{m.Subject, m.Body, m.Link} {
		if p = strings.TrimSpace(p); p != "" {
			parts = append(parts, p)
		}
	}
	text := strings.Join(parts, "\n\n")
	if utf8.RuneCountInString(text) > maxZaloText {
		return "", nil, Permanent(WithReason("zalo.too_long", fmt.Errorf("zalo: text of %d characters (at most %d)", utf8.RuneCountInString(text), maxZaloText)))
	}
	var req zaloCSRequest
	req.Recipient.UserID, req.Message.Text = r, text
	return cmpOr(z.CSURL, ZaloCSURL), req, nil
}

// isZaloUserID: Zalo's user ids (per OA) are long decimal numbers, longer than any phone number.
func isZaloUserID(s string) bool {
	if len(s) < 13 || len(s) > 25 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
