// Package portal is the province's public "Chuyển đổi số" page: news and announcements written by
// editors (sanitised rich text, images resized and kept in the database, drafts, scheduled
// publishing, categories), the live headline figures other modules register, and the record of what
// departments, districts and media organisations published about the movement (communication
// tracking).
//
// Every post, image and communication item belongs to a province, the tenant that owns it: each
// province has its own portal. A province's editors are its province administrators and the
// administrators of the media organisations located in it (an org_admin grant on an organisation
// of kind "media"): a media organisation's administrator is its delegated editor, writes posts in
// the organisation's name and changes only those; a province administrator changes every post of
// the province. Another province's post does not exist for them (apperr.Hidden); a national
// administrator reads every province and changes none.
package portal

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"html"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/microcosm-cc/bluemonday"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/textfold"
)

//go:embed migrations
var migrations embed.FS

// Migrations is the portal's schema; it follows the units', organisations' and accounts' schemas.
var Migrations = db.MigrationSet{Module: "portal", FS: migrations}

// Category is the section a post belongs to.
type Category string

// The portal's sections. Plan documents are posts of the "document" category.
const (
	News         Category = "news"         // tin tức
	Announcement Category = "announcement" // thông báo
	Document     Category = "document"     // văn bản, kế hoạch
	Guide        Category = "guide"        // hướng dẫn
)

// Categories lists every category in menu order.
var Categories = []Category{News, Announcement, Document, Guide}

// Valid tells whether c is a known category.
func (c Category) Valid() bool {
	for _, x := range Categories {
		if x == c {
			return true
		}
	}
	return false
}

// Status is a post's editorial state. A published post whose PublishAt lies in the future is
// scheduled: invisible to the public and absent from the feed until then.
type Status string

// The states of a post.
const (
	Draft     Status = "draft"
	Published Status = "published"
)

// Limits on a post.
const (
	MaxTitleLen   = 200
	MaxSummaryLen = 400
	MaxBodyLen    = 200_000 // bytes of HTML after sanitising
)

