package web

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/lantoa/lantoa/internal/platform/apperr"
)

// routes lists every route of Lan Tỏa. A new module adds its lines here.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	s.mux = mux
	handle := func(pattern string, h http.Handler) {
		s.patterns = append(s.patterns, pattern)
		mux.Handle(pattern, s.metrics.instrument(pattern, h))
	}
	page := func(pattern string, fn handler) { handle(pattern, s.h(fn)) }
	private := func(pattern string, fn handler) { handle(pattern, s.h(s.requireLogin(fn))) }

	// Operations.
	handle("GET /healthz", http.HandlerFunc(s.healthz))
	handle("GET /readyz", http.HandlerFunc(s.readyz))
	handle("GET /metrics", promhttp.HandlerFor(s.Registry, promhttp.HandlerOpts{}))
	handle("GET /static/{file}", http.HandlerFunc(s.assets.serve))

	// Public pages.
	page("GET /{$}", s.homePage)
	page("GET /login", s.loginForm)
	page("POST /login", s.loginSubmit)
	page("POST /logout", s.logout)
	page("POST /lang", s.switchLang)

	// Signed-in pages.
	private("GET /account", s.accountPage)
	private("GET /account/password", s.passwordForm)
	private("POST /account/password", s.passwordSubmit)
	private("POST /account/tokens", s.tokenCreateSubmit)
	private("POST /account/tokens/{id}/revoke", s.tokenRevokeSubmit)
	private("GET /units", s.unitsPage)
	private("GET /units/search", s.unitsSearchPartial)
	private("GET /units/{code}", s.unitPage)
	private("POST /units/{code}/villages", s.villageCreateSubmit)
	private("POST /units/{code}/import", s.unitImportSubmit)
	private("GET /orgs", s.orgsPage)
	private("POST /orgs", s.orgCreateSubmit)
	private("GET /users", s.usersPage)
	private("GET /users/new", s.userNewForm)
	private("POST /users", s.userCreateSubmit)
	private("GET /users/{id}", s.userPage)
	private("POST /users/{id}/grants", s.userGrantSubmit)
	private("POST /users/{id}/grants/{grant}/revoke", s.userRevokeSubmit)
	private("POST /users/{id}/disable", s.userDisableSubmit)
	private("POST /users/{id}/enable", s.userEnableSubmit)
	private("POST /users/{id}/password", s.userResetPasswordSubmit)
	private("GET /audit", s.auditPage)

	// JSON API, documented in docs/openapi.yaml.
	page("GET /api/v1/units", s.apiListUnits)
	page("GET /api/v1/units/{code}", s.apiGetUnit)
	private("POST /api/v1/units/import", s.apiImportUnits)
	private("POST /api/v1/units/{code}/villages", s.apiCreateVillage)
	page("GET /api/v1/orgs", s.apiListOrgs)
	page("GET /api/v1/orgs/{id}", s.apiGetOrg)
	private("POST /api/v1/orgs", s.apiCreateOrg)
	private("GET /api/v1/me", s.apiMe)
	private("GET /api/v1/users", s.apiListUsers)
	private("POST /api/v1/users", s.apiCreateUser)
	private("GET /api/v1/users/{id}", s.apiGetUser)
	private("POST /api/v1/users/{id}/grants", s.apiAddGrant)
	private("DELETE /api/v1/users/{id}/grants/{grant}", s.apiRevokeGrant)
	private("POST /api/v1/users/{id}/disable", s.apiDisableUser)
	private("POST /api/v1/users/{id}/enable", s.apiEnableUser)
	private("GET /api/v1/tokens", s.apiListTokens)
	private("POST /api/v1/tokens", s.apiCreateToken)
	private("DELETE /api/v1/tokens/{id}", s.apiRevokeToken)
	private("GET /api/v1/audit", s.apiAudit)
	page("/api/", s.apiNotFound)

	// Outer layers run first: headers on every response (errors included), then recovery,
	// logging, cross-origin protection of every state-changing request, authentication.
	var h http.Handler = mux
	h = s.authenticate(h)
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(s.h(func(w http.ResponseWriter, r *http.Request) error {
		return apperr.New(apperr.Forbidden, "error.cross_origin")
	}))
	h = cop.Handler(h)
	h = s.logRequests(h)
	h = s.recoverer(h)
	h = s.securityHeaders(h)
	return h
}
