package sso

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
)

// Lifetimes of what waits in the database between two requests.
const (
	// pendingFor is how long a person has at the provider's page.
	pendingFor = 10 * time.Minute
	// signupFor is how long a new learner has to choose their unit or organisation.
	signupFor = 30 * time.Minute
	// maxPendingPerAddr bounds the sign-ins started from one address and not finished within
	// pendingFor. Finished ones leave the table, so only abandoned or forged starts count; an office
	// behind one address has room for a hundred people who gave up at the provider's page.
	maxPendingPerAddr = 100
)

// Service runs the sign-ins of the configured providers.
type Service struct {
	DB       *db.DB
	Accounts *accounts.Service
	// Now is the clock of the pending sign-ins and of the ID tokens' expiry.
	Now func() time.Time
	// MaxPending is maxPendingPerAddr; the tests lower it.
	MaxPending int
	providers  []*provider
}

// provider is a configured provider with its discovery document, fetched at the first sign-in
// (not at start: a provider that is down must not keep the site from starting) and kept.
type provider struct {
	Provider
	mu  sync.Mutex
	oid *oidc.Provider
}

// New returns the service of the given providers (checked with Validate).
func New(d *db.DB, acc *accounts.Service, ps []Provider) (*Service, error) {
	if err := Validate(ps); err != nil {
		return nil, err
	}
	s := &Service{DB: d, Accounts: acc, Now: time.Now, MaxPending: maxPendingPerAddr}
	for _, p := range ps {
		p.Claims = p.Claims.withDefaults()
		s.providers = append(s.providers, &provider{Provider: p})
	}
	return s, nil
}

// Providers lists the configured providers, in the configuration's order (for the buttons).
func (s *Service) Providers() []Provider {
	if s == nil {
		return nil
	}
	out := make([]Provider, len(s.providers))
	for i, p := range s.providers {
		out[i] = p.Provider
		out[i].ClientSecret = ""
	}
	return out
}

func (s *Service) find(id string) *provider {
	if s == nil {
		return nil
	}
	for _, p := range s.providers {
		if p.ID == id {
			return p
		}
	}
	return nil
}

func (p *provider) discover(ctx context.Context) (*oidc.Provider, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.oid != nil {
		return p.oid, nil
	}
	// The discovery document outlives the request that fetched it.
	o, err := oidc.NewProvider(context.WithoutCancel(ctx), p.Issuer)
	if err != nil {
		return nil, err
	}
	p.oid = o
	return o, nil
}

func (p *provider) oauth(o *oidc.Provider, redirectURL string) *oauth2.Config {
	if p.RedirectURL != "" {
		redirectURL = p.RedirectURL
	}
	return &oauth2.Config{ClientID: p.ClientID, ClientSecret: p.ClientSecret, Endpoint: o.Endpoint(), RedirectURL: redirectURL, Scopes: p.scopes()}
}

func random() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func hash(v string) string {
	sum := sha256.Sum256([]byte(v))
	return hex.EncodeToString(sum[:])
}

// Begin starts a sign-in: it stores the state (hashed), nonce and PKCE verifier, and returns the
// provider's address to send the browser to and the state, which the caller also binds to the
// browser (a cookie) so that a sign-in started in another browser cannot be finished in this one.
// next is where the person goes afterwards, already checked to be a local path by the caller.
func (s *Service) Begin(ctx context.Context, id, redirectURL, next string) (authURL, state string, err error) {
	p := s.find(id)
	if p == nil {
		return "", "", apperr.New(apperr.NotFound, "sso.error.unknown_provider")
	}
	o, err := p.discover(ctx)
	if err != nil {
		s.refuse(ctx, p.ID, "", "discovery", err)
		return "", "", &apperr.Error{Kind: apperr.Internal, Key: "sso.error.provider", Args: []any{p.Name}, Cause: err}
	}
	if len(next) > 2000 {
		// A page address that long is no page of ours; the person lands on their workspace.
		next = ""
	}
	state, nonce, verifier := random(), random(), oauth2.GenerateVerifier()
	now := s.Now()
	addr := audit.WhoFrom(ctx).Addr
	err = s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		if addr != "" {
			var n int
			if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM sso_pending WHERE addr = ? AND expires_at >= ?", addr, db.Millis(now)).Scan(&n); err != nil {
				return err
			}
			if n >= s.MaxPending {
				return apperr.New(apperr.TooMany, "sso.error.too_many", int(pendingFor.Minutes()))
			}
		}
		// Housekeeping rides on sign-ins, like the sessions'.
		if _, err := tx.ExecContext(ctx, "DELETE FROM sso_pending WHERE expires_at < ?", db.Millis(now)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM sso_signups WHERE expires_at < ?", db.Millis(now)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "INSERT INTO sso_pending (state_hash, provider, nonce, verifier, next, addr, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
			hash(state), p.ID, nonce, verifier, next, addr, db.Millis(now.Add(pendingFor)))
		return err
	})
	if apperr.Is(err, apperr.TooMany) {
		_ = audit.RecordView(ctx, s.DB, audit.Entry{Action: "sso.refused", ObjectType: "sso", ObjectID: p.ID, Detail: p.ID + " too_many_started"})
		return "", "", err
	}
	if err != nil {
		return "", "", apperr.Wrap(err, "store pending sign-in")
	}
	return p.oauth(o, redirectURL).AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oidc.Nonce(nonce)), state, nil
}

