package web_test

import (
	"strings"
	"testing"

	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
)

// A malformed JSON body is answered in the user's language, never with the Go decoder's English.
func TestJSONBodyProblemsInVietnamese(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t, schema.All()))
	admin := e.tokens["province_admin"]
	for body, want := range map[string]string{
		`{"title":"Khóa học","role":"x"}`: "Trường role không có trong yêu cầu này.",
		`{"title":"Khóa học"`:             "Dữ liệu JSON bị cắt giữa chừng",
		``:                                "nội dung yêu cầu trống",
		`{"title":}`:                      "Dữ liệu JSON sai cú pháp ở ký tự thứ",
		`{"title":"a"} {"title":"b"}`:     "Sau đối tượng JSON còn dữ liệu thừa.",
		`{"title":12}`:                    "Trường title có kiểu dữ liệu không đúng.",
	} {
		resp, b := e.do("POST", "/api/v1/courses", admin, "application/json", body)
		if resp.StatusCode != 422 || !strings.Contains(string(b), want) || strings.Contains(string(b), "json:") || strings.Contains(string(b), "EOF") {
			t.Errorf("body %q: %d %s, want %q", body, resp.StatusCode, b, want)
		}
	}
}
