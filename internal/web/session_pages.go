package web

import (
	"net/http"
	"strings"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/i18n"
)

type loginData struct {
	Page
	Username string
	Next     string
}

// loginNext is where signing in leads: the page asked for, else the viewer's workspace, which
// says what to do now.
func loginNext(next string) string {
	if next == "" {
		return "/workspace"
	}
	return safeNext(next)
}

// safeNext keeps a post-login redirect on this site.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.ContainsAny(next, "\r\n") {
		return "/"
	}
	return next
}

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) error {
	if authz.ActorFrom(r.Context()) != nil {
		http.Redirect(w, r, loginNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return nil
	}
	return s.render(w, r, http.StatusOK, "login", &loginData{Page: s.newPage(r, "login.title"), Next: loginNext(r.URL.Query().Get("next"))})
}

func (s *Server) loginSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r, formSmall); err != nil {
		return err
	}
	username, password := r.PostFormValue("username"), r.PostFormValue("password")
	next := loginNext(r.PostFormValue("next"))
	u, err := s.Accounts.Authenticate(r.Context(), username, password, s.clientAddr(r))
	if err != nil {
		return s.renderForm(w, r, "login", &loginData{Page: s.newPage(r, "login.title"), Username: username, Next: next}, err)
	}
	// The session id changes at login: whatever cookie the browser brought is dropped, so a session
	// id planted before login (fixation) is worthless.
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		_ = s.Accounts.DeleteSession(r.Context(), c.Value)
	}
	started, err := s.Accounts.StartSession(r.Context(), u.ID, s.clientAddr(r), r.UserAgent(), accounts.SessionOptions{})
	if err != nil {
		return err
	}
	s.setSessionCookie(w, started.Token)
	if started.Pending != "" {
		// Half signed in: the code (or the factor's set-up) comes next, before anything else.
		http.Redirect(w, r, "/login/2fa?next="+urlQueryEscape(next), http.StatusSeeOther)
		return nil
	}
	if u.MustChangePassword {
		next = "/account/password"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		if err := s.Accounts.DeleteSession(r.Context(), c.Value); err != nil {
			return err
		}
	}
	s.clearSessionCookie(w)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

func (s *Server) switchLang(w http.ResponseWriter, r *http.Request) error {
	lang := i18n.Supported(r.PostFormValue("lang"))
	http.SetCookie(w, &http.Cookie{Name: langCookie, Value: lang, Path: "/", MaxAge: 365 * 24 * 3600, Secure: s.cfg.SecureCookies, SameSite: http.SameSiteLaxMode})
	if a := authz.ActorFrom(r.Context()); a != nil {
		if err := s.Accounts.SetLocale(r.Context(), a.UserID, lang); err != nil {
			return err
		}
	}
	http.Redirect(w, r, safeNext(r.PostFormValue("next")), http.StatusSeeOther)
	return nil
}

type accountData struct {
	Page
	User     accounts.User
	Tokens   []accounts.Token
	NewToken string
	Factor   accounts.SecondFactor
}

func (s *Server) accountPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderAccount(w, r, "")
}

func (s *Server) renderAccount(w http.ResponseWriter, r *http.Request, newToken string) error {
	actor := authz.ActorFrom(r.Context())
	u, err := s.Accounts.FindUser(r.Context(), actor.UserID)
	if err != nil {
		return err
	}
	tokens, err := s.Accounts.ListTokens(r.Context(), actor.UserID)
	if err != nil {
		return err
	}
	factor, err := s.Accounts.SecondFactorOf(r.Context(), actor.UserID)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "account", &accountData{Page: s.newPage(r, "account.title"), User: u, Tokens: tokens, NewToken: newToken, Factor: factor})
}

func (s *Server) tokenCreateSubmit(w http.ResponseWriter, r *http.Request) error {
	actor := authz.ActorFrom(r.Context())
	token, err := s.Accounts.CreateToken(r.Context(), actor.UserID, r.PostFormValue("name"))
	if err != nil {
		return err
	}
	// Shown once, on this response only; never stored in plain text.
	w.Header().Set("Cache-Control", "no-store")
	return s.renderAccount(w, r, token)
}

func (s *Server) tokenRevokeSubmit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.Accounts.RevokeToken(r.Context(), authz.ActorFrom(r.Context()).UserID, id); err != nil {
		return err
	}
	return s.redirectFlash(w, r, "/account", "flash.token_revoked")
}

type passwordData struct {
	Page
	Forced bool
}

func (s *Server) passwordForm(w http.ResponseWriter, r *http.Request) error {
	u, _ := currentUser(r)
	return s.render(w, r, http.StatusOK, "password", &passwordData{Page: s.newPage(r, "password.title"), Forced: u.MustChangePassword})
}

func (s *Server) passwordSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r, formSmall); err != nil {
		return err
	}
	actor := authz.ActorFrom(r.Context())
	u, _ := currentUser(r)
	newPw := r.PostFormValue("password")
	var err error
	if newPw != r.PostFormValue("password_confirm") {
		err = apperr.InvalidField("password_confirm", "accounts.error.password_mismatch")
	} else {
		err = s.Accounts.SetPassword(r.Context(), actor.UserID, r.PostFormValue("old_password"), newPw)
	}
	if err != nil {
		return s.renderForm(w, r, "password", &passwordData{Page: s.newPage(r, "password.title"), Forced: u.MustChangePassword}, err)
	}
	// Changing the password ended every session, this one included: start a fresh one.
	if err := s.startSession(w, r, actor.UserID); err != nil {
		return err
	}
	return s.redirectFlash(w, r, "/workspace", "flash.password_changed")
}

// startSession signs a user who is signed in already on this browser in again (after changing
// their password, which ended every session): a new full session and its cookie; they passed
// their second factor when this session began.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, userID int64) error {
	started, err := s.Accounts.StartSession(r.Context(), userID, s.clientAddr(r), r.UserAgent(), accounts.SessionOptions{SecondFactorDone: true})
	if err != nil {
		return err
	}
	s.setSessionCookie(w, started.Token)
	return nil
}

// setSessionCookie gives the browser its session's cookie.
func (s *Server) setSessionCookie(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/", HttpOnly: true, Secure: s.cfg.SecureCookies,
		SameSite: http.SameSiteLaxMode, MaxAge: int(s.Accounts.MaxSessionAge.Seconds())})
}
