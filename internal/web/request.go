package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/lantoa/lantoa/internal/platform/apperr"
)

// Reading a request: ids in the path, numbers and codes in the query, form and JSON bodies and
// uploaded files. Every limit and every refusal a handler needs lives here, so that two handlers
// never answer the same bad input with different words or statuses.

// pathID reads a positive id from the path. Anything else names nothing and is "not found", as an
// id that is well formed but absent would be.
func pathID(r *http.Request, name string) (int64, error) {
	return pathIDOr(r, name, "error.not_found")
}

// pathIDOr is pathID with the not-found message of the kind of thing the id names ("Không tìm
// thấy bài viết"), where the service says the same for an absent one.
func pathIDOr(r *http.Request, name, notFoundKey string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, apperr.New(apperr.NotFound, notFoundKey)
	}
	return id, nil
}

// queryInt reads a non-negative whole number from the query, def when absent. A bad number is the
// caller's mistake (422), never silently the default.
func queryInt(r *http.Request, name string, def int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, apperr.InvalidField(name, "error.query_number", name)
	}
	return n, nil
}

// queryID reads an id (or a cursor such as ?before=) from the query, 0 when absent.
func queryID(r *http.Request, name string) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id < 0 {
		return 0, apperr.InvalidField(name, "error.query_number", name)
	}
	return id, nil
}

// requiredQueryID reads an id the query must carry: absent and malformed are told apart, since the
// first is usually a client that forgot it.
func requiredQueryID(r *http.Request, name string) (int64, error) {
	if r.URL.Query().Get(name) == "" {
		return 0, apperr.InvalidField(name, "error.query_missing", name)
	}
	id, err := queryID(r, name)
	if err == nil && id == 0 {
		err = apperr.InvalidField(name, "error.query_number", name)
	}
	return id, err
}

// unitPathParam resolves a unit code given as a query parameter to the unit's path ("" when
// absent); an unknown code is the service's not-found.
func (s *Server) unitPathParam(r *http.Request, name string) (string, error) {
	code := r.URL.Query().Get(name)
	if code == "" {
		return "", nil
	}
	u, err := s.Units.Find(r.Context(), code)
	return u.Path, err
}

// orgPathParam resolves an organisation id given as a query parameter to its path ("" when
// absent), for filters that take a subtree of organisations.
func (s *Server) orgPathParam(r *http.Request, name string) (string, error) {
	if r.URL.Query().Get(name) == "" {
		return "", nil
	}
	id, err := queryID(r, name)
	if err != nil {
		return "", err
	}
	o, err := s.Orgs.Find(r.Context(), id)
	return o.Path, err
}

// Limits of form bodies. A form of a few fields fits in formSmall; the larger ones carry free text
// (a campaign's consent text, a report's figures).
const (
	formTiny  = 4 << 10
	formSmall = 16 << 10
	formLarge = 64 << 10
)

// errBodyTooLarge marks, as the cause of an apperr, a body over its limit: writeError and the form
// helper answer 413 for it rather than the 422 of other invalid input.
var errBodyTooLarge = errors.New("request body too large")

// tooLarge is the refusal of a body over limit bytes, in the user's language.
func tooLarge(limit int64) error {
	e := apperr.New(apperr.Invalid, "error.body_too_large", limit>>10)
	e.Cause = errBodyTooLarge
	return e
}

// parseForm reads a URL-encoded form of at most limit bytes. A form that cannot be read is refused
// whole: reading on would hand the service empty fields and a misleading message.
func parseForm(w http.ResponseWriter, r *http.Request, limit int64) error {
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return tooLarge(limit)
		}
		e := apperr.New(apperr.Invalid, "error.form")
		e.Cause = err
		return e
	}
	return nil
}

// maxJSONBody bounds every JSON request body but those that carry a file.
const maxJSONBody = 1 << 20

// decodeJSON reads a JSON body of at most maxJSONBody bytes strictly: unknown fields, trailing
// data and oversize bodies are refused with a Vietnamese message rather than silently ignored.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	return decodeJSONLimit(w, r, v, maxJSONBody)
}

// decodeJSONLimit is decodeJSON for a body that may be larger (an image sent as base64).
//
// encoding/json takes a duplicated key (the last one wins, so a proxy and the server may read
// different values), replaces invalid UTF-8 silently and keeps NUL characters that PostgreSQL
// refuses to store; strictJSON refuses those first, naming the field. It is the one place bodies
// are decoded, so every API endpoint gets it; answer saves, the hot path, pay one validating scan.
func decodeJSONLimit(w http.ResponseWriter, r *http.Request, v any, limit int64) error {
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return tooLarge(limit)
		}
		e := apperr.New(apperr.Invalid, "error.json_incomplete")
		e.Cause = err
		return e
	}
	if err := strictJSON(body); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonProblem(err)
	}
	if dec.More() {
		return apperr.New(apperr.Invalid, "error.json_trailing")
	}
	return nil
}

// nulEscape is how a NUL character is written in JSON (a raw NUL byte is a syntax error already).
var nulEscape = []byte(`\u0000`)

