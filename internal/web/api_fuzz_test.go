package web_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
)

// jsonBodyCases are the matrix routes that take a JSON body (POST, PUT, PATCH), with the body the
// matrix sends: every JSON body of the API, found from the one list that must cover every route.
func jsonBodyCases() []matrixCase {
	var all []matrixCase
	for _, cs := range [][]matrixCase{matrixCases(), trainingMatrixCases(), outreachMatrixCases(), ceremonyMatrixCases(), reportsMatrixCases(), portalMatrixCases()} {
		all = append(all, cs...)
	}
	var out []matrixCase
	for _, c := range all {
		method, path, _ := strings.Cut(c.route, " ")
		if (method == "POST" || method == "PUT" || method == "PATCH") && !strings.HasSuffix(path, "/import") && !strings.HasSuffix(path, "/upload") {
			out = append(out, c)
		}
	}
	return out
}

// FuzzEveryJSONBody sends arbitrary bodies to every JSON route of the API as the province
// administrator (who passes every access check, so the body reaches the decoder and the service):
// no body may cause a server error, and every refusal must be the API's JSON error shape.
// Bodies are seeded with each route's own valid body, so mutations explore near-valid input.
func FuzzEveryJSONBody(f *testing.F) {
	cases := jsonBodyCases()
	for i := range cases {
		f.Add(uint16(i), "")
		f.Add(uint16(i), "{}")
	}
	f.Add(uint16(0), `{"title":"`+strings.Repeat("Ơ", 5000)+`"}`)
	f.Add(uint16(1), `{"choices":[-1,9223372036854775807]}`)
	f.Add(uint16(2), `{"starts_at":"2023-02-30T25:61:00Z"}`)
	f.Add(uint16(3), `[`+strings.Repeat(`{"a":`, 200))
	d := dbtest.SQLite(f, schema.All())
	e := newEnv(f, d)
	seeded := map[int]bool{}
	f.Fuzz(func(t *testing.T, which uint16, body string) {
		e.t = t // the env's helpers report to the running input, not to the F
		c := cases[int(which)%len(cases)]
		method, _, _ := strings.Cut(c.route, " ")
		path, valid := c.request(e, "province_admin")
		if !seeded[int(which)%len(cases)] && body == "" {
			body, seeded[int(which)%len(cases)] = valid, true
		}
		resp, b := e.do(method, path, e.tokens["province_admin"], "application/json", body)
		if resp.StatusCode >= 500 {
			t.Fatalf("%s %s with %.300q: %d %.300s", method, path, body, resp.StatusCode, b)
		}
		if resp.StatusCode >= 400 {
			var shape struct {
				Error struct {
					Kind    string `json:"kind"`
					Message string `json:"message"`
				} `json:"error"`
			}
			if err := json.Unmarshal(b, &shape); err != nil || shape.Error.Kind == "" || shape.Error.Message == "" {
				t.Fatalf("%s %s: %d without the JSON error shape: %.300s", method, path, resp.StatusCode, b)
			}
			if strings.Contains(shape.Error.Message, ".error.") {
				t.Errorf("%s %s: untranslated message %q", method, path, shape.Error.Message)
			}
		}
	})
}

func TestJSONBodyCasesFound(t *testing.T) {
	if n := len(jsonBodyCases()); n < 30 {
		t.Fatalf("only %d JSON routes found in the matrix", n)
	}
}
