package web

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/i18n"
)

const (
	sessionCookie = "lantoa_session"
	langCookie    = "lantoa_lang"
)

// contentSecurityPolicy allows no inline script and no third-party origin: every asset is embedded.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
	"font-src 'self'; connect-src 'self'; media-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

// apiContentSecurityPolicy is the policy of a JSON answer, which no browser renders as a page.
const apiContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'"

// Header values set on every API answer, made once.
var (
	apiCSPValue     = []string{apiContentSecurityPolicy}
	nosniffValue    = []string{"nosniff"}
	denyValue       = []string{"DENY"}
	sameOriginValue = []string{"same-origin"}
	hstsValue       = []string{"max-age=31536000; includeSubDomains"}
)

// securityHeaders sets the headers every response carries.
func (s *Server) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		if isAPI(r) {
			// A JSON answer is never rendered as a page: OWASP's set for REST answers. The keys are
			// canonical and the values shared (a handler replaces a header, never edits one in
			// place), so the answer saves of an exam pay no allocation for them.
			h["Content-Security-Policy"] = apiCSPValue
			h["X-Content-Type-Options"] = nosniffValue
			h["X-Frame-Options"] = denyValue
			h["Referrer-Policy"] = sameOriginValue
			if s.cfg.SecureCookies {
				h["Strict-Transport-Security"] = hstsValue
			}
			next.ServeHTTP(w, r)
			return
		}
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "geolocation=(self), camera=(self), microphone=()")
		if s.cfg.SecureCookies {
			h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		next.ServeHTTP(w, r)
	})
}

// InstanceHeader names the instance that answered in the X-Lantoa-Instance header, so that an
// operator (and the multi-instance test) can tell which of several instances behind a proxy served
// a request. An empty name adds nothing.
func InstanceHeader(name string, next http.Handler) http.Handler {
	if name == "" {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Lantoa-Instance", name)
		next.ServeHTTP(w, r)
	})
}

// recoverer turns a panic into a 500 and logs the stack once.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.Logger.Error("panic", "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
				http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// statusRecorder remembers the status code for logs and metrics.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach Flush and deadlines (Server-Sent Events need them).
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// logRequests writes one structured line per request.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		level := slog.LevelInfo
		if strings.HasPrefix(r.URL.Path, "/static/") || r.URL.Path == "/healthz" || r.URL.Path == "/readyz" || r.URL.Path == "/metrics" ||
			// An exam-day's answer saves would be nearly every line of the log; the metrics count
			// them, and a refused save is still logged.
			(rec.status == http.StatusOK && r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/answers/")) {
			level = slog.LevelDebug
		}
		if !s.Logger.Enabled(r.Context(), level) {
			return
		}
		s.Logger.LogAttrs(r.Context(), level, "request", slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Int("status", rec.status),
			slog.Int64("duration_ms", time.Since(start).Milliseconds()), slog.String("addr", s.clientAddr(r)))
	})
}

type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newHTTPMetrics(reg *prometheus.Registry) *httpMetrics {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "lantoa_http_requests_total", Help: "HTTP requests by route and status code."}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "lantoa_http_request_duration_seconds", Help: "HTTP request duration by route.",
			Buckets: []float64{.002, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}}, []string{"route"}),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

// instrument measures one route; the label is the route pattern, never the raw path, so the number
// of series stays bounded.
func (m *httpMetrics) instrument(pattern string, next http.Handler) http.Handler {
	// The series of the route and of its usual answer are looked up once, not on every request.
	duration, ok := m.duration.WithLabelValues(pattern), m.requests.WithLabelValues(pattern, "200")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		// logRequests, outside the mux, has already wrapped w in a recorder: use it.
		rec, wrapped := w.(*statusRecorder)
		if !wrapped {
			rec = &statusRecorder{ResponseWriter: w}
		}
		next.ServeHTTP(rec, r)
		if rec.status == 0 || rec.status == http.StatusOK {
			ok.Inc()
		} else {
			m.requests.WithLabelValues(pattern, strconv.Itoa(rec.status)).Inc()
		}
		duration.Observe(time.Since(start).Seconds())
	})
}

