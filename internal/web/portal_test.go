package web_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/lantoa/lantoa/internal/notify"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/portal"
	"github.com/lantoa/lantoa/internal/schema"
)

// portalFigures is the registry of the tests: the foundation's figures, without a cache so that
// every request counts afresh.
func portalFigures(d *db.DB) *portal.FigureRegistry {
	r := portal.NewFigureRegistry()
	r.TTL = 0
	r.Register(portal.FoundationFigures{DB: d})
	return r
}

func tinyPNG() string {
	var b bytes.Buffer
	_ = png.Encode(&b, image.NewRGBA(image.Rect(0, 0, 8, 6)))
	return base64.StdEncoding.EncodeToString(b.Bytes())
}

// provinceEditors are the roles that write posts for their own province: each province's
// administrator (Hà Nội's writes Hà Nội's posts), nobody else of the matrix (the Tỉnh đoàn is no
// media organisation; the national administrator changes no province's post).
var provinceEditors = expect(deny, map[string]outcome{"anonymous": anon, "province_admin": ok, "province_admin_hanoi": ok})

func portalMatrixCases() []matrixCase {
	// Every post the cases change is Quảng Ngãi's: Hà Nội's administrator gets 404 (it does not
	// exist for Hà Nội), the national administrator 403.
	post := func(e *env) portal.Post { return e.portalPost() }
	return []matrixCase{
		{"GET /api/v1/posts", func(e *env, _ string) (string, string) { return "/api/v1/posts?province=51", "" }, public},
		{"GET /api/v1/posts/{id}", func(e *env, _ string) (string, string) { return fmt.Sprintf("/api/v1/posts/%d", post(e).ID), "" }, public},
		{"POST /api/v1/posts", func(e *env, role string) (string, string) {
			return "/api/v1/posts", fmt.Sprintf(`{"title":"Tin của %s","body_html":"<p>x</p>"}`, role)
		}, provinceEditors},
		{"PUT /api/v1/posts/{id}", func(e *env, _ string) (string, string) {
			return fmt.Sprintf("/api/v1/posts/%d", post(e).ID), `{"title":"Sửa","body_html":"<p>y</p>"}`
		}, provinceOnly},
		{"DELETE /api/v1/posts/{id}", func(e *env, _ string) (string, string) { return fmt.Sprintf("/api/v1/posts/%d", post(e).ID), "" }, provinceOnly},
		{"POST /api/v1/images", func(e *env, _ string) (string, string) {
			return "/api/v1/images", fmt.Sprintf(`{"image_base64":%q,"alt":"ảnh"}`, tinyPNG())
		}, provinceEditors},
		{"GET /api/v1/figures", func(e *env, _ string) (string, string) { return "/api/v1/figures?province=51", "" }, public},
		{"GET /api/v1/media-items", func(e *env, _ string) (string, string) { return "/api/v1/media-items", "" }, adminsOnly},
		{"POST /api/v1/media-items", func(e *env, role string) (string, string) {
			return "/api/v1/media-items", fmt.Sprintf(`{"unit_code":"535","channel":"banner","title":"Băng rôn %s","published_on":"2026-01-15"}`, role)
		}, baToAdmins},
		{"GET /api/v1/media-items/counts", func(e *env, _ string) (string, string) { return "/api/v1/media-items/counts?from=2026-01-01", "" }, adminsOnly},
	}
}

type atomDoc struct {
	XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string   `xml:"id"`
	Title   string   `xml:"title"`
	Updated string   `xml:"updated"`
	Entries []struct {
		ID      string `xml:"id"`
		Title   string `xml:"title"`
		Updated string `xml:"updated"`
		Links   []struct {
			Href string `xml:"href,attr"`
			Rel  string `xml:"rel,attr"`
		} `xml:"link"`
		Content struct {
			Type string `xml:"type,attr"`
			Body string `xml:",chardata"`
		} `xml:"content"`
	} `xml:"entry"`
}

