package web_test

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/platform/i18n"
	"github.com/lantoa/lantoa/internal/schema"
)

// browser is an HTTP client with a cookie jar that does not follow redirects, so tests see them.
type browser struct {
	t      testing.TB
	e      *env
	client *http.Client
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: e.t, e: e, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) get(path string) (*http.Response, string) {
	b.t.Helper()
	req, _ := http.NewRequest("GET", b.e.srv.URL+path, nil)
	return b.send(req)
}

func (b *browser) post(path string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	req, _ := http.NewRequest("POST", b.e.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	// What a browser sends for a same-origin form post.
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Origin", b.e.srv.URL)
	return b.send(req)
}

func (b *browser) send(req *http.Request) (*http.Response, string) {
	b.t.Helper()
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func (b *browser) cookie(name string) string {
	u, _ := url.Parse(b.e.srv.URL)
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

func (b *browser) login(username, password string) *http.Response {
	b.t.Helper()
	resp, _ := b.post("/login", url.Values{"username": {username}, "password": {password}})
	return resp
}

func TestLoginSessionLifecycle(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		b := e.browser()
		// A page that needs a login sends the visitor to the form, remembering where they were going.
		resp, _ := b.get("/users")
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login?next=") {
			t.Fatalf("anonymous /users: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		// Session fixation: a cookie planted before login is not the one used after it.
		u, _ := url.Parse(e.srv.URL)
		b.client.Jar.SetCookies(u, []*http.Cookie{{Name: "lantoa_session", Value: "planted-by-attacker", Path: "/"}})
		resp = b.login("unit.admin.bato", testPassword)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/workspace" {
			t.Fatalf("login: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		first := b.cookie("lantoa_session")
		if first == "" || first == "planted-by-attacker" {
			t.Fatalf("session cookie after login = %q", first)
		}
		// Logging in again rotates the id, and the old id no longer works.
		b.login("unit.admin.bato", testPassword)
		second := b.cookie("lantoa_session")
		if second == first {
			t.Errorf("session id not rotated at login")
		}
		stale := e.browser()
		stale.client.Jar.SetCookies(u, []*http.Cookie{{Name: "lantoa_session", Value: first, Path: "/"}})
		if resp, _ := stale.get("/units"); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("old session id still valid: %d", resp.StatusCode)
		}
		// In scope: the Ba Tơ administrator's unit page is Ba Tơ with its 19 communes.
		resp, body := b.get("/units")
		if resp.StatusCode != 200 || !strings.Contains(body, "Huyện Ba Tơ") || strings.Count(body, "<tr>") != 20 {
			t.Errorf("/units as Ba Tơ admin: %d, rows %d", resp.StatusCode, strings.Count(body, "<tr>"))
		}
		if strings.Contains(body, "Sơn Tây") || strings.Contains(body, "Thành phố Quảng Ngãi") {
			t.Errorf("Ba Tơ admin's unit page shows another district")
		}
		// Out of scope: Sơn Tây does not exist for them, and the search does not find it.
		if resp, _ := b.get("/units/530"); resp.StatusCode != http.StatusNotFound {
			t.Errorf("/units/530 as Ba Tơ admin: %d", resp.StatusCode)
		}
		if _, body := b.get("/units/search?q=son%20tay"); strings.Contains(body, "href=\"/units/530\"") {
			t.Errorf("search leaks Sơn Tây: %s", body)
		}
		if _, body := b.get("/units/search?q=ba%20to"); !strings.Contains(body, "/units/535") {
			t.Errorf("search does not find Ba Tơ in scope: %s", body)
		}
		// The users page lists nobody outside the scope.
		if _, body := b.get("/users"); strings.Contains(body, "province.admin") || strings.Contains(body, "unit.admin.sontay") {
			t.Errorf("users page leaks out-of-scope accounts")
		}
		// A form post from another site is refused.
		req, _ := http.NewRequest("POST", e.srv.URL+"/users", strings.NewReader("username=evil"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		req.Header.Set("Origin", "https://evil.example")
		if resp, _ := b.send(req); resp.StatusCode != http.StatusForbidden {
			t.Errorf("cross-site post: %d", resp.StatusCode)
		}
		// Logout ends the session on the server, not just in the browser.
		resp, _ = b.post("/logout", nil)
		if resp.StatusCode != http.StatusSeeOther {
			t.Errorf("logout: %d", resp.StatusCode)
		}
		stale.client.Jar.SetCookies(u, []*http.Cookie{{Name: "lantoa_session", Value: second, Path: "/"}})
		if resp, _ := stale.get("/units"); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("session valid after logout: %d", resp.StatusCode)
		}
	})
}

func TestLoginRateLimitAndMessages(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		b := e.browser()
		resp, body := b.post("/login", url.Values{"username": {"learner"}, "password": {"sai mật khẩu rồi"}})
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "Tên đăng nhập hoặc mật khẩu không đúng") {
			t.Fatalf("bad password: %d", resp.StatusCode)
		}
		for range 9 {
			b.post("/login", url.Values{"username": {"learner"}, "password": {"sai mật khẩu rồi"}})
		}
		// Ten failures lock the account for a while, even with the right password.
		resp, body = b.post("/login", url.Values{"username": {"learner"}, "password": {testPassword}})
		if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "quá nhiều lần") {
			t.Errorf("after 10 failures: %d", resp.StatusCode)
		}
		// Another account from the same address is not locked by them.
		if resp := b.login("team.member", testPassword); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("other account blocked: %d", resp.StatusCode)
		}
		// A disabled account cannot log in.
		if err := e.accounts.SetDisabled(e.sys, e.users["bridge_operator"], true); err != nil {
			t.Fatal(err)
		}
		if resp := e.browser().login("bridge.operator", testPassword); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("disabled account: %d", resp.StatusCode)
		}
		// Oversized and unknown input is a clean refusal.
		if resp := e.browser().login(strings.Repeat("x", 1000), testPassword); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("long username: %d", resp.StatusCode)
		}
		if resp, _ := e.browser().post("/login", url.Values{"username": {"x"}, "password": {strings.Repeat("p", 20000)}}); resp.StatusCode == 200 || resp.StatusCode >= 500 {
			t.Errorf("oversized form: %d", resp.StatusCode)
		}
		// Open redirects through ?next= are neutralised.
		if resp, _ := e.browser().post("/login", url.Values{"username": {"team.member"}, "password": {testPassword}, "next": {"//evil.example/x"}}); resp.Header.Get("Location") != "/" {
			t.Errorf("next=//evil: %s", resp.Header.Get("Location"))
		}
	})
}

