package portal_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/orgs"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/portal"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/units"
)

func TestSanitize(t *testing.T) {
	cases := []struct{ in, mustNot, must string }{
		{`<p>Hello<script>alert(1)</script></p>`, "script", "<p>Hello</p>"},
		{`<img src="/media/3" onerror="alert(1)" alt="x">`, "onerror", `src="/media/3"`},
		{`<img src="https://evil.example/x.png">`, "evil", ""},
		{`<img src="/media/3/../../admin">`, "admin", ""},
		{`<a href="javascript:alert(1)">x</a>`, "javascript", "x"},
		{`<a href="https://quangngai.gov.vn">QN</a>`, "javascript", `rel="nofollow noopener" target="_blank"`},
		{`<p style="color:red" class="x" onclick="y()">t</p>`, "style", "<p>t</p>"},
		{`<iframe src="https://x"></iframe><form><input></form><h2>ok</h2>`, "iframe", "<h2>ok</h2>"},
		{`<svg><script>alert(1)</script></svg>`, "alert", ""},
	}
	for _, c := range cases {
		got := portal.Sanitize(c.in)
		if strings.Contains(got, c.mustNot) || !strings.Contains(got, c.must) {
			t.Errorf("Sanitize(%q) = %q", c.in, got)
		}
	}
	if got := portal.PlainText("<p>Xin <b>chào</b></p><p>Quảng&nbsp;Ngãi</p>"); got != "Xin chào Quảng Ngãi" {
		t.Errorf("PlainText = %q", got)
	}
}

type fixture struct {
	svc                                  *portal.Service
	admin, mediaEditor, schoolAdm, unitA context.Context
	mediaOrg, otherMedia                 orgs.Org
}

