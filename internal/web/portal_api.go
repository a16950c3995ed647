package web

import (
	"encoding/base64"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/portal"
)

var mediaSrcAttr = regexp.MustCompile(`src="/media/`)

// postJSON is a post in the API, with its public address.
type postJSON struct {
	portal.Post
	URL string `json:"url"`
}

// toPostJSON adds the post's public address: its page in its province's portal.
func (s *Server) toPostJSON(r *http.Request, p portal.Post) postJSON {
	return postJSON{Post: p, URL: s.portalBaseURL(r) + s.provinceHref(r, p.Province) + p.Path()}
}

// apiProvince is the province an API request is about: the one named by ?province=, else its
// portal's (a mapped host, a prefix, the deployment's only province); "" for every province. A
// code that names no province is bad input.
func (s *Server) apiProvince(r *http.Request) (string, error) {
	if code := strings.TrimSpace(r.URL.Query().Get("province")); code != "" {
		if _, ok := s.provinces.find(r.Context(), code); !ok {
			return "", apperr.InvalidField("province", "portal.error.province_unknown", code)
		}
		return code, nil
	}
	return s.portalOf(r), nil
}

// apiPostInput is the body of POST /api/v1/posts; publish_at is RFC 3339.
type apiPostInput struct {
	Title     string `json:"title"`
	Summary   string `json:"summary"`
	BodyHTML  string `json:"body_html"`
	Category  string `json:"category"`
	Status    string `json:"status"`
	PublishAt string `json:"publish_at"`
	OrgID     int64  `json:"org_id"`
	Province  string `json:"province_code"`
}

func (in apiPostInput) toInput() (portal.PostInput, error) {
	out := portal.PostInput{Title: in.Title, Summary: in.Summary, BodyHTML: in.BodyHTML, Category: portal.Category(in.Category),
		Status: portal.Status(in.Status), OrgID: in.OrgID, Province: in.Province}
	if strings.TrimSpace(in.PublishAt) != "" {
		t, err := time.Parse(time.RFC3339, in.PublishAt)
		if err != nil {
			return out, apperr.InvalidField("publish_at", "portal.error.publish_at")
		}
		out.PublishAt = t
	}
	return out, nil
}

func (s *Server) apiCreatePost(w http.ResponseWriter, r *http.Request) error {
	var body apiPostInput
	if err := decodeJSON(w, r, &body); err != nil {
		return err
	}
	in, err := body.toInput()
	if err != nil {
		return err
	}
	p, err := s.Portal.CreatePost(r.Context(), in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", p.Path())
	writeJSON(w, http.StatusCreated, s.toPostJSON(r, p))
	return nil
}

func (s *Server) apiUpdatePost(w http.ResponseWriter, r *http.Request) error {
	id, err := pathIDOr(r, "id", "portal.error.post_not_found")
	if err != nil {
		return err
	}
	var body apiPostInput
	if err := decodeJSON(w, r, &body); err != nil {
		return err
	}
	in, err := body.toInput()
	if err != nil {
		return err
	}
	p, err := s.Portal.UpdatePost(r.Context(), id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.toPostJSON(r, p))
	return nil
}

// apiListPosts lists published posts for everyone, of one province (?province=, or the portal's)
// or of every province; ?editing=1 lists the editor's own posts, drafts and scheduled ones
// included.
func (s *Server) apiListPosts(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	prov, err := s.apiProvince(r)
	if err != nil {
		return err
	}
	limit, err := queryInt(r, "limit", 20)
	if err != nil {
		return err
	}
	offset, err := queryInt(r, "offset", 0)
	if err != nil {
		return err
	}
	cat := portal.Category(q.Get("category"))
	if cat != "" && !cat.Valid() {
		return apperr.InvalidField("category", "portal.error.category")
	}
	list, err := s.Portal.ListPosts(r.Context(), portal.Filter{Province: prov, Category: cat, Query: q.Get("q"), Editing: q.Get("editing") == "1", Limit: limit, Offset: offset})
	if err != nil {
		return err
	}
	out := make([]postJSON, 0, len(list))
	for _, p := range list {
		out = append(out, s.toPostJSON(r, p))
	}
	writeJSON(w, http.StatusOK, items(out))
	return nil
}

func (s *Server) apiGetPost(w http.ResponseWriter, r *http.Request) error {
	id, err := pathIDOr(r, "id", "portal.error.post_not_found")
	if err != nil {
		return err
	}
	prov, err := s.apiProvince(r)
	if err != nil {
		return err
	}
	p, err := s.Portal.FindPost(r.Context(), id, prov)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.toPostJSON(r, p))
	return nil
}

