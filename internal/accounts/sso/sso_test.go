package sso

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/oidctest"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/units"
)

// The provider's users: a province official whose address the provider has verified, a pupil, and
// someone whose address it has not verified.
var opUsers = []oidctest.User{
	{ID: "sub-canbo-1", Username: "canbo.so", Password: "mat-khau-nha-cung-cap", FirstName: "Lan", LastName: "Nguyễn Thị",
		Email: "lan.nt@quangngai.gov.vn", EmailVerified: true},
	{ID: "sub-hocvien-1", Username: "hocvien.an", Password: "mat-khau-nha-cung-cap", FirstName: "An", LastName: "Trần Văn",
		Email: "an.tv@example.vn", EmailVerified: true},
	{ID: "sub-chuaxacminh", Username: "chua.xac.minh", Password: "mat-khau-nha-cung-cap", FirstName: "Bình", LastName: "Lê",
		Email: "binh.le@quangngai.gov.vn", EmailVerified: false},
}

const redirect = "http://localhost:9/login/sso/callback"

func startProvider(t *testing.T) *oidctest.Provider {
	port := oidctest.FreePort(t)
	return oidctest.Start(t, port, opUsers, redirect)
}

// configs are the providers the tests use, all on the same real provider: staff only (linked by an
// administrator), learners created at first sign-in, and one registered under the provider's other
// client, whose tokens are not for us.
func configs(issuer string) []Provider {
	return []Provider{
		{ID: "tinh", Name: "Cổng định danh tỉnh", Issuer: issuer, ClientID: oidctest.ClientID, ClientSecret: oidctest.ClientSecret,
			Roles: []authz.Role{authz.ProvinceAdmin, authz.UnitAdmin}},
		{ID: "hoc", Name: "Cổng học tập", Issuer: issuer, ClientID: oidctest.ClientID, ClientSecret: oidctest.ClientSecret,
			CreateLearners: true, Roles: []authz.Role{authz.Learner}},
	}
}

func browser(t *testing.T) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 20 * time.Second}
}

func setup(t *testing.T, d *db.DB, issuer string) (*Service, context.Context) {
	t.Helper()
	sys := authz.WithActor(context.Background(), authz.System)
	if _, err := units.NewService(d).SeedQuangNgai(sys); err != nil {
		t.Fatal(err)
	}
	s, err := New(d, accounts.NewService(d), configs(issuer))
	if err != nil {
		t.Fatal(err)
	}
	return s, sys
}

// signIn runs a whole sign-in through the provider's login form; the callback's parameters are
// handed to Complete as the application's handler would.
func (s *Service) testSignIn(t *testing.T, ctx context.Context, id, username string) (Result, error) {
	t.Helper()
	authURL, state, err := s.Begin(ctx, id, redirect, "/courses")
	if err != nil {
		t.Fatal(err)
	}
	code, gotState, err := oidctest.Code(browser(t), authURL, username, "mat-khau-nha-cung-cap", redirect)
	if err != nil {
		t.Fatal(err)
	}
	if gotState != state {
		t.Fatalf("state came back as %q, sent %q", gotState, state)
	}
	return s.Complete(ctx, id, redirect, Callback{State: state, BrowserState: state, Code: code})
}

func wantRefused(t *testing.T, err error, key string) {
	t.Helper()
	if !apperr.Is(err, apperr.Unauthenticated) || apperr.As(err).Key != key {
		t.Fatalf("err = %v, want %s", err, key)
	}
}

