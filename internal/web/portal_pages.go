package web

import (
	"bytes"
	"errors"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/portal"
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
	Province   string
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

// portalHome is the province's public "Chuyển đổi số" page, the same for everyone: the live
// headline figures, the ceremony, the district map, the latest news and announcements, links to
// the other public pages. A signed-in user also gets a link to their workspace (/workspace).
func (s *Server) portalHome(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	data := portalHomeData{Page: s.newPage(r, "portal.home.title"), Categories: portal.Categories}
	data.Province = data.ProvinceName
	var err error
	if data.Figures, err = s.Figures.Collect(ctx); err != nil {
		s.Logger.Error("portal figures", "err", err)
		data.FiguresErr = true
	}
	if data.Posts, err = s.Portal.ListPosts(ctx, portal.Filter{Category: portal.News, Limit: 6}); err != nil {
		return err
	}
	if data.Notices, err = s.Portal.ListPosts(ctx, portal.Filter{Category: portal.Announcement, Limit: 5}); err != nil {
		return err
	}
	if c, found, err := s.Portal.Ceremonies.Current(ctx); err != nil {
		s.Logger.Error("portal ceremony", "err", err)
	} else if found {
		v := newCeremonyView(c, s.Now())
		data.Ceremony = &v
	}
	if figs, ok, err := s.Portal.Districts.Figures(ctx); err != nil {
		s.Logger.Error("portal map", "err", err)
	} else if ok {
		if m, err := portalMap(figs); err != nil {
			s.Logger.Error("portal map", "err", err)
		} else {
			data.Map = &m
		}
	}
	data.Dashboard = s.hasRoute("GET /dashboard/public")
	// Links to the other modules' public pages, where they exist.
	for _, l := range []struct{ pattern, href, key string }{
		{"GET /courses", "/courses", "portal.link.courses"},
		{"GET /le-phat-dong", "/le-phat-dong", "portal.link.ceremony"},
		{"GET /dashboard/public", "/dashboard/public", "portal.link.map"},
	} {
		if s.hasRoute(l.pattern) {
			data.Links = append(data.Links, NavItem{Href: l.href, Label: data.T(l.key)})
		}
	}
	data.Links = append(data.Links, NavItem{Href: "/news?category=document", Label: data.T("portal.link.documents")})
	data.CanVerify = s.hasRoute("GET /verify/{code}")
	data.OG = &OpenGraph{Title: data.T("portal.home.heading"), Description: data.T("portal.home.lead", data.Province), URL: s.publicBaseURL(r) + "/", Type: "website"}
	w.Header().Set("Cache-Control", "no-cache")
	return s.render(w, r, http.StatusOK, "portal_home", &data)
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
	q := r.URL.Query()
	cat := portal.Category(q.Get("category"))
	if cat != "" && !cat.Valid() {
		return apperr.InvalidField("category", "portal.error.category")
	}
	pageNo, err := queryInt(r, "page", 1)
	if err != nil || pageNo < 1 || pageNo > 10000 {
		return apperr.InvalidField("page", "error.query_number", "page")
	}
	data := newsListData{Page: s.newPage(r, "portal.news.title"), Categories: portal.Categories, Category: string(cat), Query: strings.TrimSpace(q.Get("q")), PageNo: pageNo}
	if cat != "" {
		data.Title = data.T("portal.category." + string(cat))
	}
	list, err := s.Portal.ListPosts(r.Context(), portal.Filter{Category: cat, Query: data.Query, Limit: newsPerPage + 1, Offset: (pageNo - 1) * newsPerPage})
	if err != nil {
		return err
	}
	link := func(n int) string {
		v := q
		v.Set("page", strconv.Itoa(n))
		return "/news?" + v.Encode()
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
	p, err := s.Portal.FindPost(r.Context(), id)
	if err != nil {
		return err
	}
	if want := strings.TrimPrefix(p.Path(), "/news/"); r.PathValue("ref") != want {
		http.Redirect(w, r, p.Path(), http.StatusMovedPermanently)
		return nil
	}
	now := s.Now()
	data := postData{Page: s.newPage(r, ""), Post: p, Scheduled: p.Scheduled(now), Draft: p.Status == portal.Draft,
		// The body was sanitised when it was stored (portal.Sanitize); it is sanitised again here so
		// that a row written by any other path cannot carry script either.
		Body: template.HTML(portal.Sanitize(p.BodyHTML))} //nolint:gosec // sanitised by bluemonday
	data.Title = p.Title
	data.CanEdit = s.Portal.IsEditor(r.Context())
	base := s.publicBaseURL(r)
	data.OG = &OpenGraph{Title: p.Title, Description: p.Summary, URL: base + p.Path(), Type: "article"}
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
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return apperr.New(apperr.NotFound, "portal.error.image_not_found")
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
	Posts []portal.Post
	Now   time.Time
}

func (s *Server) editorPostsPage(w http.ResponseWriter, r *http.Request) error {
	list, err := s.Portal.ListPosts(r.Context(), portal.Filter{Editing: true, Limit: 200})
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "portal_editor_list", &editorListData{Page: s.newPage(r, "portal.editor.title"), Posts: list, Now: s.Now()})
}

type editorFormData struct {
	Page
	ID         int64
	Form       portal.PostInput
	PublishAt  string // datetime-local in Vietnam time
	Categories []portal.Category
	MaxImageMB int
}

func (s *Server) editorNewForm(w http.ResponseWriter, r *http.Request) error {
	if !s.Portal.IsEditor(r.Context()) {
		return apperr.New(apperr.Forbidden, "portal.error.not_editor")
	}
	return s.renderEditorForm(w, r, 0, portal.PostInput{Category: portal.News, Status: portal.Published}, "", nil)
}

func (s *Server) editorEditForm(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return apperr.New(apperr.NotFound, "portal.error.post_not_found")
	}
	if !s.Portal.IsEditor(r.Context()) {
		return apperr.New(apperr.Forbidden, "portal.error.not_editor")
	}
	p, err := s.Portal.FindPost(r.Context(), id)
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
	status := http.StatusOK
	if formErr != nil {
		ae := apperr.As(formErr)
		if ae.Kind != apperr.Invalid {
			return formErr
		}
		data.Error = data.T(ae.Key, ae.Args...)
		data.Fields = map[string]string{ae.Field: data.Error}
		status = statusOf(ae.Kind)
	}
	return s.render(w, r, status, "portal_editor_form", &data)
}

