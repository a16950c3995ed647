package accounts

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"database/sql"
	"encoding/base32"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
)

// A second factor for staff: a time-based one-time password (TOTP, RFC 6238) from an
// authenticator app, and single-use recovery codes for a lost phone.
//
// A sign-in with a password alone starts a half-signed-in session (sessions.pending): it is no
// actor anywhere (ActorForSession refuses it), and only the code and enrolment pages read it
// (PendingSession). Passing the second factor replaces it with a full session under a new id.
// Everything lives in the database, so any instance can take any step.

// Pending states of a session.
const (
	// PendingCode: the user has a factor and must type a code (or a recovery code).
	PendingCode = "code"
	// PendingEnrol: the user must set up a factor before anything else.
	PendingEnrol = "enrol"
)

// TOTP parameters: those every authenticator app assumes (SHA-1, six digits, 30 seconds). One
// step either side is accepted, for a phone's clock a little off.
const (
	totpPeriod      = 30
	totpSkew        = 1
	totpIssuer      = "Lan Tỏa"
	pendingLifetime = 10 * time.Minute
	// Throttling, as for passwords: six wrong codes for one user in 15 minutes lock the next
	// attempts, and an address that fails often is held too.
	maxFactorFailuresPerUser = 6
	maxFactorFailuresPerAddr = 50
	// RecoveryCodeCount codes are made at enrolment, each good once.
	RecoveryCodeCount = 10
)

var totpOpts = totp.ValidateOpts{Period: totpPeriod, Skew: totpSkew, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// keyPending is the error key of a half-signed-in session presented as a full one.
const keyPending = "accounts.error.second_factor_pending"

// IsSecondFactorPending tells whether err is ActorForSession's refusal of a session that still
// waits for the second factor: the web sends the browser to the code page instead of dropping
// the cookie.
func IsSecondFactorPending(err error) bool {
	e := apperr.As(err)
	return e != nil && e.Key == keyPending
}

// SessionOptions are how a session starts.
type SessionOptions struct {
	// SecondFactorDone says the user already proved a second factor in this sign-in: they passed
	// the code page, or a single sign-on provider asserted multi-factor authentication (its ID
	// token's amr claim), so they are not asked twice. Without it, a user who has a factor, or a
	// staff user who must have one, gets a half session.
	SecondFactorDone bool
}

// NewSession is a session just started: the cookie value and what it still lacks ("" for none,
// PendingCode or PendingEnrol).
type NewSession struct {
	Token   string
	Pending string
}

// StaffRole tells whether a grant of r makes its holder staff, who must have a second factor
// where the deployment requires it: national, province, unit and organisation administrators.
func StaffRole(r authz.Role) bool {
	return r == authz.NationalAdmin || r == authz.ProvinceAdmin || r == authz.UnitAdmin || r == authz.OrgAdmin
}

func isStaff(grants []authz.Grant) bool {
	for _, g := range grants {
		if StaffRole(g.Role) {
			return true
		}
	}
	return false
}

// StartSession starts a session for a user who just gave their password (or came back from
// their identity provider) and says whether it is full or waits for the second factor.
func (s *Service) StartSession(ctx context.Context, userID int64, addr, userAgent string, opts SessionOptions) (NewSession, error) {
	plain, hash := newSecret("")
	now := s.Now()
	if len(userAgent) > 300 {
		userAgent = userAgent[:300]
	}
	var pending string
	err := s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		if !opts.SecondFactorDone {
			var err error
			if pending, err = s.pendingFor(ctx, tx, userID); err != nil {
				return err
			}
		}
		expires := now.Add(s.MaxSessionAge)
		if pending != "" {
			// A half session is for typing a code now, not for keeping.
			expires = now.Add(pendingLifetime)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at, expires_at, addr, user_agent, pending) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			hash, userID, db.Millis(now), db.Millis(now), db.Millis(expires), addr, strings.ToValidUTF8(userAgent, ""), pending); err != nil {
			return err
		}
		// Housekeeping rides on logins, which are rare enough and spread over instances.
		if _, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE expires_at < ? OR last_seen_at < ?", db.Millis(now), db.Millis(now.Add(-s.IdleTimeout))); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM login_attempts WHERE at < ?", db.Millis(now.Add(-loginAttemptsKeptFor))); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM second_factor_attempts WHERE at < ?", db.Millis(now.Add(-loginAttemptsKeptFor))); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{ActorID: userID, Action: "session.login", ObjectType: "user", ObjectID: strconv.FormatInt(userID, 10), Detail: pending})
	})
	if err != nil {
		return NewSession{}, apperr.Wrap(err, "create session")
	}
	return NewSession{Token: plain, Pending: pending}, nil
}

