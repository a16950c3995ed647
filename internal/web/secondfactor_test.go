package web_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/lantoa/lantoa/internal/app"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
)

// testTOTPSecret is a known second factor for the tests' administrators.
const testTOTPSecret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

func totpCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestHalfSessionRefusedEverywhere: after the password and before the code, the browser's
// session reaches no page and no API a visitor without a session could not: every page route
// answers as it does to an anonymous visitor, except that "sign in" becomes "type your code"; every
// API route answers as to an anonymous caller. The user's API token is unaffected.
func TestHalfSessionRefusedEverywhere(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		if err := e.accounts.EnrolWithSecret(e.sys, e.users["unit_admin_bato"], testTOTPSecret); err != nil {
			t.Fatal(err)
		}
		half := e.browser()
		resp := half.login("unit.admin.bato", testPassword)
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login/2fa?next=") {
			t.Fatalf("password of an enrolled user: %d %q, want the code page", resp.StatusCode, resp.Header.Get("Location"))
		}
		for _, c := range pageCases() {
			if strings.HasPrefix(c.route, "POST /login") || c.route == "POST /logout" || strings.HasPrefix(c.route, "GET /login") || c.route == "POST /lang" {
				continue // the sign-in pages themselves: TestSecondFactorPages
			}
			method, _, _ := strings.Cut(c.route, " ")
			path, f := c.request(e, "anonymous")
			anon := e.browser()
			var ra, rh *http.Response
			if method == "GET" {
				ra, _ = anon.get(path)
				rh, _ = half.get(path)
			} else {
				ra, _ = anon.post(path, f)
				rh, _ = half.post(path, f)
			}
			la, lh := ra.Header.Get("Location"), rh.Header.Get("Location")
			if strings.HasPrefix(la, "/login?next=") {
				la = strings.Replace(la, "/login?", "/login/2fa?", 1)
			}
			if ra.StatusCode != rh.StatusCode || la != lh {
				t.Errorf("%s (%s): half session %d %q, anonymous %d %q", c.route, path, rh.StatusCode, lh, ra.StatusCode, ra.Header.Get("Location"))
			}
		}
		var apiCases []matrixCase
		apiCases = append(apiCases, matrixCases()...)
		apiCases = append(apiCases, trainingMatrixCases()...)
		apiCases = append(apiCases, outreachMatrixCases()...)
		apiCases = append(apiCases, reportsMatrixCases()...)
		apiCases = append(apiCases, portalMatrixCases()...)
		for _, c := range apiCases {
			method, _, _ := strings.Cut(c.route, " ")
			if path, _ := c.request(e, "anonymous"); strings.Contains(path, "/events") {
				continue // a stream: the ceremony's tests cover its refusal
			}
			send := func(b *browser) *http.Response {
				// A request of its own each time: a registration's username is taken once.
				path, body := c.request(e, "anonymous")
				req, _ := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Sec-Fetch-Site", "same-origin")
				req.Header.Set("Origin", e.srv.URL)
				resp, _ := b.send(req)
				return resp
			}
			ra, rh := send(e.browser()), send(half)
			if ra.StatusCode != rh.StatusCode {
				t.Errorf("%s: half session %d, anonymous %d", c.route, rh.StatusCode, ra.StatusCode)
			}
		}
		// Bearer tokens are issued by administrators, not by signing in: they are unchanged.
		if resp, _ := e.do("GET", "/api/v1/me", e.tokens["unit_admin_bato"], "", ""); resp.StatusCode != http.StatusOK {
			t.Errorf("GET /api/v1/me with the enrolled user's token: %d", resp.StatusCode)
		}
	})
}

var secretRe = regexp.MustCompile(`data-secret="([A-Z2-7]+)"`)

