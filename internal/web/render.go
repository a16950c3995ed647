package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"maps"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/i18n"
	"github.com/lantoa/lantoa/internal/units"
)

//go:embed templates
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// assetSet serves the embedded static files under content-hashed names (app.3f2a9c1b.css), so
// browsers may cache them for a year and still see a new version at once.
type assetSet struct {
	hashed map[string]string // app.css → app.3f2a9c1b.css
	byURL  map[string]string // app.3f2a9c1b.css → app.css
}

func loadAssets() (*assetSet, error) {
	a := &assetSet{hashed: map[string]string{}, byURL: map[string]string{}}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		name := strings.TrimPrefix(p, "static/")
		ext := path.Ext(name)
		h := strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:4]) + ext
		a.hashed[name], a.byURL[h] = h, name
		return nil
	})
	return a, err
}

// URL returns the hashed URL of a static file; an unknown name is a template defect and panics at
// start-up, when every page is rendered once by the tests.
func (a *assetSet) URL(name string) string {
	h, ok := a.hashed[name]
	if !ok {
		panic("web: unknown asset " + name)
	}
	return "/static/" + h
}

func (a *assetSet) serve(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	orig, ok := a.byURL[name]
	if !ok {
		// Unhashed names still work (the service worker and manifest need stable URLs) but are
		// revalidated.
		if fi, err := fs.Stat(staticFS, "static/"+name); err != nil || fi.IsDir() {
			http.NotFound(w, r)
			return
		}
		orig = name
		w.Header().Set("Cache-Control", "no-cache")
	} else {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	}
	data, _ := staticFS.ReadFile("static/" + orig)
	http.ServeContent(w, r, orig, time.Time{}, bytes.NewReader(data))
}

// pageSet holds one template set per page: the layout, the partials and that page's file.
type pageSet struct {
	pages    map[string]*template.Template
	partials *template.Template
}

var templateFuncs = template.FuncMap{
	"date": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.In(vietnamTime).Format("02/01/2006 15:04")
	},
	// day writes a calendar date (YYYY-MM-DD, as units' validity is kept) the Vietnamese way.
	"day": func(iso string) string {
		t, err := time.Parse(time.DateOnly, iso)
		if err != nil {
			return iso
		}
		return t.Format("02/01/2006")
	},
	"join": strings.Join,
	"add":  func(a, b int) int { return a + b },
	// share writes a share in percent ("56.3%"), a dash where it is unknown (no headcount).
	"share": func(p *float64) string {
		if p == nil {
			return "—"
		}
		return fmt.Sprintf("%.1f%%", *p)
	},
	// count writes a count that may be unknown (a headcount), a dash when it is.
	"count": func(p *int) string {
		if p == nil {
			return "—"
		}
		return strconv.Itoa(*p)
	},
	// dict passes several values to a partial template.
	"dict": func(kv ...any) (map[string]any, error) {
		if len(kv)%2 != 0 {
			return nil, fmt.Errorf("dict: odd number of arguments")
		}
		m := make(map[string]any, len(kv)/2)
		for i := 0; i < len(kv); i += 2 {
			k, ok := kv[i].(string)
			if !ok {
				return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
			}
			m[k] = kv[i+1]
		}
		return m, nil
	},
}

// vietnamTime is UTC+7; Vietnam has no daylight saving, so a fixed zone needs no tzdata.
var vietnamTime = time.FixedZone("ICT", 7*3600)

