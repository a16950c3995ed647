// Package web is Lan Tỏa's HTTP layer: server-rendered pages, the JSON API under /api/v1, health
// and metrics. Handlers are thin: they decode input, call a domain service with the actor in the
// context, and render. Every route is listed in routes.go.
package web

import (
	"github.com/lantoa/lantoa/internal/pubservices"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/accounts/sso"
	"github.com/lantoa/lantoa/internal/ceremony"
	launchevents "github.com/lantoa/lantoa/internal/events"
	"github.com/lantoa/lantoa/internal/notify"
	"github.com/lantoa/lantoa/internal/orgs"
	"github.com/lantoa/lantoa/internal/outreach"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/i18n"
	"github.com/lantoa/lantoa/internal/portal"
	"github.com/lantoa/lantoa/internal/reports"
	"github.com/lantoa/lantoa/internal/training"
	"github.com/lantoa/lantoa/internal/units"
)

// Config is the part of the program's configuration the web layer needs.
type Config struct {
	// SecureCookies marks cookies Secure and sends HSTS; set it when served over HTTPS.
	SecureCookies bool
	// TrustProxy takes the client address from X-Forwarded-For (behind nginx).
	TrustProxy bool
	Version    string
	// BaseURL is the site's public address ("https://lantoa.quangngai.gov.vn") for absolute links in
	// feeds and Open Graph tags; empty means the address each request came to.
	BaseURL string
	// PortalHosts maps host names (lower case, without port) to the GSO code of the province whose
	// portal they serve: "chuyendoiso.quangngai.gov.vn" → "51". Other host names serve every
	// province's portal under /tinh/{code}/ (province.go).
	PortalHosts map[string]string
}

// Deps are the services the web layer calls. A new domain module adds its service here and its
// routes in routes.go.
type Deps struct {
	DB       *db.DB
	Units    *units.Service
	Orgs     *orgs.Service
	Accounts *accounts.Service
	// Training runs the digital-skills courses, exams and certificates.
	Training *training.Service
	// Ceremony runs the launch ceremony: bridge points, control room, live events, launch.
	Ceremony *ceremony.Service
	// Outreach runs the community digital technology teams, the 7-in-7 campaigns and their records.
	Outreach *outreach.Service
	// Notify is the outbox (notifications by email, SMS, Zalo OA); preferences and unsubscribe pages.
	Notify *notify.Service
	// Portal is the public portal (news, images, communication tracking); Figures the registry of
	// live headline figures other modules add their sources to.
	Portal  *portal.Service
	Figures *portal.FigureRegistry
	// Reports runs the district reports (periods, review, exports) and the dashboards.
	Reports *reports.Service
	// PublicServices holds the monthly statistics of online public services, before and after the launch.
	PublicServices *pubservices.Service
	// LaunchEvents records the launch events units and organisations hold (events_*.go).
	LaunchEvents *launchevents.Service
	// SSO signs people in through the configured OpenID providers; nil (or no provider) shows no
	// button and answers 404 on its routes.
	SSO      *sso.Service
	I18n     *i18n.Bundle
	Logger   *slog.Logger
	Registry *prometheus.Registry
	Now      func() time.Time
}

// Server holds what every handler needs.
type Server struct {
	Deps
	cfg     Config
	pages   *pageSet
	assets  *assetSet
	metrics *httpMetrics
	handler http.Handler
	// patterns lists every registered route, for the tests that check each route's access rules.
	patterns []string
	mux      *http.ServeMux
	// provinces names the provinces on pages (province.go).
	provinces *provinceCache
}

// New builds the server; it fails when a page template is missing or broken, so that a defect
// shows at start rather than on first visit.
func New(cfg Config, deps Deps) (*Server, error) {
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	if deps.Registry == nil {
		deps.Registry = prometheus.NewRegistry()
	}
	if deps.Figures == nil {
		deps.Figures = portal.NewFigureRegistry()
	}
	s := &Server{Deps: deps, cfg: cfg, provinces: &provinceCache{units: deps.Units}}
	var err error
	if s.assets, err = loadAssets(); err != nil {
		return nil, err
	}
	if s.pages, err = loadPages(s.assets); err != nil {
		return nil, err
	}
	s.metrics = newHTTPMetrics(deps.Registry)
	s.handler = s.routes()
	return s, nil
}

// ServeHTTP serves every request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Patterns lists every registered route pattern ("GET /api/v1/units").
func (s *Server) Patterns() []string { return append([]string(nil), s.patterns...) }
