package web

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"strconv"
	"time"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/portal"
	"github.com/lantoa/lantoa/internal/units"
)

// Atom 1.0 (RFC 4287) feed of the latest published posts.
type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Lang    string      `xml:"xml:lang,attr"`
	ID      string      `xml:"id"`
	Title   string      `xml:"title"`
	Updated string      `xml:"updated"`
	Links   []atomLink  `xml:"link"`
	Author  atomPerson  `xml:"author"`
	Entries []atomEntry `xml:"entry"`
}

type atomLink struct {
	Href string `xml:"href,attr"`
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
}

type atomPerson struct {
	Name string `xml:"name"`
}

type atomText struct {
	Type string `xml:"type,attr"`
	Body string `xml:",chardata"`
}

type atomEntry struct {
	ID        string     `xml:"id"`
	Title     string     `xml:"title"`
	Updated   string     `xml:"updated"`
	Published string     `xml:"published"`
	Links     []atomLink `xml:"link"`
	Author    atomPerson `xml:"author"`
	Category  *struct {
		Term  string `xml:"term,attr"`
		Label string `xml:"label,attr"`
	} `xml:"category"`
	Summary atomText `xml:"summary"`
	Content atomText `xml:"content"`
}

const feedSize = 30

// placeIn names a province inside a sentence: "tỉnh Quảng Ngãi" in Vietnamese, "Quảng Ngãi" in
// English.
func placeIn(lang, name string) string {
	if lang == "vi" {
		return units.InSentence(name)
	}
	return units.PlaceName(name)
}

// feed serves a province's /feed.xml: the latest published posts of its portal (scheduled posts
// appear once their time comes, drafts never). Without a province (the national address of a
// deployment of several) there is no feed: each province has its own.
func (s *Server) feed(w http.ResponseWriter, r *http.Request) error {
	prov := s.portalOf(r)
	if prov == "" {
		return apperr.New(apperr.NotFound, "portal.error.no_province")
	}
	posts, err := s.Portal.ListPosts(r.Context(), portal.Filter{Province: prov, Limit: feedSize})
	if err != nil {
		return err
	}
	base := s.portalBaseURL(r)
	home := base + s.provinceHref(r, prov)
	lang := langOf(r)
	var name string
	if u, ok := s.provinces.find(r.Context(), prov); ok {
		name = u.Name
	}
	title := s.I18n.T(lang, "portal.feed.title", units.PlaceName(name))
	f := atomFeed{Lang: lang, ID: home + "/feed.xml", Title: title, Author: atomPerson{Name: title},
		Links: []atomLink{{Href: home + "/feed.xml", Rel: "self", Type: "application/atom+xml"}, {Href: home + "/", Rel: "alternate", Type: "text/html"}}}
	updated := time.Unix(0, 0).UTC()
	for _, p := range posts {
		up := p.UpdatedAt
		if p.PublishAt.After(up) {
			up = p.PublishAt
		}
		if up.After(updated) {
			updated = up
		}
		e := atomEntry{ID: home + "/news/" + strconv.FormatInt(p.ID, 10), Title: p.Title, Updated: up.UTC().Format(time.RFC3339),
			Published: p.PublishAt.UTC().Format(time.RFC3339), Links: []atomLink{{Href: home + p.Path(), Rel: "alternate", Type: "text/html"}},
			Author:  atomPerson{Name: firstNonEmpty(p.AuthorName, title)},
			Summary: atomText{Type: "text", Body: p.Summary},
			Content: atomText{Type: "html", Body: absolutiseMedia(portal.Sanitize(p.BodyHTML), base)}}
		e.Category = &struct {
			Term  string `xml:"term,attr"`
			Label string `xml:"label,attr"`
		}{string(p.Category), s.I18n.T(lang, "portal.category."+string(p.Category))}
		if p.ImageID != 0 {
			e.Links = append(e.Links, atomLink{Href: base + "/media/" + strconv.FormatInt(p.ImageID, 10), Rel: "enclosure", Type: "image/jpeg"})
		}
		f.Entries = append(f.Entries, e)
	}
	f.Updated = updated.Format(time.RFC3339)
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", " ")
	if err := enc.Encode(f); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/atom+xml; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=60")
	_, err = buf.WriteTo(w)
	return err
}

// absolutiseMedia makes the portal's image addresses absolute, because feed readers show the
// content away from the site.
func absolutiseMedia(html, base string) string {
	return mediaSrcAttr.ReplaceAllString(html, `src="`+base+`/media/`)
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}

type sitemapURLSet struct {
	XMLName xml.Name     `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 urlset"`
	URLs    []sitemapURL `xml:"url"`
}

type sitemapURL struct {
	Loc     string `xml:"loc"`
	LastMod string `xml:"lastmod,omitempty"`
}

// sitemap serves /sitemap.xml: a province's public pages and every visible post of its portal;
// at the national address of a deployment of several provinces, the national page and each
// province's portal.
func (s *Server) sitemap(w http.ResponseWriter, r *http.Request) error {
	base := s.portalBaseURL(r)
	set := sitemapURLSet{}
	if prov := s.portalOf(r); prov != "" {
		home := base + s.provinceHref(r, prov)
		set.URLs = append(set.URLs, sitemapURL{Loc: home + "/"}, sitemapURL{Loc: home + "/news"})
		for _, c := range portal.Categories {
			set.URLs = append(set.URLs, sitemapURL{Loc: home + "/news?category=" + string(c)})
		}
		set.URLs = append(set.URLs, sitemapURL{Loc: home + "/le-phat-dong"})
		if s.hasRoute("GET /courses") {
			set.URLs = append(set.URLs, sitemapURL{Loc: base + "/courses"})
		}
		posts, err := s.Portal.ListPosts(r.Context(), portal.Filter{Province: prov, Limit: 500})
		if err != nil {
			return err
		}
		for _, p := range posts {
			set.URLs = append(set.URLs, sitemapURL{Loc: home + p.Path(), LastMod: p.UpdatedAt.UTC().Format("2006-01-02")})
		}
		if err := s.sitemapEvents(r, &set, home, prov); err != nil {
			return err
		}
	} else {
		set.URLs = append(set.URLs, sitemapURL{Loc: base + "/"})
		for _, u := range s.provinces.all(r.Context()) {
			home := base + s.provinceHref(r, u.Code)
			set.URLs = append(set.URLs, sitemapURL{Loc: home + "/"}, sitemapURL{Loc: home + "/news"})
		}
	}
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	if err := xml.NewEncoder(&buf).Encode(set); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, err := buf.WriteTo(w)
	return err
}