// Post is one news item, announcement or document page.
type Post struct {
	ID         int64     `json:"id"`
	Title      string    `json:"title"`
	Slug       string    `json:"slug"`
	Summary    string    `json:"summary"`
	BodyHTML   string    `json:"body_html"`
	Category   Category  `json:"category"`
	Status     Status    `json:"status"`
	PublishAt  time.Time `json:"publish_at,omitzero"`
	ImageID    int64     `json:"image_id,omitempty"`
	OrgID      int64     `json:"org_id,omitempty"`
	AuthorID   int64     `json:"-"`
	AuthorName string    `json:"author,omitempty"`
	// Province is the GSO code of the province whose portal shows the post.
	Province  string    `json:"province_code"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Visible tells whether the public sees p at now.
func (p Post) Visible(now time.Time) bool {
	return p.Status == Published && !p.PublishAt.After(now)
}

// Scheduled tells whether p is published for a time still to come.
func (p Post) Scheduled(now time.Time) bool { return p.Status == Published && p.PublishAt.After(now) }

// Path is the post's public address, with a readable slug after the id.
func (p Post) Path() string {
	if p.Slug == "" {
		return "/news/" + strconv.FormatInt(p.ID, 10)
	}
	return "/news/" + strconv.FormatInt(p.ID, 10) + "-" + p.Slug
}

// PostInput is what an editor submits.
type PostInput struct {
	Title    string   `json:"title"`
	Summary  string   `json:"summary"`
	BodyHTML string   `json:"body_html"`
	Category Category `json:"category"`
	// Status is "draft" or "published" (the default).
	Status Status `json:"status"`
	// PublishAt is when a published post becomes visible; zero means now.
	PublishAt time.Time `json:"publish_at"`
	// OrgID is the media organisation a delegated editor writes for; 0 for the province.
	OrgID int64 `json:"org_id"`
	// Province is the province whose portal the post belongs to. Empty: the editor's own (the one
	// province they administer, or their media organisation's); an organisation's post always
	// belongs to the organisation's province.
	Province string `json:"province_code"`
}

// Validate checks and normalises the fields that need no database. The body is sanitised first,
// so the limits apply to what is stored.
func (in *PostInput) Validate() error {
	in.Title = strings.Join(strings.Fields(in.Title), " ")
	in.Summary = strings.Join(strings.Fields(in.Summary), " ")
	if in.Category == "" {
		in.Category = News
	}
	if in.Status == "" {
		in.Status = Published
	}
	if in.Title == "" {
		return apperr.InvalidField("title", "portal.error.title_required")
	}
	if utf8.RuneCountInString(in.Title) > MaxTitleLen || !utf8.ValidString(in.Title) {
		return apperr.InvalidField("title", "portal.error.title_long", MaxTitleLen)
	}
	if utf8.RuneCountInString(in.Summary) > MaxSummaryLen {
		return apperr.InvalidField("summary", "portal.error.summary_long", MaxSummaryLen)
	}
	if !in.Category.Valid() {
		return apperr.InvalidField("category", "portal.error.category")
	}
	if in.Status != Draft && in.Status != Published {
		return apperr.InvalidField("status", "portal.error.status")
	}
	if len(in.BodyHTML) > 4*MaxBodyLen {
		return apperr.InvalidField("body_html", "portal.error.body_long")
	}
	in.BodyHTML = Sanitize(in.BodyHTML)
	if strings.TrimSpace(PlainText(in.BodyHTML)) == "" && !strings.Contains(in.BodyHTML, "<img") {
		return apperr.InvalidField("body_html", "portal.error.body_required")
	}
	if len(in.BodyHTML) > MaxBodyLen {
		return apperr.InvalidField("body_html", "portal.error.body_long")
	}
	if in.Summary == "" {
		in.Summary = excerpt(PlainText(in.BodyHTML), 200)
	}
	return nil
}

// mediaSrc is the only image source a post may use: an image uploaded to this portal. Outside
// images would leak readers' addresses to other sites and break when those sites change.
var mediaSrc = regexp.MustCompile(`^/media/[0-9]+$`)

var policy = func() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowStandardURLs()
	p.AllowURLSchemes("http", "https", "mailto")
	p.RequireParseableURLs(true)
	p.AllowElements("p", "br", "h2", "h3", "h4", "strong", "b", "em", "i", "u", "s", "ul", "ol", "li", "blockquote", "hr",
		"figure", "figcaption", "table", "thead", "tbody", "tr", "th", "td", "caption", "sub", "sup", "pre", "code")
	p.AllowAttrs("href", "title").OnElements("a")
	p.RequireNoFollowOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true)
	p.AllowAttrs("src").Matching(mediaSrc).OnElements("img")
	p.AllowAttrs("alt", "title").OnElements("img")
	p.AllowAttrs("width", "height").Matching(bluemonday.Integer).OnElements("img")
	p.AllowAttrs("colspan", "rowspan").Matching(bluemonday.Integer).OnElements("td", "th")
	p.AllowAttrs("scope").Matching(regexp.MustCompile(`^(row|col)$`)).OnElements("th")
	return p
}()

var stripAll = bluemonday.StrictPolicy()

// Sanitize keeps the HTML an editor may use (paragraphs, headings, lists, emphasis, links, tables,
// images uploaded here) and drops everything else: scripts, event handlers (onerror=…), styles,
// frames, forms, javascript: URLs. It runs when a post is stored, so what is stored is safe to show.
func Sanitize(s string) string {
	out := policy.Sanitize(s)
	// An <img> whose src was dropped is useless; remove it.
	return strings.TrimSpace(emptyImg.ReplaceAllString(out, ""))
}

var emptyImg = regexp.MustCompile(`<img(\s+(alt|title|width|height)="[^"]*")*\s*/?>`)

// PlainText returns the text of sanitised HTML, without tags.
func PlainText(s string) string {
	return strings.Join(strings.Fields(html.UnescapeString(stripAll.Sanitize(strings.ReplaceAll(s, "<", " <")))), " ")
}

func excerpt(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)[:n]
	if i := strings.LastIndexByte(string(r), ' '); i > n/2 {
		return string(r)[:i] + "…"
	}
	return string(r) + "…"
}

