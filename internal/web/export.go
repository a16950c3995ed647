package web

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/i18n"
)

// Every export answers at one URL style: the resource's path, then /export?format=…, for example
// /outreach/progress/export?format=xlsx or /api/v1/reports/{id}/export?format=pdf. Each route
// names the formats it supports; the first is served when the query names none (it is the one the
// resource's former URL served, so that an old link without a format still works). Former URLs
// (/outreach/progress.xlsx, /api/v1/certificates/{code}/pdf, …) answer a permanent redirect,
// registered with moved in routes.go. docs/architecture.md ("Exports") has the table.

// exportFormat reads the format an export asks for among the formats its resource supports, the
// first when it names none. Another format is invalid (422), and the message lists the ones there
// are, so that whoever typed the URL can correct it.
func exportFormat(r *http.Request, formats ...string) (string, error) {
	f := r.URL.Query().Get("format")
	if f == "" {
		return formats[0], nil
	}
	if !slices.Contains(formats, f) {
		return "", apperr.InvalidField("format", "error.export_format", f, strings.Join(formats, ", "))
	}
	return f, nil
}

// translator is the request's reader's translator, the one every export layout takes.
func (s *Server) translator(r *http.Request) i18n.Translator {
	return s.I18n.Translator(langOf(r))
}

var wildcard = regexp.MustCompile(`\{([a-z_]+)\}`)

// moved answers a former export URL with a permanent redirect (308) to the current one: to is a
// path whose {wildcards} are those of the former pattern, and may carry a query (the format the
// former URL implied); the request's own query follows it, its format (if any) taking the place
// of the implied one. It runs before authentication, as the redirect gives nothing away: the new
// URL checks access.
func (s *Server) moved(to string) http.Handler {
	path, implied, _ := strings.Cut(to, "?")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		target := wildcard.ReplaceAllStringFunc(path, func(m string) string {
			return url.PathEscape(r.PathValue(m[1 : len(m)-1]))
		})
		var query []string
		if implied != "" && !r.URL.Query().Has("format") {
			query = append(query, implied)
		}
		if r.URL.RawQuery != "" {
			query = append(query, r.URL.RawQuery)
		}
		if len(query) > 0 {
			target += "?" + strings.Join(query, "&")
		}
		http.Redirect(w, r, target, http.StatusPermanentRedirect)
	})
}
