package web

import (
	"bytes"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/i18n"
	"github.com/lantoa/lantoa/internal/units"
)

// Table tests of request.go, respond.go and form.go: the helpers every handler reads and answers
// with. They need no database; toolkitServer renders pages without one.

func TestPathID(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  int64
	}{{"12", 12}, {"0", 0}, {"-3", 0}, {"12a", 0}, {"", 0}, {"99999999999999999999", 0}} {
		r := httptest.NewRequest("GET", "/x", nil)
		r.SetPathValue("id", tc.value)
		id, err := pathIDOr(r, "id", "portal.error.post_not_found")
		if id != tc.want {
			t.Errorf("%q: id %d, want %d", tc.value, id, tc.want)
		}
		if tc.want == 0 {
			// A bad id names nothing: not found, in the words of the thing it would name.
			if ae := apperr.As(err); ae.Kind != apperr.NotFound || ae.Key != "portal.error.post_not_found" {
				t.Errorf("%q: %v, want not found with the post's key", tc.value, err)
			}
		} else if err != nil {
			t.Errorf("%q: %v", tc.value, err)
		}
	}
	r := httptest.NewRequest("GET", "/x", nil)
	r.SetPathValue("id", "x")
	if _, err := pathID(r, "id"); apperr.As(err).Key != "error.not_found" {
		t.Errorf("pathID: %v", err)
	}
}

func TestQueryNumbers(t *testing.T) {
	for _, tc := range []struct {
		query    string
		wantInt  int
		wantID   int64
		badInt   bool
		badID    bool
		required string // requiredQueryID's key, "" when it accepts
	}{
		{"", 7, 0, false, false, "error.query_missing"},
		{"n=0", 0, 0, false, false, "error.query_number"},
		{"n=42", 42, 42, false, false, ""},
		{"n=-1", 0, 0, true, true, "error.query_number"},
		{"n=abc", 0, 0, true, true, "error.query_number"},
		{"n=1.5", 0, 0, true, true, "error.query_number"},
	} {
		r := httptest.NewRequest("GET", "/x?"+tc.query, nil)
		n, err := queryInt(r, "n", 7)
		if (err != nil) != tc.badInt || (!tc.badInt && n != tc.wantInt) {
			t.Errorf("queryInt %q: %d, %v", tc.query, n, err)
		}
		if err != nil && (apperr.As(err).Kind != apperr.Invalid || apperr.As(err).Field != "n") {
			t.Errorf("queryInt %q: %v, want invalid field n", tc.query, err)
		}
		id, err := queryID(r, "n")
		if (err != nil) != tc.badID || (!tc.badID && id != tc.wantID) {
			t.Errorf("queryID %q: %d, %v", tc.query, id, err)
		}
		_, err = requiredQueryID(r, "n")
		if got := keyOf(err); got != tc.required {
			t.Errorf("requiredQueryID %q: %q, want %q", tc.query, got, tc.required)
		}
	}
}

func keyOf(err error) string {
	if err == nil {
		return ""
	}
	return apperr.As(err).Key
}

func TestParseForm(t *testing.T) {
	post := func(body string) (*http.Request, *httptest.ResponseRecorder) {
		r := httptest.NewRequest("POST", "/x", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return r, httptest.NewRecorder()
	}
	r, w := post("name=Th%C3%B4n+G%C3%B2+Da")
	if err := parseForm(w, r, formTiny); err != nil || r.PostFormValue("name") != "Thôn Gò Da" {
		t.Fatalf("a small form: %v, %q", err, r.PostFormValue("name"))
	}
	r, w = post("name=" + strings.Repeat("x", formTiny))
	err := parseForm(w, r, formTiny)
	if statusOfErr(err) != http.StatusRequestEntityTooLarge || keyOf(err) != "error.body_too_large" {
		t.Errorf("an oversize form: %v (status %d), want 413 error.body_too_large", err, statusOfErr(err))
	}
	r, w = post("a=%zz")
	if err := parseForm(w, r, formTiny); statusOfErr(err) != http.StatusUnprocessableEntity || keyOf(err) != "error.form" {
		t.Errorf("a broken form: %v, want 422 error.form", err)
	}
}

func TestDecodeJSONLimit(t *testing.T) {
	var v struct {
		Name string `json:"name"`
	}
	for _, tc := range []struct {
		body   string
		status int
		key    string
	}{
		{`{"name":"Xã An Phú"}`, 0, ""},
		{`{"name":"` + strings.Repeat("x", 200) + `"}`, http.StatusRequestEntityTooLarge, "error.body_too_large"},
		{`{"nam":"x"}`, http.StatusUnprocessableEntity, "error.json_unknown_field"},
		{`{"name":"x"} {}`, http.StatusUnprocessableEntity, "error.json_trailing"},
		{``, http.StatusUnprocessableEntity, "error.json_empty"},
	} {
		r := httptest.NewRequest("POST", "/x", strings.NewReader(tc.body))
		err := decodeJSONLimit(httptest.NewRecorder(), r, &v, 100)
		if keyOf(err) != tc.key || (err != nil && statusOfErr(err) != tc.status) {
			t.Errorf("%.30q: %v (status %d), want %d %s", tc.body, err, statusOfErr(err), tc.status, tc.key)
		}
	}
}

// multipartBody is a form with one file of size bytes in field, and a text field.
func multipartBody(t *testing.T, field string, size int) (*bytes.Buffer, string) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	if err := mw.WriteField("note", "ghi chú"); err != nil {
		t.Fatal(err)
	}
	if field != "" {
		fw, err := mw.CreateFormFile(field, "danh-sach.csv")
		if err != nil {
			t.Fatal(err)
		}
		_, _ = fw.Write(bytes.Repeat([]byte("a"), size))
	}
	_ = mw.Close()
	return &b, mw.FormDataContentType()
}