// Callback is what the provider sent the browser back with.
type Callback struct {
	State string
	// BrowserState is the state bound to the browser at Begin (its cookie).
	BrowserState string
	Code         string
	// Error is the provider's error code (access_denied when the person cancelled).
	Error string
}

// Result is a finished sign-in: either a user to start a session for, or a new learner who must
// first choose their place (SignupToken, see Signup).
type Result struct {
	User accounts.User
	// MFA tells whether the provider asserted a second factor (amr). The session is created with
	// it: at merge, the lead wires it to the staff second-factor gate (TOTP), so that a person the
	// provider already checked twice is not asked again.
	MFA         bool
	Next        string
	SignupToken string
}

// identity is what a verified ID token (and the userinfo endpoint) says about the person.
type identity struct {
	Subject       string
	Username      string
	Email         string
	EmailVerified bool
	Phone         string
	PhoneVerified bool
	Name          string
	MFA           bool
}

// pending is a sign-in under way, as Begin stored it.
type pending struct {
	provider, nonce, verifier, next string
}

// Complete finishes a sign-in. Every refusal is written to the audit log (sso.refused, with the
// reason) and answered with an Unauthenticated error whose message says what to do.
func (s *Service) Complete(ctx context.Context, id, redirectURL string, cb Callback) (Result, error) {
	p := s.find(id)
	if p == nil {
		return Result{}, apperr.New(apperr.NotFound, "sso.error.unknown_provider")
	}
	if cb.State == "" || len(cb.State) > 200 || len(cb.Code) > 4096 {
		return Result{}, s.refuse(ctx, p.ID, "", "malformed", nil)
	}
	// The state is consumed before anything else: whatever follows, it cannot be used twice.
	pd, found, err := s.takePending(ctx, cb.State)
	if err != nil {
		return Result{}, err
	}
	switch {
	case !found:
		return Result{}, s.refuse(ctx, p.ID, "", "state_unknown", nil)
	case pd.provider != p.ID:
		return Result{}, s.refuse(ctx, p.ID, "", "state_provider", nil)
	case subtle.ConstantTimeCompare([]byte(cb.BrowserState), []byte(cb.State)) != 1:
		return Result{}, s.refuse(ctx, p.ID, "", "state_browser", nil)
	case cb.Error != "":
		if cb.Error == "access_denied" {
			return Result{}, apperr.New(apperr.Unauthenticated, "sso.error.cancelled", p.Name)
		}
		return Result{}, s.refuse(ctx, p.ID, "", "provider_error "+truncate(cb.Error, 60), nil)
	case cb.Code == "":
		return Result{}, s.refuse(ctx, p.ID, "", "malformed", nil)
	}
	o, err := p.discover(ctx)
	if err != nil {
		s.refuse(ctx, p.ID, "", "discovery", err)
		return Result{}, &apperr.Error{Kind: apperr.Internal, Key: "sso.error.provider", Args: []any{p.Name}, Cause: err}
	}
	tok, err := p.oauth(o, redirectURL).Exchange(ctx, cb.Code, oauth2.VerifierOption(pd.verifier))
	if err != nil {
		return Result{}, s.refuse(ctx, p.ID, "", "exchange", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return Result{}, s.refuse(ctx, p.ID, "", "no_id_token", nil)
	}
	who, err := s.verify(ctx, p, o, raw, pd.nonce)
	if err != nil {
		return Result{}, err
	}
	if err := s.fillFromUserinfo(ctx, p, o, tok, &who); err != nil {
		return Result{}, err
	}
	return s.signIn(ctx, p, who, pd.next)
}

// takePending deletes and returns the pending sign-in of a state. The DELETE decides: of two
// requests racing with one state (on two instances), one deletes the row and the other finds none.
func (s *Service) takePending(ctx context.Context, state string) (pending, bool, error) {
	var pd pending
	var exp int64
	found := false
	err := s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		err := tx.QueryRowContext(ctx, "DELETE FROM sso_pending WHERE state_hash = ? RETURNING provider, nonce, verifier, next, expires_at",
			hash(state)).Scan(&pd.provider, &pd.nonce, &pd.verifier, &pd.next, &exp)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		found = err == nil
		return err
	})
	if err != nil {
		return pending{}, false, apperr.Wrap(err, "take pending sign-in")
	}
	if found && s.Now().UnixMilli() > exp {
		return pending{}, false, nil
	}
	return pd, found, nil
}