func (s *Server) apiDeletePost(w http.ResponseWriter, r *http.Request) error {
	id, err := pathIDOr(r, "id", "portal.error.post_not_found")
	if err != nil {
		return err
	}
	if err := s.Portal.DeletePost(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// apiUploadImage takes one image (multipart field "image", optional "alt"), checks, resizes and
// stores it, and answers its address; the editor's script inserts it into the post.
func (s *Server) apiUploadImage(w http.ResponseWriter, r *http.Request) error {
	if !s.Portal.IsEditor(r.Context()) {
		return apperr.New(apperr.Forbidden, "portal.error.not_editor")
	}
	var data []byte
	var alt, province string
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		var err error
		if data, err = readUpload(w, r, "image", portal.MaxImageBytes); err != nil {
			return err
		}
		alt, province = r.FormValue("alt"), r.FormValue("province_code")
	} else {
		// API clients may send {"image_base64": "…", "alt": "…"} instead of a form.
		var body struct {
			ImageBase64 string `json:"image_base64"`
			Alt         string `json:"alt"`
			Province    string `json:"province_code"`
		}
		if err := decodeJSONLimit(w, r, &body, portal.MaxImageBytes*4/3+64<<10); err != nil {
			return err
		}
		var err error
		if data, err = base64.StdEncoding.DecodeString(body.ImageBase64); err != nil {
			return apperr.InvalidField("image_base64", "portal.error.image_broken")
		}
		alt, province = body.Alt, body.Province
	}
	img, err := s.Portal.UploadImage(r.Context(), data, alt, province)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": img.ID, "url": img.URL(), "width": img.Width, "height": img.Height, "content_type": img.ContentType,
		"province_code": img.Province})
	return nil
}

// apiPortalFigures returns a province's live headline figures (?province=, or the portal's).
func (s *Server) apiPortalFigures(w http.ResponseWriter, r *http.Request) error {
	prov, err := s.apiProvince(r)
	if err != nil {
		return err
	}
	if prov == "" {
		return apperr.InvalidField("province", "portal.error.province_required")
	}
	figs, err := s.Figures.Collect(r.Context(), prov)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, items(figs))
	return nil
}

func (s *Server) apiRecordMedia(w http.ResponseWriter, r *http.Request) error {
	var m portal.MediaItem
	if err := decodeJSON(w, r, &m); err != nil {
		return err
	}
	m.ID, m.UnitName, m.OrgName, m.CreatedAt = 0, "", "", time.Time{}
	out, err := s.Portal.RecordMedia(r.Context(), m)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}

// mediaFilter reads the filter of the communication listings. Their province is the one named by
// ?province=, else the request's (a portal's, or the viewer's own); a national administrator
// without either reads every province.
func (s *Server) mediaFilter(r *http.Request) (portal.MediaFilter, error) {
	q := r.URL.Query()
	f := portal.MediaFilter{From: q.Get("from"), To: q.Get("to"), Channel: portal.MediaChannel(q.Get("channel")), View: q.Get("view")}
	if f.Channel != "" && !f.Channel.Valid() {
		return f, apperr.InvalidField("channel", "portal.error.media_channel")
	}
	if code := strings.TrimSpace(q.Get("province")); code != "" {
		if _, ok := s.provinces.find(r.Context(), code); !ok {
			return f, apperr.InvalidField("province", "portal.error.province_unknown", code)
		}
		f.Province = code
	} else {
		f.Province = s.requestProvince(r)
	}
	return f, nil
}

func (s *Server) apiListMedia(w http.ResponseWriter, r *http.Request) error {
	f, err := s.mediaFilter(r)
	if err != nil {
		return err
	}
	list, err := s.Portal.ListMedia(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, items(list))
	return nil
}

func (s *Server) apiMediaCounts(w http.ResponseWriter, r *http.Request) error {
	f, err := s.mediaFilter(r)
	if err != nil {
		return err
	}
	list, err := s.Portal.MediaCounts(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, items(list))
	return nil
}