func setup(t *testing.T, d *db.DB, now func() time.Time) fixture {
	sys := authz.WithActor(context.Background(), authz.System)
	us := units.NewService(d)
	if _, err := us.SeedQuangNgai(sys); err != nil {
		t.Fatal(err)
	}
	os := orgs.NewService(d)
	acc := accounts.NewService(d)
	mk := func(o orgs.Org) orgs.Org {
		o, err := os.Create(sys, o)
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	f := fixture{svc: portal.NewService(d)}
	f.svc.Now = now
	f.mediaOrg = mk(orgs.Org{Name: "Báo Quảng Ngãi", Kind: orgs.Media, UnitCode: "51"})
	f.otherMedia = mk(orgs.Org{Name: "Đài PT-TH Quảng Ngãi", Kind: orgs.Media, UnitCode: "51"})
	school := mk(orgs.Org{Name: "THPT Ba Tơ", Kind: orgs.School, UnitCode: "535"})
	actor := func(name string, n accounts.NewUser) context.Context {
		n.Username, n.Password = name, "Mat-khau-dai-12345"
		u, err := acc.CreateUser(sys, n)
		if err != nil {
			t.Fatal(err)
		}
		return authz.WithActor(context.Background(), &authz.Actor{UserID: u.ID, Username: name, Name: name, Grants: u.Grants})
	}
	f.admin = actor("admin.tinh", accounts.NewUser{Role: authz.ProvinceAdmin, UnitCode: "51"})
	f.mediaEditor = actor("bientap.baoqn", accounts.NewUser{Role: authz.OrgAdmin, OrgID: f.mediaOrg.ID})
	f.schoolAdm = actor("qt.thptbato", accounts.NewUser{Role: authz.OrgAdmin, OrgID: school.ID})
	f.unitA = actor("qt.bato", accounts.NewUser{Role: authz.UnitAdmin, UnitCode: "535"})
	return f
}

func TestPostsLifecycleAndScope(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		now := time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC)
		f := setup(t, d, func() time.Time { return now })
		anon := context.Background()
		p, err := f.svc.CreatePost(f.admin, portal.PostInput{Title: "  Lễ phát động  Phong trào ", BodyHTML: `<p>Nội dung<script>alert(1)</script></p><img src="/media/99" onerror="x()">`})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(p.BodyHTML, "script") || strings.Contains(p.BodyHTML, "onerror") || p.Title != "Lễ phát động Phong trào" {
			t.Errorf("stored %+v", p)
		}
		if p.Path() != "/news/"+itoa(p.ID)+"-le-phat-dong-phong-trao" || p.Summary != "Nội dung" || p.ImageID != 0 {
			t.Errorf("path %s summary %q image %d", p.Path(), p.Summary, p.ImageID)
		}
		// Scheduled and draft posts are invisible to the public.
		sched, _ := f.svc.CreatePost(f.admin, portal.PostInput{Title: "Sắp đăng", BodyHTML: "<p>x</p>", PublishAt: now.Add(time.Hour)})
		draft, _ := f.svc.CreatePost(f.mediaEditor, portal.PostInput{Title: "Bản nháp", BodyHTML: "<p>x</p>", Status: portal.Draft})
		if draft.OrgID != f.mediaOrg.ID {
			t.Errorf("delegated editor's post belongs to org %d", draft.OrgID)
		}
		list, _ := f.svc.ListPosts(anon, portal.Filter{})
		if len(list) != 1 || list[0].ID != p.ID {
			t.Fatalf("public list %v", list)
		}
		for _, id := range []int64{sched.ID, draft.ID} {
			if _, err := f.svc.FindPost(anon, id, ""); apperr.KindOf(err) != apperr.NotFound {
				t.Errorf("hidden post %d: %v", id, err)
			}
		}
		if _, err := f.svc.FindPost(f.mediaEditor, draft.ID, ""); err != nil {
			t.Errorf("editor reads own draft: %v", err)
		}
		if _, err := f.svc.FindPost(f.mediaEditor, sched.ID, ""); apperr.KindOf(err) != apperr.NotFound {
			t.Errorf("media editor reads the province's scheduled post: %v", err)
		}
		// The delegated editor changes only their organisation's posts.
		if _, err := f.svc.UpdatePost(f.mediaEditor, p.ID, portal.PostInput{Title: "x", BodyHTML: "<p>y</p>"}); apperr.KindOf(err) != apperr.Forbidden {
			t.Errorf("media editor edits province post: %v", err)
		}
		if _, err := f.svc.CreatePost(f.mediaEditor, portal.PostInput{Title: "x", BodyHTML: "<p>y</p>", OrgID: f.otherMedia.ID}); apperr.KindOf(err) != apperr.Forbidden {
			t.Errorf("media editor writes for another org: %v", err)
		}
		for _, ctx := range []context.Context{f.schoolAdm, f.unitA} {
			if _, err := f.svc.CreatePost(ctx, portal.PostInput{Title: "x", BodyHTML: "<p>y</p>"}); apperr.KindOf(err) != apperr.Forbidden {
				t.Errorf("non-editor creates: %v", err)
			}
		}
		if _, err := f.svc.CreatePost(anon, portal.PostInput{Title: "x", BodyHTML: "<p>y</p>"}); apperr.KindOf(err) != apperr.Unauthenticated {
			t.Errorf("anonymous creates: %v", err)
		}
		ed, err := f.svc.ListPosts(f.mediaEditor, portal.Filter{Editing: true})
		if err != nil || len(ed) != 1 || ed[0].ID != draft.ID {
			t.Errorf("editor's list %v %v", ed, err)
		}
		// Publishing the draft makes it visible.
		if _, err := f.svc.UpdatePost(f.mediaEditor, draft.ID, portal.PostInput{Title: "Đã đăng", BodyHTML: "<p>x</p>", Status: portal.Published}); err != nil {
			t.Fatal(err)
		}
		if got, err := f.svc.FindPost(anon, draft.ID, ""); err != nil || got.Title != "Đã đăng" {
			t.Errorf("published draft %v %v", got, err)
		}
		// Time passes: the scheduled post appears.
		now = now.Add(2 * time.Hour)
		if list, _ := f.svc.ListPosts(anon, portal.Filter{}); len(list) != 3 || list[0].ID != sched.ID {
			t.Errorf("after schedule: %d posts", len(list))
		}
		bad := []portal.PostInput{
			{Title: "", BodyHTML: "<p>x</p>"},
			{Title: strings.Repeat("á", portal.MaxTitleLen+1), BodyHTML: "<p>x</p>"},
			{Title: "x", BodyHTML: "<script>only</script>"},
			{Title: "x", BodyHTML: "<p>x</p>", Category: "gossip"},
			{Title: "x", BodyHTML: "<p>x</p>", Status: "archived"},
			{Title: "x", BodyHTML: strings.Repeat("<p>abc</p>", portal.MaxBodyLen)},
		}
		for i, in := range bad {
			if _, err := f.svc.CreatePost(f.admin, in); apperr.KindOf(err) != apperr.Invalid {
				t.Errorf("bad %d: %v", i, err)
			}
		}
		if err := f.svc.DeletePost(f.mediaEditor, p.ID); apperr.KindOf(err) != apperr.Forbidden {
			t.Errorf("delete: %v", err)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func encode(t *testing.T, format string, w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		for y := range h {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 120, 255})
		}
	}
	var b bytes.Buffer
	var err error
	switch format {
	case "png":
		err = png.Encode(&b, img)
	case "gif":
		err = gif.Encode(&b, img, nil)
	default:
		err = jpeg.Encode(&b, img, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestImages(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setup(t, d, time.Now)
		img, err := f.svc.UploadImage(f.mediaEditor, encode(t, "jpeg", 3200, 1000), "Lễ phát động", "")
		if err != nil {
			t.Fatal(err)
		}
		if img.Width != portal.MaxImageWidth || img.Height != 500 || img.ContentType != "image/jpeg" {
			t.Errorf("resized to %dx%d %s", img.Width, img.Height, img.ContentType)
		}
		got, err := f.svc.FindImage(context.Background(), img.ID)
		if err != nil || !bytes.Equal(got.Data, img.Data) {
			t.Fatalf("stored image differs: %v", err)
		}
		if _, _, err := image.Decode(bytes.NewReader(got.Data)); err != nil {
			t.Errorf("stored image does not decode: %v", err)
		}
		small, err := f.svc.UploadImage(f.admin, encode(t, "png", 40, 30), "", "")
		if err != nil || small.Width != 40 || small.ContentType != "image/png" {
			t.Errorf("png kept at size: %+v %v", small, err)
		}
		if g, err := f.svc.UploadImage(f.admin, encode(t, "gif", 20, 20), "", ""); err != nil || g.ContentType != "image/png" {
			t.Errorf("gif: %+v %v", g, err)
		}
		// A post's lead image is its first uploaded image.
		p, err := f.svc.CreatePost(f.admin, portal.PostInput{Title: "Ảnh", BodyHTML: `<p>x</p><img src="` + img.URL() + `" alt="a">`})
		if err != nil || p.ImageID != img.ID {
			t.Errorf("lead image %d %v", p.ImageID, err)
		}
		bad := map[string][]byte{
			"empty":     nil,
			"text":      []byte("<html><script>alert(1)</script></html>"),
			"svg":       []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`),
			"truncated": encode(t, "png", 50, 50)[:60],
			"large":     append([]byte("\xff\xd8\xff"), make([]byte, portal.MaxImageBytes)...),
		}
		for name, data := range bad {
			if _, err := f.svc.UploadImage(f.admin, data, "", ""); apperr.KindOf(err) != apperr.Invalid {
				t.Errorf("%s: %v", name, err)
			}
		}
		// A PNG header that claims 100000×100000 pixels is refused before decoding.
		bomb := encode(t, "png", 1, 1)
		copy(bomb[16:24], []byte{0, 1, 0x86, 0xa0, 0, 1, 0x86, 0xa0})
		if _, err := portal.ProcessImage(bomb); apperr.KindOf(err) != apperr.Invalid {
			t.Errorf("pixel bomb: %v", err)
		}
		if _, err := f.svc.UploadImage(f.schoolAdm, encode(t, "png", 4, 4), "", ""); apperr.KindOf(err) != apperr.Forbidden {
			t.Errorf("non-editor upload: %v", err)
		}
	})
}

func TestMediaTracking(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setup(t, d, func() time.Time { return time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC) })
		rec := func(ctx context.Context, m portal.MediaItem) error {
			_, err := f.svc.RecordMedia(ctx, m)
			return err
		}
		must := func(ctx context.Context, m portal.MediaItem) {
			t.Helper()
			if err := rec(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
		must(f.unitA, portal.MediaItem{UnitCode: "535", Channel: portal.Broadcast, Title: "Loa truyền thanh xã", PublishedOn: "2026-11-18"})
		must(f.unitA, portal.MediaItem{UnitCode: "535", Channel: portal.Banner, Title: "Băng rôn", PublishedOn: "2026-11-19"})
		must(f.unitA, portal.MediaItem{UnitCode: "535", Channel: portal.Banner, Title: "Pa-nô", PublishedOn: "2026-11-19"})
		must(f.mediaEditor, portal.MediaItem{OrgID: f.mediaOrg.ID, Channel: portal.Article, Title: "Bài báo", Link: "https://baoquangngai.vn/a", PublishedOn: "2026-11-17"})
		if err := rec(f.unitA, portal.MediaItem{UnitCode: "530", Channel: portal.Banner, Title: "x", PublishedOn: "2026-11-19"}); apperr.KindOf(err) != apperr.Forbidden {
			t.Errorf("other district: %v", err)
		}
		if err := rec(f.schoolAdm, portal.MediaItem{OrgID: f.mediaOrg.ID, Channel: portal.Article, Title: "x", PublishedOn: "2026-11-19"}); apperr.KindOf(err) != apperr.Forbidden {
			t.Errorf("other org: %v", err)
		}
		for i, m := range []portal.MediaItem{
			{UnitCode: "535", Channel: "tv", Title: "x", PublishedOn: "2026-11-19"},
			{UnitCode: "535", Channel: portal.Article, Title: "", PublishedOn: "2026-11-19"},
			{UnitCode: "535", Channel: portal.Article, Title: "x", PublishedOn: "2026-12-30"},
			{UnitCode: "535", Channel: portal.Article, Title: "x", PublishedOn: "19/11/2026"},
			{UnitCode: "535", Channel: portal.Article, Title: "x", PublishedOn: "2026-11-19", Link: "javascript:alert(1)"},
			{UnitCode: "535", OrgID: f.mediaOrg.ID, Channel: portal.Article, Title: "x", PublishedOn: "2026-11-19"},
		} {
			if err := rec(f.admin, m); apperr.KindOf(err) != apperr.Invalid {
				t.Errorf("bad %d: %v", i, err)
			}
		}
		counts, err := f.svc.MediaCounts(f.admin, portal.MediaFilter{})
		if err != nil || len(counts) != 2 {
			t.Fatalf("counts %v %v", counts, err)
		}
		if counts[0].UnitCode != "535" || counts[0].Total != 3 || counts[0].ByChannel[portal.Banner] != 2 || counts[1].OrgID != f.mediaOrg.ID {
			t.Errorf("counts %+v", counts)
		}
		if c, _ := f.svc.MediaCounts(f.admin, portal.MediaFilter{From: "2026-11-19"}); len(c) != 1 || c[0].Total != 2 {
			t.Errorf("dated counts %+v", c)
		}
		// Scope: the media editor sees their organisation only; the school's admin nothing.
		if c, _ := f.svc.MediaCounts(f.mediaEditor, portal.MediaFilter{}); len(c) != 1 || c[0].OrgID != f.mediaOrg.ID {
			t.Errorf("media editor counts %+v", c)
		}
		if c, _ := f.svc.ListMedia(f.schoolAdm, portal.MediaFilter{}); len(c) != 0 {
			t.Errorf("school sees %+v", c)
		}
		if _, err := f.svc.ListMedia(context.Background(), portal.MediaFilter{}); apperr.KindOf(err) != apperr.Unauthenticated {
			t.Errorf("anonymous: %v", err)
		}
	})
}

func TestFigureRegistry(t *testing.T) {
	d := dbtest.SQLite(t, schema.All())
	sys := authz.WithActor(context.Background(), authz.System)
	if _, err := units.NewService(d).SeedQuangNgai(sys); err != nil {
		t.Fatal(err)
	}
	r := portal.NewFigureRegistry()
	r.Register(portal.FoundationFigures{DB: d})
	calls := 0
	r.Register(portal.FigureFunc(func(_ context.Context, province string) (map[string]int64, error) {
		calls++
		if province != "51" {
			t.Errorf("asked for province %q", province)
		}
		return map[string]int64{"training.figure.passed": 7}, nil
	}))
	figs, err := r.Collect(sys, "51")
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]int64{}
	for _, f := range figs {
		m[f.Key] = f.Value
	}
	var districts int
	_ = d.Reader().QueryRowContext(sys, "SELECT COUNT(*) FROM units WHERE level = 'district' AND valid_to = ''").Scan(&districts)
	if m["portal.figure.units.district"] != int64(districts) || districts == 0 || m["training.figure.passed"] != 7 || figs[len(figs)-1].Key != "training.figure.passed" {
		t.Errorf("figures %v", figs)
	}
	if figs[0].Key != "portal.figure.users.team_member" || figs[5].Key != "portal.figure.orgs" {
		t.Errorf("order %v", figs)
	}
	r.Collect(sys, "51")
	if calls != 1 {
		t.Errorf("cache: %d calls", calls)
	}
	// No province, no figures: the country is not one province.
	if _, err := r.Collect(sys, ""); apperr.KindOf(err) != apperr.Invalid {
		t.Errorf("figures without a province: %v", err)
	}
}

// An org_id that names no organisation is a refusal on the org_id field (422), not a database
// error, for the province administrator and on update as well; nothing is stored.
func TestPostUnknownOrg(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		now := time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC)
		f := setup(t, d, func() time.Time { return now })
		count := func() int {
			var n int
			if err := d.Reader().QueryRowContext(context.Background(), "SELECT COUNT(*) FROM portal_posts").Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		for _, org := range []int64{999999, -1} {
			_, err := f.svc.CreatePost(f.admin, portal.PostInput{Title: "Tổ chức", BodyHTML: "<p>x</p>", OrgID: org})
			ae := apperr.As(err)
			if ae == nil || ae.Kind != apperr.Invalid || ae.Field != "org_id" || ae.Key != "orgs.error.not_found" {
				t.Errorf("create with org_id %d: %#v", org, err)
			}
		}
		if n := count(); n != 0 {
			t.Errorf("refused posts stored: %d", n)
		}
		// A delegated editor naming an organisation they do not edit is still forbidden.
		if _, err := f.svc.CreatePost(f.mediaEditor, portal.PostInput{Title: "x", BodyHTML: "<p>x</p>", OrgID: 999999}); apperr.KindOf(err) != apperr.Forbidden {
			t.Errorf("media editor, unknown org: %v", err)
		}
		// A real organisation is accepted.
		p, err := f.svc.CreatePost(f.admin, portal.PostInput{Title: "Báo", BodyHTML: "<p>x</p>", OrgID: f.mediaOrg.ID})
		if err != nil || p.OrgID != f.mediaOrg.ID {
			t.Fatalf("create with a real org: %+v %v", p, err)
		}
		for _, org := range []int64{999999, -1} {
			_, err := f.svc.UpdatePost(f.admin, p.ID, portal.PostInput{Title: "Sửa", BodyHTML: "<p>y</p>", OrgID: org})
			if ae := apperr.As(err); ae == nil || ae.Kind != apperr.Invalid || ae.Field != "org_id" {
				t.Errorf("update with org_id %d: %#v", org, err)
			}
		}
		if got, err := f.svc.FindPost(f.admin, p.ID, ""); err != nil || got.Title != "Báo" {
			t.Errorf("refused update changed the post: %+v %v", got, err)
		}
	})
}
