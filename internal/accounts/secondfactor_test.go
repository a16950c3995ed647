package accounts_test

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
)

// codeAt is what an authenticator app shows at t.
func codeAt(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func countAudit(t *testing.T, d *db.DB, action string, object int64) int {
	t.Helper()
	var n int
	if err := d.Reader().QueryRowContext(context.Background(), "SELECT COUNT(*) FROM audit_log WHERE action = ? AND object_id = ?", action, strconv.FormatInt(object, 10)).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSecondFactorEnrolVerify: a province administrator, required to have a factor, gets a half
// session that is no actor; enrols with the first code; the enrolment is stable over reloads; then
// every sign-in needs a fresh code: the same code twice is refused, six wrong codes lock the
// next attempts (even a right one) for 15 minutes, and a recovery code works once.
func TestSecondFactorEnrolVerify(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		s, sys := setup(t, d)
		s.RequireStaffSecondFactor = true
		now := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)
		s.Now = func() time.Time { return now }
		u, err := s.CreateUser(sys, accounts.NewUser{Username: "so.tttt", Password: pw, Role: authz.ProvinceAdmin, UnitCode: "51"})
		if err != nil {
			t.Fatal(err)
		}
		learner, err := s.CreateUser(sys, accounts.NewUser{Username: "hocvien", Password: pw, Role: authz.Learner, UnitCode: "535"})
		if err != nil {
			t.Fatal(err)
		}
		// Not staff: not asked.
		if n, err := s.StartSession(sys, learner.ID, "10.0.0.9", "test", accounts.SessionOptions{}); err != nil || n.Pending != "" {
			t.Fatalf("learner's session: %+v %v, want a full one", n, err)
		}

		half, err := s.StartSession(sys, u.ID, "10.0.0.1", "test", accounts.SessionOptions{})
		if err != nil || half.Pending != accounts.PendingEnrol {
			t.Fatalf("staff without a factor: %+v %v, want pending enrol", half, err)
		}
		if _, _, err := s.ActorForSession(sys, half.Token); !accounts.IsSecondFactorPending(err) {
			t.Fatalf("a half session is an actor: %v", err)
		}
		if _, _, _, err := s.VerifySecondFactor(sys, half.Token, "000000", "10.0.0.1"); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("a code before enrolment: %v, want conflict", err)
		}
		e1, err := s.BeginEnrolment(sys, half.Token)
		if err != nil {
			t.Fatal(err)
		}
		e2, err := s.BeginEnrolment(sys, half.Token)
		if err != nil || e2.Secret != e1.Secret {
			t.Fatalf("a reload changes the secret: %q then %q (%v)", e1.Secret, e2.Secret, err)
		}
		qr, err := url.Parse(e1.URL)
		if err != nil || qr.Scheme != "otpauth" || qr.Query().Get("secret") != e1.Secret || !strings.Contains(qr.Path, "so.tttt") {
			t.Fatalf("otpauth URL %q", e1.URL)
		}
		if _, _, err := s.ConfirmEnrolment(sys, half.Token, "12345", "10.0.0.1"); !apperr.Is(err, apperr.Invalid) {
			t.Fatalf("a malformed code: %v, want invalid", err)
		}
		full, recovery, err := s.ConfirmEnrolment(sys, half.Token, codeAt(t, e1.Secret, now), "10.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		if len(recovery) != accounts.RecoveryCodeCount {
			t.Fatalf("%d recovery codes", len(recovery))
		}
		if a, _, err := s.ActorForSession(sys, full); err != nil || a.UserID != u.ID {
			t.Fatalf("after enrolment: %v %v", a, err)
		}
		if _, _, err := s.ActorForSession(sys, half.Token); err == nil {
			t.Fatal("the half session's id still works after enrolment")
		}
		if countAudit(t, d, "user.2fa_enrol", u.ID) != 1 {
			t.Error("enrolment not audited")
		}
		f, err := s.SecondFactorOf(authz.WithActor(sys, &authz.Actor{UserID: u.ID}), u.ID)
		if err != nil || !f.Enrolled || f.RecoveryLeft != accounts.RecoveryCodeCount || !f.Required {
			t.Fatalf("status %+v %v", f, err)
		}

		// Next sign-in, a few seconds later, in the same 30 s: the enrolment's code is spent.
		now = now.Add(5 * time.Second)
		h2, err := s.StartSession(sys, u.ID, "10.0.0.1", "test", accounts.SessionOptions{})
		if err != nil || h2.Pending != accounts.PendingCode {
			t.Fatalf("enrolled: %+v %v, want pending code", h2, err)
		}
		if _, err := s.BeginEnrolment(sys, h2.Token); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("enrolling twice: %v", err)
		}
		if _, _, _, err := s.VerifySecondFactor(sys, h2.Token, codeAt(t, e1.Secret, now), "10.0.0.1"); !apperr.Is(err, apperr.Invalid) {
			t.Fatalf("a replayed code: %v, want invalid", err)
		}
		now = now.Add(30 * time.Second)
		tok, used, _, err := s.VerifySecondFactor(sys, h2.Token, codeAt(t, e1.Secret, now), "10.0.0.1")
		if err != nil || used {
			t.Fatalf("a fresh code: %v (recovery %v)", err, used)
		}
		if _, _, err := s.ActorForSession(sys, tok); err != nil {
			t.Fatal(err)
		}

		// Recovery codes: typed loosely, good once.
		h3, _ := s.StartSession(sys, u.ID, "10.0.0.1", "test", accounts.SessionOptions{})
		loose := strings.ToLower(strings.ReplaceAll(recovery[3], "-", " "))
		if _, used, left, err := s.VerifySecondFactor(sys, h3.Token, loose, "10.0.0.1"); err != nil || !used || left != accounts.RecoveryCodeCount-1 {
			t.Fatalf("recovery code: used %v left %d %v", used, left, err)
		}
		if countAudit(t, d, "user.2fa_recovery", u.ID) != 1 {
			t.Error("a recovery code's use is not audited")
		}
		h4, _ := s.StartSession(sys, u.ID, "10.0.0.1", "test", accounts.SessionOptions{})
		if _, _, _, err := s.VerifySecondFactor(sys, h4.Token, recovery[3], "10.0.0.1"); !apperr.Is(err, apperr.Invalid) {
			t.Fatalf("a recovery code used twice: %v", err)
		}

		// Throttling: the malformed code, the replay and the spent recovery code above were three
		// failures; three more wrong codes make six, and the seventh attempt is refused even with
		// the right code (from another address too), until 15 minutes pass.
		for i := range 3 {
			if _, _, _, err := s.VerifySecondFactor(sys, h4.Token, "000000", "10.0.0.2"); !apperr.Is(err, apperr.Invalid) {
				t.Fatalf("wrong code %d: %v", i, err)
			}
		}
		now = now.Add(30 * time.Second)
		if _, _, _, err := s.VerifySecondFactor(sys, h4.Token, codeAt(t, e1.Secret, now), "10.0.0.3"); !apperr.Is(err, apperr.TooMany) {
			t.Fatalf("after six wrong codes: %v, want too many", err)
		}
		now = now.Add(16 * time.Minute)
		h5, _ := s.StartSession(sys, u.ID, "10.0.0.1", "test", accounts.SessionOptions{})
		if _, _, _, err := s.VerifySecondFactor(sys, h5.Token, codeAt(t, e1.Secret, now), "10.0.0.1"); err != nil {
			t.Fatalf("15 minutes later: %v", err)
		}
		// A half session does not live long.
		h6, _ := s.StartSession(sys, u.ID, "10.0.0.1", "test", accounts.SessionOptions{})
		now = now.Add(11 * time.Minute)
		if _, _, _, err := s.VerifySecondFactor(sys, h6.Token, codeAt(t, e1.Secret, now), "10.0.0.1"); !apperr.Is(err, apperr.Unauthenticated) {
			t.Fatalf("an 11-minute-old half session: %v", err)
		}

		// A provider that asserted MFA (SSO with amr): a full session at once.
		sso, err := s.StartSession(sys, u.ID, "10.0.0.1", "test", accounts.SessionOptions{SecondFactorDone: true})
		if err != nil || sso.Pending != "" {
			t.Fatalf("SSO with MFA: %+v %v", sso, err)
		}
	})
}