// TestPostsAPIContract is the contract: a province administrator's token creates a post
// with POST /api/v1/posts and gets its id and public url; script and event handlers are dropped;
// the feed is valid Atom with the latest published posts and without scheduled ones; / answers 200
// without login and shows the live figures. It runs on a single-province deployment, whose
// portal stays at / without any configuration.
func TestPostsAPIContract(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newQuangNgaiEnv(t, d)
		admin := e.tokens["province_admin"]
		var created struct {
			ID    int64  `json:"id"`
			URL   string `json:"url"`
			Title string `json:"title"`
			Body  string `json:"body_html"`
		}
		body := map[string]any{"title": "Phát động Phong trào chuyển đổi số",
			"body_html":  `<p>Sáng nay<script>alert("x")</script> tỉnh phát động.</p><img src="/media/1" onerror="alert(1)"><p onclick="steal()">Hết.</p>`,
			"publish_at": time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)}
		if code := e.json("POST", "/api/v1/posts", admin, body, &created); code != http.StatusCreated {
			t.Fatalf("create: %d", code)
		}
		if created.ID == 0 || !strings.HasPrefix(created.URL, e.srv.URL+"/news/") {
			t.Fatalf("created %+v", created)
		}
		for _, bad := range []string{"<script", "alert", "onerror", "onclick"} {
			if strings.Contains(created.Body, bad) {
				t.Errorf("stored body keeps %s: %s", bad, created.Body)
			}
		}
		resp, page := e.do("GET", strings.TrimPrefix(created.URL, e.srv.URL), "", "", "")
		if resp.StatusCode != 200 || !strings.Contains(string(page), "tỉnh phát động") {
			t.Fatalf("public page %d", resp.StatusCode)
		}
		post := string(page)[strings.Index(string(page), `id="post-body"`):]
		post = post[:strings.Index(post, "</div>")]
		for _, bad := range []string{"<script", "alert", "onerror", "onclick"} {
			if strings.Contains(post, bad) {
				t.Errorf("rendered body keeps %s: %s", bad, post)
			}
		}
		if !strings.Contains(string(page), `<meta property="og:title" content="Phát động Phong trào chuyển đổi số">`) {
			t.Errorf("og:title missing")
		}
		// Scheduled for tomorrow: not visible, not in the feed, not in the sitemap.
		var sched struct {
			ID  int64  `json:"id"`
			URL string `json:"url"`
		}
		future := map[string]any{"title": "Tin hẹn giờ ngày mai", "body_html": "<p>Chưa đến giờ.</p>", "publish_at": time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339)}
		if code := e.json("POST", "/api/v1/posts", admin, future, &sched); code != http.StatusCreated {
			t.Fatalf("create scheduled: %d", code)
		}
		if resp, _ := e.do("GET", fmt.Sprintf("/news/%d", sched.ID), "", "", ""); resp.StatusCode != 404 {
			t.Errorf("scheduled post visible: %d", resp.StatusCode)
		}
		resp, feed := e.do("GET", "/feed.xml", "", "", "")
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/atom+xml") {
			t.Fatalf("feed %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		var doc atomDoc
		if err := xml.Unmarshal(feed, &doc); err != nil {
			t.Fatalf("feed is not valid XML: %v\n%s", err, feed)
		}
		if doc.ID == "" || doc.Title == "" || len(doc.Entries) != 1 || doc.Entries[0].Title != "Phát động Phong trào chuyển đổi số" {
			t.Fatalf("feed %+v", doc)
		}
		if _, err := time.Parse(time.RFC3339, doc.Updated); err != nil {
			t.Errorf("feed updated %q", doc.Updated)
		}
		en := doc.Entries[0]
		if en.Content.Type != "html" || strings.Contains(en.Content.Body, "script") || !strings.Contains(en.Content.Body, `src="`+e.srv.URL+`/media/`) {
			t.Errorf("entry content %+v", en.Content)
		}
		if strings.Contains(string(feed), "hẹn giờ") {
			t.Errorf("scheduled post in the feed")
		}
		_, sm := e.do("GET", "/sitemap.xml", "", "", "")
		var urls struct {
			URLs []struct {
				Loc string `xml:"loc"`
			} `xml:"url"`
		}
		if err := xml.Unmarshal(sm, &urls); err != nil || !strings.Contains(string(sm), created.URL) || strings.Contains(string(sm), fmt.Sprintf("/news/%d-", sched.ID)) {
			t.Errorf("sitemap %v %s", err, sm)
		}
		// Home page: 200 without login, with the live figures and the post.
		resp, home := e.do("GET", "/", "", "", "")
		if resp.StatusCode != 200 {
			t.Fatalf("home %d", resp.StatusCode)
		}
		var districts int
		_ = d.Reader().QueryRowContext(e.sys, "SELECT COUNT(*) FROM units WHERE level = 'district' AND valid_to = ''").Scan(&districts)
		if !strings.Contains(string(home), fmt.Sprintf("<strong>%d</strong> huyện, thị xã, thành phố", districts)) ||
			!strings.Contains(string(home), "<strong>1</strong> thành viên Tổ công nghệ số cộng đồng") {
			t.Errorf("home lacks the figures")
		}
		if !strings.Contains(string(home), "Phát động Phong trào chuyển đổi số") || strings.Contains(string(home), "hẹn giờ") {
			t.Errorf("home lacks the latest post or shows the scheduled one")
		}
		// Bad input.
		for _, b := range []string{`{"title":"","body_html":"<p>x</p>"}`, `{"title":"x","body_html":"<p>x</p>","publish_at":"mai"}`,
			`{"title":"x","body_html":"<p>x</p>","unknown":1}`, `{"title":"x","body_html":"<script>x</script>"}`, `not json`} {
			if resp, _ := e.do("POST", "/api/v1/posts", admin, "application/json", b); resp.StatusCode != 422 {
				t.Errorf("%s: %d", b, resp.StatusCode)
			}
		}
	})
}