// Service is the portal's domain service.
type Service struct {
	DB  *db.DB
	Now func() time.Time
	// Ceremonies gives the public ceremony page its ceremony; nil when no module registered one.
	Ceremonies *CeremonyBoard
	// Districts gives the home page's map its figures by district; nil when none is registered.
	Districts *DistrictBoard
}

// ServiceOption configures a Service at construction.
type ServiceOption func(*Service)

// WithBoards gives the public ceremony page and the home page's map their sources (either may be
// nil: that page then shows no ceremony, or no map).
func WithBoards(ceremonies *CeremonyBoard, districts *DistrictBoard) ServiceOption {
	return func(s *Service) { s.Ceremonies, s.Districts = ceremonies, districts }
}

// NewService returns a Service on d.
func NewService(d *db.DB, opts ...ServiceOption) *Service {
	s := &Service{DB: d, Now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s
}

// editorOrg is a media organisation an actor edits for, with the province it lies in. Merged marks
// an organisation merged into one of the actor's (a newspaper absorbed by another): its posts are
// the successor's to manage, but nobody writes new ones for it.
type editorOrg struct {
	ID       int64
	Province string
	Merged   bool
}

// editorOrgs returns the media organisations the actor edits for, through org_admin grants on
// media organisations in force, followed by the organisations merged into them. The administrator
// of a merged organisation edits nothing any more: its successor's do.
func editorOrgs(ctx context.Context, q db.Querier, actor *authz.Actor) ([]editorOrg, error) {
	var out []editorOrg
	var paths []string
	for _, g := range actor.Grants {
		if g.Role != authz.OrgAdmin || g.OrgID == 0 {
			continue
		}
		var kind, unitPath, path, validTo string
		if err := q.QueryRowContext(ctx, "SELECT kind, unit_path, path, valid_to FROM orgs WHERE id = ?", g.OrgID).Scan(&kind, &unitPath, &path, &validTo); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				continue
			}
			return nil, apperr.Wrap(err, "editor orgs")
		}
		if kind == "media" && validTo == "" {
			out = append(out, editorOrg{ID: g.OrgID, Province: authz.ProvinceOfPath(unitPath)})
			paths = append(paths, path)
		}
	}
	for i, path := range paths {
		rows, err := q.QueryContext(ctx, "SELECT o.id FROM org_rollup r JOIN orgs o ON o.path = r.path WHERE r.current_path = ? ORDER BY o.id", path)
		if err != nil {
			return nil, apperr.Wrap(err, "merged editor orgs")
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, apperr.Wrap(err, "merged editor orgs")
			}
			out = append(out, editorOrg{ID: id, Province: out[i].Province, Merged: true})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, apperr.Wrap(err, "merged editor orgs")
		}
	}
	return out, nil
}

func orgIDs(orgs []editorOrg) []int64 {
	out := make([]int64, 0, len(orgs))
	for _, o := range orgs {
		out = append(out, o.ID)
	}
	return out
}

// administersAProvince tells whether the actor is a province administrator somewhere (the command
// line administers every province).
func administersAProvince(a *authz.Actor) bool {
	return len(a.AdminProvinces()) > 0 || a.AdministersUnit("/")
}

// IsEditor tells whether the actor in ctx may write posts for some province: a province
// administrator, or a media organisation's administrator. A national administrator is not one.
func (s *Service) IsEditor(ctx context.Context) bool {
	actor := authz.ActorFrom(ctx)
	if actor == nil {
		return false
	}
	if administersAProvince(actor) {
		return true
	}
	orgs, err := editorOrgs(ctx, s.DB.Reader(), actor)
	return err == nil && len(orgs) > 0
}

// notEditor is the refusal of someone who edits no post at all.
func notEditor(actor *authz.Actor) error {
	if actor == nil {
		return apperr.New(apperr.Unauthenticated, "error.login_required")
	}
	return apperr.New(apperr.Forbidden, "portal.error.not_editor")
}

