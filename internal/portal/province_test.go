package portal_test

import (
	"bytes"
	"context"
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

type twoProvinces struct {
	fixture
	haNoi, haNoiMedia, haNoiDistrictAdm, national context.Context
	haNoiPaper                                    orgs.Org
}

func setupTwo(t *testing.T, d *db.DB, now func() time.Time) twoProvinces {
	f := twoProvinces{fixture: setup(t, d, now)}
	sys := authz.WithActor(context.Background(), authz.System)
	if _, err := units.NewService(d).Import(sys, bytes.NewReader(units.ProvinceCSV(units.Vietnam2023CSV(), "01", "001"))); err != nil {
		t.Fatal(err)
	}
	var err error
	if f.haNoiPaper, err = orgs.NewService(d).Create(sys, orgs.Org{Name: "Báo Hà Nội Mới", Kind: orgs.Media, UnitCode: "01"}); err != nil {
		t.Fatal(err)
	}
	acc := accounts.NewService(d)
	actor := func(name string, n accounts.NewUser) context.Context {
		n.Username, n.Password = name, "Mat-khau-dai-12345"
		u, err := acc.CreateUser(sys, n)
		if err != nil {
			t.Fatal(err)
		}
		return authz.WithActor(context.Background(), &authz.Actor{UserID: u.ID, Username: name, Name: name, Grants: u.Grants})
	}
	f.haNoi = actor("admin.hanoi", accounts.NewUser{Role: authz.ProvinceAdmin, UnitCode: "01"})
	f.haNoiMedia = actor("bientap.hnm", accounts.NewUser{Role: authz.OrgAdmin, OrgID: f.haNoiPaper.ID})
	f.haNoiDistrictAdm = actor("qt.badinh", accounts.NewUser{Role: authz.UnitAdmin, UnitCode: "001"})
	f.national = actor("quocgia", accounts.NewUser{Role: authz.NationalAdmin})
	return f
}

func hidden(err error) bool {
	ae := apperr.As(err)
	return ae != nil && ae.Kind == apperr.NotFound && ae.OutOfScope
}

// TestPostsBelongToProvinces: each post belongs to a province; each province's editors write and
// change their own province's posts only; another province's post does not exist for them; the
// national administrator reads every province and changes none; each portal lists its own.
func TestPostsBelongToProvinces(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		now := time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC)
		f := setupTwo(t, d, func() time.Time { return now })
		anon := context.Background()
		sys := authz.WithActor(context.Background(), authz.System)

		qn, err := f.svc.CreatePost(f.admin, portal.PostInput{Title: "Tin Quảng Ngãi", BodyHTML: "<p>x</p>"})
		if err != nil || qn.Province != "51" {
			t.Fatalf("Quảng Ngãi's post: %+v %v", qn, err)
		}
		hn, err := f.svc.CreatePost(f.haNoi, portal.PostInput{Title: "Tin Hà Nội", BodyHTML: "<p>y</p>"})
		if err != nil || hn.Province != "01" {
			t.Fatalf("Hà Nội's post: %+v %v", hn, err)
		}
		paper, err := f.svc.CreatePost(f.haNoiMedia, portal.PostInput{Title: "Tin Báo Hà Nội Mới", BodyHTML: "<p>z</p>", Status: portal.Draft})
		if err != nil || paper.Province != "01" || paper.OrgID != f.haNoiPaper.ID {
			t.Fatalf("Hà Nội's media post: %+v %v", paper, err)
		}
		qnDraft, _ := f.svc.CreatePost(f.admin, portal.PostInput{Title: "Nháp Quảng Ngãi", BodyHTML: "<p>x</p>", Status: portal.Draft})

		// Each portal lists its own province's posts.
		for prov, want := range map[string]string{"51": "Tin Quảng Ngãi", "01": "Tin Hà Nội"} {
			list, err := f.svc.ListPosts(anon, portal.Filter{Province: prov})
			if err != nil || len(list) != 1 || list[0].Title != want {
				t.Errorf("portal %s lists %+v %v", prov, list, err)
			}
		}
		if list, _ := f.svc.ListPosts(anon, portal.Filter{}); len(list) != 2 {
			t.Errorf("every province's visible posts: %d", len(list))
		}
		if _, err := f.svc.FindPost(anon, qn.ID, "01"); apperr.KindOf(err) != apperr.NotFound {
			t.Errorf("Quảng Ngãi's post in Hà Nội's portal: %v", err)
		}
		if p, err := f.svc.FindPost(anon, qn.ID, "51"); err != nil || p.ID != qn.ID {
			t.Errorf("Quảng Ngãi's post in its portal: %v", err)
		}

		// Hà Nội's administrator: Quảng Ngãi's posts do not exist for changes, nor its drafts.
		if _, err := f.svc.UpdatePost(f.haNoi, qn.ID, portal.PostInput{Title: "Chiếm", BodyHTML: "<p>x</p>"}); !hidden(err) {
			t.Errorf("Hà Nội edits Quảng Ngãi's post: %v", err)
		}
		if err := f.svc.DeletePost(f.haNoi, qn.ID); !hidden(err) {
			t.Errorf("Hà Nội deletes Quảng Ngãi's post: %v", err)
		}
		if _, err := f.svc.FindPostForEdit(f.haNoi, qn.ID); !hidden(err) {
			t.Errorf("Hà Nội opens Quảng Ngãi's post for editing: %v", err)
		}
		if _, err := f.svc.FindPost(f.haNoi, qnDraft.ID, ""); !hidden(err) {
			t.Errorf("Hà Nội reads Quảng Ngãi's draft: %v", err)
		}
		if _, err := f.svc.UpdatePost(f.haNoiMedia, qn.ID, portal.PostInput{Title: "Chiếm", BodyHTML: "<p>x</p>"}); !hidden(err) {
			t.Errorf("Hà Nội's media editor edits Quảng Ngãi's post: %v", err)
		}
		if got, _ := f.svc.FindPost(anon, qn.ID, ""); got.Title != "Tin Quảng Ngãi" {
			t.Errorf("the refused changes changed the post: %+v", got)
		}
		// …and writing for Quảng Ngãi is forbidden; a province that does not exist is bad input.
		if _, err := f.svc.CreatePost(f.haNoi, portal.PostInput{Title: "x", BodyHTML: "<p>x</p>", Province: "51"}); apperr.KindOf(err) != apperr.Forbidden {
			t.Errorf("Hà Nội writes for Quảng Ngãi: %v", err)
		}
		if _, err := f.svc.CreatePost(f.haNoi, portal.PostInput{Title: "x", BodyHTML: "<p>x</p>", OrgID: f.mediaOrg.ID}); apperr.KindOf(err) != apperr.Forbidden {
			t.Errorf("Hà Nội writes for Quảng Ngãi's paper: %v", err)
		}
		if _, err := f.svc.CreatePost(f.haNoi, portal.PostInput{Title: "x", BodyHTML: "<p>x</p>", Province: "99"}); apperr.KindOf(err) != apperr.Invalid {
			t.Errorf("a province that does not exist: %v", err)
		}
		if _, err := f.svc.CreatePost(f.haNoi, portal.PostInput{Title: "x", BodyHTML: "<p>x</p>", Province: "01", OrgID: f.mediaOrg.ID}); apperr.KindOf(err) != apperr.Invalid {
			t.Errorf("an organisation of another province than the one named: %v", err)
		}
		// A post keeps its province.
		if _, err := f.svc.UpdatePost(f.haNoi, hn.ID, portal.PostInput{Title: "x", BodyHTML: "<p>x</p>", Province: "51"}); apperr.KindOf(err) != apperr.Invalid {
			t.Errorf("moving a post to another province: %v", err)
		}
		// Hà Nội changes its own: its post, its paper's draft, which it publishes.
		if _, err := f.svc.UpdatePost(f.haNoi, paper.ID, portal.PostInput{Title: "Báo Hà Nội Mới đưa tin", BodyHTML: "<p>z</p>", Status: portal.Published}); err != nil {
			t.Errorf("Hà Nội publishes its paper's draft: %v", err)
		}
		if list, _ := f.svc.ListPosts(anon, portal.Filter{Province: "01"}); len(list) != 2 {
			t.Errorf("Hà Nội's portal after publishing: %d posts", len(list))
		}
		ed, err := f.svc.ListPosts(f.haNoi, portal.Filter{Editing: true})
		if err != nil || len(ed) != 2 {
			t.Errorf("Hà Nội's editing list: %+v %v", ed, err)
		}
		for _, p := range ed {
			if p.Province != "01" {
				t.Errorf("Hà Nội's editing list holds %+v", p)
			}
		}
		ed, _ = f.svc.ListPosts(f.admin, portal.Filter{Editing: true})
		for _, p := range ed {
			if p.Province != "51" {
				t.Errorf("Quảng Ngãi's editing list holds %+v", p)
			}
		}
		if err := f.svc.DeletePost(f.haNoi, hn.ID); err != nil {
			t.Errorf("Hà Nội deletes its post: %v", err)
		}

		// The national administrator edits nothing, reads every province's published posts.
		if _, err := f.svc.UpdatePost(f.national, qn.ID, portal.PostInput{Title: "x", BodyHTML: "<p>x</p>"}); apperr.KindOf(err) != apperr.Forbidden {
			t.Errorf("national edits a province's post: %v", err)
		}
		if _, err := f.svc.CreatePost(f.national, portal.PostInput{Title: "x", BodyHTML: "<p>x</p>", Province: "51"}); apperr.KindOf(err) != apperr.Forbidden {
			t.Errorf("national writes a post: %v", err)
		}
		if _, err := f.svc.ListPosts(f.national, portal.Filter{Editing: true}); apperr.KindOf(err) != apperr.Forbidden {
			t.Errorf("national's editing list: %v", err)
		}
		if f.svc.IsEditor(f.national) || f.svc.IsEditor(f.haNoiDistrictAdm) || !f.svc.IsEditor(f.haNoi) || !f.svc.IsEditor(f.haNoiMedia) {
			t.Errorf("editors")
		}
		// The command line names the province: it administers them all.
		if _, err := f.svc.CreatePost(sys, portal.PostInput{Title: "x", BodyHTML: "<p>x</p>"}); apperr.KindOf(err) != apperr.Invalid {
			t.Errorf("a post of no province: %v", err)
		}
		if p, err := f.svc.CreatePost(sys, portal.PostInput{Title: "x", BodyHTML: "<p>x</p>", Province: "01"}); err != nil || p.Province != "01" {
			t.Errorf("the command line writes for Hà Nội: %+v %v", p, err)
		}
	})
}

