package web

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/lantoa/lantoa/internal/platform/apperr"
)

// healthz says the process is alive; it touches nothing else.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "version": s.cfg.Version})
}

// readyz says the instance can serve: the database answers within a second.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), time.Second)
	defer cancel()
	if err := s.DB.Ping(ctx); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "error": "database"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready", "database": string(s.DB.Engine)})
}

// allowedMethods are the methods a route serves at r's path, other than the catch-all pattern
// that answers it now.
func (s *Server) allowedMethods(r *http.Request, catchAll string) []string {
	var allowed []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "" && pattern != catchAll {
			allowed = append(allowed, m)
		}
	}
	return allowed
}

// apiNotFound answers API paths no route serves: 405 with Allow when the path exists for other
// methods, else 404, both as JSON.
func (s *Server) apiNotFound(w http.ResponseWriter, r *http.Request) error {
	if allowed := s.allowedMethods(r, "/api/"); len(allowed) > 0 {
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"error": map[string]string{"kind": "method_not_allowed", "message": s.I18n.T(langOf(r), "error.method")}})
		return nil
	}
	writeJSON(w, http.StatusNotFound, map[string]any{"error": map[string]string{"kind": "not_found", "message": s.I18n.T(langOf(r), "error.no_route")}})
	return nil
}

// pageNotFound answers addresses no page serves (a mistyped link, an old bookmark) with the error
// page in the reader's language and a way back, instead of Go's bare English "404 page not
// found"; an address that exists for another method answers 405 with Allow.
func (s *Server) pageNotFound(w http.ResponseWriter, r *http.Request) error {
	if allowed := s.allowedMethods(r, "/"); len(allowed) > 0 {
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		s.errorPage(w, r, http.StatusMethodNotAllowed, s.I18n.T(langOf(r), "error.page_method"), nil)
		return nil
	}
	return apperr.New(apperr.NotFound, "error.page_not_found")
}
