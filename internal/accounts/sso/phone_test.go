package sso

import (
	"testing"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/oidctest"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
)

// A learner created at their first sign-in takes the phone the provider verified
// (phone_number_verified), so they can later sign in with a code sent there; a number the provider
// did not verify is left out, and so is one that already signs in another account (never moved).
func TestSignupKeepsAVerifiedPhone(t *testing.T) {
	users := []oidctest.User{
		{ID: "sub-a", Username: "hs.a", Password: "mat-khau-nha-cung-cap", FirstName: "A", LastName: "Trần", Email: "a@example.vn", EmailVerified: true,
			Phone: "+84 905 123 456", PhoneVerified: true},
		{ID: "sub-b", Username: "hs.b", Password: "mat-khau-nha-cung-cap", FirstName: "B", LastName: "Lê", Email: "b@example.vn", EmailVerified: true,
			Phone: "0905 222 333", PhoneVerified: false},
		{ID: "sub-c", Username: "hs.c", Password: "mat-khau-nha-cung-cap", FirstName: "C", LastName: "Võ", Email: "c@example.vn", EmailVerified: true,
			Phone: "0905123456", PhoneVerified: true},
	}
	op := oidctest.Start(t, oidctest.FreePort(t), users, redirect)
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		s, sys := setup(t, d, op.Issuer)
		s.find("hoc").Scopes = []string{"openid", "profile", "email", "phone"}
		signUp := func(username string) accounts.User {
			t.Helper()
			res, err := s.testSignIn(t, sys, "hoc", username)
			if err != nil || res.SignupToken == "" {
				t.Fatalf("%s: first sign-in %+v, %v", username, res, err)
			}
			u, _, err := s.FinishSignup(sys, res.SignupToken, accounts.NewUser{Username: username, DisplayName: username, UnitCode: "21484"})
			if err != nil {
				t.Fatalf("%s: sign-up: %v", username, err)
			}
			return u
		}
		phoneOf := func(u accounts.User) string {
			t.Helper()
			p, err := s.Accounts.PhoneOf(sys, u)
			if err != nil {
				t.Fatal(err)
			}
			return p.Masked
		}
		if got := phoneOf(signUp("hs.a")); got != "0905***456" {
			t.Errorf("verified phone: %q, want 0905***456", got)
		}
		if got := phoneOf(signUp("hs.b")); got != "" {
			t.Errorf("unverified phone kept: %q", got)
		}
		if got := phoneOf(signUp("hs.c")); got != "" {
			t.Errorf("a number of another account was given again: %q", got)
		}
	})
}
