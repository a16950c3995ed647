package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
)

// TestCommonPasswordRefusedOverHTTP is issue 18's acceptance line: creating a user with
// aaaaaaaaaaaa or matkhau123456 answers 422 on password, in Vietnamese (the rules themselves are
// tested in internal/accounts, on every path that sets a password).
func TestCommonPasswordRefusedOverHTTP(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		admin := e.tokens["province_admin"]
		for _, p := range []string{"aaaaaaaaaaaa", "matkhau123456"} {
			resp, b := e.do("POST", "/api/v1/users", admin, "application/json",
				`{"username":"ubnd.moi","password":"`+p+`","role":"unit_admin","unit_code":"535"}`)
			if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(b), `"field":"password"`) || !strings.Contains(string(b), "quá phổ biến") {
				t.Errorf("API create with %q: %d %s", p, resp.StatusCode, b)
			}
		}
		if code := e.json("POST", "/api/v1/users", admin, map[string]any{"username": "ubnd.moi", "password": testPassword, "role": "unit_admin", "unit_code": "535"}, nil); code != http.StatusCreated {
			t.Fatalf("a good password is refused: %d", code)
		}
	})
}
