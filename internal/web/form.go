package web

import (
	"errors"
	"net/http"

	"github.com/lantoa/lantoa/internal/platform/apperr"
)

// formPage is the page data of a form: any page struct that embeds Page.
type formPage interface{ page() *Page }

func (p *Page) page() *Page { return p }

// renderForm renders the page name with data, and with formErr on it when there is one. It is the
// one place that decides how a page answers a form that was refused:
//
//   - Every refusal of what was submitted is shown on the form itself, with the typed values kept,
//     the message at the top (Page.Error), next to the field it names (Page.Fields) and, for a
//     file, one line per bad row (Page.ErrorLines); the status is the one writeError would give
//     (422 invalid, 409 conflict, 403 forbidden, 404 a thing the form referred to, 413 too large,
//     423 locked, 429 too many tries, 401 a refused login). A not-found of the page's own object
//     never gets here: the page loads that object before it renders and returns its error first.
//   - An internal error, or an error that is not an apperr, goes to writeError: it is logged there,
//     once, and the user sees the error page, not a form that might look saved.
//
// A refusal shown on the form is audited as writeError audits it, so a probe out of scope leaves
// the same trace whichever page it came through.
func (s *Server) renderForm(w http.ResponseWriter, r *http.Request, name string, data formPage, formErr error) error {
	status := http.StatusOK
	if formErr != nil {
		var ae *apperr.Error
		if !errors.As(formErr, &ae) || ae.Kind == apperr.Internal {
			return formErr
		}
		s.auditDenial(r, formErr)
		p := data.page()
		p.Error = p.T(ae.Key, ae.Args...)
		if ae.Field != "" {
			p.Fields = map[string]string{ae.Field: p.Error}
		}
		for _, d := range ae.Details {
			p.ErrorLines = append(p.ErrorLines, p.T("import.line", d.Line)+": "+p.T(d.Key, d.Args...))
		}
		status = statusOfErr(formErr)
		setRetryAfter(w, status, formErr)
	}
	return s.render(w, r, status, name, data)
}
