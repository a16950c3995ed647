package accounts_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/units"
)

const pw = "mật khẩu đủ dài để thử"

func setup(t testing.TB, d *db.DB) (*accounts.Service, context.Context) {
	t.Helper()
	sys := authz.WithActor(context.Background(), authz.System)
	if _, err := units.NewService(d).SeedQuangNgai(sys); err != nil {
		t.Fatal(err)
	}
	return accounts.NewService(d), sys
}

func TestSessionsExpireAndTokensRevoke(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		s, sys := setup(t, d)
		now := time.Date(2023, 7, 20, 8, 0, 0, 0, time.UTC)
		s.Now = func() time.Time { return now }
		u, err := s.CreateUser(sys, accounts.NewUser{Username: "ubnd.bato", Password: pw, Role: authz.UnitAdmin, UnitCode: "535"})
		if err != nil {
			t.Fatal(err)
		}
		cookie, err := s.CreateSession(sys, u.ID, "127.0.0.1", "test")
		if err != nil {
			t.Fatal(err)
		}
		actor, _, err := s.ActorForSession(sys, cookie)
		if err != nil || actor.UserID != u.ID || !actor.AdministersUnit("/51/535/21484/") || actor.AdministersUnit("/51/530/") {
			t.Fatalf("actor = %+v, %v", actor, err)
		}
		now = now.Add(s.IdleTimeout + time.Minute)
		if _, _, err := s.ActorForSession(sys, cookie); !apperr.Is(err, apperr.Unauthenticated) {
			t.Errorf("idle session still valid: %v", err)
		}
		token, err := s.CreateToken(sys, u.ID, "ci")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.ActorForToken(sys, token); err != nil {
			t.Fatal(err)
		}
		list, _ := s.ListTokens(sys, u.ID)
		if len(list) != 1 || strings.Contains(list[0].Prefix, token[10:]) {
			t.Fatalf("tokens = %+v", list)
		}
		// Nobody revokes another user's token through their own account.
		if err := s.RevokeToken(sys, u.ID+1000, list[0].ID); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("foreign revoke: %v", err)
		}
		if err := s.RevokeToken(sys, u.ID, list[0].ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.ActorForToken(sys, token); !apperr.Is(err, apperr.Unauthenticated) {
			t.Errorf("revoked token works: %v", err)
		}
		// Disabling ends sessions at once.
		cookie, _ = s.CreateSession(sys, u.ID, "127.0.0.1", "test")
		if err := s.SetDisabled(sys, u.ID, true); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.ActorForSession(sys, cookie); err == nil {
			t.Errorf("disabled user's session still valid")
		}
		// Every change is in the audit log with its actor.
		entries, err := audit.List(sys, d.Reader(), audit.Filter{})
		if err != nil || len(entries) < 4 {
			t.Fatalf("audit: %d %v", len(entries), err)
		}
		actions := map[string]bool{}
		for _, e := range entries {
			actions[e.Action] = true
		}
		for _, a := range []string{"user.create", "session.login", "token.create", "token.revoke", "user.disable"} {
			if !actions[a] {
				t.Errorf("audit lacks %s", a)
			}
		}
		// A Ba Tơ administrator reads only Ba Tơ's part of the log.
		scoped, _ := audit.List(sys, d.Reader(), audit.Filter{Visible: (&authz.Actor{Grants: []authz.Grant{{Role: authz.UnitAdmin, UnitPath: "/51/530/"}}}).AdminScope().Units("unit_path")})
		if len(scoped) != 0 {
			t.Errorf("Sơn Tây's log shows Ba Tơ's entries: %d", len(scoped))
		}
	})
}

func TestFirstAdmin(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		s, sys := setup(t, d)
		pw1, err := s.EnsureFirstAdmin(sys)
		if err != nil || len(pw1) < 12 {
			t.Fatalf("first admin: %q %v", pw1, err)
		}
		if pw2, _ := s.EnsureFirstAdmin(sys); pw2 != "" {
			t.Errorf("second call made another password")
		}
		u, err := s.Authenticate(sys, "admin", pw1, "127.0.0.1")
		if err != nil || !u.MustChangePassword {
			t.Errorf("first admin login: %+v %v", u, err)
		}
		// Disabled, the admin is restored with a new one-time password rather than locking the
		// province out.
		if err := s.SetDisabled(sys, u.ID, true); err != nil {
			t.Fatal(err)
		}
		pw3, err := s.EnsureFirstAdmin(sys)
		if err != nil || pw3 == "" || pw3 == pw1 {
			t.Fatalf("restore: %q %v", pw3, err)
		}
		if _, err := s.Authenticate(sys, "admin", pw3, "127.0.0.1"); err != nil {
			t.Errorf("restored admin cannot log in: %v", err)
		}
	})
}

func TestPasswordHashing(t *testing.T) {
	ctx := context.Background()
	h, err := accounts.HashPassword(ctx, pw)
	if err != nil || !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash = %q %v", h, err)
	}
	if ok, _ := accounts.VerifyPassword(ctx, pw, h); !ok {
		t.Error("right password refused")
	}
	if ok, _ := accounts.VerifyPassword(ctx, pw+"x", h); ok {
		t.Error("wrong password accepted")
	}
	for _, bad := range []string{"", "$argon2id$v=19$m=999999999,t=2,p=1$c2FsdA$a2V5", "$bcrypt$x", "$argon2id$v=19$m=19456,t=2,p=1$!!$!!"} {
		if ok, _ := accounts.VerifyPassword(ctx, pw, bad); ok {
			t.Errorf("accepted against %q", bad)
		}
	}
}
