package e2e

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/app"
	"github.com/lantoa/lantoa/internal/oidctest"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
)

// TestSSOAcrossInstances: a sign-in started on one instance is finished on another (two `lantoa
// serve` over one PostgreSQL database, the callback address a deployment's public one that a proxy
// may send to either), so nothing of it lives in one process's memory; the same callback sent
// again is refused with the reason, whichever instance gets it. The provider is the real one.
func TestSSOAcrossInstances(t *testing.T) {
	source := dbtest.PostgresURL(t)
	port := oidctest.FreePort(t)
	const public = "http://lantoa.test"
	configPath, providers := ssoConfigFile(t, oidctest.IssuerAt(port), public)
	instance := func(name string) ServerOption {
		return WithConfig(func(c *app.Config) { c.DB, c.Instance, c.SSO = source, name, providers })
	}
	a := StartServer(t, instance("a"))
	b := StartServer(t, instance("b"))
	oidctest.Start(t, port, ssoUsers, public+"/login/sso/tinh/callback", public+"/login/sso/hoc/callback")
	a.CreateUser(t, "qt.tinh", "mật khẩu đủ dài để thử", "province_admin", "51")
	if code, out, errOut := a.CLI(t, "", "user", "link-sso", "--sso-config", configPath, "--username", "qt.tinh", "--provider", "tinh",
		"--subject", "sub-canbo-1"); code != 0 {
		t.Fatalf("user link-sso: %d %s %s", code, out, errOut)
	}

	jar, _ := cookiejar.New(nil)
	// One browser (one cookie jar) seen two ways: following redirects up to the provider's way back
	// to the public address, where the test plays the proxy and hands the request to instance b;
	// and following none, to read our own answers.
	follow := &http.Client{Jar: jar, Timeout: 20 * time.Second, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if req.URL.Host == "lantoa.test" {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	client := &http.Client{Jar: jar, Timeout: 20 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	// Started on a.
	resp, err := oidctest.SignIn(follow, a.URL+"/login/sso/tinh?next=/account", "canbo.so", opPassword)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	back, err := resp.Location()
	if err != nil || back.Host != "lantoa.test" || back.Path != "/login/sso/tinh/callback" {
		t.Fatalf("the provider sent the browser to %v (%d): %v", back, resp.StatusCode, err)
	}
	callback := back.Path + "?" + back.RawQuery

	get := func(base, path string) (*http.Response, string) {
		t.Helper()
		resp, err := client.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, string(body)
	}
	// Finished on b, with the state cookie a set (cookies are per host, not per port).
	resp, _ = get(b.URL, callback)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/account" || resp.Header.Get("X-Lantoa-Instance") != "b" {
		t.Fatalf("callback on b: %d → %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, body := get(a.URL, "/account"); resp.StatusCode != 200 || !strings.Contains(body, "qt.tinh") {
		t.Fatalf("signed in on a after b's callback: %d", resp.StatusCode)
	}
	// The same callback again, on either instance: refused, with the reason in Vietnamese.
	for _, base := range []string{a.URL, b.URL} {
		resp, body := get(base, callback)
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "Phiên đăng nhập một lần đã hết hạn, đã được dùng") {
			t.Errorf("replayed callback on %s: %d", resp.Header.Get("X-Lantoa-Instance"), resp.StatusCode)
		}
	}

	// Back to a page of this site only: a next that leaves it is dropped.
	resp, err = oidctest.SignIn(follow, a.URL+"/login/sso/tinh?next=//evil.example/x", "canbo.so", opPassword)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	back, _ = resp.Location()
	if resp, _ := get(a.URL, back.Path+"?"+back.RawQuery); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		t.Errorf("a next off the site led to %q", resp.Header.Get("Location"))
	}

	// A callback carried to another browser (a link planted on someone, login CSRF): that browser
	// has not the state's cookie, so it is refused, and the state is spent for the first one too.
	resp, err = oidctest.SignIn(follow, a.URL+"/login/sso/tinh?next=/account", "canbo.so", opPassword)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	back, _ = resp.Location()
	stranger := &http.Client{Timeout: 20 * time.Second, CheckRedirect: client.CheckRedirect}
	resp, err = stranger.Get(b.URL + back.Path + "?" + back.RawQuery)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(body), "không do trình duyệt này bắt đầu") {
		t.Errorf("callback in another browser: %d", resp.StatusCode)
	}
	if resp, _ := get(a.URL, back.Path+"?"+back.RawQuery); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("the spent state in its own browser: %d", resp.StatusCode)
	}
}

// TestSSOProviderDown: a provider that cannot be reached leaves the login page working, with the
// reason (502), and the attempt in the audit log.
func TestSSOProviderDown(t *testing.T) {
	port := oidctest.FreePort(t) // nothing listens there
	_, providers := ssoConfigFile(t, oidctest.IssuerAt(port), "")
	srv := StartServer(t, WithConfig(func(c *app.Config) { c.SSO = providers }))
	resp, err := http.Get(srv.URL + "/login/sso/tinh?next=/workspace")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadGateway || !strings.Contains(string(body), "Không kết nối được với Cổng định danh tỉnh") ||
		!strings.Contains(string(body), `id="login-submit"`) {
		t.Fatalf("provider down: %d %s", resp.StatusCode, body)
	}
	d, err := db.Open(context.Background(), srv.DB, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	list, err := audit.List(context.Background(), d.Reader(), audit.Filter{Action: "sso.refused"})
	if err != nil || len(list) != 1 || !strings.HasPrefix(list[0].Detail, "tinh discovery") {
		t.Errorf("audited refusals = %+v, %v", list, err)
	}
}