func loadPages(assets *assetSet) (*pageSet, error) {
	funcs := template.FuncMap{"asset": assets.URL}
	for k, v := range templateFuncs {
		funcs[k] = v
	}
	base, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/partials/*.html")
	if err != nil {
		return nil, fmt.Errorf("web: parse layout: %w", err)
	}
	ps := &pageSet{pages: map[string]*template.Template{}, partials: base}
	files, err := fs.Glob(templateFS, "templates/pages/*.html")
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		t, err := template.Must(base.Clone()).ParseFS(templateFS, f)
		if err != nil {
			return nil, fmt.Errorf("web: parse %s: %w", f, err)
		}
		ps.pages[strings.TrimSuffix(path.Base(f), ".html")] = t
	}
	for _, name := range requiredPages {
		if ps.pages[name] == nil {
			return nil, fmt.Errorf("web: page template %q is missing", name)
		}
	}
	return ps, nil
}

// requiredPages are the pages the handlers render; start-up fails if one is missing.
var requiredPages = []string{"home", "login", "error", "units", "unit", "orgs", "users", "user", "user_new", "account", "password", "audit",
	"training_register", "training_courses", "training_course", "training_exam", "training_verify", "training_certificates", "training_figures", "training_course_new",
	"ceremony_list", "ceremony_detail", "ceremony_control", "ceremony_point", "ceremony_screen", "ceremony_checkin", "ceremony_edit", "ceremony_chase", "ceremony_delegate",
	"outreach_form", "outreach_progress", "outreach_teams", "outreach_team", "outreach_admin", "outreach_visits", "sso_signup",
	"reports_periods", "reports_period", "reports_report", "reports_summary", "reports_dashboard", "reports_org_dashboard",
	"login_code", "login_enrol", "login_recovery"}

// Page is what every page template gets: the viewer, their language, messages and navigation.
// Page structs of individual pages embed it.
type Page struct {
	Title string
	Lang  string
	Actor *authz.Actor
	Path  string
	// Flash is a one-off message ("Đã lưu"); Error an error message for the whole form.
	Flash  string
	Error  string
	Fields map[string]string // field → error message
	// ErrorLines are the problems of a refused file, one line of it each ("Dòng 3: …").
	ErrorLines []string
	Nav        []NavItem
	i18n       *i18n.Bundle

	// Province is the code of the province the page is about (requestProvince), "" on a national
	// page; ProvinceName its official name from the unit tree ("Tỉnh Quảng Ngãi").
	Province     string
	ProvinceName string
	// PortalBase prefixes the links to the province's portal pages ("/tinh/51", or "" where the
	// portal is the site's own address: a mapped host, a single-province deployment).
	PortalBase string

	// OG, when set, fills the Open Graph tags of a page that is shared (portal posts).
	OG *OpenGraph
}

// NavItem is one entry of the main menu: a group of pages named after what the viewer does there
// (the ceremony, training, the teams, reports…). Its Href is the group's first page; Sub, when the
// group has more than one page for this viewer, is shown as the section's own menu while the viewer
// is inside it.
type NavItem struct {
	Href, Label string
	Active      bool
	Sub         []NavItem
}

// T translates a key into the viewer's language.
func (p Page) T(key string, args ...any) string { return p.i18n.T(p.Lang, key, args...) }

// FieldError returns the message for one form field, if any.
func (p Page) FieldError(field string) string { return p.Fields[field] }

// ErrorFields are the names of the fields the form's error is about, for the error summary's links.
func (p Page) ErrorFields() []string { return slices.Sorted(maps.Keys(p.Fields)) }

// OtherLang is the language the switcher offers.
func (p Page) OtherLang() string {
	if p.Lang == "vi" {
		return "en"
	}
	return "vi"
}

// Can tells the template whether the viewer holds a role, to show or hide controls; the services
// enforce the same rules whatever the template shows.
func (p Page) Can(role string) bool { return p.Actor.Has(authz.Role(role)) }

// AdministersProvince tells whether the viewer administers the page's province.
func (p Page) AdministersProvince() bool { return p.Actor.AdministersProvince(p.Province) }

// ProvinceInSentence is the province's name as it reads inside a sentence: "tỉnh Quảng Ngãi" in
// Vietnamese, the official name as it stands in English.
func (p Page) ProvinceInSentence() string {
	if p.Lang == "vi" {
		return units.InSentence(p.ProvinceName)
	}
	return p.ProvinceName
}

// IsAdmin tells whether the viewer administers anything.
func (p Page) IsAdmin() bool { return p.Actor.IsAdmin() }

// newPage fills the common fields for r.
func (s *Server) newPage(r *http.Request, titleKey string) Page {
	// Path is the address the browser shows, the portal's prefix included.
	p := Page{Lang: langOf(r), Actor: authz.ActorFrom(r.Context()), Path: portalBase(r) + r.URL.Path, i18n: s.I18n, Province: s.requestProvince(r)}
	if prov, ok := s.provinces.find(r.Context(), p.Province); ok {
		p.ProvinceName = prov.Name
	}
	p.PortalBase = s.provinceHref(r, p.Province)
	if titleKey != "" {
		p.Title = p.T(titleKey)
	}
	p.Nav = s.nav(p)
	if c, err := r.Cookie(flashCookie); err == nil {
		if text, ok := strings.CutPrefix(c.Value, "="); ok {
			p.Flash, _ = url.QueryUnescape(text)
		} else {
			p.Flash = p.T(c.Value)
		}
	}
	return p
}

// nav builds the main menu: at most seven groups, by what the viewer does, so that a commune
// official sees four or five words rather than twenty links. Everything else is reached from the
// workspace or from the section's own menu (Page.SubNav).
func (s *Server) nav(p Page) []NavItem {
	a := p.Actor
	var items []NavItem
	group := func(label string, sub ...NavItem) {
		if len(sub) == 0 {
			return
		}
		items = append(items, NavItem{Href: sub[0].Href, Label: label, Sub: sub})
	}
	link := func(href, key string) NavItem { return NavItem{Href: href, Label: p.T(key)} }
	provinceAdmin := len(a.AdminProvinces()) > 0
	if a == nil {
		group(p.T("nav.home"), link(p.PortalBase+"/", "nav.home"))
		if p.Province != "" {
			// News and the ceremony are a province's; a national page has neither.
			group(p.T("portal.nav.news"), link(p.PortalBase+"/news", "portal.nav.news"))
			group(p.T("portal.nav.ceremony"), link(p.PortalBase+"/le-phat-dong", "portal.nav.ceremony"))
		}
		group(p.T("nav.group.training"), link("/courses", "training.nav.courses"))
	} else {
		group(p.T("portal.nav.workspace"), link("/workspace", "portal.nav.workspace"))
		var ceremony []NavItem
		if a.IsAdmin() || a.Has(authz.BridgeOperator) {
			ceremony = append(ceremony, link("/ceremonies", "nav.ceremony.manage"))
		}
		if p.Province != "" {
			ceremony = append(ceremony, link(p.PortalBase+"/le-phat-dong", "nav.ceremony.public"))
		}
		group(p.T("ceremony.nav"), ceremony...)
		group(p.T("nav.group.training"), link("/courses", "training.nav.courses"))
		var teams []NavItem
		if a.Has(authz.TeamMember) {
			teams = append(teams, link("/outreach/form", "outreach.nav.form"))
		}
		if a.IsAdmin() || a.Has(authz.TeamMember) {
			teams = append(teams, link("/outreach/progress", "nav.outreach.progress"))
		}
		if a.IsAdmin() {
			teams = append(teams, link("/outreach/teams", "nav.outreach.teams"))
		}
		group(p.T("outreach.nav"), teams...)
		var figures []NavItem
		if provinceAdmin || a.IsNational() || a.Has(authz.UnitAdmin) {
			figures = append(figures, link("/reports", "reports.nav"))
		}
		figures = append(figures, link("/dashboard", "reports.nav_dashboard"))
		if provinceAdmin || a.Has(authz.UnitAdmin) {
			figures = append(figures, link("/public-services", "pubservices.nav"))
		}
		group(p.T("nav.group.reports"), figures...)
		var comms []NavItem
		if s.isEditor(a) {
			comms = append(comms, link("/editor/posts", "portal.nav.editor"))
		}
		if a.IsAdmin() {
			comms = append(comms, link("/communication", "nav.comms.results"))
		}
		if provinceAdmin || a.IsNational() {
			comms = append(comms, link("/admin/outbox", "notify.nav.outbox"))
		}
		if len(comms) > 0 && p.Province != "" {
			comms = append(comms, link(p.PortalBase+"/news", "portal.nav.news"))
		}
		group(p.T("portal.nav.comms"), comms...)
		if a.IsAdmin() {
			group(p.T("nav.group.admin"), link("/units", "nav.units"), link("/orgs", "nav.orgs"), link("/users", "nav.users"), link("/audit", "nav.audit"))
		}
	}
	// The longest matching page wins, so /outreach/form is "inside" the teams group and its own page
	// is the current one in the section menu; the portal's home matches only itself.
	home := p.PortalBase + "/"
	matches := func(href string) int {
		if href == p.Path || (href != home && strings.HasPrefix(p.Path, strings.TrimSuffix(href, "/")+"/")) {
			return len(href)
		}
		return 0
	}
	best, bestGroup, bestSub := 0, -1, -1
	for i := range items {
		for j := range items[i].Sub {
			if n := matches(items[i].Sub[j].Href); n > best {
				best, bestGroup, bestSub = n, i, j
			}
		}
	}
	if bestGroup >= 0 {
		items[bestGroup].Active = true
		items[bestGroup].Sub[bestSub].Active = true
	} else {
		// A page that is in a section without being one of its menu's entries (a team's page, the
		// household visits) still shows the viewer where they are.
	sections:
		for i := range items {
			for _, it := range items[i].Sub {
				if p.PortalBase != "" && strings.HasPrefix(it.Href, p.PortalBase+"/") {
					continue
				}
				if section, _, ok := strings.Cut(strings.TrimPrefix(it.Href, "/"), "/"); ok && section != "" && strings.HasPrefix(p.Path, "/"+section+"/") {
					items[i].Active = true
					break sections
				}
			}
		}
	}
	for i := range items {
		if len(items[i].Sub) < 2 {
			items[i].Sub = nil
		}
	}
	return items
}

// SubNav is the menu of the section the viewer is in (the pages of the active group), or nil.
func (p Page) SubNav() []NavItem {
	for _, it := range p.Nav {
		if it.Active {
			return it.Sub
		}
	}
	return nil
}

// render executes a page into a buffer first, so a template error becomes a clean 500 instead of
// half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) error {
	t := s.pages.pages[name]
	if t == nil {
		return fmt.Errorf("web: no page %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", data); err != nil {
		return fmt.Errorf("web: render %s: %w", name, err)
	}
	s.clearFlash(w, r)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, err := buf.WriteTo(w)
	return err
}

// renderPartial executes one partial (for htmx swaps) without the layout.
func (s *Server) renderPartial(w http.ResponseWriter, name string, data any) error {
	var buf bytes.Buffer
	if err := s.pages.partials.ExecuteTemplate(&buf, name, data); err != nil {
		return fmt.Errorf("web: render partial %s: %w", name, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, err := buf.WriteTo(w)
	return err
}

const flashCookie = "lantoa_flash"

// flash leaves a message key for the next page the browser shows (post/redirect/get).
func (s *Server) flash(w http.ResponseWriter, key string) {
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: key, Path: "/", MaxAge: 60, HttpOnly: true, Secure: s.cfg.SecureCookies, SameSite: http.SameSiteLaxMode})
}

// flashText leaves an already translated message (one with figures in it) for the next page.
func (s *Server) flashText(w http.ResponseWriter, text string) {
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "=" + url.QueryEscape(text), Path: "/", MaxAge: 60, HttpOnly: true, Secure: s.cfg.SecureCookies, SameSite: http.SameSiteLaxMode})
}

func (s *Server) clearFlash(w http.ResponseWriter, r *http.Request) {
	if _, err := r.Cookie(flashCookie); err == nil {
		http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.cfg.SecureCookies, SameSite: http.SameSiteLaxMode})
	}
}

// isEditor tells whether a writes the portal's news: a province or organisation administrator the
// portal counts among its editors. The menu and the workspace ask the same question.
func (s *Server) isEditor(a *authz.Actor) bool {
	return s.Portal != nil && (len(a.AdminProvinces()) > 0 || a.Has(authz.OrgAdmin)) && s.Portal.IsEditor(authz.WithActor(context.Background(), a))
}
