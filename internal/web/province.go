package web

import (
	"context"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lantoa/lantoa/internal/platform/apperr"
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

// A province's public portal is addressed in one of three ways, in this order:
//   - a host name mapped to the province (--portal-host chuyendoiso.quangngai.gov.vn=51): every
//     request to that host is about the province;
//   - the path prefix /tinh/{code}/, on any host: /tinh/01/news is Hà Nội's news page. One
//     middleware strips the prefix, so every portal route serves every province without being
//     registered twice; links inside such a page keep the prefix (Page.PortalBase);
//   - the deployment's only province: a single-province deployment keeps its portal at /.
// With several provinces and neither a mapped host nor a prefix, / is the national page that lists
// the provinces and links to each portal.

// provincePrefix starts the path of a province's portal: /tinh/51/.
const provincePrefix = "/tinh/"

// portalPaths are the public pages of a province's portal, the only ones served under the prefix
// (besides "/" and every post under /news/). Another public page that reads the request's province
// (requestProvince) may be added here to be served per province too.
var portalPaths = []string{"/news", "/feed.xml", "/sitemap.xml", "/le-phat-dong", "/dashboard/public", "/dashboard/public/export", "/su-kien"}

func isPortalPath(p string) bool {
	return p == "/" || strings.HasPrefix(p, "/news/") || strings.HasPrefix(p, "/su-kien/") || slices.Contains(portalPaths, p)
}

type portalBaseKey struct{}

// portalBase is the path prefix the request came with ("/tinh/51"), "" when it came without one.
func portalBase(r *http.Request) string {
	base, _ := r.Context().Value(portalBaseKey{}).(string)
	return base
}

// hostProvince is the province mapped to a host name (with or without its port), "".
func (s *Server) hostProvince(host string) string {
	if len(s.cfg.PortalHosts) == 0 {
		return ""
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return s.cfg.PortalHosts[strings.TrimSuffix(strings.ToLower(host), ".")]
}

// provinceRouting marks a request to a mapped host or under /tinh/{code}/ as being about that
// province, and strips the prefix. An unknown province is a 404; a page that is not a portal page
// under the prefix is sent to its own address.
func (s *Server) provinceRouting(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest, prefixed := strings.CutPrefix(r.URL.Path, provincePrefix)
		if !prefixed {
			if code := s.hostProvince(r.Host); code != "" {
				r = r.WithContext(withProvince(r.Context(), code))
			}
			next.ServeHTTP(w, r)
			return
		}
		code, tail, slash := strings.Cut(rest, "/")
		if _, found := s.provinces.find(r.Context(), code); !found {
			s.writeError(w, r, apperr.New(apperr.NotFound, "portal.error.province_not_found", code))
			return
		}
		base := provincePrefix + code
		get := r.Method == http.MethodGet || r.Method == http.MethodHead
		switch {
		case !slash && get:
			http.Redirect(w, r, withQuery(base+"/", r), http.StatusMovedPermanently)
			return
		case !isPortalPath("/"+tail) && get:
			// The workspace, the sign-in and the other modules' pages have one address.
			http.Redirect(w, r, withQuery("/"+tail, r), http.StatusFound)
			return
		case !slash || !isPortalPath("/"+tail):
			s.writeError(w, r, apperr.New(apperr.NotFound, "error.not_found"))
			return
		}
		ctx := context.WithValue(withProvince(r.Context(), code), portalBaseKey{}, base)
		http.StripPrefix(base, next).ServeHTTP(w, r.WithContext(ctx))
	})
}

func withQuery(path string, r *http.Request) string {
	if r.URL.RawQuery == "" {
		return path
	}
	return path + "?" + r.URL.RawQuery
}

// portalOf is the province whose public portal the request shows: the mapped host's or the
// prefix's, else the deployment's only province; "" on a deployment of several provinces
// addressed without either (the national page). Unlike requestProvince it never depends on who is
// signed in: a portal page at one address is the same for everyone.
func (s *Server) portalOf(r *http.Request) string {
	if code := portalProvince(r); code != "" {
		return code
	}
	return s.provinces.sole(r.Context())
}

// provinceHref is the path prefix of province code's portal as seen from r: "" when the request's
// own address already is that portal without a prefix (its mapped host, or a single-province
// deployment), the request's prefix when it came with that province's, else "/tinh/{code}".
func (s *Server) provinceHref(r *http.Request, code string) string {
	if code == "" {
		return ""
	}
	if portalProvince(r) == code {
		return portalBase(r)
	}
	if s.hostProvince(r.Host) == "" && s.provinces.sole(r.Context()) == code {
		return ""
	}
	return provincePrefix + code
}