// postForm reads the editor's form. publish_at is a datetime-local value in Vietnam time.
func postForm(w http.ResponseWriter, r *http.Request) (portal.PostInput, string, error) {
	r.Body = http.MaxBytesReader(w, r.Body, 4*portal.MaxBodyLen+64<<10)
	if err := r.ParseForm(); err != nil {
		return portal.PostInput{}, "", apperr.New(apperr.Invalid, "error.form")
	}
	in := portal.PostInput{Title: r.PostFormValue("title"), Summary: r.PostFormValue("summary"), BodyHTML: r.PostFormValue("body_html"),
		Category: portal.Category(r.PostFormValue("category")), Status: portal.Status(r.PostFormValue("status"))}
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
			s.flash(w, flashForPost(p, s.Now()))
			http.Redirect(w, r, p.Path(), http.StatusSeeOther)
			return nil
		}
	}
	return s.renderEditorForm(w, r, 0, in, at, err)
}

func (s *Server) editorUpdateSubmit(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return apperr.New(apperr.NotFound, "portal.error.post_not_found")
	}
	in, at, err := postForm(w, r)
	if err == nil {
		var p portal.Post
		if p, err = s.Portal.UpdatePost(r.Context(), id, in); err == nil {
			s.flash(w, flashForPost(p, s.Now()))
			http.Redirect(w, r, p.Path(), http.StatusSeeOther)
			return nil
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
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return apperr.New(apperr.NotFound, "portal.error.post_not_found")
	}
	if err := s.Portal.DeletePost(r.Context(), id); err != nil {
		return err
	}
	s.flash(w, "portal.flash.deleted")
	http.Redirect(w, r, "/editor/posts", http.StatusSeeOther)
	return nil
}

// readUpload reads the one file of a multipart form, bounded.
func readUpload(w http.ResponseWriter, r *http.Request, field string, limit int64) ([]byte, error) {
	r.Body = http.MaxBytesReader(w, r.Body, limit+64<<10)
	f, _, err := r.FormFile(field)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, apperr.InvalidField(field, "portal.error.image_large", limit>>20)
		}
		return nil, apperr.InvalidField(field, "portal.error.image_empty")
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, apperr.InvalidField(field, "portal.error.image_broken")
	}
	return data, nil
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
