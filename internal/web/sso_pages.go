package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/accounts/sso"
	"github.com/lantoa/lantoa/internal/orgs"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/units"
)

// Single sign-on (internal/accounts/sso): the button on the login page sends the browser to the
// provider; the provider sends it back to the callback, on whichever instance.
const (
	// ssoStateCookie binds a sign-in under way to the browser that started it: a callback whose
	// state is not this browser's (someone else's sign-in planted by a link) is refused.
	ssoStateCookie = "lantoa_sso"
	// ssoSignupCookie carries a new learner's waiting sign-up to the form that completes it.
	ssoSignupCookie = "lantoa_sso_signup"
	ssoCookiePath   = "/login/sso"
)

// ssoRedirectURL is the callback address the provider sends the browser back to; it must be
// registered at the provider exactly (docs/sso.md).
func (s *Server) ssoRedirectURL(r *http.Request, id string) string {
	return s.publicBaseURL(r) + "/login/sso/" + id + "/callback"
}

func (s *Server) setSSOCookie(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: ssoCookiePath, MaxAge: maxAge, HttpOnly: true, Secure: s.cfg.SecureCookies,
		SameSite: http.SameSiteLaxMode})
}

// loginPage is the login form's data, with a button per configured provider.
func (s *Server) loginPage(r *http.Request, username, next string) *loginData {
	return &loginData{Page: s.newPage(r, "login.title"), Username: username, Next: next, SSO: s.SSO.Providers()}
}

// renderLoginError shows a refused sign-in on the login form. A provider that cannot be reached is
// a 502 with its own message, not an error page: the password form still works.
func (s *Server) renderLoginError(w http.ResponseWriter, r *http.Request, next string, err error) error {
	var ae *apperr.Error
	if errors.As(err, &ae) && ae.Key == "sso.error.provider" {
		s.Logger.Warn("identity provider unreachable", "err", ae.Cause)
		data := s.loginPage(r, "", next)
		data.Error = data.T(ae.Key, ae.Args...)
		return s.render(w, r, http.StatusBadGateway, "login", data)
	}
	if apperr.Is(err, apperr.NotFound) {
		return err
	}
	return s.renderForm(w, r, "login", s.loginPage(r, "", next), err)
}

func (s *Server) ssoBegin(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("provider")
	next := loginNext(r.URL.Query().Get("next"))
	authURL, state, err := s.SSO.Begin(r.Context(), id, s.ssoRedirectURL(r, id), next)
	if err != nil {
		return s.renderLoginError(w, r, next, err)
	}
	s.setSSOCookie(w, ssoStateCookie, state, 600)
	http.Redirect(w, r, authURL, http.StatusSeeOther)
	return nil
}

func (s *Server) ssoCallback(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("provider")
	q := r.URL.Query()
	cb := sso.Callback{State: q.Get("state"), Code: q.Get("code"), Error: q.Get("error")}
	if c, err := r.Cookie(ssoStateCookie); err == nil {
		cb.BrowserState = c.Value
	}
	// Whatever the outcome, this sign-in's state is spent.
	s.setSSOCookie(w, ssoStateCookie, "", -1)
	res, err := s.SSO.Complete(r.Context(), id, s.ssoRedirectURL(r, id), cb)
	if err != nil {
		return s.renderLoginError(w, r, "/workspace", err)
	}
	if res.SignupToken != "" {
		s.setSSOCookie(w, ssoSignupCookie, res.SignupToken, 1800)
		http.Redirect(w, r, "/login/sso/signup", http.StatusSeeOther)
		return nil
	}
	return s.startSSOSession(w, r, res.User.ID, res.MFA, loginNext(res.Next))
}

