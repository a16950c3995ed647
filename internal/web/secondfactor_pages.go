package web

import (
	"context"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/platform/apperr"
)

// The second factor's pages (accounts/secondfactor.go): after a correct password, a user with a
// factor types a code at /login/2fa, and a staff user without one sets it up at /login/2fa/enrol.
// Both read the half session of the cookie, which no other page accepts (requireLogin sends it
// here).

type pendingKey struct{}

// withPending marks a request whose cookie is a half session.
func withPending(ctx context.Context) context.Context {
	return context.WithValue(ctx, pendingKey{}, true)
}

// secondFactorPending tells whether the request's session waits for the second factor.
func secondFactorPending(r *http.Request) bool {
	p, _ := r.Context().Value(pendingKey{}).(bool)
	return p
}

type codeData struct {
	Page
	Next string
}

type enrolData struct {
	Page
	Next   string
	QR     template.URL
	Secret string
	// SecretGroups is the secret in groups of four, for typing it into an app by hand.
	SecretGroups string
}

type recoveryData struct {
	Page
	Next  string
	Codes []string
}

// codeNext is where the second factor leads: back to /login's next, kept in the query.
func codeNext(r *http.Request) string {
	next := r.URL.Query().Get("next")
	if r.Method == http.MethodPost {
		next = r.PostFormValue("next")
	}
	return loginNext(next)
}

// pendingCookie is the half session of the request, or "" (then the visitor signs in again).
func (s *Server) pendingCookie(r *http.Request) (string, string) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return "", ""
	}
	_, pending, err := s.Accounts.PendingSession(r.Context(), c.Value)
	if err != nil {
		return "", ""
	}
	return c.Value, pending
}

func (s *Server) codeForm(w http.ResponseWriter, r *http.Request) error {
	next := codeNext(r)
	_, pending := s.pendingCookie(r)
	switch pending {
	case "":
		http.Redirect(w, r, "/login?next="+url.QueryEscape(next), http.StatusSeeOther)
		return nil
	case accounts.PendingEnrol:
		http.Redirect(w, r, "/login/2fa/enrol?next="+url.QueryEscape(next), http.StatusSeeOther)
		return nil
	}
	return s.render(w, r, http.StatusOK, "login_code", &codeData{Page: s.newPage(r, "twofa.code_title"), Next: next})
}

func (s *Server) codeSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r, formSmall); err != nil {
		return err
	}
	next := codeNext(r)
	cookie, pending := s.pendingCookie(r)
	if pending != accounts.PendingCode {
		return s.codeForm(w, r)
	}
	token, usedRecovery, left, err := s.Accounts.VerifySecondFactor(r.Context(), cookie, r.PostFormValue("code"), s.clientAddr(r))
	if apperr.Is(err, apperr.Unauthenticated) {
		// The half session ended meanwhile (its 10 minutes, a reset): the password again.
		http.Redirect(w, r, "/login?next="+url.QueryEscape(next), http.StatusSeeOther)
		return nil
	}
	if err != nil {
		return s.renderForm(w, r, "login_code", &codeData{Page: s.newPage(r, "twofa.code_title"), Next: next}, err)
	}
	s.setSessionCookie(w, token)
	if usedRecovery {
		p := s.newPage(r, "")
		s.flashText(w, p.T("twofa.recovery_used", left))
	}
	return s.afterSignIn(w, r, token, next)
}

// afterSignIn sends a user who just became fully signed in on: to the password page when they
// must choose one, else to where they were going.
func (s *Server) afterSignIn(w http.ResponseWriter, r *http.Request, token, next string) error {
	if _, u, err := s.Accounts.ActorForSession(r.Context(), token); err == nil && u.MustChangePassword {
		next = "/account/password"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

func (s *Server) enrolForm(w http.ResponseWriter, r *http.Request) error {
	return s.renderEnrol(w, r, nil)
}

func (s *Server) renderEnrol(w http.ResponseWriter, r *http.Request, formErr error) error {
	next := codeNext(r)
	cookie, pending := s.pendingCookie(r)
	switch pending {
	case "":
		http.Redirect(w, r, "/login?next="+url.QueryEscape(next), http.StatusSeeOther)
		return nil
	case accounts.PendingCode:
		http.Redirect(w, r, "/login/2fa?next="+url.QueryEscape(next), http.StatusSeeOther)
		return nil
	}
	e, err := s.Accounts.BeginEnrolment(r.Context(), cookie)
	if err != nil {
		return err
	}
	// The secret is on this page: no cache keeps it.
	w.Header().Set("Cache-Control", "no-store")
	data := &enrolData{Page: s.newPage(r, "twofa.enrol_title"), Next: next, QR: trainingQR(e.URL), Secret: e.Secret, SecretGroups: groupsOf4(e.Secret)}
	return s.renderForm(w, r, "login_enrol", data, formErr)
}

func (s *Server) enrolSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r, formSmall); err != nil {
		return err
	}
	next := codeNext(r)
	cookie, pending := s.pendingCookie(r)
	if pending != accounts.PendingEnrol {
		return s.renderEnrol(w, r, nil)
	}
	token, codes, err := s.Accounts.ConfirmEnrolment(r.Context(), cookie, r.PostFormValue("code"), s.clientAddr(r))
	if apperr.Is(err, apperr.Unauthenticated) || apperr.Is(err, apperr.Conflict) {
		// The half session ended, or its set-up was reset meanwhile: the password again.
		http.Redirect(w, r, "/login?next="+url.QueryEscape(next), http.StatusSeeOther)
		return nil
	}
	if err != nil {
		return s.renderEnrol(w, r, err)
	}
	s.setSessionCookie(w, token)
	// Shown once, on this response only: the codes are stored hashed.
	w.Header().Set("Cache-Control", "no-store")
	// The page is rendered for the user now signed in, with their header and menu.
	r2 := r
	if req, err := s.withSession(r, token); err == nil {
		r2 = req
		if u, ok := currentUser(req); ok && u.MustChangePassword {
			next = "/account/password"
		}
	}
	return s.render(w, r2, http.StatusOK, "login_recovery", &recoveryData{Page: s.newPage(r2, "twofa.recovery_title"), Next: next, Codes: codes})
}

// withSession is r as the holder of session token would send it.
func (s *Server) withSession(r *http.Request, token string) (*http.Request, error) {
	actor, u, err := s.Accounts.ActorForSession(r.Context(), token)
	if err != nil {
		return nil, err
	}
	ctx := withActorUser(r.Context(), actor, u)
	return r.WithContext(ctx), nil
}

func groupsOf4(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s[i:min(i+4, len(s))])
	}
	return b.String()
}

func (s *Server) userResetSecondFactorSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r); err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.Accounts.ResetSecondFactor(r.Context(), id); err != nil {
		return s.renderUser(w, r, err)
	}
	return s.redirectFlash(w, r, "/users/"+r.PathValue("id"), "flash.2fa_reset")
}
