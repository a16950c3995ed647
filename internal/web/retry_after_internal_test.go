package web

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/platform/apperr"
)

// TestRetryAfterOfEveryThrottle: whatever produces a 429 — a refusal that says when to come back
// (apperr.Throttled) or one that does not — the API, the error page and a form all carry
// Retry-After in whole seconds, rounded up.
func TestRetryAfterOfEveryThrottle(t *testing.T) {
	s := toolkitServer(t)
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"throttled, rounded up", apperr.Throttled(90*time.Second+200*time.Millisecond, "accounts.error.too_many_logins", 2), "91"},
		{"throttled under a second", apperr.Throttled(10*time.Millisecond, "accounts.error.too_many_logins", 1), "1"},
		{"no time given", apperr.New(apperr.TooMany, "accounts.error.too_many_logins", 15), "60"},
	} {
		for _, path := range []string{"/api/v1/users", "/users"} {
			w := httptest.NewRecorder()
			s.writeError(w, httptest.NewRequest("GET", path, nil), tc.err)
			if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != tc.want {
				t.Errorf("%s, %s: %d Retry-After %q, want %q", tc.name, path, w.Code, w.Header().Get("Retry-After"), tc.want)
			}
		}
		r := httptest.NewRequest("POST", "/login", nil)
		w := httptest.NewRecorder()
		if err := s.renderForm(w, r, "login", &loginData{Page: s.newPage(r, "login.title")}, tc.err); err != nil {
			t.Fatal(err)
		}
		if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != tc.want {
			t.Errorf("%s, form: %d Retry-After %q, want %q", tc.name, w.Code, w.Header().Get("Retry-After"), tc.want)
		}
	}
	// Other refusals carry none.
	w := httptest.NewRecorder()
	s.writeError(w, httptest.NewRequest("GET", "/api/v1/users", nil), apperr.New(apperr.Conflict, "error.conflict"))
	if h := w.Header().Get("Retry-After"); h != "" {
		t.Errorf("a 409 with Retry-After %q", h)
	}
}