// clientAddr is the client's IP address, from X-Forwarded-For's last hop only when configured to
// trust the proxy in front.
func (s *Server) clientAddr(r *http.Request) string {
	if s.cfg.TrustProxy {
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			parts := strings.Split(xff, ",")
			return strings.TrimSpace(parts[len(parts)-1])
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

type userKey struct{}

// authenticate resolves the actor from a bearer token or the session cookie and puts it, with the
// audit identity and the language, into the request context. An anonymous request goes on with no
// actor; a bad bearer token is refused outright (an API client must know its token failed).
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		var actor *authz.Actor
		var user accounts.User
		var err error
		// An answer save with its attempt's token needs nothing read; every other request is
		// authenticated by its bearer token or session.
		if actor = s.saveTokenActor(r); actor == nil {
			if h := r.Header.Get("Authorization"); h != "" {
				token, ok := strings.CutPrefix(h, "Bearer ")
				if !ok {
					s.writeError(w, r, apperr.New(apperr.Unauthenticated, "accounts.error.token"))
					return
				}
				actor, user, err = s.Accounts.ActorForToken(ctx, strings.TrimSpace(token))
				if err != nil {
					s.writeError(w, r, err)
					return
				}
			} else if c, cerr := r.Cookie(sessionCookie); cerr == nil && c.Value != "" {
				actor, user, err = s.Accounts.ActorForSession(ctx, c.Value)
				if err != nil {
					if !apperr.Is(err, apperr.Unauthenticated) {
						s.writeError(w, r, err)
						return
					}
					if accounts.IsSecondFactorPending(err) {
						// Half signed in: anonymous everywhere, but the cookie stays for the code page.
						ctx = withPending(ctx)
					} else {
						s.clearSessionCookie(w)
					}
					actor = nil
				}
			}
		}
		if actor != nil {
			ctx = authz.WithActor(ctx, actor)
			if user.ID != 0 { // a save token's actor has no user read, and the save needs none
				ctx = context.WithValue(ctx, userKey{}, user)
			}
			ctx = audit.WithWho(ctx, audit.Who{UserID: actor.UserID, Username: actor.Username, Addr: s.clientAddr(r)})
		} else {
			ctx = audit.WithWho(ctx, audit.Who{Username: "anonymous", Addr: s.clientAddr(r)})
		}
		ctx = withLang(ctx, s.chooseLang(r, actor, user))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// saveTokenHeader carries an attempt's save token (training/savetoken.go) on an answer save.
const saveTokenHeader = "X-Lantoa-Save-Token" // #nosec G101 -- the name of a header, not a credential

// saveTokenActor is the learner whose attempt's save token comes with a save of an answer to that
// attempt (PUT /api/v1/attempts/{id}/answers/{question_id}), or nil. The token is honoured on that
// route only, and the actor it gives holds no grant: it can save answers to its own attempt and do
// nothing else. A token that fails its check is ignored, and the request is authenticated by its
// session or bearer token as any other, so a stale token costs a learner nothing.
func (s *Server) saveTokenActor(r *http.Request) *authz.Actor {
	tok := r.Header.Get(saveTokenHeader)
	if tok == "" || r.Method != http.MethodPut || s.Training == nil {
		return nil
	}
	// /api/v1/attempts/{id}/answers/{question_id}
	rest, ok := strings.CutPrefix(r.URL.Path, "/api/v1/attempts/")
	if !ok {
		return nil
	}
	idText, question, ok := strings.Cut(rest, "/answers/")
	if !ok || question == "" || strings.Contains(question, "/") {
		return nil
	}
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil || id <= 0 {
		return nil
	}
	uid, ok := s.Training.SaveTokenUser(r.Context(), tok, id)
	if !ok {
		return nil
	}
	return &authz.Actor{UserID: uid, Via: "save_token"}
}

// withActorUser puts the signed-in actor and their account into ctx.
func withActorUser(ctx context.Context, actor *authz.Actor, user accounts.User) context.Context {
	return context.WithValue(authz.WithActor(ctx, actor), userKey{}, user)
}

func currentUser(r *http.Request) (accounts.User, bool) {
	u, ok := r.Context().Value(userKey{}).(accounts.User)
	return u, ok
}

type langKey struct{}

func withLang(ctx context.Context, lang string) context.Context {
	return context.WithValue(ctx, langKey{}, lang)
}

// langOf is the language of the request: Vietnamese unless the visitor chose otherwise.
func langOf(r *http.Request) string {
	if l, ok := r.Context().Value(langKey{}).(string); ok {
		return l
	}
	return i18n.Default
}

func (s *Server) chooseLang(r *http.Request, actor *authz.Actor, u accounts.User) string {
	if c, err := r.Cookie(langCookie); err == nil {
		return i18n.Supported(c.Value)
	}
	if actor != nil && u.Locale != "" {
		return i18n.Supported(u.Locale)
	}
	if r.URL.RawQuery != "" {
		if q := r.URL.Query().Get("lang"); q != "" {
			return i18n.Supported(q)
		}
	}
	return i18n.Default
}

func (s *Server) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.cfg.SecureCookies, SameSite: http.SameSiteLaxMode})
}

// requireLogin sends anonymous visitors of a page to the login form, and API callers a 401.
// A user who must change their password is held on the password page.
func (s *Server) requireLogin(next handler) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		actor := authz.ActorFrom(r.Context())
		if actor == nil {
			if secondFactorPending(r) {
				// A password without its second factor reaches the code page and nothing else.
				if isAPI(r) {
					return apperr.New(apperr.Unauthenticated, "accounts.error.second_factor_pending")
				}
				http.Redirect(w, r, "/login/2fa?next="+urlQueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return nil
			}
			if isAPI(r) {
				return apperr.New(apperr.Unauthenticated, "error.login_required")
			}
			http.Redirect(w, r, "/login?next="+urlQueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return nil
		}
		if u, ok := currentUser(r); ok && u.MustChangePassword &&
			r.URL.Path != "/account/password" && r.URL.Path != "/logout" {
			if isAPI(r) {
				return apperr.New(apperr.Forbidden, "accounts.error.must_change_password")
			}
			http.Redirect(w, r, "/account/password", http.StatusSeeOther)
			return nil
		}
		return next(w, r)
	}
}

func isAPI(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/") }