// pendingFor is what a new session of the user lacks: a code when they have a factor, an
// enrolment when they are staff and the deployment requires one, else nothing. A user who set up
// a factor is always asked for it, whatever the deployment requires.
func (s *Service) pendingFor(ctx context.Context, q db.Querier, userID int64) (string, error) {
	var confirmed int64
	err := q.QueryRowContext(ctx, "SELECT confirmed_at FROM user_totp WHERE user_id = ?", userID).Scan(&confirmed)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", apperr.Wrap(err, "second factor")
	}
	if confirmed != 0 {
		return PendingCode, nil
	}
	if !s.RequireStaffSecondFactor {
		return "", nil
	}
	grants, err := loadGrants(ctx, q, userID)
	if err != nil {
		return "", err
	}
	if isStaff(grants) {
		return PendingEnrol, nil
	}
	return "", nil
}

// PendingSession returns the user of a half-signed-in session and what it lacks. A full session,
// an unknown or expired one, or a disabled user's, is Unauthenticated.
func (s *Service) PendingSession(ctx context.Context, cookie string) (User, string, error) {
	if cookie == "" || len(cookie) > 100 {
		return User{}, "", apperr.New(apperr.Unauthenticated, "accounts.error.session")
	}
	var pending string
	var expires int64
	row := s.DB.Reader().QueryRowContext(ctx, "SELECT x.pending, x.expires_at, "+userColumns+
		" FROM sessions x JOIN users u ON u.id = x.user_id WHERE x.id_hash = ?", hashSecret(cookie))
	u, err := scanUser(scanFunc(func(dest ...any) error { return row.Scan(append([]any{&pending, &expires}, dest...)...) }))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, "", apperr.New(apperr.Unauthenticated, "accounts.error.session")
	} else if err != nil {
		return User{}, "", apperr.Wrap(err, "pending session")
	}
	if pending == "" || u.Disabled || s.Now().UnixMilli() > expires {
		return User{}, "", apperr.New(apperr.Unauthenticated, "accounts.error.session")
	}
	u.Grants, err = loadGrants(ctx, s.DB.Reader(), u.ID)
	return u, pending, err
}

// Enrolment is a factor being set up: the secret in base32, for typing into an app, and the
// otpauth:// address a QR code carries.
type Enrolment struct {
	Secret string
	URL    string
}

// BeginEnrolment returns the factor the user of a half session (PendingEnrol) is setting up,
// making its secret on the first call: reloading the page, or landing on another instance,
// shows the same QR code.
func (s *Service) BeginEnrolment(ctx context.Context, cookie string) (Enrolment, error) {
	u, pending, err := s.PendingSession(ctx, cookie)
	if err != nil {
		return Enrolment{}, err
	}
	if pending != PendingEnrol {
		return Enrolment{}, apperr.New(apperr.Conflict, "accounts.error.already_enrolled")
	}
	var secret string
	err = s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		err := tx.QueryRowContext(ctx, "SELECT secret FROM user_totp WHERE user_id = ? AND confirmed_at = 0", u.ID).Scan(&secret)
		if err == nil {
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		key, err := totp.Generate(totp.GenerateOpts{Issuer: totpIssuer, AccountName: u.Username, Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			return err
		}
		secret = key.Secret()
		_, err = tx.ExecContext(ctx, "INSERT INTO user_totp (user_id, secret, created_at) VALUES (?, ?, ?)", u.ID, secret, db.Millis(s.Now()))
		return err
	})
	if err != nil {
		return Enrolment{}, apperr.Wrap(err, "begin enrolment")
	}
	return Enrolment{Secret: secret, URL: otpauthURL(u.Username, secret)}, nil
}

