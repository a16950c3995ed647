package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/lantoa/lantoa/internal/accounts/sso"
	"github.com/lantoa/lantoa/internal/app"
	"github.com/lantoa/lantoa/internal/oidctest"
)

const opPassword = "mat-khau-nha-cung-cap"

// The real provider's people: a province official, a pupil, and an official nobody linked.
var ssoUsers = []oidctest.User{
	{ID: "sub-canbo-1", Username: "canbo.so", Password: opPassword, FirstName: "Lan", LastName: "Nguyễn Thị",
		Email: "lan.nt@quangngai.gov.vn", EmailVerified: true},
	{ID: "sub-hocvien-1", Username: "hocvien.an", Password: opPassword, FirstName: "An", LastName: "Trần Văn",
		Email: "an.tv@example.vn", EmailVerified: true},
	{ID: "sub-canbo-2", Username: "canbo.khac", Password: opPassword, FirstName: "Bình", LastName: "Lê",
		Email: "binh.le@quangngai.gov.vn", EmailVerified: true},
}

// ssoConfigFile writes the providers' file of docs/sso.md for a provider at issuer: one for staff,
// one that creates learners. redirect, when set, is the callback address registered at the
// provider (a deployment's public address); else the server's own address is used.
func ssoConfigFile(t *testing.T, issuer, redirect string) (string, []sso.Provider) {
	t.Helper()
	cb := func(id string) string {
		if redirect == "" {
			return ""
		}
		return redirect + "/login/sso/" + id + "/callback"
	}
	conf := map[string]any{"providers": []map[string]any{
		{"id": "tinh", "name": "Cổng định danh tỉnh", "issuer": issuer, "client_id": oidctest.ClientID, "client_secret_env": "LANTOA_TEST_SSO_SECRET",
			"roles": []string{"province_admin", "unit_admin"}, "redirect_url": cb("tinh")},
		{"id": "hoc", "name": "Cổng học tập", "issuer": issuer, "client_id": oidctest.ClientID, "client_secret": oidctest.ClientSecret,
			"create_learners": true, "roles": []string{"learner"}, "redirect_url": cb("hoc")},
	}}
	data, _ := json.Marshal(conf)
	path := filepath.Join(t.TempDir(), "sso.json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	ps, err := sso.LoadFile(path, func(k string) string {
		if k == "LANTOA_TEST_SSO_SECRET" {
			return oidctest.ClientSecret
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	return path, ps
}

// startWithProvider starts a server whose two providers (ssoConfigFile) are the real provider,
// started with ssoUsers and the server's callbacks; staff2FA makes administrators use a second
// factor. It returns the server, the provider's issuer and the providers' file for the CLI.
func startWithProvider(t *testing.T, staff2FA bool) (*Server, string, string) {
	t.Helper()
	port := oidctest.FreePort(t)
	issuer := oidctest.IssuerAt(port)
	configPath, providers := ssoConfigFile(t, issuer, "")
	srv := StartServer(t, WithConfig(func(c *app.Config) { c.SSO = providers; c.RequireStaff2FA = staff2FA }))
	oidctest.Start(t, port, ssoUsers, srv.URL+"/login/sso/tinh/callback", srv.URL+"/login/sso/hoc/callback")
	return srv, issuer, configPath
}

// TestSSOBrowser signs in through the real OpenID provider's login page as a person would, on a
// 360-px phone: a province official linked by an administrator (`lantoa user link-sso`) lands on
// their workspace; a pupil is asked for their commune once and lands on theirs; an official nobody
// linked is sent back to the login page with the reason in Vietnamese.
func TestSSOBrowser(t *testing.T) {
	RequireBrowser(t)
	srv, issuer, configPath := startWithProvider(t, false)

	srv.CreateUser(t, "qt.tinh", "mật khẩu đủ dài để thử", "province_admin", "51")
	srv.CreateUser(t, "qt.khac", "mật khẩu đủ dài để thử", "unit_admin", "535")
	if code, out, errOut := srv.CLI(t, "", "user", "link-sso", "--sso-config", configPath, "--username", "qt.tinh", "--provider", "tinh",
		"--email", "lan.nt@quangngai.gov.vn"); code != 0 || !strings.Contains(out, "linked qt.tinh to tinh") {
		t.Fatalf("user link-sso: %d %s %s", code, out, errOut)
	}
	// The same address twice is refused, with the reason.
	if code, _, errOut := srv.CLI(t, "", "user", "link-sso", "--sso-config", configPath, "--username", "qt.khac", "--provider", "tinh",
		"--email", "lan.nt@quangngai.gov.vn"); code == 0 || !strings.Contains(errOut, "đã được liên kết") {
		t.Fatalf("second link of one address: %d %s", code, errOut)
	}

	t.Run("linked official", func(t *testing.T) {
		ctx := NewBrowser(t)
		Do(t, ctx, chromedp.EmulateViewport(360, 780))
		if status := Open(t, ctx, srv.URL+"/login"); status != 200 {
			t.Fatalf("GET /login: %d", status)
		}
		if got := Text(t, ctx, "#sso-tinh"); got != "Đăng nhập bằng Cổng định danh tỉnh" {
			t.Errorf("button says %q", got)
		}
		NoSidewaysScroll(t, ctx, "login page with providers at 360px")
		reportViolations(t, "login page with providers at 360px", auditPage(t, ctx))
		Screenshot(t, ctx, "login-360")
		if status := Follow(t, ctx, "#sso-tinh"); status != 200 {
			t.Fatalf("to the provider: %d", status)
		}
		if !strings.HasPrefix(location(ctx), issuer) {
			t.Fatalf("not at the provider: %s", location(ctx))
		}
		Type(t, ctx, "#username", "canbo.so")
		Type(t, ctx, "#password", opPassword)
		if status := Follow(t, ctx, "button[type=submit]"); status != 200 {
			t.Fatalf("back from the provider: %d, %q", status, Eval[string](t, ctx, `document.body.innerText`))
		}
		if got := Eval[string](t, ctx, `location.pathname`); got != "/workspace" {
			t.Fatalf("signed in at %s, want /workspace: %q", got, Eval[string](t, ctx, `document.body.innerText`))
		}
		OpenMenu(t, ctx)
		if who := Text(t, ctx, "[data-testid=who]"); !strings.Contains(who, "qt.tinh") {
			t.Errorf("signed in as %q, want qt.tinh", who)
		}
		NoSidewaysScroll(t, ctx, "workspace after single sign-on at 360px")
		Screenshot(t, ctx, "workspace-360")
		Do(t, ctx, chromedp.EmulateViewport(1280, 900))
		Screenshot(t, ctx, "workspace-1280")
	})

	t.Run("new learner", func(t *testing.T) {
		ctx := NewBrowser(t)
		Do(t, ctx, chromedp.EmulateViewport(360, 780))
		Open(t, ctx, srv.URL+"/login")
		Follow(t, ctx, "#sso-hoc")
		Type(t, ctx, "#username", "hocvien.an")
		Type(t, ctx, "#password", opPassword)
		if status := Follow(t, ctx, "button[type=submit]"); status != 200 {
			t.Fatalf("back from the provider: %d", status)
		}
		if got := Eval[string](t, ctx, `location.pathname`); got != "/login/sso/signup" {
			t.Fatalf("at %s, want the sign-up form: %q", got, Eval[string](t, ctx, `document.body.innerText`))
		}
		if got := Eval[string](t, ctx, `document.getElementById("username").value`); got != "hocvien.an" {
			t.Errorf("suggested username %q", got)
		}
		NoSidewaysScroll(t, ctx, "learner's sign-up at 360px")
		reportViolations(t, "learner's sign-up at 360px", auditPage(t, ctx))
		Screenshot(t, ctx, "signup-360")
		// Sent without a place: refused on the place, the rest kept.
		Do(t, ctx, chromedp.RemoveAttribute(chromedp.CSS("#place"), "required"))
		if status := Follow(t, ctx, "#sso-signup-submit"); status != 422 {
			t.Fatalf("sign-up without a place: %d", status)
		}
		Do(t, ctx, chromedp.SetValue(chromedp.CSS("#place"), "unit:21484", chromedp.NodeVisible))
		if status := Follow(t, ctx, "#sso-signup-submit"); status != 200 {
			t.Fatalf("sign-up: %d %q", status, Eval[string](t, ctx, `document.body.innerText`))
		}
		if got := Eval[string](t, ctx, `location.pathname`); got != "/workspace" {
			t.Fatalf("signed up at %s, want /workspace: %q", got, Eval[string](t, ctx, `document.body.innerText`))
		}
		Do(t, ctx, chromedp.EmulateViewport(1280, 900))
		Screenshot(t, ctx, "learner-workspace-1280")
	})

	t.Run("unlinked official", func(t *testing.T) {
		ctx := NewBrowser(t)
		Do(t, ctx, chromedp.EmulateViewport(1280, 900))
		Open(t, ctx, srv.URL+"/login?next=/users")
		Follow(t, ctx, "#sso-tinh")
		Type(t, ctx, "#username", "canbo.khac")
		Type(t, ctx, "#password", opPassword)
		if status := Follow(t, ctx, "button[type=submit]"); status != 401 {
			t.Fatalf("unlinked official: %d", status)
		}
		if body := Eval[string](t, ctx, `document.body.innerText`); !strings.Contains(body, "chưa được quản trị viên liên kết") {
			t.Fatalf("refusal says %q", body)
		}
		reportViolations(t, "refused sign-in", auditPage(t, ctx))
		Screenshot(t, ctx, "refused-1280")
	})

	t.Run("administrator links an official", func(t *testing.T) {
		ctx := NewBrowser(t)
		Do(t, ctx, chromedp.EmulateViewport(360, 780))
		Login(t, ctx, srv.URL, "qt.tinh", "mật khẩu đủ dài để thử")
		_, out, _ := srv.CLI(t, "", "user", "list")
		var id string
		for _, line := range strings.Split(out, "\n") {
			if f := strings.Fields(line); len(f) > 1 && f[1] == "qt.khac" {
				id = f[0]
			}
		}
		if status := Open(t, ctx, srv.URL+"/users/"+id); status != 200 {
			t.Fatalf("GET /users/%s: %d", id, status)
		}
		if got := Text(t, ctx, "#sso-links"); !strings.Contains(got, "Chưa liên kết") {
			t.Errorf("links before: %q", got)
		}
		// Both a subject and an address: refused on the field, nothing linked.
		Type(t, ctx, "#sso-subject", "sub-canbo-2")
		Type(t, ctx, "#sso-email", "binh.le@quangngai.gov.vn")
		if status := Follow(t, ctx, "#sso-link-submit"); status != 422 {
			t.Fatalf("subject and e-mail together: %d", status)
		}
		if got := Text(t, ctx, "#sso-link-form"); !strings.Contains(got, "đúng một trong hai") {
			t.Errorf("the form says %q", got)
		}
		NoSidewaysScroll(t, ctx, "user page with single sign-on at 360px")
		reportViolations(t, "user page with single sign-on at 360px", auditPage(t, ctx))
		Screenshot(t, ctx, "user-sso-360")
		// What was sent is shown again; the administrator empties the address.
		if got := Eval[string](t, ctx, `document.getElementById("sso-subject").value + " " + document.getElementById("sso-email").value`); got != "sub-canbo-2 binh.le@quangngai.gov.vn" {
			t.Errorf("form kept %q", got)
		}
		Eval[bool](t, ctx, `(document.getElementById("sso-email").value = "") === ""`)
		if status := Follow(t, ctx, "#sso-link-submit"); status != 200 {
			t.Fatalf("link: %d", status)
		}
		if got := Text(t, ctx, "#sso-links"); !strings.Contains(got, "sub-canbo-2") {
			t.Fatalf("links after: %q", got)
		}

		// The official now signs in through the provider.
		other := NewBrowser(t)
		Do(t, other, chromedp.EmulateViewport(1280, 900))
		Open(t, other, srv.URL+"/login")
		Follow(t, other, "#sso-tinh")
		Type(t, other, "#username", "canbo.khac")
		Type(t, other, "#password", opPassword)
		Follow(t, other, "button[type=submit]")
		if got := Eval[string](t, other, `location.pathname`); got != "/workspace" {
			t.Fatalf("linked official at %s: %q", got, Eval[string](t, other, `document.body.innerText`))
		}
		if who := Text(t, other, "[data-testid=who]"); !strings.Contains(who, "qt.khac") {
			t.Errorf("signed in as %q", who)
		}
	})
}

// TestSSOStaffSecondFactorBrowser: where administrators must have a second factor, a provider that
// only says "password" (the example provider's amr is ["pwd"]) does not spare them the code: an
// official coming back from single sign-on sets up the factor before reaching the workspace, and
// the next single sign-on asks for the code. A provider that asserts MFA is not asked twice
// (sso.AssertsMFA and accounts.SessionOptions.SecondFactorDone, tested in their packages).
func TestSSOStaffSecondFactorBrowser(t *testing.T) {
	RequireBrowser(t)
	srv, issuer, configPath := startWithProvider(t, true)
	srv.CreateUser(t, "qt.tinh", "mật khẩu đủ dài để thử", "province_admin", "51")
	if code, out, errOut := srv.CLI(t, "", "user", "link-sso", "--sso-config", configPath, "--username", "qt.tinh", "--provider", "tinh",
		"--email", "lan.nt@quangngai.gov.vn"); code != 0 {
		t.Fatalf("user link-sso: %d %s %s", code, out, errOut)
	}
	signIn := func(ctx context.Context, wantAt string) {
		t.Helper()
		Open(t, ctx, srv.URL+"/login")
		Follow(t, ctx, "#sso-tinh")
		if strings.HasPrefix(location(ctx), issuer) { // the provider remembers no one between browsers
			Type(t, ctx, "#username", "canbo.so")
			Type(t, ctx, "#password", opPassword)
			Follow(t, ctx, "button[type=submit]")
		}
		if got := Eval[string](t, ctx, `location.pathname`); got != wantAt {
			t.Fatalf("back from the provider at %s, want %s: %q", got, wantAt, Eval[string](t, ctx, `document.body.innerText`))
		}
		NoSidewaysScroll(t, ctx, wantAt+" after single sign-on at 360px")
		reportViolations(t, wantAt+" after single sign-on at 360px", auditPage(t, ctx))
		secondFactor(t, ctx, srv.URL, "qt.tinh")
		if got := Eval[string](t, ctx, `location.pathname`); got != "/workspace" {
			t.Fatalf("after the second factor at %s, want /workspace", got)
		}
	}
	ctx := NewBrowser(t)
	Do(t, ctx, chromedp.EmulateViewport(360, 780))
	signIn(ctx, "/login/2fa/enrol")
	Screenshot(t, ctx, "sso-2fa-workspace-360")
	again := NewBrowser(t)
	Do(t, again, chromedp.EmulateViewport(360, 780))
	signIn(again, "/login/2fa")
}
