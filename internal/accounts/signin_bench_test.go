package accounts_test

import (
	"context"
	"fmt"
	"regexp"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/notify"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
)

// BenchmarkSignIn measures, in one run on SQLite, a password sign-in (Argon2id, then a session)
// beside a phone-code sign-in (a code asked for and queued in the outbox, then verified, then a
// session), each at saturation from many goroutines and client addresses, as docs/benchmarks.md
// reports them: `go test ./internal/accounts -run '^$' -bench SignIn -benchtime 400x`.
func BenchmarkSignIn(b *testing.B) {
	d := dbtest.SQLite(b, schema.All())
	_, sys := setup(b, d)
	out := notify.NewService(d)
	s := accounts.NewService(d, accounts.WithNotify(out, ""))
	// Phones rotate through a pool; each pass over it moves the clock past the per-number window,
	// as real sign-ins spread over a day.
	const pool = 2000
	var epoch atomic.Int64
	base := time.Now()
	s.Now = func() time.Time { return base.Add(time.Duration(epoch.Load()) * 16 * time.Minute) }
	out.Now = s.Now
	users := make([]accounts.BulkUser, pool)
	for i := range users {
		users[i] = accounts.BulkUser{Username: fmt.Sprintf("tv.bench.%d", i), Grants: []authz.Grant{{Role: authz.TeamMember, UnitCode: "535", UnitPath: "/51/535/"}}}
	}
	hash, err := accounts.HashPassword(sys, pw)
	if err != nil {
		b.Fatal(err)
	}
	ids, err := accounts.BulkCreate(sys, d, users, hash, 1, nil)
	if err != nil {
		b.Fatal(err)
	}
	if err := d.WriteTx(sys, func(tx *db.Tx) error {
		for i, id := range ids {
			if _, err := tx.ExecContext(sys, "INSERT INTO user_phones (user_id, phone, channel, created_at, updated_at) VALUES (?, ?, 'sms', 1, 1)",
				id, fmt.Sprintf("0905%06d", i)); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	var seq atomic.Int64
	addr := func(n int64) string { return fmt.Sprintf("10.%d.%d.%d", n>>16&255, n>>8&255, n&255) }

	b.Run("password", func(b *testing.B) {
		b.SetParallelism(8)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				n := seq.Add(1)
				u, err := s.Authenticate(sys, fmt.Sprintf("tv.bench.%d", n%pool), pw, addr(n))
				if err != nil {
					b.Error(err)
					return
				}
				if _, err := s.CreateSession(sys, u.ID, addr(n), "bench"); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "signins/s")
	})

	codeRe := regexp.MustCompile(`là (\d{6})`)
	b.Run("phone_code", func(b *testing.B) {
		b.SetParallelism(8)
		// Each round (the benchmark calls this function more than once) starts a new window.
		epoch.Add(1)
		var used atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				n := seq.Add(1)
				k := used.Add(1)
				if k%pool == 0 {
					epoch.Add(1)
				}
				phone := fmt.Sprintf("0905%06d", k%pool)
				if err := s.RequestPhoneCode(sys, phone, addr(n)); err != nil {
					b.Errorf("%s from %s (pass %d): %v", phone, addr(n), k, err)
					return
				}
				// What the person reads on their phone.
				var body string
				if err := d.Reader().QueryRowContext(context.Background(), "SELECT body FROM notify_messages WHERE recipient = ? ORDER BY id DESC LIMIT 1", phone).Scan(&body); err != nil {
					b.Error(err)
					return
				}
				m := codeRe.FindStringSubmatch(body)
				if m == nil {
					b.Errorf("no code in %q", body)
					return
				}
				u, err := s.VerifyPhoneCode(sys, phone, m[1], addr(n))
				if err != nil {
					b.Error(err)
					return
				}
				if _, err := s.CreateSession(sys, u.ID, addr(n), "bench"); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "signins/s")
	})
}