// otpauthURL is the Key URI Format the authenticator apps read from a QR code, as totp.Generate
// spells it.
func otpauthURL(username, secret string) string {
	v := url.Values{}
	v.Set("secret", secret)
	v.Set("issuer", totpIssuer)
	v.Set("algorithm", "SHA1")
	v.Set("digits", "6")
	v.Set("period", strconv.Itoa(totpPeriod))
	u := url.URL{Scheme: "otpauth", Host: "totp", Path: "/" + totpIssuer + ":" + username, RawQuery: v.Encode()}
	return u.String()
}

// ConfirmEnrolment checks the first code from the user's app against the factor being set up. On
// success the factor is the user's, the half session is replaced by a full one (new cookie), and
// the recovery codes are returned: they are stored only hashed, so this is the one time anyone
// sees them.
func (s *Service) ConfirmEnrolment(ctx context.Context, cookie, code, addr string) (token string, recovery []string, err error) {
	u, pending, err := s.PendingSession(ctx, cookie)
	if err != nil {
		return "", nil, err
	}
	if pending != PendingEnrol {
		return "", nil, apperr.New(apperr.Conflict, "accounts.error.already_enrolled")
	}
	if err := s.factorThrottle(ctx, u.ID, addr); err != nil {
		return "", nil, err
	}
	now := s.Now()
	err = s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		var secret string
		if err := tx.QueryRowContext(ctx, "SELECT secret FROM user_totp WHERE user_id = ? AND confirmed_at = 0", u.ID).Scan(&secret); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return apperr.New(apperr.Conflict, "accounts.error.enrolment_restart")
			}
			return err
		}
		counter, ok := matchTOTP(secret, code, now, 0)
		if !ok {
			return recordFactorAttempt(ctx, tx, now, u.ID, addr, false)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE user_totp SET confirmed_at = ?, last_counter = ? WHERE user_id = ?", db.Millis(now), counter, u.ID); err != nil {
			return err
		}
		if recovery, err = newRecoveryCodes(ctx, tx, u.ID); err != nil {
			return err
		}
		if err := recordFactorAttempt(ctx, tx, now, u.ID, addr, true); err != nil {
			return err
		}
		if token, err = s.promote(ctx, tx, cookie, u.ID, now); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{ActorID: u.ID, Action: "user.2fa_enrol", ObjectType: "user", ObjectID: strconv.FormatInt(u.ID, 10),
			UnitPath: firstPath(u), Detail: u.Username})
	})
	if err != nil {
		return "", nil, apperr.Wrap(err, "confirm enrolment")
	}
	if token == "" {
		return "", nil, apperr.InvalidField("code", "accounts.error.bad_code")
	}
	return token, recovery, nil
}