// TestPostPageOpenGraphAndImages checks what Zalo and Facebook read from a shared link.
func TestPostPageOpenGraphAndImages(t *testing.T) {
	d := dbtest.SQLite(t, schema.All())
	e := newQuangNgaiEnv(t, d)
	admin := e.tokens["province_admin"]
	var img struct {
		ID  int64  `json:"id"`
		URL string `json:"url"`
	}
	if code := e.json("POST", "/api/v1/images", admin, map[string]string{"image_base64": tinyPNG(), "alt": "Lễ"}, &img); code != 201 || img.URL == "" {
		t.Fatalf("upload %d", code)
	}
	resp, data := e.do("GET", img.URL, "", "", "")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" || !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") {
		t.Fatalf("image %d %v", resp.StatusCode, resp.Header)
	}
	if _, err := png.Decode(bytes.NewReader(data)); err != nil {
		t.Errorf("served image: %v", err)
	}
	if resp, _ := e.do("POST", "/api/v1/images", admin, "application/json", `{"image_base64":"PHN2Zz48L3N2Zz4="}`); resp.StatusCode != 422 {
		t.Errorf("svg accepted: %d", resp.StatusCode)
	}
	var p struct {
		ID  int64  `json:"id"`
		URL string `json:"url"`
	}
	e.json("POST", "/api/v1/posts", admin, map[string]any{"title": `Ảnh "đẹp" & <lạ>`, "summary": "Tóm tắt cho Zalo",
		"body_html": `<p>x</p><img src="` + img.URL + `" alt="Lễ">`}, &p)
	// The slug-less address redirects to the canonical one.
	req, _ := http.NewRequest("GET", fmt.Sprintf("%s/news/%d", e.srv.URL, p.ID), nil)
	r, err := http.DefaultTransport.RoundTrip(req)
	if err != nil || r.StatusCode != http.StatusMovedPermanently || e.srv.URL+r.Header.Get("Location") != p.URL {
		t.Fatalf("redirect %v %v", r, err)
	}
	_, page := e.do("GET", strings.TrimPrefix(p.URL, e.srv.URL), "", "", "")
	og := map[string]string{}
	for _, m := range regexp.MustCompile(`<meta property="(og:[a-z]+)" content="([^"]*)">`).FindAllStringSubmatch(string(page), -1) {
		og[m[1]] = m[2]
	}
	if og["og:title"] != "Ảnh &#34;đẹp&#34; &amp; &lt;lạ&gt;" || og["og:image"] != e.srv.URL+img.URL || og["og:description"] != "Tóm tắt cho Zalo" || og["og:url"] != p.URL || og["og:type"] != "article" {
		t.Errorf("og %v", og)
	}
	if resp, _ := e.do("GET", "/news/99999", "", "", ""); resp.StatusCode != 404 {
		t.Errorf("missing post %d", resp.StatusCode)
	}
	if resp, _ := e.do("GET", "/media/99999", "", "", ""); resp.StatusCode != 404 {
		t.Errorf("missing image %d", resp.StatusCode)
	}
}

