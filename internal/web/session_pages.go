package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/i18n"
	"github.com/lantoa/lantoa/internal/units"
)

type homeData struct {
	Page
	Districts int
	Communes  int
	Roles     []string
}

// homePage is the viewer's workspace: their roles and the size of their province (of every
// province for a national administrator).
func (s *Server) homePage(w http.ResponseWriter, r *http.Request) error {
	p := s.newPage(r, "home.title")
	data := homeData{Page: p}
	under := ""
	if p.Province != "" {
		under = authz.ProvincePath(p.Province)
	}
	var err error
	if data.Districts, err = s.Units.Count(r.Context(), units.Filter{Level: units.District, Under: under}); err != nil {
		return err
	}
	if data.Communes, err = s.Units.Count(r.Context(), units.Filter{Level: units.Commune, Under: under}); err != nil {
		return err
	}
	if u, ok := currentUser(r); ok {
		data.Roles = u.RoleNames()
	}
	return s.render(w, r, http.StatusOK, "home", &data)
}

type loginData struct {
	Page
	Username string
	Next     string
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
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return nil
	}
	return s.render(w, r, http.StatusOK, "login", &loginData{Page: s.newPage(r, "login.title"), Next: safeNext(r.URL.Query().Get("next"))})
}

func (s *Server) loginSubmit(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		return apperr.New(apperr.Invalid, "error.form")
	}
	username, password := r.PostFormValue("username"), r.PostFormValue("password")
	next := safeNext(r.PostFormValue("next"))
	u, err := s.Accounts.Authenticate(r.Context(), username, password, s.clientAddr(r))
	if err != nil {
		ae := apperr.As(err)
		if ae.Kind == apperr.Internal {
			return err
		}
		p := s.newPage(r, "login.title")
		p.Error = p.T(ae.Key, ae.Args...)
		return s.render(w, r, statusOf(ae.Kind), "login", &loginData{Page: p, Username: username, Next: next})
	}
	// The session id changes at login: whatever cookie the browser brought is dropped, so a session
	// id planted before login (fixation) is worthless.
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		_ = s.Accounts.DeleteSession(r.Context(), c.Value)
	}
	token, err := s.Accounts.CreateSession(r.Context(), u.ID, s.clientAddr(r), r.UserAgent())
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/", HttpOnly: true, Secure: s.cfg.SecureCookies,
		SameSite: http.SameSiteLaxMode, MaxAge: int(s.Accounts.MaxSessionAge.Seconds())})
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
	return s.render(w, r, http.StatusOK, "account", &accountData{Page: s.newPage(r, "account.title"), User: u, Tokens: tokens, NewToken: newToken})
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
	s.flash(w, "flash.token_revoked")
	http.Redirect(w, r, "/account", http.StatusSeeOther)
	return nil
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
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	actor := authz.ActorFrom(r.Context())
	u, _ := currentUser(r)
	newPw := r.PostFormValue("password")
	if newPw != r.PostFormValue("password_confirm") {
		p := s.newPage(r, "password.title")
		p.Fields = map[string]string{"password_confirm": p.T("accounts.error.password_mismatch")}
		return s.render(w, r, http.StatusUnprocessableEntity, "password", &passwordData{Page: p, Forced: u.MustChangePassword})
	}
	if err := s.Accounts.SetPassword(r.Context(), actor.UserID, r.PostFormValue("old_password"), newPw); err != nil {
		ae := apperr.As(err)
		if ae.Kind != apperr.Invalid {
			return err
		}
		p := s.newPage(r, "password.title")
		p.Fields = map[string]string{ae.Field: p.T(ae.Key, ae.Args...)}
		return s.render(w, r, http.StatusUnprocessableEntity, "password", &passwordData{Page: p, Forced: u.MustChangePassword})
	}
	// Changing the password ended every session, this one included: start a fresh one.
	token, err := s.Accounts.CreateSession(r.Context(), actor.UserID, s.clientAddr(r), r.UserAgent())
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/", HttpOnly: true, Secure: s.cfg.SecureCookies,
		SameSite: http.SameSiteLaxMode, MaxAge: int(s.Accounts.MaxSessionAge.Seconds())})
	s.flash(w, "flash.password_changed")
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}

func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, apperr.New(apperr.NotFound, "error.not_found")
	}
	return id, nil
}
