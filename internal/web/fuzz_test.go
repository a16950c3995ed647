package web

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/lantoa/lantoa/internal/accounts"
)

// FuzzDecodeJSON feeds arbitrary request bodies to the strict JSON decoder used by every API route:
// it must never panic, and whatever it accepts must be exactly one JSON value of the target shape.
func FuzzDecodeJSON(f *testing.F) {
	f.Add(`{"username":"ubnd.bato","password":"mật khẩu đủ dài","role":"unit_admin","unit_code":"535"}`)
	f.Add(`{"username":1}`)
	f.Add(`{"username":"a"}{"x":1}`)
	f.Add(`{"unknown":true}`)
	f.Add(`[` + strings.Repeat(`[`, 100))
	f.Fuzz(func(t *testing.T, body string) {
		var in accounts.NewUser
		w := httptest.NewRecorder()
		r := httptest.NewRequest("POST", "/api/v1/users", strings.NewReader(body))
		if err := decodeJSON(w, r, &in); err == nil && len(body) > maxJSONBody {
			t.Fatalf("accepted a body over the limit")
		}
	})
}
