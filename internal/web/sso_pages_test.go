package web_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/lantoa/lantoa/internal/accounts/sso"
	"github.com/lantoa/lantoa/internal/app"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
)

func loginPage(t *testing.T, base, query string) string {
	t.Helper()
	resp, err := http.Get(base + "/login" + query)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET /login: %d", resp.StatusCode)
	}
	return string(body)
}

// The login page has a button per configured provider, in the configuration's order, carrying the
// page to come back to; without a provider it has none. (Signing in through them: internal/e2e
// TestSSOBrowser, against a real provider.)
func TestLoginPageSSOButtons(t *testing.T) {
	d := dbtest.SQLite(t, schema.All())
	plain := httptest.NewServer(build(t, app.BuildConfig{DB: d}).Web)
	defer plain.Close()
	if body := loginPage(t, plain.URL, ""); strings.Contains(body, "sso-login") || strings.Contains(body, "/login/sso/") {
		t.Error("a login page without providers shows single sign-on")
	}

	providers := []sso.Provider{
		{ID: "tinh", Name: "Cổng định danh <tỉnh>", Issuer: "https://sso.example.vn/", ClientID: "lantoa"},
		{ID: "hoc", Name: "Tài khoản học tập", Issuer: "https://hoc.example.vn/", ClientID: "lantoa", CreateLearners: true},
	}
	d2 := dbtest.SQLite(t, schema.All())
	withSSO := httptest.NewServer(build(t, app.BuildConfig{DB: d2, SSO: providers}).Web)
	defer withSSO.Close()
	body := loginPage(t, withSSO.URL, "?next=/courses%3Fq%3Dx")
	first, second := strings.Index(body, `id="sso-tinh"`), strings.Index(body, `id="sso-hoc"`)
	if first < 0 || second < first {
		t.Fatalf("buttons missing or out of order:\n%s", body)
	}
	for _, want := range []string{
		`href="/login/sso/tinh?next=%2fcourses%3fq%3dx"`,
		"Đăng nhập bằng Cổng định danh &lt;tỉnh&gt;",
		"Đăng nhập bằng Tài khoản học tập",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("login page lacks %s", want)
		}
	}
	// A next off the site is not carried to the provider's button.
	if body := loginPage(t, withSSO.URL, "?next=//evil.example/"); strings.Contains(body, "evil.example") {
		t.Error("an off-site next reached the buttons")
	}
	// A broken configuration stops the build.
	if _, err := app.Build(t.Context(), app.BuildConfig{DB: d2, SSO: []sso.Provider{{ID: "Sai", Name: "x", Issuer: "https://x", ClientID: "c"}}}); err == nil {
		t.Error("a provider with a bad id was accepted")
	}
}
