package web

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/lantoa/lantoa/internal/platform/apperr"
)

// The body of an answer save, the API's hottest path (one per question per learner in an exam).
const answerBody = `{"choices":[3,1]}`

// A guidance record, the other frequent body.
const recordBody = `{"client_id":"6f1c8c1e-3b7a-4c55-9d2e-0a1b2c3d4e5f","citizen":{"name":"Đinh Thị Hoa","birth_year":1962,"phone":"+84 905 123 456"},` +
	`"skills":["dvc_quocgia","khong_tien_mat"],"platforms":["vneid"],"guided_at":"2023-07-06T03:00:00Z","evidence":"G01.123-230706-0001","consent":{"given":true,"version":"v1"}}`

// BenchmarkDecodeJSON measures decodeJSON (with strictJSON's scan) beside encoding/json alone, so
// that the price of refusing duplicate keys, invalid UTF-8 and NUL stays visible
// (docs/benchmarks.md).
func BenchmarkDecodeJSON(b *testing.B) {
	for _, c := range []struct{ name, body string }{{"answer", answerBody}, {"record", recordBody}} {
		b.Run(c.name+"/strict", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var v map[string]any
				r := httptest.NewRequest("PUT", "/", strings.NewReader(c.body))
				if err := decodeJSON(httptest.NewRecorder(), r, &v); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.name+"/encoding-json-only", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var v map[string]any
				r := httptest.NewRequest("PUT", "/", strings.NewReader(c.body))
				dec := json.NewDecoder(r.Body)
				dec.DisallowUnknownFields()
				if err := dec.Decode(&v); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.name+"/scan-only", func(b *testing.B) {
			b.ReportAllocs()
			body := []byte(c.body)
			for b.Loop() {
				if err := strictJSON(body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestStrictJSONNamesTheField(t *testing.T) {
	for body, want := range map[string]string{
		`{"a":1,"a":2}`:                     "a",
		`{"a":{"b":[{"c":1,"c":1}]}}`:       "a.b.0.c",
		"{\"a\":[\"ok\",\"\xff\"]}":         "a.1",
		`{"a\u0000":1}`:                     "a\x00",
		`{"a/b":"\u0000"}`:                  "a/b",
		`{"a":"x","b":{"c":"y\u0000z"}}`:    "b.c",
		`{"a":"\\u0000","b":"\\\u0000"}`:    "b",
		`{"ok":"Đinh Thị Hoa","n":[1,2,3]}`: "",
		`{"broken":`:                        "", // a syntax error: encoding/json says it, in Vietnamese
	} {
		err := strictJSON([]byte(body))
		got := ""
		if err != nil {
			got = apperr.As(err).Field
		}
		if got != want || (want != "") != (err != nil) {
			t.Errorf("%q: %v (field %q), want field %q", body, err, got, want)
		}
	}
}
