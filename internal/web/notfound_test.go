package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
)

// A mistyped address gets the error page in Vietnamese with a way home, not Go's bare English
// "404 page not found"; an address that exists for another method gets 405 with Allow; the API
// keeps its JSON answers.
func TestUnknownAddresses(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t, schema.All()))
	for _, c := range []struct {
		method, path string
		status       int
		allow, text  string
	}{
		{"GET", "/trang-khong-co", http.StatusNotFound, "", "Không có trang này."},
		{"GET", "/tinh/51/trang-khong-co", http.StatusNotFound, "", "Không có trang này."},
		{"DELETE", "/login", http.StatusMethodNotAllowed, "GET, POST", "Trang này không nhận cách gửi đó."},
		{"GET", "/api/v1/khong-co", http.StatusNotFound, "", `"kind":"not_found"`},
		{"DELETE", "/api/v1/units", http.StatusMethodNotAllowed, "GET", `"kind":"method_not_allowed"`},
	} {
		resp, body := e.do(c.method, c.path, "", "", "")
		b := string(body)
		if resp.StatusCode != c.status || !strings.Contains(b, c.text) || resp.Header.Get("Allow") != c.allow {
			t.Errorf("%s %s: %d Allow %q, want %d Allow %q and %q in %.300s", c.method, c.path, resp.StatusCode, resp.Header.Get("Allow"), c.status, c.allow, c.text, b)
		}
		if !strings.HasPrefix(c.path, "/api/") && (!strings.Contains(b, `href="/"`) || strings.Contains(b, "page not found")) {
			t.Errorf("%s %s: no way home, or Go's English text: %.300s", c.method, c.path, b)
		}
	}
}