// refusals are the reasons of the audited refused sign-ins, in order.
func refusals(t *testing.T, d *db.DB) []string {
	t.Helper()
	list, err := audit.List(context.Background(), d.Reader(), audit.Filter{Action: "sso.refused", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := len(list) - 1; i >= 0; i-- {
		f := strings.Fields(list[i].Detail)
		out = append(out, strings.TrimSuffix(f[1], ":"))
	}
	return out
}

func TestSignInThroughRealProvider(t *testing.T) {
	op := startProvider(t)
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		s, sys := setup(t, d, op.Issuer)
		staff, err := s.Accounts.CreateUser(sys, accounts.NewUser{Username: "qt.tinh", Password: "mật khẩu đủ dài để thử", Role: authz.ProvinceAdmin, UnitCode: "51"})
		if err != nil {
			t.Fatal(err)
		}

		// Not linked: refused, never matched silently by the address on the account.
		wantRefused(t, func() error { _, err := s.testSignIn(t, sys, "tinh", "canbo.so"); return err }(), "sso.error.unlinked")

		// An administrator links the account by the verified address; the subject is bound at the
		// first sign-in, and later ones go by it.
		if _, err := s.LinkUser(sys, "tinh", staff.ID, "", "LAN.NT@quangngai.gov.vn"); err != nil {
			t.Fatal(err)
		}
		res, err := s.testSignIn(t, sys, "tinh", "canbo.so")
		if err != nil || res.User.ID != staff.ID || res.Next != "/courses" || res.MFA {
			t.Fatalf("res = %+v, %v", res, err)
		}
		links, err := s.Links(sys, staff.ID)
		if err != nil || len(links) != 1 || links[0].Subject != "sub-canbo-1" || links[0].LastLoginAt.IsZero() {
			t.Fatalf("links = %+v, %v", links, err)
		}
		if res, err := s.testSignIn(t, sys, "tinh", "canbo.so"); err != nil || res.User.ID != staff.ID {
			t.Fatalf("second sign-in: %+v, %v", res, err)
		}

		// A link by an address the provider has not verified opens nothing.
		other, _ := s.Accounts.CreateUser(sys, accounts.NewUser{Username: "qt.huyen", Password: "mật khẩu đủ dài để thử", Role: authz.UnitAdmin, UnitCode: "535"})
		if _, err := s.LinkUser(sys, "tinh", other.ID, "", "binh.le@quangngai.gov.vn"); err != nil {
			t.Fatal(err)
		}
		wantRefused(t, func() error { _, err := s.testSignIn(t, sys, "tinh", "chua.xac.minh"); return err }(), "sso.error.unlinked")

		// A learner is created at the first sign-in, with the place they choose, once.
		res, err = s.testSignIn(t, sys, "hoc", "hocvien.an")
		if err != nil || res.SignupToken == "" || res.User.ID != 0 {
			t.Fatalf("learner's first sign-in: %+v, %v", res, err)
		}
		su, err := s.Signup(sys, res.SignupToken)
		if err != nil || su.Username != "hocvien.an" || su.Email != "an.tv@example.vn" || su.DisplayName == "" {
			t.Fatalf("signup = %+v, %v", su, err)
		}
		if _, _, err := s.FinishSignup(sys, res.SignupToken, accounts.NewUser{Username: "hocvien.an", DisplayName: su.DisplayName}); !apperr.Is(err, apperr.Invalid) {
			t.Fatalf("sign-up without a place: %v", err)
		}
		learner, _, err := s.FinishSignup(sys, res.SignupToken, accounts.NewUser{Username: "hocvien.an", DisplayName: su.DisplayName, UnitCode: "21484"})
		if err != nil || learner.Grants[0].Role != authz.Learner || learner.Email != "an.tv@example.vn" {
			t.Fatalf("learner = %+v, %v", learner, err)
		}
		if _, _, err := s.FinishSignup(sys, res.SignupToken, accounts.NewUser{Username: "hocvien.an2", DisplayName: "x", UnitCode: "21484"}); !apperr.Is(err, apperr.Unauthenticated) {
			t.Fatalf("second use of a sign-up: %v", err)
		}
		if res, err := s.testSignIn(t, sys, "hoc", "hocvien.an"); err != nil || res.User.ID != learner.ID {
			t.Fatalf("learner's second sign-in: %+v, %v", res, err)
		}
		// The staff provider is not for learners.
		if _, err := s.LinkUser(sys, "tinh", learner.ID, "sub-hocvien-1", ""); err != nil {
			t.Fatal(err)
		}
		wantRefused(t, func() error { _, err := s.testSignIn(t, sys, "tinh", "hocvien.an"); return err }(), "sso.error.role")

		// A disabled account stays closed.
		if err := s.Accounts.SetDisabled(sys, staff.ID, true); err != nil {
			t.Fatal(err)
		}
		wantRefused(t, func() error { _, err := s.testSignIn(t, sys, "tinh", "canbo.so"); return err }(), "accounts.error.disabled")

		got := strings.Join(refusals(t, d), ",")
		if got != "unlinked,email_unverified,role,disabled" {
			t.Errorf("audited refusals = %s", got)
		}
		if list, _ := audit.List(sys, d.Reader(), audit.Filter{Action: "sso.login"}); len(list) != 3 {
			t.Errorf("audited sign-ins = %d, want 3", len(list))
		}
	})
}