func TestMustChangePassword(t *testing.T) {
	d := dbtest.SQLite(t, schema.All())
	e := newEnv(t, d)
	u := e.fresh(accounts.NewUser{Role: authz.UnitAdmin, UnitCode: "535", MustChangePassword: true})
	b := e.browser()
	if resp := b.login(u.Username, testPassword); resp.Header.Get("Location") != "/account/password" {
		t.Fatalf("first login goes to %s", resp.Header.Get("Location"))
	}
	if resp, _ := b.get("/users"); resp.Header.Get("Location") != "/account/password" {
		t.Errorf("other pages reachable before the change: %s", resp.Header.Get("Location"))
	}
	resp, body := b.post("/account/password", url.Values{"old_password": {testPassword}, "password": {"ngắn"}, "password_confirm": {"ngắn"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "ít nhất 12 ký tự") {
		t.Errorf("short new password: %d", resp.StatusCode)
	}
	newPw := "một mật khẩu mới đủ dài"
	resp, _ = b.post("/account/password", url.Values{"old_password": {testPassword}, "password": {newPw}, "password_confirm": {newPw}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("change: %d", resp.StatusCode)
	}
	if resp, _ := b.get("/users"); resp.StatusCode != 200 {
		t.Errorf("after change /users: %d", resp.StatusCode)
	}
	if resp := e.browser().login(u.Username, testPassword); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("old password still works: %d", resp.StatusCode)
	}
}

// securityHeadersMissing names the security headers a response lacks (empty when all are there).
// The route × role matrices run it on every answer they get, whatever its status.
func securityHeadersMissing(resp *http.Response) string {
	h := resp.Header
	var missing []string
	csp := h.Get("Content-Security-Policy")
	if strings.HasPrefix(resp.Request.URL.Path, "/api/") {
		// An API answer, never rendered as a page, carries OWASP's policy for REST answers.
		if csp != "default-src 'none'; frame-ancestors 'none'" {
			missing = append(missing, "Content-Security-Policy (API)")
		}
	} else if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		missing = append(missing, "Content-Security-Policy")
	}
	if h.Get("X-Content-Type-Options") != "nosniff" {
		missing = append(missing, "X-Content-Type-Options")
	}
	if h.Get("X-Frame-Options") != "DENY" {
		missing = append(missing, "X-Frame-Options")
	}
	if h.Get("Referrer-Policy") == "" {
		missing = append(missing, "Referrer-Policy")
	}
	return strings.Join(missing, ", ")
}

func TestSecurityHeadersEverywhere(t *testing.T) {
	d := dbtest.SQLite(t, schema.All())
	e := newEnv(t, d)
	_, home := e.browser().get("/")
	css := regexp.MustCompile(`/static/app\.[0-9a-f]{8}\.css`).FindString(home)
	if css == "" {
		t.Fatal("no hashed stylesheet URL on the home page")
	}
	for _, path := range []string{"/", "/login", "/nothing-here", "/api/v1/units", "/api/v1/nope", "/healthz", "/readyz", css, "/units"} {
		resp, body := e.browser().get(path)
		if m := securityHeadersMissing(resp); m != "" {
			t.Errorf("%s: missing or weak %s", path, m)
		}
		for _, tag := range regexp.MustCompile(`<script[^>]*>`).FindAllString(body, -1) {
			if !strings.Contains(tag, "src=") {
				t.Errorf("%s: inline script %s", path, tag)
			}
		}
	}
	resp, _ := e.browser().get(css)
	if !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") {
		t.Errorf("hashed asset not cached: %q", resp.Header.Get("Cache-Control"))
	}
	// Metrics are exposed for Prometheus.
	_, metrics := e.browser().get("/metrics")
	if !strings.Contains(metrics, "lantoa_http_requests_total") {
		t.Errorf("metrics missing request counter")
	}
}