// mayEdit tells whether the actor may change p: the administrators of its province, and the
// delegated editors of its media organisation. A post of a province the actor has no part in does
// not exist for them (Hidden); a national administrator, who reads every province, is forbidden.
func mayEdit(ctx context.Context, q db.Querier, p Post) error {
	actor := authz.ActorFrom(ctx)
	if actor == nil {
		return apperr.New(apperr.Unauthenticated, "error.login_required")
	}
	if actor.MayChange(authz.ProvinceObject(p.Province)) {
		return nil
	}
	if p.OrgID != 0 {
		orgs, err := editorOrgs(ctx, q, actor)
		if err != nil {
			return err
		}
		if slices.Contains(orgIDs(orgs), p.OrgID) {
			return nil
		}
	}
	if !actor.InProvince(p.Province) {
		return apperr.Hidden("portal.error.post_not_found")
	}
	return apperr.New(apperr.Forbidden, "portal.error.not_editor")
}

// orgProvince returns the province an organisation lies in; an org_id that names no organisation
// (a negative one, or one that does not exist) is refused as input, rather than reaching the
// database as a foreign-key error.
func orgProvince(ctx context.Context, q db.Querier, orgID int64) (string, error) {
	var unitPath string
	err := q.QueryRowContext(ctx, "SELECT unit_path FROM orgs WHERE id = ?", orgID).Scan(&unitPath)
	if errors.Is(err, sql.ErrNoRows) || orgID <= 0 {
		return "", apperr.InvalidField("org_id", "orgs.error.not_found", orgID)
	}
	if err != nil {
		return "", apperr.Wrap(err, "find org")
	}
	return authz.ProvinceOfPath(unitPath), nil
}

// knownProvince refuses a province code that names no province in force of the unit tree: a
// province merged away by the reform of 2025 (Kon Tum into Quảng Ngãi) publishes nothing new.
func knownProvince(ctx context.Context, q db.Querier, code string) error {
	var n int
	if err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM units WHERE code = ? AND level = 'province' AND valid_to = ''", code).Scan(&n); err != nil {
		return apperr.Wrap(err, "find province")
	}
	if n == 0 {
		return apperr.InvalidField("province_code", "portal.error.province_unknown", code)
	}
	return nil
}

// editorProvince decides which province an editor writes for when they name none: the one province
// they administer, else their (first) media organisation's. ok is false when that cannot be told
// (the command line, or an administrator of several provinces): they must name it.
func editorProvince(actor *authz.Actor, orgs []editorOrg) (province string, orgID int64, ok bool) {
	if admin := actor.AdminProvinces(); len(admin) > 0 || actor.AdministersUnit("/") {
		if len(admin) == 1 {
			return admin[0], 0, true
		}
		return "", 0, false
	}
	if len(orgs) > 0 {
		return orgs[0].Province, orgs[0].ID, true
	}
	return "", 0, false
}

// placePost decides the province and organisation of a new post and checks that the actor may
// write it there: a province's post by its administrators, an organisation's by its delegated
// editors (and its province's administrators). Writing for another province is forbidden.
func placePost(ctx context.Context, q db.Querier, actor *authz.Actor, in *PostInput) error {
	orgs, err := editorOrgs(ctx, q, actor)
	if err != nil {
		return err
	}
	if !administersAProvince(actor) && len(orgs) == 0 {
		return notEditor(actor)
	}
	if in.Province != "" {
		if err := knownProvince(ctx, q, in.Province); err != nil {
			return err
		}
	}
	if in.OrgID == 0 && in.Province == "" {
		var ok bool
		if in.Province, in.OrgID, ok = editorProvince(actor, orgs); !ok {
			return apperr.InvalidField("province_code", "portal.error.province_required")
		}
	}
	if in.OrgID != 0 {
		if !administersAProvince(actor) && !slices.Contains(orgIDs(orgs), in.OrgID) {
			// A delegated editor writes for their own organisations only, whatever the one named.
			return notEditor(actor)
		}
		var name, validTo string
		if err := q.QueryRowContext(ctx, "SELECT name, valid_to FROM orgs WHERE id = ?", in.OrgID).Scan(&name, &validTo); err == nil && validTo != "" {
			// A merged organisation writes nothing new: its successor does.
			return apperr.InvalidField("org_id", "orgs.error.retired", name)
		}
		prov, err := orgProvince(ctx, q, in.OrgID)
		if err != nil {
			return err
		}
		if in.Province != "" && in.Province != prov {
			return apperr.InvalidField("org_id", "portal.error.org_province")
		}
		in.Province = prov
	}
	return mayEdit(ctx, q, Post{Province: in.Province, OrgID: in.OrgID})
}