// VerifySecondFactor checks a code from the user's app, or one of their recovery codes, for a
// half session (PendingCode). A code is good once: the same code again (a replay, or a second
// sign-in within its 30 seconds) is refused. On success the half session is replaced by a full one
// and its cookie returned; usedRecovery says a recovery code was spent, and left how many remain.
func (s *Service) VerifySecondFactor(ctx context.Context, cookie, code, addr string) (token string, usedRecovery bool, left int, err error) {
	u, pending, err := s.PendingSession(ctx, cookie)
	if err != nil {
		return "", false, 0, err
	}
	if pending != PendingCode {
		return "", false, 0, apperr.New(apperr.Conflict, "accounts.error.enrol_first")
	}
	if err := s.factorThrottle(ctx, u.ID, addr); err != nil {
		return "", false, 0, err
	}
	now := s.Now()
	err = s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		var secret string
		var last int64
		if err := tx.QueryRowContext(ctx, "SELECT secret, last_counter FROM user_totp WHERE user_id = ? AND confirmed_at <> 0", u.ID).Scan(&secret, &last); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				// Reset by an administrator since this sign-in began.
				return apperr.New(apperr.Unauthenticated, "accounts.error.session")
			}
			return err
		}
		ok := false
		if digits := strings.Join(strings.Fields(code), ""); len(digits) == 6 {
			var counter int64
			if counter, ok = matchTOTP(secret, digits, now, last); ok {
				// The step is moved on only if no other request took it first (two instances, one
				// code): the update is the check.
				res, err := tx.ExecContext(ctx, "UPDATE user_totp SET last_counter = ? WHERE user_id = ? AND last_counter < ?", counter, u.ID, counter)
				if err != nil {
					return err
				}
				n, _ := res.RowsAffected()
				ok = n == 1
			}
		} else if norm := normalizeRecoveryCode(code); norm != "" {
			res, err := tx.ExecContext(ctx, "UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at = 0", db.Millis(now), u.ID, hashSecret(norm))
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			ok, usedRecovery = n == 1, n == 1
		}
		if !ok {
			return recordFactorAttempt(ctx, tx, now, u.ID, addr, false)
		}
		if err := recordFactorAttempt(ctx, tx, now, u.ID, addr, true); err != nil {
			return err
		}
		if usedRecovery {
			if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM recovery_codes WHERE user_id = ? AND used_at = 0", u.ID).Scan(&left); err != nil {
				return err
			}
			if err := audit.Record(ctx, tx, audit.Entry{ActorID: u.ID, Action: "user.2fa_recovery", ObjectType: "user", ObjectID: strconv.FormatInt(u.ID, 10),
				UnitPath: firstPath(u), Detail: strconv.Itoa(left)}); err != nil {
				return err
			}
		}
		token, err = s.promote(ctx, tx, cookie, u.ID, now)
		return err
	})
	if err != nil {
		return "", false, 0, apperr.Wrap(err, "verify second factor")
	}
	if token == "" {
		return "", false, 0, apperr.InvalidField("code", "accounts.error.bad_code")
	}
	return token, usedRecovery, left, nil
}

// factorThrottle refuses with TooMany once the user or the address has failed too many codes in
// the last 15 minutes, whatever the code: the same rule and window as passwords.
func (s *Service) factorThrottle(ctx context.Context, userID int64, addr string) error {
	since := db.Millis(s.Now().Add(-loginWindow))
	var userFails, addrFails int
	r := s.DB.Reader()
	if err := r.QueryRowContext(ctx, "SELECT COUNT(*) FROM second_factor_attempts WHERE user_id = ? AND ok = 0 AND at > ?", userID, since).Scan(&userFails); err != nil {
		return apperr.Wrap(err, "count failures")
	}
	if err := r.QueryRowContext(ctx, "SELECT COUNT(*) FROM second_factor_attempts WHERE addr = ? AND ok = 0 AND at > ?", addr, since).Scan(&addrFails); err != nil {
		return apperr.Wrap(err, "count failures")
	}
	if userFails >= maxFactorFailuresPerUser || addrFails >= maxFactorFailuresPerAddr {
		// At most the window: the failures that locked it are then all older than it.
		return apperr.Throttled(loginWindow, "accounts.error.too_many_codes", int(loginWindow.Minutes()))
	}
	return nil
}

func recordFactorAttempt(ctx context.Context, tx *db.Tx, now time.Time, userID int64, addr string, ok bool) error {
	_, err := tx.ExecContext(ctx, "INSERT INTO second_factor_attempts (at, user_id, addr, ok) VALUES (?, ?, ?, ?)", db.Millis(now), userID, addr, boolInt(ok))
	return err
}

// promote replaces a half session by a full one under a new id: the id a browser held before
// the second factor is worthless after it.
func (s *Service) promote(ctx context.Context, tx *db.Tx, cookie string, userID int64, now time.Time) (string, error) {
	var addr, ua string
	if err := tx.QueryRowContext(ctx, "SELECT addr, user_agent FROM sessions WHERE id_hash = ? AND pending <> ''", hashSecret(cookie)).Scan(&addr, &ua); err != nil {
		return "", err
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE id_hash = ?", hashSecret(cookie)); err != nil {
		return "", err
	}
	plain, hash := newSecret("")
	if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at, expires_at, addr, user_agent) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		hash, userID, db.Millis(now), db.Millis(now), db.Millis(now.Add(s.MaxSessionAge)), addr, ua); err != nil {
		return "", err
	}
	return plain, nil
}

