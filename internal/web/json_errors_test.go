package web_test

import (
	"strings"
	"testing"
	"time"

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

// TestJSONBodyStrict: a duplicated key, invalid UTF-8 or a NUL character in a string is refused
// with 422 naming the field, at any depth, before anything is stored; an escaped backslash
// before "u0000" is text, not NUL.
func TestJSONBodyStrict(t *testing.T) {
	d := dbtest.SQLite(t, schema.All())
	e := newEnv(t, d)
	member := e.tokens["team_member"]
	at := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
	record := func(citizen, extra string) string {
		return `{"client_id":"` + e.nextUUID() + `","citizen":` + citizen + `,"skills":["dvc_tinh"],"guided_at":"` + at + `"` + extra + `,"consent":{"given":true,"version":"v1"}}`
	}
	for _, c := range []struct {
		name, body, field, message string
	}{
		{"duplicate key", record(`{"name":"Đinh Văn A","birth_year":1960}`, `,"skills":["khong_tien_mat"]`), "skills", "xuất hiện hai lần"},
		{"duplicate nested key", record(`{"name":"Đinh Văn A","name":"Đinh Văn B","birth_year":1960}`, ""), "citizen.name", "xuất hiện hai lần"},
		{"invalid UTF-8", record("{\"name\":\"\xff\xfeĐinh\",\"birth_year\":1960}", ""), "citizen.name", "không phải UTF-8"},
		{"invalid UTF-8 in a key", record(`{"name":"A","birth_year":1960}`, ",\"x\xc3\":1"), "x\ufffd", "không phải UTF-8"},
		{"NUL", record(`{"name":"Đinh\u0000Văn","birth_year":1960}`, ""), "citizen.name", "NUL"},
		{"NUL at the top", record(`{"name":"A","birth_year":1960}`, `,"evidence":"G01\u0000"`), "evidence", "NUL"},
	} {
		resp, b := e.do("POST", "/api/v1/outreach/records", member, "application/json", c.body)
		if resp.StatusCode != 422 || !strings.Contains(string(b), `"field":"`+c.field+`"`) || !strings.Contains(string(b), c.message) {
			t.Errorf("%s: %d %s", c.name, resp.StatusCode, b)
		}
	}
	var n int
	if err := d.Reader().QueryRowContext(t.Context(), "SELECT COUNT(*) FROM outreach_records").Scan(&n); err != nil || n != 0 {
		t.Fatalf("refused bodies stored %d records (%v)", n, err)
	}
	// Not NUL: a backslash, then the letters u0000.
	resp, b := e.do("POST", "/api/v1/outreach/records", member, "application/json", record(`{"name":"Đinh Văn A","birth_year":1960}`, `,"evidence":"G01\\u0000"`))
	if resp.StatusCode != 201 || !strings.Contains(string(b), `G01\\u0000`) {
		t.Errorf("an escaped backslash: %d %s", resp.StatusCode, b)
	}
}
