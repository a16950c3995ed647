package app_test

import (
	"context"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lantoa/lantoa/internal/app"
	"github.com/lantoa/lantoa/internal/demo"
	"github.com/lantoa/lantoa/internal/platform/authz"
)

// TestUserResetSecondFactor: `lantoa user reset-2fa` removes the factor of an administrator
// nobody stands above; a user without one is refused with a message.
func TestUserResetSecondFactor(t *testing.T) {
	p := filepath.Join(t.TempDir(), "l.db")
	if code, out, errOut := run(t, "mat-khau-du-dai-de-thu\n", "user", "create", "--db", p, "--username", "so.x", "--role", "province_admin", "--unit", "51", "--password-stdin"); code != 0 {
		t.Fatalf("user create: %d %s %s", code, out, errOut)
	}
	ctx := context.Background()
	a, err := app.Build(ctx, app.BuildConfig{Source: p})
	if err != nil {
		t.Fatal(err)
	}
	u, err := a.Accounts.FindByUsername(ctx, "so.x")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Accounts.EnrolWithSecret(authz.WithActor(ctx, authz.System), u.ID, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"); err != nil {
		t.Fatal(err)
	}
	a.Close()
	if code, out, errOut := run(t, "", "user", "reset-2fa", "--db", p, "--username", "so.x"); code != 0 || !strings.Contains(out, "second factor reset for so.x") {
		t.Fatalf("reset-2fa: %d %q %q", code, out, errOut)
	}
	if code, _, errOut := run(t, "", "user", "reset-2fa", "--db", p, "--username", "so.x"); code == 0 || !strings.Contains(errOut, "chưa bật xác thực hai bước") {
		t.Fatalf("reset-2fa without a factor: %d %q", code, errOut)
	}
}

// TestServeRequiresStaff2FA: `lantoa serve --demo` requires a second factor of administrators by
// default, with the demo's administrators enrolled (demo.TOTPSecret), and learners are not asked;
// --require-staff-2fa=false lets an administrator without a factor in with a password.
func TestServeRequiresStaff2FA(t *testing.T) {
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	login := func(base, user string) string {
		t.Helper()
		req, _ := http.NewRequest("POST", base+"/login", strings.NewReader(url.Values{"username": {user}, "password": {demo.Password}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		req.Header.Set("Origin", base)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.Header.Get("Location")
	}
	base, _ := serve(t, "--db", filepath.Join(t.TempDir(), "on.db"), "--demo")
	if loc := login(base, "so.tttt"); !strings.HasPrefix(loc, "/login/2fa?") {
		t.Errorf("demo province administrator, default serve: %q, want the code page", loc)
	}
	if loc := login(base, "hocvien.dan"); loc != "/workspace" {
		t.Errorf("demo learner: %q, want the workspace", loc)
	}
	p := filepath.Join(t.TempDir(), "off.db")
	if code, out, errOut := run(t, "mat-khau-du-dai-de-thu\n", "user", "create", "--db", p, "--username", "so.off", "--role", "province_admin", "--unit", "51", "--password-stdin"); code != 0 {
		t.Fatalf("user create: %d %s %s", code, out, errOut)
	}
	off, _ := serve(t, "--db", p, "--require-staff-2fa=false")
	req, _ := http.NewRequest("POST", off+"/login", strings.NewReader(url.Values{"username": {"so.off"}, "password": {"mat-khau-du-dai-de-thu"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); loc != "/workspace" {
		t.Errorf("--require-staff-2fa=false: %d %q, want the workspace", resp.StatusCode, loc)
	}
}