func TestEditorPagesAndDrafts(t *testing.T) {
	d := dbtest.SQLite(t, schema.All())
	e := newQuangNgaiEnv(t, d)
	b := e.browser()
	b.login("province.admin", testPassword)
	resp, form := b.get("/editor/posts/new")
	if resp.StatusCode != 200 || !strings.Contains(form, `contenteditable="true"`) || !strings.Contains(form, "portal-editor.") {
		t.Fatalf("editor form %d", resp.StatusCode)
	}
	resp, _ = b.post("/editor/posts", url.Values{"title": {"Bản nháp kế hoạch"}, "category": {"document"}, "body_html": {"<p>Dự thảo</p>"}, "action": {"draft"}})
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/news/") {
		t.Fatalf("save draft %d", resp.StatusCode)
	}
	// The editor sees the draft's page, marked as a draft; the public does not.
	if resp, page := b.get(resp.Header.Get("Location")); resp.StatusCode != 200 || !strings.Contains(page, "bản nháp") {
		t.Errorf("draft page for the editor %d", resp.StatusCode)
	}
	if _, list := b.get("/editor/posts"); !strings.Contains(list, "Bản nháp kế hoạch") {
		t.Errorf("draft not listed for the editor")
	}
	if _, news := e.do("GET", "/news?category=document", "", "", ""); strings.Contains(string(news), "Bản nháp") {
		t.Errorf("draft shown to the public")
	}
	// A bad publish time is refused with the form kept.
	resp, page := b.post("/editor/posts", url.Values{"title": {"Giữ lại"}, "body_html": {"<p>x</p>"}, "publish_at": {"ngày mai"}})
	if resp.StatusCode != 422 || !strings.Contains(page, `value="Giữ lại"`) {
		t.Errorf("bad time %d", resp.StatusCode)
	}
	// A unit administrator is not an editor.
	ub := e.browser()
	ub.login("unit.admin.bato", testPassword)
	if resp, _ := ub.get("/editor/posts/new"); resp.StatusCode != 403 {
		t.Errorf("unit admin editor form %d", resp.StatusCode)
	}
}

