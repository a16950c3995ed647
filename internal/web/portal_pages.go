package web

import (
	"bytes"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/portal"
	"github.com/lantoa/lantoa/internal/units"
)

func init() {
	// The portal's and the outbox's pages (see requiredPages in render.go).
	requiredPages = append(requiredPages, "portal_home", "portal_news", "portal_post", "portal_editor_list", "portal_editor_form", "portal_comms",
		"notify_prefs", "notify_unsubscribe", "notify_outbox")
}

// OpenGraph carries the tags a shared link shows in Zalo and Facebook; the layout writes them when
// a page sets Page.OG.
type OpenGraph struct {
	Title, Description, URL, Image, Type string
}

// publicBaseURL is the site's public address for links that leave the site (feeds, Open Graph,
// certificates and their QR codes): the configured --base-url, or else the one the request came to.
func (s *Server) publicBaseURL(r *http.Request) string {
	if s.cfg.BaseURL != "" {
		return strings.TrimRight(s.cfg.BaseURL, "/")
	}
	scheme := "http"
	if r.TLS != nil || s.cfg.SecureCookies || (s.cfg.TrustProxy && r.Header.Get("X-Forwarded-Proto") == "https") {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

type portalHomeData struct {
	Page
	Figures    []portal.Figure
	FiguresErr bool
	Posts      []portal.Post
	Notices    []portal.Post
	Categories []portal.Category
	Links      []NavItem
	CanVerify  bool
	// Ceremony is the launch ceremony's summary, when there is one.
	Ceremony *ceremonyView
	// Map is the read-only district map; Dashboard links to the full public dashboard.
	Map       *portalMapView
	Dashboard bool
}

// portalPage is newPage for a page of province prov's portal: it names that province and links
// inside that portal, whoever is signed in.
func (s *Server) portalPage(r *http.Request, titleKey, prov string) Page {
	p := s.newPage(r, titleKey)
	if p.Province != prov {
		p.Province, p.ProvinceName = prov, ""
		if u, ok := s.provinces.find(r.Context(), prov); ok {
			p.ProvinceName = u.Name
		}
		p.PortalBase = s.provinceHref(r, prov)
		p.Nav = s.nav(p)
	}
	return p
}

// PortalPlace names the page's province inside a sentence of the portal, from the unit tree:
// "tỉnh Quảng Ngãi", "thành phố Hà Nội" in Vietnamese; "Quảng Ngãi", "Hà Nội" in English.
func (p Page) PortalPlace() string { return placeIn(p.Lang, p.ProvinceName) }

// ProvincePlace is the province's name without its type ("Quảng Ngãi", "Hà Nội"), as the feed's
// title names it.
func (p Page) ProvincePlace() string { return units.PlaceName(p.ProvinceName) }

// portalHome is a province's public "Chuyển đổi số" page, the same for everyone: the live headline
// figures, the ceremony, the district map, the latest news and announcements, links to the other
// public pages. A signed-in user also gets a link to their workspace (/workspace). Without a
// province (several provinces, no mapped host, no prefix) it is the national page.
func (s *Server) portalHome(w http.ResponseWriter, r *http.Request) error {
	prov := s.portalOf(r)
	if prov == "" {
		return s.nationalHome(w, r)
	}
	ctx := r.Context()
	data := portalHomeData{Page: s.portalPage(r, "portal.home.title", prov), Categories: portal.Categories}
	var err error
	if data.Figures, err = s.Figures.Collect(ctx, prov); err != nil {
		s.Logger.Error("portal figures", "province", prov, "err", err)
		data.FiguresErr = true
	}
	if data.Posts, err = s.Portal.ListPosts(ctx, portal.Filter{Province: prov, Category: portal.News, Limit: 6}); err != nil {
		return err
	}
	if data.Notices, err = s.Portal.ListPosts(ctx, portal.Filter{Province: prov, Category: portal.Announcement, Limit: 5}); err != nil {
		return err
	}
	if c, found, err := s.Portal.Ceremonies.Current(ctx, prov); err != nil {
		s.Logger.Error("portal ceremony", "province", prov, "err", err)
	} else if found {
		v := newCeremonyView(c, s.Now())
		data.Ceremony = &v
	}
	if figs, ok, err := s.Portal.Districts.Figures(ctx, prov); err != nil {
		s.Logger.Error("portal map", "province", prov, "err", err)
	} else if ok {
		if m, err := portalMap(figs); err != nil {
			s.Logger.Error("portal map", "province", prov, "err", err)
		} else {
			data.Map = &m
		}
	}
	data.Dashboard = s.hasRoute("GET /dashboard/public")
	// Links to the other modules' public pages, where they exist.
	for _, l := range []struct{ pattern, href, key string }{
		{"GET /courses", "/courses", "portal.link.courses"},
		{"GET /le-phat-dong", data.PortalBase + "/le-phat-dong", "portal.link.ceremony"},
		{"GET /su-kien", data.PortalBase + "/su-kien", "events.nav.calendar"},
		{"GET /dashboard/public", data.PortalBase + "/dashboard/public", "portal.link.map"},
	} {
		if s.hasRoute(l.pattern) {
			data.Links = append(data.Links, NavItem{Href: l.href, Label: data.T(l.key)})
		}
	}
	data.Links = append(data.Links, NavItem{Href: data.PortalBase + "/news?category=document", Label: data.T("portal.link.documents")})
	data.CanVerify = s.hasRoute("GET /verify/{code}")
	data.OG = &OpenGraph{Title: data.T("portal.home.heading", data.PortalPlace()), Description: data.T("portal.home.lead", data.PortalPlace()),
		URL: s.portalBaseURL(r) + data.PortalBase + "/", Type: "website"}
	w.Header().Set("Cache-Control", "no-cache")
	return s.render(w, r, http.StatusOK, "portal_home", &data)
}

// portalBaseURL is the public address of the site a portal page is read on: the mapped host of a
// province when the request came to it, else publicBaseURL.
func (s *Server) portalBaseURL(r *http.Request) string {
	if s.hostProvince(r.Host) != "" && portalBase(r) == "" {
		scheme := "http"
		if r.TLS != nil || s.cfg.SecureCookies || (s.cfg.TrustProxy && r.Header.Get("X-Forwarded-Proto") == "https") {
			scheme = "https"
		}
		return scheme + "://" + r.Host
	}
	return s.publicBaseURL(r)
}

// noPortal answers a portal page asked for without a province on a deployment of several (no
// mapped host, no prefix): a signed-in user working in one province is taken to that province's
// page, anyone else to the national page, which lists the provinces.
func (s *Server) noPortal(w http.ResponseWriter, r *http.Request) {
	target := "/"
	if prov := s.requestProvince(r); prov != "" {
		target = withQuery(s.provinceHref(r, prov)+r.URL.Path, r)
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// hasRoute tells whether another module registered a route, so that the portal links to pages
// that exist and to nothing else.
func (s *Server) hasRoute(pattern string) bool {
	for _, p := range s.patterns {
		if p == pattern {
			return true
		}
	}
	return false
}

type newsListData struct {
	Page
	Posts      []portal.Post
	Categories []portal.Category
	Category   string
	Query      string
	PageNo     int
	Next, Prev string
}

const newsPerPage = 20

func (s *Server) newsPage(w http.ResponseWriter, r *http.Request) error {
	prov := s.portalOf(r)
	if prov == "" {
		s.noPortal(w, r)
		return nil
	}
	q := r.URL.Query()
	cat := portal.Category(q.Get("category"))
	if cat != "" && !cat.Valid() {
		return apperr.InvalidField("category", "portal.error.category")
	}
	pageNo, err := queryInt(r, "page", 1)
	if err != nil || pageNo < 1 || pageNo > 10000 {
		return apperr.InvalidField("page", "error.query_number", "page")
	}
	data := newsListData{Page: s.portalPage(r, "portal.news.title", prov), Categories: portal.Categories, Category: string(cat), Query: strings.TrimSpace(q.Get("q")), PageNo: pageNo}
	if cat != "" {
		data.Title = data.T("portal.category." + string(cat))
	}
	list, err := s.Portal.ListPosts(r.Context(), portal.Filter{Province: prov, Category: cat, Query: data.Query, Limit: newsPerPage + 1, Offset: (pageNo - 1) * newsPerPage})
	if err != nil {
		return err
	}
	link := func(n int) string {
		v := q
		v.Set("page", strconv.Itoa(n))
		return data.PortalBase + "/news?" + v.Encode()
	}
	if len(list) > newsPerPage {
		list = list[:newsPerPage]
		data.Next = link(pageNo + 1)
	}
	if pageNo > 1 {
		data.Prev = link(pageNo - 1)
	}
	data.Posts = list
	return s.render(w, r, http.StatusOK, "portal_news", &data)
}

type postData struct {
	Page
	Post      portal.Post
	Body      template.HTML
	Scheduled bool
	Draft     bool
	CanEdit   bool
	ImageURL  string
}

// postRef reads "12" or "12-some-slug".
func postRef(ref string) (int64, error) {
	idPart, _, _ := strings.Cut(ref, "-")
	id, err := strconv.ParseInt(idPart, 10, 64)
	if err != nil || id <= 0 {
		return 0, apperr.New(apperr.NotFound, "portal.error.post_not_found")
	}
	return id, nil
}

func (s *Server) newsPostPage(w http.ResponseWriter, r *http.Request) error {
	id, err := postRef(r.PathValue("ref"))
	if err != nil {
		return err
	}
	prov := s.portalOf(r)
	p, err := s.Portal.FindPost(r.Context(), id, prov)
	if err != nil {
		return err
	}
	if prov == "" {
		// A post's address without a portal (a link shared before the deployment served several
		// provinces): its province's portal has it.
		http.Redirect(w, r, s.provinceHref(r, p.Province)+p.Path(), http.StatusFound)
		return nil
	}
	if want := strings.TrimPrefix(p.Path(), "/news/"); r.PathValue("ref") != want {
		http.Redirect(w, r, portalBase(r)+p.Path(), http.StatusMovedPermanently)
		return nil
	}
	now := s.Now()
	data := postData{Page: s.portalPage(r, "", prov), Post: p, Scheduled: p.Scheduled(now), Draft: p.Status == portal.Draft,
		// The body was sanitised when it was stored (portal.Sanitize); it is sanitised again here so
		// that a row written by any other path cannot carry script either.
		Body: template.HTML(portal.Sanitize(p.BodyHTML))} //nolint:gosec // sanitised by bluemonday
	data.Title = p.Title
	if data.Actor != nil {
		_, err := s.Portal.FindPostForEdit(r.Context(), p.ID)
		data.CanEdit = err == nil
	}
	base := s.portalBaseURL(r)
	data.OG = &OpenGraph{Title: p.Title, Description: p.Summary, URL: base + data.PortalBase + p.Path(), Type: "article"}
	if p.ImageID != 0 {
		data.ImageURL = "/media/" + strconv.FormatInt(p.ImageID, 10)
		data.OG.Image = base + data.ImageURL
	}
	if !p.Visible(now) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Robots-Tag", "noindex")
	}
	return s.render(w, r, http.StatusOK, "portal_post", &data)
}

// mediaImage serves an uploaded image. Images never change once stored, so browsers keep them.
func (s *Server) mediaImage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathIDOr(r, "id", "portal.error.image_not_found")
	if err != nil {
		return err
	}
	img, err := s.Portal.FindImage(r.Context(), id)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", img.ContentType)
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; sandbox")
	http.ServeContent(w, r, "", img.CreatedAt, bytes.NewReader(img.Data))
	return nil
}

// Editor pages.

type editorListData struct {
	Page
	Posts []editorPost
	Now   time.Time
	// Provinces is set when the editor writes for several provinces: each post names its own.
	Provinces bool
}

// editorPost is a post in the editor's list, with the address of its page in its province's portal.
type editorPost struct {
	portal.Post
	Href, ProvinceName string
}

func (s *Server) editorPostsPage(w http.ResponseWriter, r *http.Request) error {
	list, err := s.Portal.ListPosts(r.Context(), portal.Filter{Editing: true, Limit: 200})
	if err != nil {
		return err
	}
	data := editorListData{Page: s.newPage(r, "portal.editor.title"), Now: s.Now()}
	for _, p := range list {
		ep := editorPost{Post: p, Href: s.provinceHref(r, p.Province) + p.Path()}
		if u, ok := s.provinces.find(r.Context(), p.Province); ok {
			ep.ProvinceName = u.Name
		}
		data.Provinces = data.Provinces || p.Province != list[0].Province
		data.Posts = append(data.Posts, ep)
	}
	return s.render(w, r, http.StatusOK, "portal_editor_list", &data)
}

type editorFormData struct {
	Page
	ID         int64
	Form       portal.PostInput
	PublishAt  string // datetime-local in Vietnam time
	Categories []portal.Category
	MaxImageMB int
	// Provinces is offered to an editor of several provinces, who chooses the new post's.
	Provinces []units.Unit
}

func (s *Server) editorNewForm(w http.ResponseWriter, r *http.Request) error {
	if !s.Portal.IsEditor(r.Context()) {
		return apperr.New(apperr.Forbidden, "portal.error.not_editor")
	}
	return s.renderEditorForm(w, r, 0, portal.PostInput{Category: portal.News, Status: portal.Published}, "", nil)
}

func (s *Server) editorEditForm(w http.ResponseWriter, r *http.Request) error {
	id, err := pathIDOr(r, "id", "portal.error.post_not_found")
	if err != nil {
		return err
	}
	p, err := s.Portal.FindPostForEdit(r.Context(), id)
	if err != nil {
		return err
	}
	in := portal.PostInput{Title: p.Title, Summary: p.Summary, BodyHTML: p.BodyHTML, Category: p.Category, Status: p.Status, OrgID: p.OrgID}
	return s.renderEditorForm(w, r, id, in, localTime(p.PublishAt), nil)
}

func localTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(vietnamTime).Format("2006-01-02T15:04")
}

func (s *Server) renderEditorForm(w http.ResponseWriter, r *http.Request, id int64, in portal.PostInput, publishAt string, formErr error) error {
	titleKey := "portal.editor.new"
	if id != 0 {
		titleKey = "portal.editor.edit"
	}
	data := editorFormData{Page: s.newPage(r, titleKey), ID: id, Form: in, PublishAt: publishAt, Categories: portal.Categories, MaxImageMB: portal.MaxImageBytes >> 20}
	if admin := data.Actor.AdminProvinces(); id == 0 && len(admin) > 1 {
		for _, code := range admin {
			if u, ok := s.provinces.find(r.Context(), code); ok {
				data.Provinces = append(data.Provinces, u)
			}
		}
	}
	return s.renderForm(w, r, "portal_editor_form", &data, formErr)
}

// postForm reads the editor's form. publish_at is a datetime-local value in Vietnam time.
func postForm(w http.ResponseWriter, r *http.Request) (portal.PostInput, string, error) {
	if err := parseForm(w, r, 4*portal.MaxBodyLen+64<<10); err != nil {
		return portal.PostInput{}, "", err
	}
	in := portal.PostInput{Title: r.PostFormValue("title"), Summary: r.PostFormValue("summary"), BodyHTML: r.PostFormValue("body_html"),
		Category: portal.Category(r.PostFormValue("category")), Status: portal.Status(r.PostFormValue("status")), Province: r.PostFormValue("province_code")}
	if r.PostFormValue("action") == "draft" {
		in.Status = portal.Draft
	}
	at := strings.TrimSpace(r.PostFormValue("publish_at"))
	if at != "" {
		t, err := time.ParseInLocation("2006-01-02T15:04", at, vietnamTime)
		if err != nil {
			return in, at, apperr.InvalidField("publish_at", "portal.error.publish_at")
		}
		in.PublishAt = t
	}
	return in, at, nil
}

func (s *Server) editorCreateSubmit(w http.ResponseWriter, r *http.Request) error {
	in, at, err := postForm(w, r)
	if err == nil {
		var p portal.Post
		if p, err = s.Portal.CreatePost(r.Context(), in); err == nil {
			return s.redirectFlash(w, r, s.provinceHref(r, p.Province)+p.Path(), flashForPost(p, s.Now()))
		}
	}
	return s.renderEditorForm(w, r, 0, in, at, err)
}

func (s *Server) editorUpdateSubmit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathIDOr(r, "id", "portal.error.post_not_found")
	if err != nil {
		return err
	}
	in, at, err := postForm(w, r)
	if err == nil {
		var p portal.Post
		if p, err = s.Portal.UpdatePost(r.Context(), id, in); err == nil {
			return s.redirectFlash(w, r, s.provinceHref(r, p.Province)+p.Path(), flashForPost(p, s.Now()))
		}
	}
	return s.renderEditorForm(w, r, id, in, at, err)
}

func flashForPost(p portal.Post, now time.Time) string {
	switch {
	case p.Status == portal.Draft:
		return "portal.flash.draft"
	case p.Scheduled(now):
		return "portal.flash.scheduled"
	}
	return "portal.flash.published"
}

func (s *Server) editorDeleteSubmit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathIDOr(r, "id", "portal.error.post_not_found")
	if err != nil {
		return err
	}
	if err := s.Portal.DeletePost(r.Context(), id); err != nil {
		return err
	}
	return s.redirectFlash(w, r, "/editor/posts", "portal.flash.deleted")
}

// portalVerify takes the certificate code typed on the portal to the training module's
// verification page.
func (s *Server) portalVerify(w http.ResponseWriter, r *http.Request) error {
	code := strings.TrimSpace(r.URL.Query().Get("code"))
	if code == "" || len(code) > 64 || strings.ContainsAny(code, "/?#\\ ") {
		return apperr.InvalidField("code", "portal.error.verify_code")
	}
	http.Redirect(w, r, "/verify/"+url.PathEscape(code), http.StatusSeeOther)
	return nil
}
