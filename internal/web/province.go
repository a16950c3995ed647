package web

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/units"
)

// The province is the tenant of Lan Tỏa: a request is about one province (a portal chosen by host
// name or path prefix, or the viewer's own), or about the whole country (the national page). Pages
// name the province from the unit tree, never from a constant.

type provinceKey struct{}

// withProvince marks the request as being about one province's portal.
func withProvince(ctx context.Context, code string) context.Context {
	return context.WithValue(ctx, provinceKey{}, code)
}

// portalProvince is the province whose portal the request addresses, "" when it names none.
func portalProvince(r *http.Request) string {
	code, _ := r.Context().Value(provinceKey{}).(string)
	return code
}

// requestProvince is the province a request is about, for pages and forms that need one: the
// portal's province (host name or path prefix), else the viewer's own province, else the
// deployment's only province. "" when none can be told: a national page, or a viewer working in
// several provinces.
func (s *Server) requestProvince(r *http.Request) string {
	if code := portalProvince(r); code != "" {
		return code
	}
	if a := authz.ActorFrom(r.Context()); a != nil {
		if code := a.HomeProvince(); code != "" {
			return code
		}
		if a.IsNational() {
			return ""
		}
	}
	return s.provinces.sole(r.Context())
}

// provinceCache keeps the list of provinces, which only the command line changes, for the pages
// that name a province; 30 s old at most, so every instance catches up with an import.
type provinceCache struct {
	units *units.Service
	mu    sync.Mutex
	at    time.Time
	list  []units.Unit
}

const provinceCacheTTL = 30 * time.Second

func (c *provinceCache) all(ctx context.Context) []units.Unit {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.list != nil && time.Since(c.at) < provinceCacheTTL {
		return c.list
	}
	list, err := c.units.List(ctx, units.Filter{Level: units.Province, Limit: 1000})
	if err != nil {
		return c.list // the previous list, or none: a page without the province's name, not an error
	}
	c.list, c.at = list, time.Now()
	return list
}

// find returns the province with code.
func (c *provinceCache) find(ctx context.Context, code string) (units.Unit, bool) {
	for _, u := range c.all(ctx) {
		if u.Code == code {
			return u, true
		}
	}
	return units.Unit{}, false
}

// sole is the deployment's only province ("" when it has none or several).
func (c *provinceCache) sole(ctx context.Context) string {
	if list := c.all(ctx); len(list) == 1 {
		return list[0].Code
	}
	return ""
}

// placeOfOrg is the place line of a document an organisation issues: its province's name without
// the type ("Quảng Ngãi"), "" when it cannot be told.
func (s *Server) placeOfOrg(ctx context.Context, orgID int64) string {
	o, err := s.Orgs.Find(ctx, orgID)
	if err != nil {
		return ""
	}
	if prov, ok := s.provinces.find(ctx, authz.ProvinceOfPath(o.UnitPath)); ok {
		return units.PlaceName(prov.Name)
	}
	return ""
}