// CreatePost stores a new post. A delegated editor's post belongs to their media organisation (the
// only one, or the one named in OrgID) and its province; a province administrator's to their
// province.
func (s *Service) CreatePost(ctx context.Context, in PostInput) (Post, error) {
	actor := authz.ActorFrom(ctx)
	if actor == nil {
		return Post{}, apperr.New(apperr.Unauthenticated, "error.login_required")
	}
	if err := placePost(ctx, s.DB.Reader(), actor, &in); err != nil {
		if apperr.As(err).OutOfScope {
			// Writing for a province one has no part in is a refusal, not a missing object.
			return Post{}, apperr.New(apperr.Forbidden, "portal.error.not_editor")
		}
		return Post{}, err
	}
	if err := in.Validate(); err != nil {
		return Post{}, err
	}
	now := s.Now()
	if in.PublishAt.IsZero() {
		in.PublishAt = now
	}
	var id int64
	err := s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		img, err := bodyImages(ctx, tx, in.BodyHTML, in.Province)
		if err != nil {
			return err
		}
		id, err = tx.InsertID(ctx, `INSERT INTO portal_posts (title, slug, summary, body_html, category, status, publish_at, image_id, org_id,
			author_id, author_name, search_key, province_code, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			in.Title, slug(in.Title), in.Summary, in.BodyHTML, string(in.Category), string(in.Status), db.Millis(in.PublishAt), db.NullInt(img),
			db.NullInt(in.OrgID), db.NullInt(actor.UserID), actor.Name, textfold.Fold(in.Title), in.Province, db.Millis(now), db.Millis(now))
		if err != nil {
			return apperr.Wrap(err, "insert post")
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "portal.post.create", ObjectType: "post", ObjectID: strconv.FormatInt(id, 10),
			UnitPath: authz.ProvincePath(in.Province), Detail: string(in.Status) + " " + in.Title})
	})
	if err != nil {
		return Post{}, err
	}
	return s.findPost(ctx, s.DB.Reader(), id)
}

// UpdatePost replaces a post's fields. A post keeps its province and its organisation.
func (s *Service) UpdatePost(ctx context.Context, id int64, in PostInput) (Post, error) {
	if authz.ActorFrom(ctx) == nil {
		return Post{}, apperr.New(apperr.Unauthenticated, "error.login_required")
	}
	old, err := s.findPost(ctx, s.DB.Reader(), id)
	if err != nil {
		return Post{}, err
	}
	// The rights first: another province's post does not exist, whatever was sent.
	if err := mayEdit(ctx, s.DB.Reader(), old); err != nil {
		return Post{}, err
	}
	if err := in.Validate(); err != nil {
		return Post{}, err
	}
	if in.Province != "" && in.Province != old.Province {
		return Post{}, apperr.InvalidField("province_code", "portal.error.province_fixed")
	}
	if in.OrgID != 0 {
		// An org_id sent along must still name one that exists.
		if _, err := orgProvince(ctx, s.DB.Reader(), in.OrgID); err != nil {
			return Post{}, err
		}
	}
	now := s.Now()
	err = s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		old, err := s.findPost(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := mayEdit(ctx, tx, old); err != nil {
			return err
		}
		if in.PublishAt.IsZero() {
			in.PublishAt = old.PublishAt
			if old.Status == Draft && in.Status == Published || in.PublishAt.IsZero() {
				in.PublishAt = now
			}
		}
		img, err := bodyImages(ctx, tx, in.BodyHTML, old.Province)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE portal_posts SET title = ?, slug = ?, summary = ?, body_html = ?, category = ?, status = ?,
			publish_at = ?, image_id = ?, search_key = ?, updated_at = ? WHERE id = ?`,
			in.Title, slug(in.Title), in.Summary, in.BodyHTML, string(in.Category), string(in.Status), db.Millis(in.PublishAt), db.NullInt(img),
			textfold.Fold(in.Title), db.Millis(now), id); err != nil {
			return apperr.Wrap(err, "update post")
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "portal.post.update", ObjectType: "post", ObjectID: strconv.FormatInt(id, 10),
			UnitPath: authz.ProvincePath(old.Province), Detail: string(in.Status) + " " + in.Title})
	})
	if err != nil {
		return Post{}, err
	}
	return s.findPost(ctx, s.DB.Reader(), id)
}