// matchTOTP finds the 30-second step, within one either side of now, whose code is code and
// which comes after the step last used; ok is false when there is none.
func matchTOTP(secret, code string, now time.Time, last int64) (counter int64, ok bool) {
	code = strings.Join(strings.Fields(code), "")
	if len(code) != 6 {
		return 0, false
	}
	step := now.Unix() / totpPeriod
	for c := step - totpSkew; c <= step+totpSkew; c++ {
		if c <= last {
			continue
		}
		want, err := totp.GenerateCodeCustom(secret, time.Unix(c*totpPeriod, 0), totp.ValidateOpts{Period: totpOpts.Period, Digits: totpOpts.Digits, Algorithm: totpOpts.Algorithm})
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return c, true
		}
	}
	return 0, false
}

// recoveryAlphabet is Crockford's base32: no I, L, O or U to misread on paper.
var recoveryEncoding = base32.NewEncoding("0123456789ABCDEFGHJKMNPQRSTVWXYZ").WithPadding(base32.NoPadding)

// newRecoveryCodes replaces the user's recovery codes with fresh ones and returns them, grouped
// for reading ("7K3Q-M9TX-2B4R-HW8C": 80 bits each, so a hash without salt is enough).
func newRecoveryCodes(ctx context.Context, tx *db.Tx, userID int64) ([]string, error) {
	if _, err := tx.ExecContext(ctx, "DELETE FROM recovery_codes WHERE user_id = ?", userID); err != nil {
		return nil, err
	}
	out := make([]string, RecoveryCodeCount)
	for i := range out {
		b := make([]byte, 10)
		_, _ = rand.Read(b)
		raw := recoveryEncoding.EncodeToString(b)
		out[i] = raw[0:4] + "-" + raw[4:8] + "-" + raw[8:12] + "-" + raw[12:16]
		if _, err := tx.ExecContext(ctx, "INSERT INTO recovery_codes (user_id, code_hash) VALUES (?, ?)", userID, hashSecret(raw)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// normalizeRecoveryCode reads a recovery code as typed (any case, with or without dashes or
// spaces, O for 0 and I or L for 1 as Crockford allows); "" when it cannot be one.
func normalizeRecoveryCode(code string) string {
	if len(code) > 40 {
		return ""
	}
	r := strings.NewReplacer("-", "", " ", "", "O", "0", "I", "1", "L", "1")
	c := r.Replace(strings.ToUpper(strings.TrimSpace(code)))
	if len(c) != 16 {
		return ""
	}
	if _, err := recoveryEncoding.DecodeString(c); err != nil {
		return ""
	}
	return c
}

func firstPath(u User) string {
	if len(u.Grants) > 0 {
		return u.Grants[0].UnitPath
	}
	return ""
}

// SecondFactor is a user's second factor as their account page and their administrators see it.
type SecondFactor struct {
	Enrolled     bool      `json:"enrolled"`
	EnrolledAt   time.Time `json:"enrolled_at,omitzero"`
	RecoveryLeft int       `json:"recovery_codes_left"`
	// Required: the user is staff and the deployment requires staff to have a factor.
	Required bool `json:"required"`
}

// SecondFactorOf returns the state of a user's second factor: the user's own, or one the actor
// may see.
func (s *Service) SecondFactorOf(ctx context.Context, userID int64) (SecondFactor, error) {
	actor := authz.ActorFrom(ctx)
	u, err := s.findUser(ctx, s.DB.Reader(), userID)
	if err != nil {
		return SecondFactor{}, err
	}
	if actor == nil || (actor.UserID != userID && actor != authz.System && !s.sees(actor, u) && !s.manages(actor, u)) {
		return SecondFactor{}, apperr.Hidden("accounts.error.user_not_found")
	}
	var f SecondFactor
	var confirmed int64
	err = s.DB.Reader().QueryRowContext(ctx, "SELECT confirmed_at FROM user_totp WHERE user_id = ?", userID).Scan(&confirmed)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return SecondFactor{}, apperr.Wrap(err, "second factor")
	}
	if confirmed != 0 {
		f.Enrolled, f.EnrolledAt = true, db.FromMillis(confirmed)
		if err := s.DB.Reader().QueryRowContext(ctx, "SELECT COUNT(*) FROM recovery_codes WHERE user_id = ? AND used_at = 0", userID).Scan(&f.RecoveryLeft); err != nil {
			return SecondFactor{}, apperr.Wrap(err, "recovery codes")
		}
	}
	f.Required = s.RequireStaffSecondFactor && isStaff(u.Grants)
	return f, nil
}

// ResetSecondFactor removes a user's second factor and recovery codes, for a lost phone: an
// administrator above the user (one who manages them, as for a password reset: a province
// administrator for a unit administrator, a national administrator for a province's) or the
// command line does it, never the user themselves, and it is audited. The user's sessions end and
// their count of wrong codes starts again; at their next sign-in they set up a new factor.
func (s *Service) ResetSecondFactor(ctx context.Context, userID int64) error {
	actor := authz.ActorFrom(ctx)
	return s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		u, err := s.findUser(ctx, tx, userID)
		if err != nil {
			return err
		}
		if actor != authz.System && !s.manages(actor, u) {
			if actor != nil && (actor.UserID == userID || s.sees(actor, u)) {
				return apperr.New(apperr.Forbidden, "accounts.error.reset_2fa_forbidden")
			}
			return apperr.Hidden("accounts.error.user_not_found")
		}
		res, err := tx.ExecContext(ctx, "DELETE FROM user_totp WHERE user_id = ?", userID)
		if err != nil {
			return apperr.Wrap(err, "reset second factor")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.New(apperr.Conflict, "accounts.error.no_second_factor")
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM recovery_codes WHERE user_id = ?", userID); err != nil {
			return apperr.Wrap(err, "reset recovery codes")
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE user_id = ?", userID); err != nil {
			return apperr.Wrap(err, "end sessions")
		}
		// The lockout was earned against the lost factor (a user who tried old codes, then called
		// for help): the new set-up starts with a clean count.
		if _, err := tx.ExecContext(ctx, "DELETE FROM second_factor_attempts WHERE user_id = ?", userID); err != nil {
			return apperr.Wrap(err, "reset attempts")
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "user.2fa_reset", ObjectType: "user", ObjectID: strconv.FormatInt(userID, 10), UnitPath: firstPath(u), Detail: u.Username})
	})
}