// startSSOSession signs in a person the provider vouched for and sends them on to next. mfa tells
// whether the provider asserted a second factor (the ID token's amr, sso.AssertsMFA): such a session
// is whole at once, so staff are not asked twice; without it, staff who must have a second factor
// go to the code (or its set-up) like after a password, and others are signed in.
func (s *Server) startSSOSession(w http.ResponseWriter, r *http.Request, userID int64, mfa bool, next string) error {
	pending, err := s.ssoSession(w, r, userID, mfa)
	if err != nil {
		return err
	}
	if pending {
		http.Redirect(w, r, "/login/2fa?next="+urlQueryEscape(next), http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// ssoSession starts the session and tells whether it waits for the second factor.
func (s *Server) ssoSession(w http.ResponseWriter, r *http.Request, userID int64, mfa bool) (pending bool, err error) {
	// As at the password login, a session id planted before the sign-in is worthless.
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		_ = s.Accounts.DeleteSession(r.Context(), c.Value)
	}
	started, err := s.Accounts.StartSession(r.Context(), userID, s.clientAddr(r), r.UserAgent(), accounts.SessionOptions{SecondFactorDone: mfa})
	if err != nil {
		return false, err
	}
	s.setSessionCookie(w, started.Token)
	return started.Pending != "", nil
}

// ssoSignupInput is the form a new learner fills after their first sign-in.
type ssoSignupInput struct {
	Username        string
	DisplayName     string
	Place           string
	Under16         bool
	GuardianName    string
	GuardianConsent bool
}

type ssoSignupData struct {
	Page
	Signup   sso.Signup
	Form     ssoSignupInput
	Orgs     []orgs.Org
	Communes []units.Unit
}

func (s *Server) ssoSignup(r *http.Request) (string, sso.Signup, error) {
	c, err := r.Cookie(ssoSignupCookie)
	if err != nil {
		return "", sso.Signup{}, apperr.New(apperr.Unauthenticated, "sso.error.signup_expired")
	}
	su, err := s.SSO.Signup(r.Context(), c.Value)
	return c.Value, su, err
}

func (s *Server) ssoSignupForm(w http.ResponseWriter, r *http.Request) error {
	_, su, err := s.ssoSignup(r)
	if err != nil {
		return s.renderLoginError(w, r, "/workspace", err)
	}
	return s.renderSSOSignup(w, r, su, ssoSignupInput{Username: su.Username, DisplayName: su.DisplayName}, nil)
}

func (s *Server) renderSSOSignup(w http.ResponseWriter, r *http.Request, su sso.Signup, form ssoSignupInput, formErr error) error {
	p := s.newPage(r, "sso.signup.title")
	data := &ssoSignupData{Page: p, Signup: su, Form: form}
	// As on the self-registration form: the places of the request's province, or of every province.
	var under string
	if p.Province != "" {
		under = authz.ProvincePath(p.Province)
	}
	var err error
	if data.Orgs, err = s.Orgs.List(r.Context(), orgs.Filter{UnitPath: under}); err != nil {
		return err
	}
	if data.Communes, err = s.Units.List(r.Context(), units.Filter{Level: "commune", Under: under, Limit: units.MaxList}); err != nil {
		return err
	}
	return s.renderForm(w, r, "sso_signup", data, formErr)
}

func (s *Server) ssoSignupSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r, formSmall); err != nil {
		return err
	}
	token, su, err := s.ssoSignup(r)
	if err != nil {
		return s.renderLoginError(w, r, "/workspace", err)
	}
	f := ssoSignupInput{Username: r.PostFormValue("username"), DisplayName: r.PostFormValue("display_name"), Place: r.PostFormValue("place"),
		Under16: r.PostFormValue("under_16") == "1", GuardianName: r.PostFormValue("guardian_name"), GuardianConsent: r.PostFormValue("guardian_consent") == "1"}
	n := accounts.NewUser{Username: f.Username, DisplayName: f.DisplayName, Under16: f.Under16, GuardianName: f.GuardianName, GuardianConsent: f.GuardianConsent}
	// One field chooses the place, as on the self-registration form: "org:12" or "unit:21484".
	if kind, v, ok := strings.Cut(f.Place, ":"); ok {
		if kind == "org" {
			n.OrgID, _ = strconv.ParseInt(v, 10, 64)
		} else {
			n.UnitCode = v
		}
	}
	u, su2, err := s.SSO.FinishSignup(r.Context(), token, n)
	if err != nil {
		if apperr.Is(err, apperr.Unauthenticated) {
			return s.renderLoginError(w, r, "/workspace", err)
		}
		return s.renderSSOSignup(w, r, su, f, err)
	}
	s.setSSOCookie(w, ssoSignupCookie, "", -1)
	// A learner signs up here, and learners have no second factor to wait for; should one ever be
	// asked, the gate comes before the welcome.
	pending, err := s.ssoSession(w, r, u.ID, su2.MFA)
	if err != nil {
		return err
	}
	if pending {
		http.Redirect(w, r, "/login/2fa?next="+urlQueryEscape(loginNext(su2.Next)), http.StatusSeeOther)
		return nil
	}
	return s.redirectFlash(w, r, loginNext(su2.Next), "training.register.done")
}

// userSSOData adds the account's single sign-on links to its page, for an administrator who
// manages it.
func (s *Server) userSSOData(r *http.Request, data *userData) error {
	data.SSOProviders = s.SSO.Providers()
	if !data.Manages || len(data.SSOProviders) == 0 {
		data.SSOProviders = nil
		return nil
	}
	data.SSONames = map[string]string{}
	for _, p := range data.SSOProviders {
		data.SSONames[p.ID] = p.Name
	}
	if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/sso") {
		data.SSOForm.Provider, data.SSOForm.Subject, data.SSOForm.Email = r.PostFormValue("provider"), r.PostFormValue("subject"), r.PostFormValue("email")
	}
	var err error
	data.SSOLinks, err = s.SSO.Links(r.Context(), data.User.ID)
	return err
}

// userSSOLinkSubmit links an account to a provider's identity (an administrator's decision: staff
// are never linked by an address the provider has not verified, see docs/sso.md).
func (s *Server) userSSOLinkSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r); err != nil {
		return err
	}
	if err := parseForm(w, r, formSmall); err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := s.SSO.LinkUser(r.Context(), r.PostFormValue("provider"), id, r.PostFormValue("subject"), r.PostFormValue("email")); err != nil {
		return s.renderUser(w, r, err)
	}
	return s.redirectFlash(w, r, "/users/"+strconv.FormatInt(id, 10), "flash.saved")
}

func (s *Server) userSSOUnlinkSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r); err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	link, err := pathID(r, "link")
	if err != nil {
		return err
	}
	if err := s.SSO.UnlinkUser(r.Context(), id, link); err != nil {
		return s.renderUser(w, r, err)
	}
	return s.redirectFlash(w, r, "/users/"+strconv.FormatInt(id, 10), "flash.saved")
}