func TestEveryPageRendersInBothLanguages(t *testing.T) {
	d := dbtest.SQLite(t, schema.All())
	e := newEnv(t, d)
	keys := i18n.MustLoad().Keys("vi")
	for _, lang := range []string{"vi", "en"} {
		b := e.browser()
		b.post("/lang", url.Values{"lang": {lang}, "next": {"/"}})
		b.login("province.admin", testPassword)
		for _, path := range []string{"/", "/units", "/units/535", "/units/" + e.baToCommune, "/orgs", "/users", "/users/new",
			fmt.Sprintf("/users/%d", e.users["unit_admin_bato"]), "/account", "/account/password", "/audit", "/units?q=hoa"} {
			resp, body := b.get(path)
			if resp.StatusCode != 200 {
				t.Errorf("%s %s: %d", lang, path, resp.StatusCode)
			}
			if strings.Contains(body, "%!") {
				t.Errorf("%s %s: bad format in page", lang, path)
			}
			for _, k := range keys {
				if strings.Contains(body, ">"+k+"<") || strings.Contains(body, `"`+k+`"`) {
					t.Errorf("%s %s: untranslated key %s", lang, path, k)
				}
			}
			if lang == "en" && !strings.Contains(body, `lang="en"`) {
				t.Errorf("%s: not English", path)
			}
		}
	}
}

func TestVillageImportPage(t *testing.T) {
	d := dbtest.SQLite(t, schema.All())
	e := newEnv(t, d)
	b := e.browser()
	b.login("unit.admin.bato", testPassword)
	upload := func(csv string) (*http.Response, string) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		fw, _ := mw.CreateFormFile("file", "thon.csv")
		io.WriteString(fw, csv)
		mw.Close()
		req, _ := http.NewRequest("POST", e.srv.URL+"/units/"+e.baToCommune+"/import", &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		return b.send(req)
	}
	c := e.baToCommune
	resp, body := upload("code,name,level,parent_code\n" + c + "-01,Thôn Gò Da,village," + c + "\n" + e.sonTayCommune + "-01,Thôn Lạ,village," + e.sonTayCommune + "\n")
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Dòng 3") || !strings.Contains(body, "ngoài phạm vi") {
		t.Fatalf("refused import page: %d", resp.StatusCode)
	}
	resp, _ = upload("code,name,level,parent_code\n" + c + "-01,Thôn Gò Da,village," + c + "\n")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("import: %d", resp.StatusCode)
	}
	_, body = b.get("/units/" + c)
	if !strings.Contains(body, "Thôn Gò Da") || !strings.Contains(body, "1 đơn vị mới") {
		t.Errorf("village or result message missing after import")
	}
}