func TestOpenUpload(t *testing.T) {
	const limit = 1 << 10
	for _, tc := range []struct {
		name        string
		contentType string
		body        func() io.Reader
		want        int // bytes of the file; -1 none
		status      int // of the error; 0 none
	}{
		{"a multipart file", "", nil, 500, 0},
		{"a multipart form without the file", "", nil, -1, 0},
		{"a multipart body over limit plus slack", "", nil, -1, http.StatusRequestEntityTooLarge},
		{"a raw CSV body", "text/csv; charset=utf-8", func() io.Reader { return strings.NewReader("a,b\n1,2\n") }, 8, 0},
		{"a raw body without a type", "", func() io.Reader { return strings.NewReader("a,b\n") }, 4, 0},
		{"a plain form is no file", "application/x-www-form-urlencoded", func() io.Reader { return strings.NewReader("a=1") }, -1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var body io.Reader
			ct := tc.contentType
			switch tc.name {
			case "a multipart file":
				body, ct = multipartBody(t, "file", 500)
			case "a multipart form without the file":
				body, ct = multipartBody(t, "", 0)
			case "a multipart body over limit plus slack":
				body, ct = multipartBody(t, "file", limit+uploadSlack+1)
			default:
				body = tc.body()
			}
			r := httptest.NewRequest("POST", "/x", body)
			if ct != "" {
				r.Header.Set("Content-Type", ct)
			}
			f, done, err := openUpload(httptest.NewRecorder(), r, "file", limit)
			defer done()
			if tc.status != 0 {
				if statusOfErr(err) != tc.status || keyOf(err) != "import.error.too_large" || apperr.As(err).Field != "file" {
					t.Fatalf("%v (status %d), want %d import.error.too_large on field file", err, statusOfErr(err), tc.status)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.want < 0 {
				if f != nil {
					t.Fatal("a file where none was sent")
				}
				return
			}
			data, _ := io.ReadAll(f)
			if len(data) != tc.want {
				t.Errorf("%d bytes, want %d", len(data), tc.want)
			}
		})
	}
}

// A file over the service's limit but inside the slack reaches the service, which reads limit+1
// bytes and refuses it in its own words.
func TestReadUploadReadsOneByteOverLimit(t *testing.T) {
	body, ct := multipartBody(t, "image", 3000)
	r := httptest.NewRequest("POST", "/x", body)
	r.Header.Set("Content-Type", ct)
	data, err := readUpload(httptest.NewRecorder(), r, "image", 1000)
	if err != nil || len(data) != 1001 {
		t.Fatalf("%d bytes, %v; want 1001", len(data), err)
	}
}

func TestDownloadHeaders(t *testing.T) {
	for _, tc := range []struct {
		name, contentType, disposition string
	}{
		{"bao-cao-21034-7.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", `attachment; filename="bao-cao-21034-7.xlsx"`},
		{"chung-nhan-LT-AB12.pdf", "application/pdf", `attachment; filename="chung-nhan-LT-AB12.pdf"`},
		{"mau-cau-hoi.csv", "text/csv; charset=utf-8", `attachment; filename="mau-cau-hoi.csv"`},
		{"Danh sách lớp 6A – Trường Đăk Tô.pdf", "application/pdf",
			`attachment; filename="Danh sach lop 6A _ Truong Dak To.pdf"; filename*=UTF-8''Danh%20s%C3%A1ch%20l%E1%BB%9Bp%206A%20%E2%80%93%20Tr%C6%B0%E1%BB%9Dng%20%C4%90%C4%83k%20T%C3%B4.pdf`},
		{`a"b\c.zip`, "application/zip", `attachment; filename="a_b_c.zip"; filename*=UTF-8''a%22b%5Cc.zip`},
		{"ghi-chu.bin", "application/octet-stream", `attachment; filename="ghi-chu.bin"`},
	} {
		w := httptest.NewRecorder()
		sendFile(w, tc.name, []byte("abc"))
		h := w.Header()
		if got := h.Get("Content-Type"); got != tc.contentType {
			t.Errorf("%s: Content-Type %q, want %q", tc.name, got, tc.contentType)
		}
		if got := h.Get("Content-Disposition"); got != tc.disposition {
			t.Errorf("%s: Content-Disposition\n got %s\nwant %s", tc.name, got, tc.disposition)
		}
		if h.Get("Cache-Control") != "no-store" || h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Content-Length") != "3" || w.Body.String() != "abc" {
			t.Errorf("%s: headers %v, body %q", tc.name, h, w.Body.String())
		}
	}
	// What a browser decodes from filename* is the name itself.
	v := contentDisposition("Tiến độ 7 ngày.xlsx")
	_, enc, _ := strings.Cut(v, "filename*=UTF-8''")
	if name, err := url.PathUnescape(enc); err != nil || name != "Tiến độ 7 ngày.xlsx" {
		t.Errorf("filename* decodes to %q, %v", name, err)
	}
}