// The state is used once, belongs to the browser that started the sign-in, and expires.
func TestStateIsUsedOnce(t *testing.T) {
	op := startProvider(t)
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		s, sys := setup(t, d, op.Issuer)
		learner := func() (string, string) {
			authURL, state, err := s.Begin(sys, "hoc", redirect, "/")
			if err != nil {
				t.Fatal(err)
			}
			code, _, err := oidctest.Code(browser(t), authURL, "hocvien.an", "mat-khau-nha-cung-cap", redirect)
			if err != nil {
				t.Fatal(err)
			}
			return state, code
		}
		state, code := learner()
		if res, err := s.Complete(sys, "hoc", redirect, Callback{State: state, BrowserState: state, Code: code}); err != nil || res.SignupToken == "" {
			t.Fatalf("first use: %+v, %v", res, err)
		}
		// Replayed: the same state and code again.
		_, err := s.Complete(sys, "hoc", redirect, Callback{State: state, BrowserState: state, Code: code})
		wantRefused(t, err, "sso.error.state")

		// Another browser's state (login CSRF): refused, and the state is spent all the same.
		state, code = learner()
		_, err = s.Complete(sys, "hoc", redirect, Callback{State: state, BrowserState: "other", Code: code})
		wantRefused(t, err, "sso.error.state")
		_, err = s.Complete(sys, "hoc", redirect, Callback{State: state, BrowserState: state, Code: code})
		wantRefused(t, err, "sso.error.state")

		// Too late: the person spent more than ten minutes at the provider.
		state, code = learner()
		now := time.Now()
		s.Now = func() time.Time { return now.Add(pendingFor + time.Minute) }
		_, err = s.Complete(sys, "hoc", redirect, Callback{State: state, BrowserState: state, Code: code})
		wantRefused(t, err, "sso.error.state")
		s.Now = time.Now

		// A next too long to be a page of ours is dropped.
		authURL, state, err := s.Begin(sys, "hoc", redirect, "/"+strings.Repeat("a", 3000))
		if err != nil {
			t.Fatal(err)
		}
		code, _, err = oidctest.Code(browser(t), authURL, "hocvien.an", "mat-khau-nha-cung-cap", redirect)
		if err != nil {
			t.Fatal(err)
		}
		if res, err := s.Complete(sys, "hoc", redirect, Callback{State: state, BrowserState: state, Code: code}); err != nil || res.Next != "" {
			t.Fatalf("long next: %q, %v", res.Next, err)
		}

		// Malformed and unknown.
		_, err = s.Complete(sys, "hoc", redirect, Callback{State: strings.Repeat("x", 500), BrowserState: "x", Code: "c"})
		wantRefused(t, err, "sso.error.refused")
		if _, err := s.Complete(sys, "nope", redirect, Callback{State: "x"}); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("unknown provider: %v", err)
		}
		got := strings.Join(refusals(t, d), ",")
		if got != "state_unknown,state_browser,state_unknown,state_unknown,malformed" {
			t.Errorf("audited refusals = %s", got)
		}
	})
}

// rawToken signs in at the real provider as client clientID with a nonce of ours and returns the
// ID token it issues.
func rawToken(t *testing.T, ctx context.Context, issuer, clientID, secret, nonce string) string {
	t.Helper()
	o, err := oidc.NewProvider(ctx, issuer)
	if err != nil {
		t.Fatal(err)
	}
	conf := &oauth2.Config{ClientID: clientID, ClientSecret: secret, Endpoint: o.Endpoint(), RedirectURL: redirect, Scopes: []string{oidc.ScopeOpenID, "profile", "email"}}
	verifier := oauth2.GenerateVerifier()
	code, _, err := oidctest.Code(browser(t), conf.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier), oidc.Nonce(nonce)), "canbo.so", "mat-khau-nha-cung-cap", redirect)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		t.Fatal("no id_token")
	}
	return raw
}