// TestImagesBelongToProvinces: an image belongs to the province it was uploaded for; a post shows
// its own province's images only, so that no province publishes (or takes over) another's.
func TestImagesBelongToProvinces(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setupTwo(t, d, time.Now)
		qnImg, err := f.svc.UploadImage(f.admin, encode(t, "png", 8, 8), "Quảng Ngãi", "")
		if err != nil || qnImg.Province != "51" {
			t.Fatalf("Quảng Ngãi's image: %+v %v", qnImg, err)
		}
		hnImg, err := f.svc.UploadImage(f.haNoiMedia, encode(t, "png", 8, 8), "Hà Nội", "")
		if err != nil || hnImg.Province != "01" {
			t.Fatalf("Hà Nội's image: %+v %v", hnImg, err)
		}
		if _, err := f.svc.UploadImage(f.haNoi, encode(t, "png", 8, 8), "", "51"); apperr.KindOf(err) != apperr.Forbidden {
			t.Errorf("Hà Nội uploads for Quảng Ngãi: %v", err)
		}
		if _, err := f.svc.UploadImage(f.national, encode(t, "png", 8, 8), "", "01"); apperr.KindOf(err) != apperr.Forbidden {
			t.Errorf("national uploads: %v", err)
		}
		body := func(img portal.Image) string { return `<p>x</p><img src="` + img.URL() + `" alt="a">` }
		if _, err := f.svc.CreatePost(f.haNoi, portal.PostInput{Title: "Ảnh lạ", BodyHTML: body(qnImg)}); apperr.KindOf(err) != apperr.Invalid {
			t.Errorf("Hà Nội shows Quảng Ngãi's image: %v", err)
		}
		p, err := f.svc.CreatePost(f.haNoi, portal.PostInput{Title: "Ảnh nhà", BodyHTML: body(hnImg)})
		if err != nil || p.ImageID != hnImg.ID {
			t.Fatalf("Hà Nội shows its image: %+v %v", p, err)
		}
		if _, err := f.svc.UpdatePost(f.haNoi, p.ID, portal.PostInput{Title: "Ảnh nhà", BodyHTML: body(hnImg) + body(qnImg)}); apperr.KindOf(err) != apperr.Invalid {
			t.Errorf("Hà Nội adds Quảng Ngãi's image on update: %v", err)
		}
		// Quảng Ngãi's image is served unchanged.
		got, err := f.svc.FindImage(context.Background(), qnImg.ID)
		if err != nil || !bytes.Equal(got.Data, qnImg.Data) || got.Province != "51" {
			t.Errorf("Quảng Ngãi's image after Hà Nội's attempts: %v", err)
		}
	})
}