// DeletePost removes a post.
func (s *Service) DeletePost(ctx context.Context, id int64) error {
	if authz.ActorFrom(ctx) == nil {
		return apperr.New(apperr.Unauthenticated, "error.login_required")
	}
	return s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		old, err := s.findPost(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := mayEdit(ctx, tx, old); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM portal_posts WHERE id = ?", id); err != nil {
			return apperr.Wrap(err, "delete post")
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "portal.post.delete", ObjectType: "post", ObjectID: strconv.FormatInt(id, 10),
			UnitPath: authz.ProvincePath(old.Province), Detail: old.Title})
	})
}

func slug(title string) string {
	s := textfold.Slug(title)
	if len(s) > 80 {
		s = strings.TrimRight(s[:80], "-")
	}
	return s
}

var mediaIDs = regexp.MustCompile(`<img[^>]*\ssrc="/media/([0-9]+)"`)

// bodyImages checks the images a sanitised body shows: every one uploaded here must belong to the
// post's province (a province does not publish another's pictures), and returns the first that
// exists, the picture shared links show (0 when none does).
func bodyImages(ctx context.Context, q db.Querier, body, province string) (int64, error) {
	var lead int64
	for _, m := range mediaIDs.FindAllStringSubmatch(body, 200) {
		id, err := strconv.ParseInt(m[1], 10, 64)
		if err != nil {
			continue
		}
		var prov string
		err = q.QueryRowContext(ctx, "SELECT province_code FROM portal_images WHERE id = ?", id).Scan(&prov)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return 0, apperr.Wrap(err, "find image")
		}
		if prov != province {
			return 0, apperr.InvalidField("body_html", "portal.error.image_province")
		}
		if lead == 0 {
			lead = id
		}
	}
	return lead, nil
}

const postColumns = `id, title, slug, summary, body_html, category, status, publish_at, COALESCE(image_id, 0), COALESCE(org_id, 0),
	COALESCE(author_id, 0), author_name, province_code, created_at, updated_at`

func scanPost(row interface{ Scan(...any) error }) (Post, error) {
	var p Post
	var pub, created, updated int64
	err := row.Scan(&p.ID, &p.Title, &p.Slug, &p.Summary, &p.BodyHTML, &p.Category, &p.Status, &pub, &p.ImageID, &p.OrgID,
		&p.AuthorID, &p.AuthorName, &p.Province, &created, &updated)
	p.PublishAt, p.CreatedAt, p.UpdatedAt = db.FromMillis(pub), db.FromMillis(created), db.FromMillis(updated)
	return p, err
}

