package accounts_test

import (
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
)

// The credential cache's promise (credcache.go): a change made through the same Service is seen at
// once; a change made elsewhere (another instance: another Service on the same database) is seen
// once CredentialTTL has passed, never later.
func TestCredentialCacheHonoursChangesWithinItsBound(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		s, sys := setup(t, d)
		now := time.Now()
		s.Now = func() time.Time { return now }
		other := accounts.NewService(d) // a second instance
		u, err := s.CreateUser(sys, accounts.NewUser{Username: "ubnd.bato", Password: "mật-khẩu-đủ-dài-2026", Role: authz.UnitAdmin, UnitCode: "535"})
		if err != nil {
			t.Fatal(err)
		}
		cookie, err := s.CreateSession(sys, u.ID, "127.0.0.1", "test")
		if err != nil {
			t.Fatal(err)
		}
		token, err := s.CreateToken(sys, u.ID, "ci")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.ActorForSession(sys, cookie); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.ActorForToken(sys, token); err != nil {
			t.Fatal(err)
		}
		if h, _ := s.CredentialCacheStats(); h != 0 {
			t.Fatalf("hits before any repeat: %d", h)
		}
		if _, _, err := s.ActorForToken(sys, token); err != nil {
			t.Fatal(err)
		}
		if h, _ := s.CredentialCacheStats(); h != 1 {
			t.Fatalf("a repeated lookup within the TTL should hit: %d hits", h)
		}

		// Disabled on the other instance: this one still answers from its cache within the bound,
		// and refuses once the bound has passed.
		if err := other.SetDisabled(sys, u.ID, true); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.ActorForToken(sys, token); err != nil {
			t.Fatalf("within the TTL the cached token still answers: %v", err)
		}
		now = now.Add(s.CredentialTTL + time.Millisecond)
		if _, _, err := s.ActorForToken(sys, token); !apperr.Is(err, apperr.Unauthenticated) {
			t.Fatalf("after the TTL a disabled user's token: %v", err)
		}

		// Changes through this instance clear its cache at once.
		if err := s.SetDisabled(sys, u.ID, false); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.ActorForToken(sys, token); err != nil {
			t.Fatal(err)
		}
		list, err := s.ListTokens(sys, u.ID)
		if err != nil || len(list) != 1 {
			t.Fatalf("tokens: %v %v", list, err)
		}
		if err := s.RevokeToken(sys, u.ID, list[0].ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.ActorForToken(sys, token); !apperr.Is(err, apperr.Unauthenticated) {
			t.Fatalf("a token revoked here, at once: %v", err)
		}
		s2, err := s.CreateSession(sys, u.ID, "127.0.0.1", "test")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.ActorForSession(sys, s2); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteSession(sys, s2); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.ActorForSession(sys, s2); !apperr.Is(err, apperr.Unauthenticated) {
			t.Fatalf("a session logged out here, at once: %v", err)
		}

		// CredentialTTL 0 turns the cache off: every lookup reads the database.
		// (Disabling the user above ended the first session.)
		s.CredentialTTL = 0
		s3, err := s.CreateSession(sys, u.ID, "127.0.0.1", "test")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.ActorForSession(sys, s3); err != nil {
			t.Fatal(err)
		}
		h0, _ := s.CredentialCacheStats()
		if _, _, err := s.ActorForSession(sys, s3); err != nil {
			t.Fatal(err)
		}
		if h1, _ := s.CredentialCacheStats(); h1 != h0 {
			t.Fatalf("a hit with the cache off")
		}
	})
}