// strictJSON refuses a body with a duplicated key, invalid UTF-8 or a NUL character in a string,
// naming the field. The usual body costs one validating scan (jsontext checks UTF-8 and duplicate
// names by default) and a byte search for the NUL escape; only a body that fails either is walked
// token by token to find the field. Other syntax errors are left to encoding/json, whose
// messages jsonProblem translates.
func strictJSON(body []byte) error {
	valid := jsontext.Value(body).IsValid()
	if valid && !bytes.Contains(body, nulEscape) {
		return nil
	}
	d := jsontext.NewDecoder(bytes.NewReader(body), jsontext.AllowInvalidUTF8(true))
	for d.PeekKind() != 0 {
		if d.PeekKind() != '"' {
			if _, err := d.ReadToken(); err != nil {
				return duplicateProblem(err)
			}
			continue
		}
		raw, err := d.ReadValue()
		if err != nil {
			return duplicateProblem(err)
		}
		field := pointerField(d.StackPointer())
		if !utf8.Valid(raw) {
			return apperr.InvalidField(field, "error.json_utf8", field)
		}
		if bytes.Contains(raw, nulEscape) {
			if s, err := jsontext.AppendUnquote(nil, raw); err == nil && bytes.IndexByte(s, 0) >= 0 {
				return apperr.InvalidField(field, "error.json_nul", field)
			}
		}
	}
	return nil
}

// duplicateProblem names the key a body repeats; any other error of the walk is a syntax error
// that encoding/json will report.
func duplicateProblem(err error) error {
	var se *jsontext.SyntacticError
	if errors.As(err, &se) && errors.Is(se.Err, jsontext.ErrDuplicateName) {
		field := pointerField(se.JSONPointer)
		e := apperr.InvalidField(field, "error.json_duplicate", field)
		e.Cause = err
		return e
	}
	return nil
}

// pointerField writes a JSON pointer (/citizen/name) as the API names fields (citizen.name).
func pointerField(p jsontext.Pointer) string {
	var parts []string
	for tok := range p.Tokens() {
		parts = append(parts, tok)
	}
	return strings.ToValidUTF8(strings.Join(parts, "."), "\uFFFD")
}

// jsonProblem says in the user's language what is wrong with a JSON body, never in the Go
// decoder's English; the decoder's words stay in the cause for the log.
func jsonProblem(err error) error {
	var e *apperr.Error
	var ute *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &ute):
		e = apperr.InvalidField(ute.Field, "error.json_type", ute.Field)
	case errors.As(err, &se):
		e = apperr.New(apperr.Invalid, "error.json_syntax", se.Offset)
	case errors.Is(err, io.EOF):
		e = apperr.New(apperr.Invalid, "error.json_empty")
	case errors.Is(err, io.ErrUnexpectedEOF):
		e = apperr.New(apperr.Invalid, "error.json_incomplete")
	// encoding/json has no error type for an unknown field (DisallowUnknownFields): its text is
	// the only way to name the field.
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		e = apperr.InvalidField(field, "error.json_unknown_field", field)
	default:
		e = apperr.New(apperr.Invalid, "error.json_invalid")
	}
	e.Cause = err
	return e
}

// uploadSlack is what a multipart body may carry around its file (boundaries, part headers, the
// other fields of the form).
const uploadSlack = 1 << 20

// openUpload returns the file a request carries, of at most limit bytes, and a function that
// closes it. The file is the multipart field named field or, for API clients, the raw body of a
// request that is neither multipart nor a URL-encoded form (CSV or xlsx sent as it is).
//
// No file is a nil reader and no error: the services say "no file" after their access check, so a
// caller who may not import learns nothing else. The services also refuse a file over their own
// limit (they read limit+1 bytes), in their own words; what is refused here is a multipart body
// over limit plus uploadSlack, which the multipart reader would otherwise take in whole: 413.
func openUpload(w http.ResponseWriter, r *http.Request, field string, limit int64) (io.Reader, func(), error) {
	none := func() {}
	r.Body = http.MaxBytesReader(w, r.Body, limit+uploadSlack)
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case strings.HasPrefix(ct, "multipart/"):
		f, _, err := r.FormFile(field)
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			e := apperr.InvalidField(field, "import.error.too_large", limit>>20)
			e.Cause = errBodyTooLarge
			return nil, none, e
		}
		if err != nil {
			return nil, none, nil
		}
		return f, func() { f.Close() }, nil
	case ct == "application/x-www-form-urlencoded":
		return nil, none, nil
	}
	return r.Body, none, nil
}

// readUpload reads the whole file of openUpload, for services that take bytes (images). At most
// limit+1 bytes are read, so the service can tell a file over its limit from one at it.
func readUpload(w http.ResponseWriter, r *http.Request, field string, limit int64) ([]byte, error) {
	f, done, err := openUpload(w, r, field, limit)
	if err != nil || f == nil {
		return nil, err
	}
	defer done()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		e := apperr.InvalidField(field, "error.form")
		e.Cause = err
		return nil, e
	}
	return data, nil
}
