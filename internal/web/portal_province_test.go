package web_test

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/app"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/portal"
	"github.com/lantoa/lantoa/internal/schema"
)

// hostGet asks srv for path as the host name host (a portal mapped to a province).
func hostGet(t *testing.T, srv *httptest.Server, host, path string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", srv.URL+path, nil)
	req.Host = host
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

type createdPost struct {
	ID       int64  `json:"id"`
	URL      string `json:"url"`
	Province string `json:"province_code"`
	Slug     string `json:"slug"`
}

// TestOnePortalPerProvince: with two provinces, each portal (by prefix and by mapped host) shows
// only its province's name, posts, figures, map and feed; / is the national page that lists both;
// Hà Nội's administrator writes, edits and publishes Hà Nội's posts, which appear in Hà Nội's
// portal only, and cannot change Quảng Ngãi's (404, audited); the national administrator reads every
// province's communication and changes no post.
func TestOnePortalPerProvince(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		board := portal.NewDistrictBoard(app.PortalDistricts(e.outreach, e.units))
		board.TTL = 0
		e.web.Portal.Districts = board
		qn, hn, nat := e.tokens["province_admin"], e.tokens["province_admin_hanoi"], e.tokens["national_admin"]

		// Each province's administrator writes its own province's post.
		var qnPost, hnPost createdPost
		if code := e.json("POST", "/api/v1/posts", qn, map[string]any{"title": "Quảng Ngãi ra quân chuyển đổi số", "body_html": "<p>Tin của tỉnh.</p>"}, &qnPost); code != 201 || qnPost.Province != "51" {
			t.Fatalf("Quảng Ngãi's post: %d %+v", code, qnPost)
		}
		if code := e.json("POST", "/api/v1/posts", hn, map[string]any{"title": "Hà Nội phát động Phong trào", "body_html": "<p>Tin của thành phố.</p>"}, &hnPost); code != 201 || hnPost.Province != "01" {
			t.Fatalf("Hà Nội's post: %d %+v", code, hnPost)
		}
		if hnPost.URL != fmt.Sprintf("%s/tinh/01/news/%d-%s", e.srv.URL, hnPost.ID, hnPost.Slug) {
			t.Errorf("Hà Nội's post's address %s", hnPost.URL)
		}
		// …and a draft through the editor, which it then publishes.
		hb := e.browser()
		hb.login("province.admin.hanoi", testPassword)
		resp, _ := hb.post("/editor/posts", url.Values{"title": {"Bản nháp Hà Nội"}, "body_html": {"<p>Nháp</p>"}, "action": {"draft"}})
		loc := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/tinh/01/news/") {
			t.Fatalf("Hà Nội's draft: %d %s", resp.StatusCode, loc)
		}
		var draftID int64
		fmt.Sscanf(strings.TrimPrefix(loc, "/tinh/01/news/"), "%d", &draftID)
		if resp, page := hb.get(loc); resp.StatusCode != 200 || !strings.Contains(page, "Bản nháp Hà Nội") || !strings.Contains(page, fmt.Sprintf(`href="/editor/posts/%d"`, draftID)) {
			t.Errorf("Hà Nội's draft page: %d", resp.StatusCode)
		}
		if _, page := hb.get("/editor/posts"); !strings.Contains(page, "Bản nháp Hà Nội") || !strings.Contains(page, "Hà Nội phát động") || strings.Contains(page, "Quảng Ngãi ra quân") {
			t.Errorf("Hà Nội's editing list:\n%s", stripTags(page))
		}
		if _, page := e.browser().get("/tinh/01/"); strings.Contains(page, "Bản nháp Hà Nội") {
			t.Errorf("the draft is public")
		}
		resp, _ = hb.post(fmt.Sprintf("/editor/posts/%d", draftID), url.Values{"title": {"Tin Hà Nội đã duyệt"}, "body_html": {"<p>Đã duyệt</p>"}, "action": {"publish"}})
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/tinh/01/news/") {
			t.Fatalf("publishing Hà Nội's draft: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}

		// Each portal under its prefix: its name, its posts, its figures, its map.
		anon := e.browser()
		_, qnHome := anon.get("/tinh/51/")
		_, hnHome := anon.get("/tinh/01/")
		for _, c := range []struct {
			name, page, heading string
			own, foreign        []string
			districts           int
		}{
			{"Quảng Ngãi", qnHome, "Chuyển đổi số tỉnh Quảng Ngãi", []string{"Quảng Ngãi ra quân"}, []string{"Hà Nội phát động", "Tin Hà Nội đã duyệt", "thành phố Hà Nội", "Thành phố Hà Nội"}, 13},
			{"Hà Nội", hnHome, "Chuyển đổi số thành phố Hà Nội", []string{"Hà Nội phát động", "Tin Hà Nội đã duyệt"}, []string{"Quảng Ngãi ra quân", "tỉnh Quảng Ngãi", "Tỉnh Quảng Ngãi", "Huyện Ba Tơ"}, 2},
		} {
			if !strings.Contains(c.page, `<h1 id="portal-heading">`+c.heading+`</h1>`) {
				t.Errorf("%s's portal heading: %s", c.name, regexp.MustCompile(`<h1[^>]*>[^<]*</h1>`).FindString(c.page))
			}
			for _, s := range c.own {
				if !strings.Contains(c.page, s) {
					t.Errorf("%s's portal lacks %q", c.name, s)
				}
			}
			for _, s := range c.foreign {
				if strings.Contains(c.page, s) {
					t.Errorf("%s's portal shows %q", c.name, s)
				}
			}
			if !strings.Contains(c.page, fmt.Sprintf("<strong>%d</strong> huyện, thị xã, thành phố", c.districts)) {
				t.Errorf("%s's portal lacks its own district count %d", c.name, c.districts)
			}
		}
		// Links inside a prefixed portal keep the prefix.
		for _, want := range []string{`href="/tinh/01/news"`, `href="/tinh/01/le-phat-dong"`, `href="/tinh/01/feed.xml"`, fmt.Sprintf(`href="/tinh/01/news/%d-`, hnPost.ID), `<a href="/tinh/01/">Lan Tỏa</a>`,
			`href="/tinh/01/dashboard/public"`} {
			if !strings.Contains(hnHome, want) {
				t.Errorf("Hà Nội's portal lacks the link %s", want)
			}
		}
		// The public dashboard of a prefixed portal is its province's.
		if resp, dash := anon.get("/tinh/01/dashboard/public"); resp.StatusCode != 200 || !strings.Contains(dash, "Thành phố Hà Nội") || strings.Contains(dash, "Huyện Ba Tơ") {
			t.Errorf("Hà Nội's public dashboard: %d", resp.StatusCode)
		}
		// Quảng Ngãi has its shapes; Hà Nội an honest list of its districts, no made-up shapes.
		if !strings.Contains(qnHome, `<svg id="portal-map"`) || strings.Contains(qnHome, `id="district-grid"`) {
			t.Errorf("Quảng Ngãi's map is not drawn")
		}
		if strings.Contains(hnHome, `<svg id="portal-map"`) || !strings.Contains(hnHome, `id="district-grid"`) ||
			!strings.Contains(hnHome, "Quận Ba Đình") || !strings.Contains(hnHome, "Quận Hoàn Kiếm") {
			t.Errorf("Hà Nội's districts are not listed")
		}
		// Pages of the prefixed portals.
		if _, news := anon.get("/tinh/01/news"); !strings.Contains(news, "Tin Hà Nội đã duyệt") || strings.Contains(news, "Quảng Ngãi ra quân") {
			t.Errorf("Hà Nội's news page")
		}
		if resp, _ := anon.get(fmt.Sprintf("/tinh/01/news/%d-%s", qnPost.ID, qnPost.Slug)); resp.StatusCode != 404 {
			t.Errorf("Quảng Ngãi's post in Hà Nội's portal: %d", resp.StatusCode)
		}
		if resp, page := anon.get(strings.TrimPrefix(hnPost.URL, e.srv.URL)); resp.StatusCode != 200 || metaContent(page, "og:url") != hnPost.URL {
			t.Errorf("Hà Nội's post page: %d og:url %q", resp.StatusCode, metaContent(page, "og:url"))
		}
		if _, page := anon.get("/tinh/01/le-phat-dong"); !strings.Contains(page, "Lễ phát động Phong trào chuyển đổi số thành phố Hà Nội chưa được công bố") {
			t.Errorf("Hà Nội's ceremony page:\n%s", stripTags(page))
		}
		// Feeds: each province's own.
		var feed atomDoc
		_, fb := anon.get("/tinh/01/feed.xml")
		if err := xml.Unmarshal([]byte(fb), &feed); err != nil {
			t.Fatal(err)
		}
		if feed.Title != "Tin tức Chuyển đổi số Hà Nội" || len(feed.Entries) != 2 || feed.ID != e.srv.URL+"/tinh/01/feed.xml" {
			t.Errorf("Hà Nội's feed %q %s, %d entries", feed.Title, feed.ID, len(feed.Entries))
		}
		for _, en := range feed.Entries {
			if !strings.Contains(en.Title, "Hà Nội") || !strings.HasPrefix(en.Links[0].Href, e.srv.URL+"/tinh/01/news/") {
				t.Errorf("Hà Nội's feed holds %+v", en)
			}
		}

		// Without a prefix, / is the national page.
		_, national := anon.get("/")
		for _, want := range []string{`id="national-heading"`, `href="/tinh/51/">Tỉnh Quảng Ngãi</a>`, `href="/tinh/01/">Thành phố Hà Nội</a>`} {
			if !strings.Contains(national, want) {
				t.Errorf("national page lacks %s", want)
			}
		}
		if strings.Contains(national, "tỉnh Quảng Ngãi") || strings.Contains(national, `id="portal-heading"`) || strings.Contains(national, "Quảng Ngãi ra quân") {
			t.Errorf("the national page is a province's")
		}
		for code, teamMembers := range map[string]int{"51": 1, "01": 0} {
			card := regexp.MustCompile(`(?s)<li class="province-card" data-province="` + code + `">.*?</li>\n</ul>`).FindString(national)
			if !strings.Contains(card, fmt.Sprintf("<strong>%d</strong> thành viên Tổ công nghệ số cộng đồng", teamMembers)) {
				t.Errorf("province %s's card: %s", code, stripTags(card))
			}
		}
		// Unprefixed portal pages find their province, or send to the national page.
		for _, c := range []struct {
			b          *browser
			path, want string
		}{
			{anon, "/news", "/"},
			{anon, "/le-phat-dong?x=1", "/"},
			{hb, "/news?category=news", "/tinh/01/news?category=news"},
			{anon, fmt.Sprintf("/news/%d", qnPost.ID), fmt.Sprintf("/tinh/51/news/%d-%s", qnPost.ID, qnPost.Slug)},
			{anon, "/tinh/51", "/tinh/51/"},
			{anon, "/tinh/51/workspace", "/workspace"},
		} {
			resp, _ := c.b.get(c.path)
			if resp.StatusCode < 300 || resp.StatusCode >= 400 || resp.Header.Get("Location") != c.want {
				t.Errorf("%s: %d %s, want %s", c.path, resp.StatusCode, resp.Header.Get("Location"), c.want)
			}
		}
		if resp, page := anon.get("/tinh/99/"); resp.StatusCode != 404 || !strings.Contains(page, "Không tìm thấy tỉnh, thành phố có mã 99.") {
			t.Errorf("/tinh/99/: %d %s", resp.StatusCode, stripTags(page))
		}
		if resp, _ := anon.get("/feed.xml"); resp.StatusCode != 404 {
			t.Errorf("a feed of no province: %d", resp.StatusCode)
		}

		// By mapped host name.
		hosted := build(t, app.BuildConfig{DB: d, PortalHosts: map[string]string{"chuyendoiso.hanoi.gov.vn": "01", "chuyendoiso.quangngai.gov.vn": "51"}})
		hs := httptest.NewServer(hosted.Web)
		defer hs.Close()
		_, page := hostGet(t, hs, "chuyendoiso.hanoi.gov.vn", "/")
		if !strings.Contains(page, "Chuyển đổi số thành phố Hà Nội") || strings.Contains(page, "Quảng Ngãi ra quân") || !strings.Contains(page, `href="/news"`) || strings.Contains(page, "/tinh/01") {
			t.Errorf("Hà Nội's host:\n%s", stripTags(page))
		}
		_, page = hostGet(t, hs, "ChuyenDoiSo.QuangNgai.gov.vn:443", "/")
		if !strings.Contains(page, "Chuyển đổi số tỉnh Quảng Ngãi") || strings.Contains(page, "Hà Nội phát động") {
			t.Errorf("Quảng Ngãi's host:\n%s", stripTags(page))
		}
		if resp, _ := hostGet(t, hs, "chuyendoiso.hanoi.gov.vn", fmt.Sprintf("/news/%d", qnPost.ID)); resp.StatusCode != 404 {
			t.Errorf("Quảng Ngãi's post on Hà Nội's host: %d", resp.StatusCode)
		}
		if _, page := hostGet(t, hs, "chuyendoiso.hanoi.gov.vn", fmt.Sprintf("/news/%d-%s", hnPost.ID, hnPost.Slug)); metaContent(page, "og:url") != fmt.Sprintf("http://chuyendoiso.hanoi.gov.vn/news/%d-%s", hnPost.ID, hnPost.Slug) {
			t.Errorf("og:url on Hà Nội's host: %q", metaContent(page, "og:url"))
		}
		_, fb = hostGet(t, hs, "chuyendoiso.quangngai.gov.vn", "/feed.xml")
		if !strings.Contains(fb, "Quảng Ngãi ra quân") || strings.Contains(fb, "Hà Nội phát động") {
			t.Errorf("Quảng Ngãi's feed on its host:\n%s", fb)
		}
		var figs struct {
			Items []portal.Figure `json:"items"`
		}
		_, fj := hostGet(t, hs, "chuyendoiso.hanoi.gov.vn", "/api/v1/figures")
		if err := json.Unmarshal([]byte(fj), &figs); err != nil || len(figs.Items) == 0 {
			t.Errorf("figures on Hà Nội's host: %s", fj)
		}
		for _, f := range figs.Items {
			if f.Key == "portal.figure.units.district" && f.Value != 2 {
				t.Errorf("Hà Nội's districts on its host: %d", f.Value)
			}
		}
		// Another host name is national.
		if _, page := hostGet(t, hs, "lantoa.gov.vn", "/"); !strings.Contains(page, `id="national-heading"`) {
			t.Errorf("an unmapped host is not national")
		}

		// Hà Nội cannot change Quảng Ngãi's post: it does not exist for it, and the probe is audited.
		qnPath := fmt.Sprintf("/api/v1/posts/%d", qnPost.ID)
		if code := e.json("PUT", qnPath, hn, map[string]any{"title": "Chiếm", "body_html": "<p>x</p>"}, nil); code != 404 {
			t.Errorf("Hà Nội edits Quảng Ngãi's post: %d", code)
		}
		if code := e.json("DELETE", qnPath, hn, nil, nil); code != 404 {
			t.Errorf("Hà Nội deletes Quảng Ngãi's post: %d", code)
		}
		if resp, _ := hb.get(fmt.Sprintf("/editor/posts/%d", qnPost.ID)); resp.StatusCode != 404 {
			t.Errorf("Hà Nội opens Quảng Ngãi's post in the editor: %d", resp.StatusCode)
		}
		if resp, _ := hb.post(fmt.Sprintf("/editor/posts/%d/delete", qnPost.ID), url.Values{}); resp.StatusCode != 404 {
			t.Errorf("Hà Nội deletes Quảng Ngãi's post in the editor: %d", resp.StatusCode)
		}
		if code := e.json("POST", "/api/v1/posts", hn, map[string]any{"title": "x", "body_html": "<p>x</p>", "province_code": "51"}, nil); code != 403 {
			t.Errorf("Hà Nội writes for Quảng Ngãi: %d", code)
		}
		if code := e.json("POST", "/api/v1/posts", hn, map[string]any{"title": "x", "body_html": "<p>x</p>", "province_code": "99"}, nil); code != 422 {
			t.Errorf("a province that does not exist: %d", code)
		}
		if code := e.json("PUT", qnPath, nat, map[string]any{"title": "Sửa", "body_html": "<p>x</p>"}, nil); code != 403 {
			t.Errorf("national edits Quảng Ngãi's post: %d", code)
		}
		var got createdPost
		if e.json("GET", qnPath, "", nil, &got); got.ID != qnPost.ID {
			t.Errorf("Quảng Ngãi's post after the attempts: %+v", got)
		}
		denials, _ := audit.List(e.sys, d.Reader(), audit.Filter{Action: "access.denied"})
		probed := false
		for _, en := range denials {
			probed = probed || en.ActorName == "province.admin.hanoi" && strings.Contains(en.Detail, qnPath)
		}
		if !probed {
			t.Errorf("Hà Nội's probe is not audited")
		}
		// Hà Nội deletes its own post; the same request again finds nothing.
		var gone createdPost
		e.json("POST", "/api/v1/posts", hn, map[string]any{"title": "Tin sẽ xóa", "body_html": "<p>x</p>"}, &gone)
		for i, want := range []int{204, 404} {
			if code := e.json("DELETE", fmt.Sprintf("/api/v1/posts/%d", gone.ID), hn, nil, nil); code != want {
				t.Errorf("Hà Nội's delete #%d: %d, want %d", i+1, code, want)
			}
		}
		// An administrator of both provinces chooses the province of a new post.
		both := e.fresh(accounts.NewUser{Role: authz.ProvinceAdmin, UnitCode: "51"})
		if _, err := e.accounts.AddGrant(e.sys, both.ID, authz.ProvinceAdmin, "01", 0); err != nil {
			t.Fatal(err)
		}
		bb := e.browser()
		bb.login(both.Username, testPassword)
		if _, form := bb.get("/editor/posts/new"); !strings.Contains(form, `<select id="post-province" name="province_code" required>`) {
			t.Errorf("no province choice for an administrator of two provinces")
		}
		if resp, page := bb.post("/editor/posts", url.Values{"title": {"Tin chung"}, "body_html": {"<p>x</p>"}}); resp.StatusCode != 422 || !strings.Contains(page, "Chưa chọn tỉnh, thành phố của bài viết.") {
			t.Errorf("a post of two provinces' administrator without a province: %d", resp.StatusCode)
		}
		if resp, _ := bb.post("/editor/posts", url.Values{"title": {"Tin chung"}, "body_html": {"<p>x</p>"}, "province_code": {"01"}}); resp.StatusCode != 303 || !strings.HasPrefix(resp.Header.Get("Location"), "/tinh/01/news/") {
			t.Errorf("a post for Hà Nội by two provinces' administrator: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		// The API lists each province's posts.
		var list struct {
			Items []createdPost `json:"items"`
		}
		e.json("GET", "/api/v1/posts?province=01", "", nil, &list)
		if len(list.Items) != 3 || list.Items[0].Province != "01" || list.Items[1].Province != "01" || list.Items[2].Province != "01" {
			t.Errorf("Hà Nội's posts by API: %+v", list.Items)
		}
		for _, bad := range []string{"/api/v1/posts?province=99", "/api/v1/figures?province=99", "/api/v1/figures"} {
			if code := e.json("GET", bad, "", nil, nil); code != 422 {
				t.Errorf("%s: %d", bad, code)
			}
		}

		// Communication: each province its own; the national administrator reads both, records none.
		if code := e.json("POST", "/api/v1/media-items", hn, map[string]any{"unit_code": "001", "channel": "social", "title": "Bài Ba Đình", "published_on": "2026-01-15"}, nil); code != 201 {
			t.Errorf("Hà Nội records its item: %d", code)
		}
		if code := e.json("POST", "/api/v1/media-items", qn, map[string]any{"unit_code": "535", "channel": "banner", "title": "Băng rôn Ba Tơ", "published_on": "2026-01-15"}, nil); code != 201 {
			t.Errorf("Quảng Ngãi records its item: %d", code)
		}
		nb := e.browser()
		nb.login("national.admin", testPassword)
		resp, page = nb.get("/communication")
		if resp.StatusCode != 200 || !strings.Contains(page, "Bài Ba Đình") || !strings.Contains(page, "Băng rôn Ba Tơ") || strings.Contains(page, `id="media-submit"`) {
			t.Errorf("national communication page: %d", resp.StatusCode)
		}
		if _, page := nb.get("/communication?province=01"); !strings.Contains(page, "Bài Ba Đình") || strings.Contains(page, "Băng rôn Ba Tơ") {
			t.Errorf("national communication page for Hà Nội")
		}
		if resp, _ := nb.get("/communication/export?format=xlsx"); resp.StatusCode != 200 {
			t.Errorf("national export: %d", resp.StatusCode)
		}
		if _, page := hb.get("/communication"); !strings.Contains(page, "Bài Ba Đình") || strings.Contains(page, "Băng rôn Ba Tơ") {
			t.Errorf("Hà Nội's communication page")
		}
		if resp, _ := nb.post("/communication", url.Values{"owner": {"u:001"}, "channel": {"banner"}, "title": {"x"}, "published_on": {"2026-01-15"}}); resp.StatusCode != 403 {
			t.Errorf("national records an item: %d", resp.StatusCode)
		}
	})
}