// EnrolWithSecret gives a user a confirmed factor with a known secret, for the demo's staff,
// whose secret is published with the demo password; only the command line (authz.System) may.
// A user already enrolled keeps their factor.
func (s *Service) EnrolWithSecret(ctx context.Context, userID int64, secret string) error {
	if authz.ActorFrom(ctx) != authz.System {
		return apperr.New(apperr.Forbidden, "error.forbidden")
	}
	if _, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret); err != nil || len(secret) < 16 {
		return apperr.InvalidField("secret", "accounts.error.bad_secret")
	}
	now := db.Millis(s.Now())
	return s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		var confirmed int64
		err := tx.QueryRowContext(ctx, "SELECT confirmed_at FROM user_totp WHERE user_id = ?", userID).Scan(&confirmed)
		if err == nil && confirmed != 0 {
			return nil
		}
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return apperr.Wrap(err, "second factor")
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM user_totp WHERE user_id = ?", userID); err != nil {
			return apperr.Wrap(err, "second factor")
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO user_totp (user_id, secret, created_at, confirmed_at) VALUES (?, ?, ?, ?)", userID, secret, now, now); err != nil {
			return apperr.Wrap(err, "second factor")
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "user.2fa_enrol", ObjectType: "user", ObjectID: strconv.FormatInt(userID, 10), Detail: "demo"})
	})
}