// TestSecondFactorReset: a province administrator resets a unit administrator's factor (audited,
// sessions ended, enrolment again at the next sign-in); the unit administrator cannot reset the
// province administrator's, nor their own, and another province's administrator does not see them.
func TestSecondFactorReset(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		s, sys := setup(t, d)
		s.RequireStaffSecondFactor = true
		mk := func(name string, role authz.Role, unit string) accounts.User {
			u, err := s.CreateUser(sys, accounts.NewUser{Username: name, Password: pw, Role: role, UnitCode: unit})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.EnrolWithSecret(sys, u.ID, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"); err != nil {
				t.Fatal(err)
			}
			return u
		}
		prov, unit, nat := mk("so.tttt", authz.ProvinceAdmin, "51"), mk("ubnd.bato", authz.UnitAdmin, "535"), mk("quocgia", authz.NationalAdmin, "")
		as := func(u accounts.User) context.Context {
			return authz.WithActor(context.Background(), &authz.Actor{UserID: u.ID, Username: u.Username, Grants: u.Grants, Via: "session"})
		}
		if err := s.EnrolWithSecret(as(prov), unit.ID, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"); !apperr.Is(err, apperr.Forbidden) {
			t.Fatalf("a user sets a known secret: %v", err)
		}
		if err := s.ResetSecondFactor(as(unit), prov.ID); !apperr.Denial(err) {
			t.Fatalf("a unit administrator resets the province's: %v", err)
		}
		if err := s.ResetSecondFactor(as(unit), unit.ID); !apperr.Is(err, apperr.Forbidden) {
			t.Fatalf("resetting one's own: %v", err)
		}
		sess, _ := s.StartSession(sys, unit.ID, "10.0.0.1", "test", accounts.SessionOptions{SecondFactorDone: true})
		if err := s.ResetSecondFactor(as(prov), unit.ID); err != nil {
			t.Fatal(err)
		}
		if countAudit(t, d, "user.2fa_reset", unit.ID) != 1 {
			t.Error("reset not audited")
		}
		if _, _, err := s.ActorForSession(sys, sess.Token); err == nil {
			t.Error("the user's session survived the reset")
		}
		if n, _ := s.StartSession(sys, unit.ID, "10.0.0.1", "test", accounts.SessionOptions{}); n.Pending != accounts.PendingEnrol {
			t.Errorf("after a reset: pending %q, want enrol", n.Pending)
		}
		if err := s.ResetSecondFactor(as(prov), unit.ID); !apperr.Is(err, apperr.Conflict) {
			t.Errorf("resetting no factor: %v, want conflict", err)
		}
		// National resets province.
		if err := s.ResetSecondFactor(as(nat), prov.ID); err != nil {
			t.Fatalf("national resets the province's: %v", err)
		}
		// Without the requirement, a user with no factor is not asked; one with a factor is.
		s.RequireStaffSecondFactor = false
		if n, _ := s.StartSession(sys, prov.ID, "10.0.0.1", "test", accounts.SessionOptions{}); n.Pending != "" {
			t.Errorf("requirement off, no factor: pending %q", n.Pending)
		}
		if n, _ := s.StartSession(sys, nat.ID, "10.0.0.1", "test", accounts.SessionOptions{}); n.Pending != accounts.PendingCode {
			t.Errorf("requirement off, with a factor: pending %q, want code", n.Pending)
		}
	})
}
