package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/lantoa/lantoa/internal/app"
	"github.com/lantoa/lantoa/internal/demo"
)

// TestSecondFactorBrowser: on a server that requires a second factor of administrators, a new
// unit administrator signs in on a 360-px phone and is taken to the set-up page; they read the
// key off the page (as one types it into an app), are refused a wrong code, confirm with the
// right one and see their ten recovery codes once; they sign out, sign in with a code, sign out,
// and sign in with a recovery code, which then no longer works. The demo's province administrator
// signs in with the published demo secret. Every page fits the phone and passes axe.
func TestSecondFactorBrowser(t *testing.T) {
	srv := StartServer(t, WithDemo(), WithConfig(func(c *app.Config) { c.RequireStaff2FA = true }))
	base := srv.URL
	const user, password = "ubnd.thu2fa", "mat-khau-thu-hai-buoc-2026"
	srv.CreateUser(t, user, password, "unit_admin", "535")

	ctx := NewBrowser(t)
	Do(t, ctx, chromedp.EmulateViewport(360, 740))
	check := func(what string) {
		t.Helper()
		NoSidewaysScroll(t, ctx, what)
		reportViolations(t, what+" at 360px", auditPage(t, ctx))
		Screenshot(t, ctx, strings.ReplaceAll(what, " ", "-")+"-360")
	}
	signIn := func() {
		t.Helper()
		Open(t, ctx, base+"/login")
		Type(t, ctx, "#username", user)
		Type(t, ctx, "#password", password)
		if status := Follow(t, ctx, "#login-submit"); status != 200 {
			t.Fatalf("password: %d", status)
		}
	}
	signOut := func() {
		t.Helper()
		OpenMenu(t, ctx)
		if status := Follow(t, ctx, "#logout"); status != 200 {
			t.Fatalf("sign out: %d", status)
		}
	}

	// First sign-in: the set-up page, with a QR code and the key in text.
	signIn()
	if p := Eval[string](t, ctx, `location.pathname`); p != "/login/2fa/enrol" {
		t.Fatalf("after the password a new administrator is at %s, want the set-up page", p)
	}
	if !Eval[bool](t, ctx, `(i => i !== null && i.complete && i.naturalWidth > 0)(document.querySelector("[data-testid=totp-qr]"))`) {
		t.Error("no QR code on the set-up page")
	}
	secret := Eval[string](t, ctx, `document.querySelector("[data-testid=totp-secret]").textContent.replace(/\s+/g, "")`)
	if len(secret) < 16 {
		t.Fatalf("key on the page: %q", secret)
	}
	check("2fa enrol")
	Do(t, ctx, chromedp.EmulateViewport(1280, 900))
	reportViolations(t, "2fa enrol at 1280px", auditPage(t, ctx))
	Screenshot(t, ctx, "2fa-enrol-1280")
	Do(t, ctx, chromedp.EmulateViewport(360, 740))
	// Nothing else is open before the factor is set up.
	Open(t, ctx, base+"/users")
	if p := Eval[string](t, ctx, `location.pathname`); p != "/login/2fa/enrol" {
		t.Fatalf("/users before the factor: at %s", p)
	}
	Type(t, ctx, "#code", "000000")
	if status := Follow(t, ctx, "#enrol-submit"); status != 422 {
		t.Fatalf("a wrong code: %d, want 422", status)
	}
	if !strings.Contains(Text(t, ctx, "main"), "không đúng") {
		t.Errorf("no word of the wrong code: %q", Text(t, ctx, "main"))
	}
	check("2fa enrol refused")
	Type(t, ctx, "#code", NextTOTP(t, base, user, secret))
	if status := Follow(t, ctx, "#enrol-submit"); status != 200 {
		t.Fatalf("the right code: %d", status)
	}
	codes := Eval[[]string](t, ctx, `Array.from(document.querySelectorAll("[data-testid=recovery-codes] code"), c => c.textContent)`)
	if len(codes) != 10 {
		t.Fatalf("%d recovery codes shown", len(codes))
	}
	check("2fa recovery codes")
	// On to where they were going before the set-up: /users, opened above.
	if status := Follow(t, ctx, "#recovery-continue"); status != 200 || Eval[string](t, ctx, `location.pathname`) != "/users" {
		t.Fatalf("continue: %d at %s", status, Eval[string](t, ctx, `location.pathname`))
	}
	Open(t, ctx, base+"/account")
	if s := Text(t, ctx, "[data-testid=factor-status]"); !strings.Contains(s, "Đang bật") || !strings.Contains(s, "10") {
		t.Errorf("account page's factor status: %q", s)
	}
	signOut()

	// Second sign-in: the code page.
	signIn()
	if p := Eval[string](t, ctx, `location.pathname`); p != "/login/2fa" {
		t.Fatalf("an enrolled administrator is at %s after the password", p)
	}
	check("2fa code")
	Type(t, ctx, "#code", NextTOTP(t, base, user, secret))
	if status := Follow(t, ctx, "#code-submit"); status != 200 || Eval[int](t, ctx, `document.querySelectorAll("[data-testid=who]").length`) != 1 {
		t.Fatalf("code: %d at %s", status, Eval[string](t, ctx, `location.pathname`))
	}
	signOut()

	// Third: a recovery code, good once.
	signIn()
	Type(t, ctx, "#code", strings.ToLower(codes[2]))
	if status := Follow(t, ctx, "#code-submit"); status != 200 || Eval[int](t, ctx, `document.querySelectorAll("[data-testid=who]").length`) != 1 {
		t.Fatalf("recovery code: %d at %s", status, Eval[string](t, ctx, `location.pathname`))
	}
	if !strings.Contains(Text(t, ctx, "main"), "còn 9 mã") {
		t.Errorf("no word of the recovery code spent: %q", Text(t, ctx, "main"))
	}
	signOut()
	signIn()
	Type(t, ctx, "#code", codes[2])
	if status := Follow(t, ctx, "#code-submit"); status != 422 {
		t.Errorf("a recovery code twice: %d, want 422", status)
	}
	check("2fa code refused")

	// The demo's administrators are enrolled with the published secret; at 1280 px.
	wide := NewBrowser(t)
	Do(t, wide, chromedp.EmulateViewport(1280, 900))
	Open(t, wide, base+"/login")
	Type(t, wide, "#username", "so.tttt")
	Type(t, wide, "#password", demo.Password)
	Follow(t, wide, "#login-submit")
	if p := Eval[string](t, wide, `location.pathname`); p != "/login/2fa" {
		t.Fatalf("demo province administrator after the password: %s", p)
	}
	reportViolations(t, "2fa code at 1280px", auditPage(t, wide))
	Screenshot(t, wide, "2fa-code-1280")
	secondFactor(t, wide, base, "so.tttt")
	if Eval[int](t, wide, `document.querySelectorAll("[data-testid=who]").length`) != 1 {
		t.Fatalf("demo administrator not signed in: %s", Eval[string](t, wide, `location.pathname`))
	}
}