func TestCommunicationPageAndExport(t *testing.T) {
	d := dbtest.SQLite(t, schema.All())
	e := newEnv(t, d)
	b := e.browser()
	b.login("unit.admin.bato", testPassword)
	resp, _ := b.post("/communication", url.Values{"owner": {"u:535"}, "channel": {"broadcast"}, "title": {"Phát thanh xã Ba Tơ"}, "published_on": {"2026-01-10"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("record %d", resp.StatusCode)
	}
	resp, page := b.post("/communication", url.Values{"owner": {"u:530"}, "channel": {"banner"}, "title": {"Ngoài phạm vi"}, "published_on": {"2026-01-10"}})
	if resp.StatusCode != 403 || strings.Contains(page, "Ngoài phạm vi</td>") {
		t.Errorf("out of scope record %d", resp.StatusCode)
	}
	_, page = b.get("/communication")
	if !strings.Contains(page, "Phát thanh xã Ba Tơ") {
		t.Errorf("item not listed")
	}
	resp, x := b.get("/communication/export?format=xlsx")
	if resp.StatusCode != 200 {
		t.Fatalf("export %d", resp.StatusCode)
	}
	f, err := excelize.OpenReader(strings.NewReader(x))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := f.GetRows(f.GetSheetList()[0])
	if len(rows) != 2 || rows[0][2] != "Phát thanh, truyền hình" || rows[1][2] != "1" || rows[1][6] != "1" {
		t.Errorf("counts sheet %v", rows)
	}
	lb := e.browser()
	lb.login("learner", testPassword)
	if resp, _ := lb.get("/communication"); resp.StatusCode != 403 {
		t.Errorf("learner sees communication: %d", resp.StatusCode)
	}
}

func TestUnsubscribeAndPreferencesPages(t *testing.T) {
	d := dbtest.SQLite(t, schema.All())
	e := newEnv(t, d)
	id, err := e.web.Notify.EnqueueNow(e.sys, notify.Message{Kind: notify.ReportReminder, Channel: notify.Email, Recipient: "xa@bato.vn", Subject: "Nhắc", Body: "Nộp báo cáo", UnitPath: "/51/535/"})
	if err != nil {
		t.Fatal(err)
	}
	m, _ := e.web.Notify.Find(e.sys, id)
	resp, page := e.do("GET", "/unsubscribe/"+m.UnsubscribeToken, "", "", "")
	if resp.StatusCode != 200 || !strings.Contains(string(page), "Nhắc nộp báo cáo") {
		t.Fatalf("unsubscribe form %d", resp.StatusCode)
	}
	// Following the link changes nothing; the one-click POST (RFC 8058) does.
	if m2, _ := e.web.Notify.Find(e.sys, id); m2.Status != notify.Pending {
		t.Errorf("GET unsubscribed")
	}
	if resp, _ := e.do("POST", "/unsubscribe/"+m.UnsubscribeToken, "", "application/x-www-form-urlencoded", "List-Unsubscribe=One-Click"); resp.StatusCode != 200 {
		t.Fatalf("one-click %d", resp.StatusCode)
	}
	if m2, _ := e.web.Notify.Find(e.sys, id); m2.Status != notify.Suppressed {
		t.Errorf("after one-click: %s", m2.Status)
	}
	if resp, _ := e.do("GET", "/unsubscribe/forged", "", "", ""); resp.StatusCode != 404 {
		t.Errorf("forged token %d", resp.StatusCode)
	}
	b := e.browser()
	b.login("team.member", testPassword)
	if resp, page := b.get("/account/notifications"); resp.StatusCode != 200 || !strings.Contains(page, `name="exam_schedule/email"`) {
		t.Fatalf("prefs page %d", resp.StatusCode)
	}
	form := url.Values{}
	for _, k := range notify.Kinds {
		for _, c := range notify.Channels {
			if !(k == notify.ExamSchedule && c == notify.SMS) {
				form.Set(string(k)+"/"+string(c), "on")
			}
		}
	}
	b.post("/account/notifications", form)
	_, page2 := b.get("/account/notifications")
	if strings.Contains(page2, `name="exam_schedule/sms" aria-label="Lịch thi, kiểm tra — Tin nhắn SMS" checked`) ||
		!strings.Contains(page2, `name="exam_schedule/email" aria-label="Lịch thi, kiểm tra — Thư điện tử" checked`) {
		t.Errorf("preference not saved")
	}
	// The outbox page is for province administrators.
	if resp, _ := b.get("/admin/outbox"); resp.StatusCode != 403 {
		t.Errorf("team member outbox %d", resp.StatusCode)
	}
	ab := e.browser()
	ab.login("province.admin", testPassword)
	if resp, page := ab.get("/admin/outbox"); resp.StatusCode != 200 || !strings.Contains(page, "xa@bato.vn") {
		t.Errorf("outbox %d", resp.StatusCode)
	}
	var figs struct {
		Items []portal.Figure `json:"items"`
	}
	_, fb := e.do("GET", "/api/v1/figures?province=51", "", "", "")
	if err := json.Unmarshal(fb, &figs); err != nil || len(figs.Items) == 0 {
		t.Errorf("figures %s", fb)
	}
}

// TestPortalPagesInBothLanguages renders every portal and notification page in Vietnamese and
// English and looks for untranslated keys and format errors.
func TestPortalPagesInBothLanguages(t *testing.T) {
	d := dbtest.SQLite(t, schema.All())
	e := newEnv(t, d)
	p, err := e.web.Portal.CreatePost(e.sys, portal.PostInput{Title: "Tin song ngữ", BodyHTML: "<p>x</p>", Province: "51"})
	if err != nil {
		t.Fatal(err)
	}
	id, _ := e.web.Notify.EnqueueNow(e.sys, notify.Message{Kind: notify.General, Channel: notify.SMS, Recipient: "0905000000", Body: "x"})
	m, _ := e.web.Notify.Find(e.sys, id)
	keyRE := regexp.MustCompile(`[>"](portal|notify)\.[a-z_.]+[<"]`)
	for _, lang := range []string{"vi", "en"} {
		anon := e.browser()
		anon.post("/lang", url.Values{"lang": {lang}, "next": {"/"}})
		admin := e.browser()
		admin.post("/lang", url.Values{"lang": {lang}, "next": {"/"}})
		admin.login("province.admin", testPassword)
		for _, c := range []struct {
			b    *browser
			path string
		}{{anon, "/"}, {anon, "/tinh/51/"}, {anon, "/tinh/01/"}, {anon, "/tinh/51/news"}, {anon, "/tinh/01/news?category=guide"}, {anon, "/tinh/51" + p.Path()},
			{anon, "/tinh/01/le-phat-dong"}, {anon, "/unsubscribe/" + m.UnsubscribeToken},
			{admin, "/editor/posts"}, {admin, "/editor/posts/new"}, {admin, fmt.Sprintf("/editor/posts/%d", p.ID)}, {admin, "/communication"},
			{admin, "/account/notifications"}, {admin, "/admin/outbox"}, {admin, "/account"}} {
			resp, body := c.b.get(c.path)
			if resp.StatusCode != 200 {
				t.Errorf("%s %s: %d", lang, c.path, resp.StatusCode)
			}
			if strings.Contains(body, "%!") || keyRE.MatchString(body) {
				t.Errorf("%s %s: untranslated or badly formatted text: %v", lang, c.path, keyRE.FindString(body))
			}
			if !strings.Contains(body, `lang="`+lang+`"`) {
				t.Errorf("%s %s: wrong language", lang, c.path)
			}
		}
	}
}