// verify checks a raw ID token: signature against the provider's keys, issuer, audience (our
// client id), expiry (go-oidc), and that its nonce is the one stored for this sign-in.
func (s *Service) verify(ctx context.Context, p *provider, o *oidc.Provider, raw, nonce string) (identity, error) {
	idt, err := o.VerifierContext(ctx, &oidc.Config{ClientID: p.ClientID, Now: s.Now}).Verify(ctx, raw)
	if err != nil {
		var expired *oidc.TokenExpiredError
		switch {
		case errors.As(err, &expired):
			return identity{}, s.refuse(ctx, p.ID, "", "id_token_expired", err)
		case strings.Contains(err.Error(), "audience"):
			return identity{}, s.refuse(ctx, p.ID, "", "id_token_audience", err)
		default:
			return identity{}, s.refuse(ctx, p.ID, "", "id_token_invalid", err)
		}
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(nonce)) != 1 {
		return identity{}, s.refuse(ctx, p.ID, idt.Subject, "nonce", nil)
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return identity{}, s.refuse(ctx, p.ID, idt.Subject, "id_token_invalid", err)
	}
	who := identity{Subject: idt.Subject}
	who.take(p.Claims, claims)
	var amr struct {
		AMR []string `json:"amr"`
	}
	_ = idt.Claims(&amr)
	who.MFA = AssertsMFA(amr.AMR)
	if who.Subject == "" || len(who.Subject) > 255 {
		return identity{}, s.refuse(ctx, p.ID, "", "id_token_invalid", nil)
	}
	return who, nil
}

// take fills the mapped claims that are present and not yet known.
func (who *identity) take(c Claims, claims map[string]any) {
	str := func(name string) string {
		v, _ := claims[name].(string)
		v = strings.TrimSpace(v)
		if !utf8.ValidString(v) || len(v) > 200 {
			return ""
		}
		return v
	}
	if who.Username == "" {
		who.Username = str(c.Username)
	}
	if who.Email == "" {
		who.Email = strings.ToLower(str(c.Email))
		switch v := claims[c.EmailVerified].(type) {
		case bool:
			who.EmailVerified = v
		case string: // some providers send "true"
			who.EmailVerified = v == "true"
		}
	}
	if who.Phone == "" {
		who.Phone = str(c.Phone)
		switch v := claims[c.PhoneVerified].(type) {
		case bool:
			who.PhoneVerified = v
		case string:
			who.PhoneVerified = v == "true"
		}
	}
	if who.Name == "" {
		who.Name = str(c.Name)
	}
}

// fillFromUserinfo asks the userinfo endpoint for the claims the ID token left out (many providers
// put only the subject in it). The answer must be about the same subject.
func (s *Service) fillFromUserinfo(ctx context.Context, p *provider, o *oidc.Provider, tok *oauth2.Token, who *identity) error {
	if who.Email != "" && who.Username != "" && who.Name != "" {
		return nil
	}
	if o.UserInfoEndpoint() == "" {
		return nil
	}
	ui, err := o.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		// The ID token alone identifies the person; the missing claims only fill in names.
		return nil
	}
	if ui.Subject != who.Subject {
		return s.refuse(ctx, p.ID, who.Subject, "userinfo_subject", nil)
	}
	var claims map[string]any
	if err := ui.Claims(&claims); err != nil {
		return nil
	}
	who.take(p.Claims, claims)
	return nil
}