// TestMediaAndFiguresByProvince: communication items belong to the province of their unit; each
// province reads its own, the national administrator all of them and records none; the
// foundation's figures count one province.
func TestMediaAndFiguresByProvince(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setupTwo(t, d, func() time.Time { return time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC) })
		qn, err := f.svc.RecordMedia(f.unitA, portal.MediaItem{UnitCode: "535", Channel: portal.Banner, Title: "Băng rôn Ba Tơ", PublishedOn: "2026-11-19"})
		if err != nil || qn.Province != "51" {
			t.Fatalf("Ba Tơ's item %+v %v", qn, err)
		}
		hn, err := f.svc.RecordMedia(f.haNoiDistrictAdm, portal.MediaItem{UnitCode: "001", Channel: portal.Social, Title: "Bài Ba Đình", PublishedOn: "2026-11-19"})
		if err != nil || hn.Province != "01" {
			t.Fatalf("Ba Đình's item %+v %v", hn, err)
		}
		if _, err := f.svc.RecordMedia(f.haNoi, portal.MediaItem{UnitCode: "535", Channel: portal.Banner, Title: "x", PublishedOn: "2026-11-19"}); apperr.KindOf(err) != apperr.Forbidden {
			t.Errorf("Hà Nội records for Ba Tơ: %v", err)
		}
		if _, err := f.svc.RecordMedia(f.national, portal.MediaItem{UnitCode: "001", Channel: portal.Banner, Title: "x", PublishedOn: "2026-11-19"}); apperr.KindOf(err) != apperr.Forbidden {
			t.Errorf("national records: %v", err)
		}
		titles := func(ctx context.Context, mf portal.MediaFilter) []string {
			list, err := f.svc.ListMedia(ctx, mf)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, m := range list {
				out = append(out, m.Title)
			}
			return out
		}
		if got := titles(f.haNoi, portal.MediaFilter{}); len(got) != 1 || got[0] != "Bài Ba Đình" {
			t.Errorf("Hà Nội reads %v", got)
		}
		if got := titles(f.admin, portal.MediaFilter{}); len(got) != 1 || got[0] != "Băng rôn Ba Tơ" {
			t.Errorf("Quảng Ngãi reads %v", got)
		}
		if got := titles(f.national, portal.MediaFilter{}); len(got) != 2 {
			t.Errorf("national reads %v", got)
		}
		if got := titles(f.national, portal.MediaFilter{Province: "01"}); len(got) != 1 || got[0] != "Bài Ba Đình" {
			t.Errorf("national reads Hà Nội's %v", got)
		}
		if got := titles(f.admin, portal.MediaFilter{Province: "01"}); len(got) != 0 {
			t.Errorf("Quảng Ngãi asking for Hà Nội's reads %v", got)
		}
		if c, err := f.svc.MediaCounts(f.national, portal.MediaFilter{}); err != nil || len(c) != 2 {
			t.Errorf("national counts %+v %v", c, err)
		}

		ctx := context.Background()
		figs := map[string]map[string]int64{}
		for _, prov := range []string{"51", "01"} {
			m, err := portal.FoundationFigures{DB: d}.Figures(ctx, prov)
			if err != nil {
				t.Fatal(err)
			}
			figs[prov] = m
		}
		var qnDistricts, hnCommunes int64
		_ = d.Reader().QueryRowContext(ctx, "SELECT COUNT(*) FROM units WHERE level = 'district' AND valid_to = '' AND path LIKE '/51/%'").Scan(&qnDistricts)
		_ = d.Reader().QueryRowContext(ctx, "SELECT COUNT(*) FROM units WHERE level = 'commune' AND path LIKE '/01/%'").Scan(&hnCommunes)
		if figs["51"]["portal.figure.units.district"] != qnDistricts || figs["01"]["portal.figure.units.district"] != 1 || figs["01"]["portal.figure.units.commune"] != hnCommunes || hnCommunes == 0 {
			t.Errorf("units by province %v", figs)
		}
		// Quảng Ngãi's two papers and a school; Hà Nội's paper.
		if figs["51"]["portal.figure.orgs"] != 3 || figs["01"]["portal.figure.orgs"] != 1 {
			t.Errorf("organisations by province %v", figs)
		}
	})
}
