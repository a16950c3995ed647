package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
)

// TestEvery429HasRetryAfter walks the requests that answer 429 — a sign-in to a locked account,
// a sign-in from a locked address, as a form and as JSON — and checks that each says when to come
// back: Retry-After in whole seconds, no later than the lock's end, agreeing with the minutes the
// message gives.
func TestEvery429HasRetryAfter(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		b := e.browser()
		for range 10 {
			b.post("/login", url.Values{"username": {"learner"}, "password": {"sai mật khẩu rồi"}})
		}
		other := e.browser()
		for i := range 60 {
			if resp, _ := other.post("/login", url.Values{"username": {fmt.Sprintf("doan.%d", i)}, "password": {"sai mật khẩu"}}); resp.StatusCode == http.StatusTooManyRequests {
				break
			}
		}
		check := func(name string, resp *http.Response, body string) {
			t.Helper()
			if resp.StatusCode != http.StatusTooManyRequests {
				t.Errorf("%s: %d, want 429", name, resp.StatusCode)
				return
			}
			secs, err := strconv.Atoi(resp.Header.Get("Retry-After"))
			if err != nil || secs < 1 || secs > 15*60 {
				t.Errorf("%s: Retry-After %q", name, resp.Header.Get("Retry-After"))
				return
			}
			// The lock started moments ago: it ends in a little under 15 minutes, as the message says.
			if secs < 14*60 || !strings.Contains(body, "15 phút") {
				t.Errorf("%s: Retry-After %d s and the message %q disagree", name, secs, body)
			}
		}
		resp, body := b.post("/login", url.Values{"username": {"learner"}, "password": {testPassword}})
		check("locked account, form", resp, body)
		// Every address hides behind one in this test, so the second browser's lock is the
		// address's: any username from there is refused, with the header.
		resp, body = other.post("/login", url.Values{"username": {"province.admin"}, "password": {testPassword}})
		check("locked address, form", resp, body)
		req, _ := http.NewRequest("POST", e.srv.URL+"/login", strings.NewReader(url.Values{"username": {"learner"}, "password": {testPassword}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept", "application/json")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		resp, body = b.send(req)
		check("locked account, JSON", resp, body)
	})
}

// TestNo429OutsideTheErrorPath: a 429 is only ever written by writeError or renderForm, which set
// Retry-After; a handler writing the status itself would escape the header.
func TestNo429OutsideTheErrorPath(t *testing.T) {
	direct := regexp.MustCompile(`StatusTooManyRequests|WriteHeader\(429\)|, 429[,)]`)
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || f == "errors.go" {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if loc := direct.FindIndex(src); loc != nil {
			t.Errorf("%s writes 429 itself (%q): answer with apperr.Throttled through writeError", f, src[loc[0]:loc[1]])
		}
	}
}
