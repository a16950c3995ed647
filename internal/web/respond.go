package web

import (
	"encoding/json"
	"net/http"
	"path"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Answering a request: JSON, files to download and the redirect after a form. Errors are answered
// by writeError (errors.go) and forms shown again by renderForm (form.go).

// listResponse is the shape of every API listing.
type listResponse[T any] struct {
	Items []T `json:"items"`
}

// items wraps a list for the API; an empty list is [], never null, so clients need no nil check.
func items[T any](list []T) listResponse[T] {
	return listResponse[T]{Items: orEmpty(list)}
}

// orEmpty makes a nil slice an empty one, for the same reason as items.
func orEmpty[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}

// writeJSON answers v as JSON. API answers carry the viewer's data and are never cached.
func writeJSON(w http.ResponseWriter, status int, v any) {
	setJSONHeaders(w.Header())
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}

var (
	jsonTypeValue = []string{"application/json; charset=utf-8"}
	noStoreValue  = []string{"no-store"}
)

// setJSONHeaders marks a JSON answer, never kept by a cache. The values are shared, not copied: a
// handler replaces a header, never edits one in place.
func setJSONHeaders(h http.Header) {
	h["Content-Type"] = jsonTypeValue
	h["Cache-Control"] = noStoreValue
}

// writeJSONBytes writes an answer already encoded (an answer save encodes its own, see
// savedAnswerJSON).
func writeJSONBytes(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	setJSONHeaders(h)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// downloadTypes are the content types of the files Lan Tỏa hands out, by extension.
var downloadTypes = map[string]string{
	".pdf":  "application/pdf",
	".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	".csv":  "text/csv; charset=utf-8",
	".zip":  "application/zip",
}

// startDownload sets the headers of a file the browser saves as name ("bao-cao-21034.xlsx",
// "Danh sách lớp 6A.pdf"), for a handler that then writes the body itself (a spreadsheet streamed
// as it is built). The content type follows the extension.
//
// Every download is no-store: each is built for its viewer's scope and most name people (phones,
// passwords, attendance), so neither the browser nor a proxy on the way may keep a copy. nosniff
// is repeated here (securityHeaders sets it too) because a download must never be run as a page
// whatever route it is served from.
func startDownload(w http.ResponseWriter, name string) {
	h := w.Header()
	ct, ok := downloadTypes[strings.ToLower(path.Ext(name))]
	if !ok {
		ct = "application/octet-stream"
	}
	h.Set("Content-Type", ct)
	h.Set("Content-Disposition", contentDisposition(name))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
}

// sendFile answers body as a download named name (see startDownload).
func sendFile(w http.ResponseWriter, name string, body []byte) {
	startDownload(w, name)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = w.Write(body)
}

// sheetExt is the extension of a table asked for with ?format=: xlsx, else CSV.
func sheetExt(format string) string {
	if format == "xlsx" {
		return ".xlsx"
	}
	return ".csv"
}

// contentDisposition names an attachment for every browser: filename with an ASCII fallback
// (Vietnamese without its marks, "Danh sach lop 6A.pdf"), and, when the name is not plain ASCII,
// filename* with the name itself, UTF-8 and percent-encoded (RFC 6266, RFC 5987), which browsers
// prefer where they read it.
func contentDisposition(name string) string {
	fallback := asciiFilename(name)
	v := `attachment; filename="` + fallback + `"`
	if fallback != name {
		v += "; filename*=UTF-8''" + rfc5987(name)
	}
	return v
}

// asciiFilename folds name to printable ASCII for the filename parameter: marks dropped, đ as d,
// and what cannot stand in a quoted string (quotes, backslashes, control characters, any other
// letter) as "_".
func asciiFilename(name string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(name) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r == 'đ':
			r = 'd'
		case r == 'Đ':
			r = 'D'
		case r < 0x20 || r > 0x7e || r == '"' || r == '\\':
			r = '_'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// rfc5987 percent-encodes s as an RFC 5987 ext-value: every byte but the attr-chars.
func rfc5987(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$&+-.^_`|~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&0xf])
	}
	return b.String()
}

// redirectFlash ends a form that succeeded: a message for the next page (a translation key) and a
// 303 to it, so that reloading that page does not post the form again.
func (s *Server) redirectFlash(w http.ResponseWriter, r *http.Request, target, flashKey string) error {
	s.flash(w, flashKey)
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}