// TestSecondFactorPages: a province administrator without a factor is made to enrol at sign-in
// (QR code and key on the page, a wrong code refused, the right one turns it on and shows ten
// recovery codes once); the next sign-in asks for a code; a replayed code and a used recovery code
// are refused; six wrong codes answer 429 with Retry-After; the account page shows the factor; a
// higher administrator resets it from the user's page.
func TestSecondFactorPages(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		e.accounts.RequireStaffSecondFactor = true
		b := e.browser()
		resp := b.login("province.admin", testPassword)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login/2fa?next=%2Fworkspace" {
			t.Fatalf("login: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		if resp, _ := b.get("/workspace"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login/2fa?") {
			t.Fatalf("the workspace before the factor: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		if resp, _ := b.get("/login/2fa?next=%2Fworkspace"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login/2fa/enrol?next=%2Fworkspace" {
			t.Fatalf("the code page without a factor: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		resp, body := b.get("/login/2fa/enrol?next=%2Fworkspace")
		m := secretRe.FindStringSubmatch(body)
		if resp.StatusCode != http.StatusOK || m == nil || !strings.Contains(body, `src="data:image/png;base64,`) || resp.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("enrolment page: %d, secret %v, cache %q", resp.StatusCode, m, resp.Header.Get("Cache-Control"))
		}
		secret := m[1]
		halfCookie := b.cookie("lantoa_session")
		if resp, body := b.post("/login/2fa/enrol", form("code", "000000", "next", "/workspace")); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Mã xác thực không đúng") {
			t.Fatalf("a wrong first code: %d %.200s", resp.StatusCode, stripTags(body))
		}
		now := time.Now()
		resp, body = b.post("/login/2fa/enrol", form("code", totpCode(t, secret, now), "next", "/workspace"))
		codes := regexp.MustCompile(`<code>([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})</code>`).FindAllStringSubmatch(body, -1)
		if resp.StatusCode != http.StatusOK || len(codes) != 10 || resp.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("enrolment: %d, %d recovery codes; %.300s", resp.StatusCode, len(codes), stripTags(body))
		}
		if b.cookie("lantoa_session") == halfCookie {
			t.Error("the session id did not change with the second factor")
		}
		if resp, body := b.get("/account"); resp.StatusCode != http.StatusOK || !strings.Contains(body, "còn 10 mã dự phòng") {
			t.Fatalf("account page: %d %.300s", resp.StatusCode, stripTags(body))
		}
		b.post("/logout", form())

		// Next sign-in: the code. The enrolment's code again is a replay.
		b.login("province.admin", testPassword)
		if resp, body := b.get("/login/2fa"); resp.StatusCode != http.StatusOK || !strings.Contains(body, `autocomplete="one-time-code"`) {
			t.Fatalf("code page: %d", resp.StatusCode)
		}
		if resp, _ := b.post("/login/2fa", form("code", totpCode(t, secret, now), "next", "/workspace")); resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("a replayed code: %d, want 422", resp.StatusCode)
		}
		resp, _ = b.post("/login/2fa", form("code", codes[0][1], "next", "/users"))
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/users" {
			t.Fatalf("a recovery code: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		if _, body := b.get("/users"); !strings.Contains(body, "còn 9 mã") {
			t.Errorf("no word of the recovery code spent: %.300s", stripTags(body))
		}
		b.post("/logout", form())
		b.login("province.admin", testPassword)
		if resp, _ := b.post("/login/2fa", form("code", codes[0][1])); resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("a recovery code twice: %d", resp.StatusCode)
		}
		// Two failures so far (the replay, the spent recovery code); four more make six.
		for range 4 {
			b.post("/login/2fa", form("code", "000000"))
		}
		resp, body = b.post("/login/2fa", form("code", totpCode(t, secret, time.Now().Add(30*time.Second))))
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" || !strings.Contains(body, "quá nhiều lần") {
			t.Fatalf("after six wrong codes: %d Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
		}

		// The national administrator resets the province administrator's factor from the user's
		// page; the unit administrator may not.
		unit := e.browser()
		unit.login("unit.admin.bato", testPassword)
		// Unit administrators must enrol too: through the page, as above.
		_, body = unit.get("/login/2fa/enrol")
		us := secretRe.FindStringSubmatch(body)
		if us == nil {
			t.Fatalf("no secret for the unit administrator: %.200s", stripTags(body))
		}
		if resp, _ := unit.post("/login/2fa/enrol", form("code", totpCode(t, us[1], time.Now()))); resp.StatusCode != http.StatusOK {
			t.Fatalf("unit administrator's enrolment: %d", resp.StatusCode)
		}
		pid := e.users["province_admin"]
		if resp, _ := unit.post("/users/"+itoa(pid)+"/2fa/reset", form()); resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusForbidden {
			t.Errorf("a unit administrator resets the province's factor: %d", resp.StatusCode)
		}
		if err := e.accounts.EnrolWithSecret(e.sys, e.users["national_admin"], testTOTPSecret); err != nil {
			t.Fatal(err)
		}
		nat := e.browser()
		nat.login("national.admin", testPassword)
		if resp, _ := nat.post("/login/2fa", form("code", totpCode(t, testTOTPSecret, time.Now()))); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("national administrator's code: %d", resp.StatusCode)
		}
		if _, body := nat.get("/users/" + itoa(pid)); !strings.Contains(body, `id="reset-2fa"`) {
			t.Fatalf("no reset button on the province administrator's page: %.300s", stripTags(body))
		}
		if resp, _ := nat.post("/users/"+itoa(pid)+"/2fa/reset", form()); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("reset: %d", resp.StatusCode)
		}
		// A password reset too (the first administrator's case: a one-time password): the factor
		// first, then the new password. The reset also lifted the lockout of the six wrong codes.
		const temp = "mat-khau-tam-thoi-2026"
		if err := e.accounts.SetPassword(e.sys, pid, "", temp); err != nil {
			t.Fatal(err)
		}
		again := e.browser()
		if resp := again.login("province.admin", temp); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("login after reset: %d", resp.StatusCode)
		}
		if resp, _ := again.get("/login/2fa"); !strings.HasPrefix(resp.Header.Get("Location"), "/login/2fa/enrol") {
			t.Errorf("after the reset the user enrols again: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		_, body = again.get("/login/2fa/enrol")
		ns := secretRe.FindStringSubmatch(body)
		if ns == nil || ns[1] == secret {
			t.Fatalf("a new secret after the reset: %v", ns)
		}
		if resp, body := again.post("/login/2fa/enrol", form("code", totpCode(t, ns[1], time.Now()), "next", "/workspace")); resp.StatusCode != http.StatusOK ||
			!strings.Contains(body, `href="/account/password" id="recovery-continue"`) {
			t.Errorf("enrolment with a password to change: %d, continue not to the password page: %.300s", resp.StatusCode, stripTags(body))
		}
		if resp, _ := again.get("/workspace"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/account/password" {
			t.Errorf("the workspace with a password to change: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		var n int
		if err := d.Reader().QueryRowContext(e.sys, "SELECT COUNT(*) FROM audit_log WHERE action = 'user.2fa_reset' AND object_id = ?", itoa(pid)).Scan(&n); err != nil || n != 1 {
			t.Errorf("reset audited %d times (%v)", n, err)
		}

		// Bad input: an oversized or odd code is a wrong code, not a failure; a half session past
		// its 10 minutes goes back to the password.
		late := e.browser()
		late.login("unit.admin.bato", testPassword)
		for _, code := range []string{strings.Repeat("9", 5000), "12345\x00", "ΑΒΓΔ-ΕΖΗΘ-ΙΚΛΜ-ΝΞΟΠ", "<script>"} {
			if resp, _ := late.post("/login/2fa", form("code", code)); resp.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("code %.20q: %d, want 422", code, resp.StatusCode)
			}
		}
		real := e.accounts.Now
		e.accounts.Now = func() time.Time { return real().Add(11 * time.Minute) }
		resp, _ = late.post("/login/2fa", form("code", totpCode(t, us[1], time.Now()), "next", "/units"))
		e.accounts.Now = real
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login?next=%2Funits" {
			t.Errorf("an 11-minute-old half session: %d %q, want the login form", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestSecondFactorAcrossInstances: two instances over one database, as behind a load balancer:
// the password on one, the code page and the code on the other, and a replay of that code on the
// first is refused. Nothing of the half session lives in an instance's memory.
func TestSecondFactorAcrossInstances(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		other := build(t, app.BuildConfig{DB: d, RequireStaff2FA: true})
		srvB := httptest.NewServer(other.Web)
		t.Cleanup(srvB.Close)
		if err := e.accounts.EnrolWithSecret(e.sys, e.users["unit_admin_bato"], testTOTPSecret); err != nil {
			t.Fatal(err)
		}
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		send := func(base, method, path, cookie string, f url.Values) *http.Response {
			t.Helper()
			req, _ := http.NewRequest(method, base+path, strings.NewReader(f.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Sec-Fetch-Site", "same-origin")
			req.Header.Set("Origin", base)
			if cookie != "" {
				req.AddCookie(&http.Cookie{Name: "lantoa_session", Value: cookie})
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp
		}
		session := func(resp *http.Response) string {
			for _, c := range resp.Cookies() {
				if c.Name == "lantoa_session" {
					return c.Value
				}
			}
			return ""
		}
		pw := form("username", "unit.admin.bato", "password", testPassword)
		half := session(send(e.srv.URL, "POST", "/login", "", pw))
		if resp := send(srvB.URL, "GET", "/login/2fa", half, nil); resp.StatusCode != http.StatusOK {
			t.Fatalf("the code page on the other instance: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		code := totpCode(t, testTOTPSecret, time.Now())
		resp := send(srvB.URL, "POST", "/login/2fa", half, form("code", code))
		full := session(resp)
		if resp.StatusCode != http.StatusSeeOther || full == "" || full == half {
			t.Fatalf("the code on the other instance: %d, new session %v", resp.StatusCode, full != "" && full != half)
		}
		if resp := send(e.srv.URL, "GET", "/workspace", full, nil); resp.StatusCode != http.StatusOK {
			t.Errorf("the full session on the first instance: %d", resp.StatusCode)
		}
		again := session(send(e.srv.URL, "POST", "/login", "", pw))
		if resp := send(e.srv.URL, "POST", "/login/2fa", again, form("code", code)); resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("the same code on the first instance: %d, want 422", resp.StatusCode)
		}
	})
}