// ID tokens issued by the real provider are refused when they are for another client, expired,
// carry another sign-in's nonce, or were tampered with.
func TestIDTokenRefusals(t *testing.T) {
	op := startProvider(t)
	d := dbtest.SQLite(t, schema.All())
	s, sys := setup(t, d, op.Issuer)
	p := s.find("tinh")
	o, err := p.discover(sys)
	if err != nil {
		t.Fatal(err)
	}
	ours := rawToken(t, sys, op.Issuer, oidctest.ClientID, oidctest.ClientSecret, "nonce-A")
	theirs := rawToken(t, sys, op.Issuer, oidctest.OtherClientID, oidctest.OtherSecret, "nonce-A")

	if who, err := s.verify(sys, p, o, ours, "nonce-A"); err != nil || who.Subject != "sub-canbo-1" {
		t.Fatalf("our own token: %+v, %v", who, err)
	}
	_, err = s.verify(sys, p, o, theirs, "nonce-A")
	wantRefused(t, err, "sso.error.token")
	_, err = s.verify(sys, p, o, ours, "nonce-B")
	wantRefused(t, err, "sso.error.token")
	// The provider's ID tokens live an hour.
	s.Now = func() time.Time { return time.Now().Add(2 * time.Hour) }
	_, err = s.verify(sys, p, o, ours, "nonce-A")
	wantRefused(t, err, "sso.error.expired")
	s.Now = time.Now
	// Tampered: one character of the payload changed, so the signature no longer matches.
	parts := strings.Split(ours, ".")
	b := []byte(parts[1])
	b[10] ^= 1
	_, err = s.verify(sys, p, o, parts[0]+"."+string(b)+"."+parts[2], "nonce-A")
	wantRefused(t, err, "sso.error.token")
	_, err = s.verify(sys, p, o, "not.a.token", "nonce-A")
	wantRefused(t, err, "sso.error.token")

	got := strings.Join(refusals(t, d), ",")
	if got != "id_token_audience,nonce,id_token_expired,id_token_invalid,id_token_invalid" {
		t.Errorf("audited refusals = %s", got)
	}
}

func TestAssertsMFA(t *testing.T) {
	for _, c := range []struct {
		amr  []string
		want bool
	}{
		{nil, false}, {[]string{"pwd"}, false}, {[]string{"pwd", "otp"}, true}, {[]string{"MFA"}, true},
		{[]string{"hwk"}, true}, {[]string{"swk", "pwd"}, true}, {[]string{"sms"}, true}, {[]string{"totp"}, true},
		{[]string{"kba", "pin"}, false}, {[]string{""}, false},
	} {
		if got := AssertsMFA(c.amr); got != c.want {
			t.Errorf("AssertsMFA(%v) = %v", c.amr, got)
		}
	}
}

func TestValidateConfig(t *testing.T) {
	good := Provider{ID: "tinh", Name: "Tỉnh", Issuer: "https://sso.quangngai.gov.vn", ClientID: "lantoa"}
	if err := Validate([]Provider{good}); err != nil {
		t.Fatal(err)
	}
	bad := map[string]Provider{
		"id":       {ID: "Tỉnh", Name: "x", Issuer: "https://x", ClientID: "c"},
		"issuer":   {ID: "a", Name: "x", Issuer: "sso.example", ClientID: "c"},
		"client":   {ID: "a", Name: "x", Issuer: "https://x"},
		"role":     {ID: "a", Name: "x", Issuer: "https://x", ClientID: "c", Roles: []authz.Role{"boss"}},
		"learners": {ID: "a", Name: "x", Issuer: "https://x", ClientID: "c", CreateLearners: true, Roles: []authz.Role{authz.UnitAdmin}},
	}
	for name, p := range bad {
		if err := Validate([]Provider{p}); err == nil {
			t.Errorf("%s: accepted %+v", name, p)
		}
	}
	if err := Validate([]Provider{good, good}); err == nil {
		t.Error("duplicate id accepted")
	}
}