// signIn finds the account linked to the identity, or starts a learner's sign-up.
func (s *Service) signIn(ctx context.Context, p *provider, who identity, next string) (Result, error) {
	userID, err := s.linkedUser(ctx, p, who)
	if err != nil {
		return Result{}, err
	}
	if userID == 0 {
		if !p.CreateLearners {
			return Result{}, s.refuse(ctx, p.ID, who.Subject, "unlinked", nil)
		}
		token, err := s.startSignup(ctx, p, who, next)
		if err != nil {
			return Result{}, err
		}
		return Result{SignupToken: token, MFA: who.MFA, Next: next}, nil
	}
	u, err := s.Accounts.FindUser(authz.WithActor(ctx, authz.System), userID)
	if err != nil {
		return Result{}, err
	}
	if u.Disabled {
		return Result{}, s.refuse(ctx, p.ID, who.Subject, "disabled", nil)
	}
	if !p.allows(u.Grants) {
		return Result{}, s.refuse(ctx, p.ID, who.Subject, "role", nil)
	}
	now := db.Millis(s.Now())
	err = s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, "UPDATE sso_identities SET last_login_at = ? WHERE provider = ? AND subject = ?", now, p.ID, who.Subject); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE users SET last_login_at = ? WHERE id = ?", now, u.ID); err != nil {
			return err
		}
		detail := p.ID
		if who.MFA {
			detail += " mfa"
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "sso.login", ActorID: u.ID, ActorName: u.Username, ObjectType: "user",
			ObjectID: strconv.FormatInt(u.ID, 10), Detail: detail})
	})
	if err != nil {
		return Result{}, apperr.Wrap(err, "record sso login")
	}
	return Result{User: u, MFA: who.MFA, Next: next}, nil
}

// linkedUser returns the account linked to the identity: by its subject, or, the first time, by an
// e-mail address an administrator linked, only when the provider says the address is verified (an
// unverified address proves nothing: anyone may type anyone's). The subject is then bound, so
// later sign-ins go by the subject even if the address changes. 0 when nothing is linked.
func (s *Service) linkedUser(ctx context.Context, p *provider, who identity) (int64, error) {
	var userID int64
	err := s.DB.Reader().QueryRowContext(ctx, "SELECT user_id FROM sso_identities WHERE provider = ? AND subject = ?", p.ID, who.Subject).Scan(&userID)
	if err == nil {
		return userID, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, apperr.Wrap(err, "find sso link")
	}
	if who.Email == "" {
		return 0, nil
	}
	if !who.EmailVerified {
		var n int
		if err := s.DB.Reader().QueryRowContext(ctx, "SELECT COUNT(*) FROM sso_identities WHERE provider = ? AND subject = '' AND email = ?", p.ID, who.Email).Scan(&n); err != nil {
			return 0, apperr.Wrap(err, "find sso link")
		}
		if n > 0 {
			return 0, s.refuse(ctx, p.ID, who.Subject, "email_unverified", nil)
		}
		return 0, nil
	}
	err = s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		var linkID int64
		err := tx.QueryRowContext(ctx, "SELECT id, user_id FROM sso_identities WHERE provider = ? AND subject = '' AND email = ?", p.ID, who.Email).Scan(&linkID, &userID)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		} else if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE sso_identities SET subject = ? WHERE id = ?", who.Subject, linkID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "sso.bind", ActorID: userID, ObjectType: "user", ObjectID: strconv.FormatInt(userID, 10),
			Detail: p.ID + " " + who.Email})
	})
	if err != nil {
		return 0, apperr.Wrap(err, "bind sso link")
	}
	return userID, nil
}

// refuse writes a refused sign-in to the audit log and returns the error the person sees. The
// reason is for the auditor (and the cause for the server's log); the message says what to do.
func (s *Service) refuse(ctx context.Context, providerID, subject, reason string, cause error) error {
	detail := providerID + " " + reason
	if subject != "" {
		detail += " sub=" + truncate(subject, 80)
	}
	if cause != nil {
		detail += ": " + truncate(cause.Error(), 300)
	}
	_ = audit.RecordView(ctx, s.DB, audit.Entry{Action: "sso.refused", ObjectType: "sso", ObjectID: providerID, Detail: detail})
	key := "sso.error.refused"
	switch {
	case strings.HasPrefix(reason, "state"):
		key = "sso.error.state"
	case strings.HasPrefix(reason, "id_token_expired"):
		key = "sso.error.expired"
	case strings.HasPrefix(reason, "id_token"), reason == "nonce", reason == "userinfo_subject", reason == "no_id_token":
		key = "sso.error.token"
	case reason == "unlinked", reason == "email_unverified":
		key = "sso.error.unlinked"
	case reason == "role":
		key = "sso.error.role"
	case reason == "disabled":
		key = "accounts.error.disabled"
	case reason == "discovery":
		return nil
	}
	var name string
	if p := s.find(providerID); p != nil {
		name = p.Name
	}
	return &apperr.Error{Kind: apperr.Unauthenticated, Key: key, Args: []any{name}, Cause: cause}
}

func truncate(s string, n int) string {
	s = strings.ToValidUTF8(s, "")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