func (s *Service) findPost(ctx context.Context, q db.Querier, id int64) (Post, error) {
	p, err := scanPost(q.QueryRowContext(ctx, "SELECT "+postColumns+" FROM portal_posts WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return Post{}, apperr.New(apperr.NotFound, "portal.error.post_not_found")
	}
	return p, apperr.Wrap(err, "find post")
}

// FindPost returns a post the viewer may see in the portal of province ("" for any province): a
// visible post for everyone; a draft or scheduled post only for those who may edit it. Another
// province's post is not in this portal; a draft that the viewer may not edit does not exist for
// them either (and one of a province they have no part in is a probe, audited).
func (s *Service) FindPost(ctx context.Context, id int64, province string) (Post, error) {
	p, err := s.findPost(ctx, s.DB.Reader(), id)
	if err != nil {
		return Post{}, err
	}
	if province != "" && p.Province != province {
		return Post{}, apperr.New(apperr.NotFound, "portal.error.post_not_found")
	}
	if p.Visible(s.Now()) {
		return p, nil
	}
	if err := mayEdit(ctx, s.DB.Reader(), p); err != nil {
		if apperr.As(err).OutOfScope {
			return Post{}, err
		}
		return Post{}, apperr.New(apperr.NotFound, "portal.error.post_not_found")
	}
	return p, nil
}

// FindPostForEdit returns a post the actor may change, for the editor's form.
func (s *Service) FindPostForEdit(ctx context.Context, id int64) (Post, error) {
	p, err := s.findPost(ctx, s.DB.Reader(), id)
	if err != nil {
		return Post{}, err
	}
	if err := mayEdit(ctx, s.DB.Reader(), p); err != nil {
		return Post{}, err
	}
	return p, nil
}

// Filter narrows a listing of posts.
type Filter struct {
	// Province keeps one province's posts (its portal); "" lists every province's.
	Province string
	Category Category
	Query    string
	// Editing lists the posts the actor may edit, drafts and scheduled ones included; otherwise
	// only visible posts are listed.
	Editing bool
	Limit   int
	Offset  int
}

// ListPosts returns posts, newest first.
func (s *Service) ListPosts(ctx context.Context, f Filter) ([]Post, error) {
	var conds []string
	var args []any
	if f.Editing {
		actor := authz.ActorFrom(ctx)
		if actor == nil {
			return nil, apperr.New(apperr.Unauthenticated, "error.login_required")
		}
		orgs, err := editorOrgs(ctx, s.DB.Reader(), actor)
		if err != nil {
			return nil, err
		}
		if !administersAProvince(actor) && len(orgs) == 0 {
			return nil, notEditor(actor)
		}
		// What the actor may change (mayEdit): the posts of the provinces they administer, and
		// their media organisations' posts.
		var ors []string
		if administersAProvince(actor) {
			c := actor.ScopeOf(authz.ProvinceAdmin).Units("('/' || province_code || '/')")
			ors, args = append(ors, c.SQL), append(args, c.Args...)
		}
		if len(orgs) > 0 {
			ors = append(ors, "org_id IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(orgs)), ", ")+")")
			for _, id := range orgIDs(orgs) {
				args = append(args, id)
			}
		}
		conds = append(conds, "("+strings.Join(ors, " OR ")+")")
	} else {
		conds = append(conds, "status = ? AND publish_at <= ?")
		args = append(args, string(Published), db.Millis(s.Now()))
	}
	if f.Province != "" {
		conds = append(conds, "province_code = ?")
		args = append(args, f.Province)
	}
	if f.Category != "" {
		conds = append(conds, "category = ?")
		args = append(args, string(f.Category))
	}
	if strings.TrimSpace(f.Query) != "" {
		conds = append(conds, `search_key LIKE ? ESCAPE '\'`)
		args = append(args, textfold.LikePattern(f.Query))
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 20
	}
	q := "SELECT " + postColumns + " FROM portal_posts WHERE " + strings.Join(conds, " AND ")
	order := " ORDER BY publish_at DESC, id DESC"
	if f.Editing {
		order = " ORDER BY updated_at DESC, id DESC"
	}
	q += order + " LIMIT ? OFFSET ?"
	args = append(args, f.Limit, max(f.Offset, 0))
	rows, err := s.DB.Reader().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, apperr.Wrap(err, "list posts")
	}
	defer rows.Close()
	var out []Post
	for rows.Next() {
		p, err := scanPost(rows)
		if err != nil {
			return nil, apperr.Wrap(err, "scan post")
		}
		out = append(out, p)
	}
	return out, rows.Err()
}