// toolkitServer renders pages without a database: no province (an empty, fresh cache) and an
// anonymous visitor, whose refusals auditDenial does not record.
func toolkitServer(t *testing.T) *Server {
	t.Helper()
	s := &Server{Deps: Deps{I18n: i18n.MustLoad()}, provinces: &provinceCache{list: []units.Unit{}, at: time.Now()}}
	var err error
	if s.assets, err = loadAssets(); err != nil {
		t.Fatal(err)
	}
	if s.pages, err = loadPages(s.assets); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRenderFormKinds(t *testing.T) {
	s := toolkitServer(t)
	bad := apperr.InvalidField("username", "accounts.error.bad_login")
	lines := apperr.New(apperr.Invalid, "import.error.rows", 1)
	lines.Details = []apperr.Detail{{Line: 3, Key: "import.error.empty"}}
	for _, tc := range []struct {
		name   string
		err    error
		status int  // 0: handed back for writeError
		field  bool // the message also stands next to its field
		line   string
	}{
		{"no error", nil, http.StatusOK, false, ""},
		{"invalid, on a field", bad, http.StatusUnprocessableEntity, true, ""},
		{"invalid, a file's lines", lines, http.StatusUnprocessableEntity, false, "Dòng 3: "},
		{"conflict", apperr.New(apperr.Conflict, "outreach.error.team_unit_retired", "Xã Nghĩa Dũng"), http.StatusConflict, false, ""},
		{"forbidden", apperr.New(apperr.Forbidden, "error.forbidden"), http.StatusForbidden, false, ""},
		{"a referenced thing not found", apperr.New(apperr.NotFound, "units.error.not_found", "99999"), http.StatusNotFound, false, ""},
		{"a refused login", apperr.New(apperr.Unauthenticated, "accounts.error.bad_login"), http.StatusUnauthorized, false, ""},
		{"too many tries", apperr.New(apperr.TooMany, "accounts.error.too_many_logins", 15), http.StatusTooManyRequests, false, ""},
		{"locked", apperr.New(apperr.Locked, "reports.error.locked", "01/07/2025 08:00", "tinh"), http.StatusLocked, false, ""},
		{"too large", tooLarge(formSmall), http.StatusRequestEntityTooLarge, false, ""},
		{"internal", apperr.Wrap(errors.New("disk full"), "save"), 0, false, ""},
		{"not an apperr", errors.New("disk full"), 0, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/login", nil)
			w := httptest.NewRecorder()
			data := &loginData{Page: s.newPage(r, "login.title"), Username: "an.nguyen"}
			err := s.renderForm(w, r, "login", data, tc.err)
			if tc.status == 0 {
				if err != tc.err {
					t.Fatalf("got %v, want the error handed back", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if w.Code != tc.status {
				t.Errorf("status %d, want %d", w.Code, tc.status)
			}
			body := w.Body.String()
			if !strings.Contains(body, "an.nguyen") {
				t.Error("the typed username is not kept")
			}
			if tc.err == nil {
				if data.Error != "" {
					t.Errorf("an error on a page without one: %q", data.Error)
				}
				return
			}
			ae := apperr.As(tc.err)
			want := s.I18n.T("vi", ae.Key, ae.Args...)
			if data.Error != want || !strings.Contains(body, "role=\"alert\"") {
				t.Errorf("Error %q, want %q", data.Error, want)
			}
			if got := data.FieldError(ae.Field); tc.field && got != want {
				t.Errorf("field %s: %q, want %q", ae.Field, got, want)
			}
			if tc.line != "" && (len(data.ErrorLines) != 1 || !strings.HasPrefix(data.ErrorLines[0], tc.line) || !strings.Contains(body, "error-lines")) {
				t.Errorf("lines %q, want one starting %q", data.ErrorLines, tc.line)
			}
		})
	}
}