func TestLinkUserRefusesBadInput(t *testing.T) {
	d := dbtest.SQLite(t, schema.All())
	s, sys := setup(t, d, "https://sso.example.vn/")
	u, err := s.Accounts.CreateUser(sys, accounts.NewUser{Username: "qt.tinh", Password: "mật khẩu đủ dài để thử", Role: authz.ProvinceAdmin, UnitCode: "51"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ provider, subject, email, field string }{
		{"khong-co", "s", "", "provider"},
		{"tinh", "", "", "subject"},
		{"tinh", "s", "a@b.vn", "subject"},
		{"tinh", strings.Repeat("s", 256), "", "subject"},
		{"tinh", "", "not-an-address", "email"},
	} {
		if _, err := s.LinkUser(sys, c.provider, u.ID, c.subject, c.email); apperr.As(err).Field != c.field {
			t.Errorf("%+v: %v", c, err)
		}
	}
	if _, err := s.LinkUser(sys, "tinh", u.ID, "sub-1", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LinkUser(sys, "tinh", u.ID, "sub-1", ""); !apperr.Is(err, apperr.Conflict) {
		t.Errorf("same subject twice: %v", err)
	}
	// A unit administrator may not link a province administrator's account.
	ua, _ := s.Accounts.CreateUser(sys, accounts.NewUser{Username: "qt.huyen", Password: "mật khẩu đủ dài để thử", Role: authz.UnitAdmin, UnitCode: "535"})
	actor := &authz.Actor{UserID: ua.ID, Username: ua.Username, Grants: ua.Grants}
	if _, err := s.LinkUser(authz.WithActor(context.Background(), actor), "tinh", u.ID, "sub-2", ""); err == nil {
		t.Error("a unit administrator linked a province administrator")
	}
	links, _ := s.Links(sys, u.ID)
	if len(links) != 1 {
		t.Fatalf("links = %+v", links)
	}
	if err := s.UnlinkUser(sys, u.ID, links[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := s.UnlinkUser(sys, u.ID, links[0].ID); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("unlink twice: %v", err)
	}
}

func TestSuggestUsername(t *testing.T) {
	for in, want := range map[identity]string{
		{Username: "Canbo.So"}:                   "canbo.so",
		{Email: "an.tv@example.vn"}:              "an.tv",
		{Username: "Nguyễn Văn A"}:               "nguynvna",
		{Username: "ab"}:                         "",
		{Username: "__x__", Email: "q@q.vn"}:     "",
		{Username: strings.Repeat("a", 80)}:      strings.Repeat("a", 64),
		{Username: "", Email: "le.binh@gov.vn"}:  "le.binh",
		{Username: "user@domain.vn", Email: "x"}: "userdomain.vn",
	} {
		if got := suggestUsername(in); got != want {
			t.Errorf("suggestUsername(%+v) = %q, want %q", in, got, want)
		}
	}
}

// Sign-ins started from one address and never finished are bounded, so that pressing the button
// in a loop cannot fill the table; other addresses are not affected, and the bound lifts as the
// starts expire.
func TestStartedSignInsPerAddress(t *testing.T) {
	op := startProvider(t)
	d := dbtest.SQLite(t, schema.All())
	s, sys := setup(t, d, op.Issuer)
	s.MaxPending = 2
	from := func(addr string) context.Context { return audit.WithWho(sys, audit.Who{Addr: addr}) }
	for range 2 {
		if _, _, err := s.Begin(from("203.0.113.7"), "tinh", redirect, "/"); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := s.Begin(from("203.0.113.7"), "tinh", redirect, "/"); !apperr.Is(err, apperr.TooMany) {
		t.Fatalf("third start from one address: %v", err)
	}
	if _, _, err := s.Begin(from("198.51.100.2"), "tinh", redirect, "/"); err != nil {
		t.Fatalf("another address: %v", err)
	}
	now := time.Now()
	s.Now = func() time.Time { return now.Add(pendingFor + time.Second) }
	if _, _, err := s.Begin(from("203.0.113.7"), "tinh", redirect, "/"); err != nil {
		t.Fatalf("after the starts expired: %v", err)
	}
	if got := strings.Join(refusals(t, d), ","); got != "too_many_started" {
		t.Errorf("audited refusals = %s", got)
	}
}
