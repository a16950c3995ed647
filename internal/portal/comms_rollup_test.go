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

func countOf(cs []portal.MediaCount, name string) int64 {
	for _, c := range cs {
		if c.Name == name {
			return c.Total
		}
	}
	return 0
}

// A media organisation merged into another counts its items under the successor as it is now and
// under itself as it was, and records nothing new; a 2023 commune's items count in its 2025 commune
// (in the channel counts of the reports too), joined on the unit version they were recorded under.
func TestMediaRollsUpAcrossMergersAndTheSwitch(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		now := time.Date(2025, 8, 1, 3, 0, 0, 0, time.UTC)
		f := setup(t, d, func() time.Time { return now })
		sys := authz.WithActor(context.Background(), authz.System)
		if _, err := f.svc.RecordMedia(f.mediaEditor, portal.MediaItem{OrgID: f.mediaOrg.ID, Channel: portal.Article, Title: "Bài 2023", PublishedOn: "2023-07-20"}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.RecordMedia(f.admin, portal.MediaItem{UnitCode: "21037", Channel: portal.Banner, Title: "Băng rôn Nghĩa Dõng", PublishedOn: "2023-07-21"}); err != nil {
			t.Fatal(err)
		}
		if _, err := orgs.NewService(d).Merge(sys, f.mediaOrg.ID, f.otherMedia.ID, "2025-03-01"); err != nil {
			t.Fatal(err)
		}
		if _, err := units.NewService(d).SwitchMap(sys, bytes.NewReader(units.Vietnam2025CSV()), bytes.NewReader(units.QuangNgaiLineage2025CSV()), "2025-07-01"); err != nil {
			t.Fatal(err)
		}
		// The headline figures count organisations in force: the merged newspaper no longer.
		figs, err := portal.FoundationFigures{DB: d}.Figures(context.Background(), "51")
		if err != nil || figs["portal.figure.orgs"] != 2 || figs["portal.figure.units.commune"] != 96 || figs["portal.figure.units.district"] != 0 {
			t.Errorf("headline figures after the merger and the switch: %v %v", figs, err)
		}
		nowCounts, err := f.svc.MediaCounts(f.admin, portal.MediaFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if countOf(nowCounts, f.otherMedia.Name) != 1 || countOf(nowCounts, f.mediaOrg.Name) != 0 || countOf(nowCounts, "Xã An Phú") != 1 {
			t.Errorf("as it is now: %+v", nowCounts)
		}
		wasCounts, err := f.svc.MediaCounts(f.admin, portal.MediaFilter{View: "was"})
		if err != nil {
			t.Fatal(err)
		}
		if countOf(wasCounts, f.mediaOrg.Name) != 1 || countOf(wasCounts, f.otherMedia.Name) != 0 || countOf(wasCounts, "Xã Nghĩa Dõng") != 1 {
			t.Errorf("as it was: %+v", wasCounts)
		}
		if _, err := f.svc.MediaCounts(f.admin, portal.MediaFilter{View: "then"}); apperr.As(err) == nil || apperr.As(err).Key != "portal.error.media_view" {
			t.Errorf("a bad view: %v", err)
		}
		items, err := f.svc.ListMedia(f.admin, portal.MediaFilter{})
		if err != nil || len(items) != 2 {
			t.Fatalf("items %+v %v", items, err)
		}
		for _, it := range items {
			if it.UnitCode == "21037" && it.UnitName != "Xã Nghĩa Dõng" {
				t.Errorf("an item names another version of its unit: %+v", it)
			}
		}
		byChannel, err := f.svc.ChannelCounts(context.Background(), "/51/21034/", now)
		if err != nil || byChannel[portal.Banner] != 1 {
			t.Errorf("An Phú's channel counts: %v %v", byChannel, err)
		}
		_, err = f.svc.RecordMedia(f.admin, portal.MediaItem{OrgID: f.mediaOrg.ID, Channel: portal.Article, Title: "Bài mới", PublishedOn: "2025-07-30"})
		if e := apperr.As(err); e == nil || e.Key != "orgs.error.retired" {
			t.Errorf("an item of a merged organisation: %v", err)
		}
		_, err = f.svc.RecordMedia(f.admin, portal.MediaItem{UnitCode: "522", Channel: portal.Article, Title: "Huyện cũ", PublishedOn: "2025-07-30"})
		if e := apperr.As(err); e == nil || e.Key != "units.error.not_found" {
			t.Errorf("an item of a retired district: %v", err)
		}
	})
}

// A merged newspaper's posts are its successor's to manage: the successor's delegated editor edits
// them and lists them; the merged newspaper's editor edits nothing any more; nobody writes a new
// post for the merged newspaper.
func TestPostsFollowAMergedMediaOrganisation(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		now := time.Date(2025, 2, 20, 3, 0, 0, 0, time.UTC)
		f := setup(t, d, func() time.Time { return now })
		sys := authz.WithActor(context.Background(), authz.System)
		p, err := f.svc.CreatePost(f.mediaEditor, portal.PostInput{Title: "Báo Quảng Ngãi đưa tin chuyển đổi số", BodyHTML: "<p>Tin</p>"})
		if err != nil {
			t.Fatal(err)
		}
		if p.OrgID != f.mediaOrg.ID {
			t.Fatalf("the post's organisation: %+v", p)
		}
		if _, err := orgs.NewService(d).Merge(sys, f.mediaOrg.ID, f.otherMedia.ID, "2025-03-01"); err != nil {
			t.Fatal(err)
		}
		u, err := accounts.NewService(d).CreateUser(sys, accounts.NewUser{Username: "bientap.dai", Password: "Mat-khau-dai-12345", Role: authz.OrgAdmin, OrgID: f.otherMedia.ID})
		if err != nil {
			t.Fatal(err)
		}
		successorEditor := authz.WithActor(context.Background(), &authz.Actor{UserID: u.ID, Username: u.Username, Grants: u.Grants})
		if _, err := f.svc.UpdatePost(successorEditor, p.ID, portal.PostInput{Title: "Tin cũ, nay do Đài quản lý", BodyHTML: "<p>Tin</p>"}); err != nil {
			t.Errorf("the successor's editor cannot edit the merged newspaper's post: %v", err)
		}
		list, err := f.svc.ListPosts(successorEditor, portal.Filter{Editing: true})
		if err != nil || len(list) != 1 || list[0].ID != p.ID {
			t.Errorf("the successor's editor's posts: %+v %v", list, err)
		}
		if _, err := f.svc.UpdatePost(f.mediaEditor, p.ID, portal.PostInput{Title: "Sửa", BodyHTML: "<p>Tin</p>"}); err == nil {
			t.Error("the merged newspaper's editor still edits")
		}
		if f.svc.IsEditor(f.mediaEditor) {
			t.Error("the merged newspaper's editor is still an editor")
		}
		_, err = f.svc.CreatePost(f.admin, portal.PostInput{Title: "Bài mới", BodyHTML: "<p>x</p>", OrgID: f.mediaOrg.ID})
		if e := apperr.As(err); e == nil || e.Key != "orgs.error.retired" {
			t.Errorf("a new post for the merged newspaper: %v", err)
		}
	})
}
