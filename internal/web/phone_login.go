package web

// Sign-in with a code sent to the phone (phone-first onboarding, issue 18): the login page links
// here; the person types their number, gets a six-digit code by SMS or Zalo through the outbox, and
// types it back. The answer to a number never says whether it is registered.

import (
	"net/http"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/platform/authz"
)

type phoneLoginData struct {
	Page
	Phone string
	Next  string
	// Sent: the number was taken, the page asks for the code.
	Sent bool
	// Minutes is how long a code works.
	Minutes int
}

func (s *Server) phoneLoginPage(r *http.Request, phone, next string, sent bool) *phoneLoginData {
	return &phoneLoginData{Page: s.newPage(r, "login.phone.title"), Phone: phone, Next: loginNext(next), Sent: sent,
		Minutes: int(accounts.PhoneCodeTTL.Minutes())}
}

func (s *Server) phoneLoginForm(w http.ResponseWriter, r *http.Request) error {
	if authz.ActorFrom(r.Context()) != nil {
		http.Redirect(w, r, loginNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return nil
	}
	return s.render(w, r, http.StatusOK, "login_phone", s.phoneLoginPage(r, "", r.URL.Query().Get("next"), false))
}

// phoneCodeSubmit asks for a code. Whatever the number (registered, unknown, a staff member's), a
// well-formed one gets the same page asking for the code.
func (s *Server) phoneCodeSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r, formSmall); err != nil {
		return err
	}
	phone, next := r.PostFormValue("phone"), r.PostFormValue("next")
	if err := s.Accounts.RequestPhoneCode(r.Context(), phone, s.clientAddr(r)); err != nil {
		return s.renderForm(w, r, "login_phone", s.phoneLoginPage(r, phone, next, false), err)
	}
	return s.render(w, r, http.StatusOK, "login_phone", s.phoneLoginPage(r, phone, next, true))
}

// phoneVerifySubmit signs in with the code: a session in the database, as a password sign-in makes.
func (s *Server) phoneVerifySubmit(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r, formSmall); err != nil {
		return err
	}
	phone, next := r.PostFormValue("phone"), r.PostFormValue("next")
	u, err := s.Accounts.VerifyPhoneCode(r.Context(), phone, r.PostFormValue("code"), s.clientAddr(r))
	if err != nil {
		return s.renderForm(w, r, "login_phone", s.phoneLoginPage(r, phone, next, true), err)
	}
	// As at the password sign-in: a fresh session id, whatever cookie came in.
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		_ = s.Accounts.DeleteSession(r.Context(), c.Value)
	}
	if err := s.startSession(w, r, u.ID); err != nil {
		return err
	}
	http.Redirect(w, r, loginNext(next), http.StatusSeeOther)
	return nil
}
