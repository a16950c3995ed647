package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/lantoa/lantoa/internal/app"
)

// startTwoProvinces starts a server over a database holding Quảng Ngãi (loaded into the empty
// database, as a fresh deployment does) and Hà Nội (imported from the embedded national file
// with `lantoa import units`), with Hà Nội's portal mapped to the host name "localhost".
func startTwoProvinces(t *testing.T) *Server {
	t.Helper()
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "lantoa.db")
	csv := ProvinceFile(t, "01")
	var out, errOut bytes.Buffer
	if code := app.Main(context.Background(), []string{"import", "units", "--db", dbPath, csv},
		app.Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut, Getenv: noEnv}); code != 0 {
		t.Fatalf("import Hà Nội: %d %s %s", code, out.String(), errOut.String())
	}
	return StartServer(t, WithConfig(func(c *app.Config) {
		c.DB = dbPath
		c.PortalHosts = map[string]string{"localhost": "01"}
	}))
}

// TestPortalProvincesBrowser: a deployment of two provinces. The national page lists both with
// their figures; a visitor follows Hà Nội's card to its portal under /tinh/01/, which shows Hà
// Nội's name, news and districts only; Hà Nội's administrator writes and publishes a post in the
// editor and finds it in Hà Nội's portal, not in Quảng Ngãi's; Hà Nội's mapped host name serves
// its portal at /. The pages pass the accessibility audit and fit a 360 px phone.
func TestPortalProvincesBrowser(t *testing.T) {
	ctx := NewBrowser(t)
	srv := startTwoProvinces(t)
	srv.CreateUser(t, editorUser, editorPass, "province_admin", "51")
	const hnUser, hnPass = "bientap.hanoi", "BienTap-HaNoi-2026"
	srv.CreateUser(t, hnUser, hnPass, "province_admin", "01")
	qnPath := publishViaAPI(t, srv, "Quảng Ngãi hướng dẫn cài đặt VNeID")
	if !strings.HasPrefix(qnPath, "/tinh/51/news/") {
		t.Errorf("Quảng Ngãi's post address %s", qnPath)
	}
	hnToken := portalToken(t, srv, hnUser)
	if code := API(t, srv.URL, hnToken, "POST", "/api/v1/posts", map[string]string{"title": "Hà Nội ra quân Tổ công nghệ số cộng đồng",
		"body_html": "<p>Các tổ đã về từng tổ dân phố.</p>"}, nil); code != 201 {
		t.Fatalf("Hà Nội's post: %d", code)
	}

	// The national page, on a phone and on a desktop.
	for _, width := range []int64{360, 1280} {
		Do(t, ctx, chromedp.EmulateViewport(width, 800))
		if status := Open(t, ctx, srv.URL+"/"); status != 200 {
			t.Fatalf("national page: %d", status)
		}
		if n := Eval[int](t, ctx, `document.querySelectorAll("#provinces .province-card").length`); n != 2 {
			t.Errorf("national page lists %d provinces", n)
		}
		if got := Text(t, ctx, `[data-province="01"] h3`); got != "Thành phố Hà Nội" {
			t.Errorf("Hà Nội's card: %q", got)
		}
		NoSidewaysScroll(t, ctx, fmt.Sprintf("national page at %d px", width))
		Screenshot(t, ctx, fmt.Sprintf("national-%d", width))
	}
	reportViolations(t, "national page", auditPage(t, ctx))

	// Hà Nội's card leads to its portal.
	Do(t, ctx, chromedp.EmulateViewport(360, 800))
	Open(t, ctx, srv.URL+"/")
	if status := Follow(t, ctx, `[data-province="01"] h3 a`); status != 200 {
		t.Fatalf("Hà Nội's portal: %d", status)
	}
	if loc := location(ctx); loc != srv.URL+"/tinh/01/" {
		t.Errorf("Hà Nội's portal at %s", loc)
	}
	if got := Text(t, ctx, "#portal-heading"); got != "Chuyển đổi số thành phố Hà Nội" {
		t.Errorf("Hà Nội's heading %q", got)
	}
	if got := Text(t, ctx, "#latest-posts h3 a"); got != "Hà Nội ra quân Tổ công nghệ số cộng đồng" {
		t.Errorf("Hà Nội's latest post %q", got)
	}
	body := Eval[string](t, ctx, `document.body.innerText`)
	for _, foreign := range []string{"Quảng Ngãi", "Ba Tơ"} {
		if strings.Contains(body, foreign) {
			t.Errorf("Hà Nội's portal mentions %s", foreign)
		}
	}
	if n := Eval[int](t, ctx, `document.querySelectorAll("#district-grid li").length`); n != 30 {
		t.Errorf("Hà Nội's portal lists %d districts", n)
	}
	NoSidewaysScroll(t, ctx, "Hà Nội's portal at 360 px")
	Screenshot(t, ctx, "ha-noi-360")
	reportViolations(t, "Hà Nội's portal", auditPage(t, ctx))
	// Its links stay in its portal.
	OpenMenu(t, ctx)
	if status := Follow(t, ctx, `nav a[href="/tinh/01/news"]`); status != 200 {
		t.Fatalf("Hà Nội's news: %d", status)
	}
	Do(t, ctx, chromedp.EmulateViewport(1280, 800))
	Open(t, ctx, srv.URL+"/tinh/01/")
	Screenshot(t, ctx, "ha-noi-1280")
	Open(t, ctx, srv.URL+"/tinh/51/")
	Screenshot(t, ctx, "quang-ngai-1280")
	if got := Text(t, ctx, "#portal-heading"); got != "Chuyển đổi số tỉnh Quảng Ngãi" {
		t.Errorf("Quảng Ngãi's heading %q", got)
	}
	if n := Eval[int](t, ctx, `document.querySelectorAll("#portal-map path").length`); n != 13 {
		t.Errorf("Quảng Ngãi's map draws %d districts", n)
	}

	// Hà Nội's administrator writes a post in the editor; it appears in Hà Nội's portal only.
	hn := NewContext(t, ctx)
	Login(t, hn, srv.URL, hnUser, hnPass)
	if status := Open(t, hn, srv.URL+"/editor/posts/new"); status != 200 {
		t.Fatalf("editor: %d", status)
	}
	WaitFor(t, hn, "the rich-text editor", `!document.querySelector("#post-body-editor").hidden`)
	Type(t, hn, "#post-title-input", "Hà Nội khai trương điểm hỗ trợ dịch vụ công")
	Do(t, hn, chromedp.Click(chromedp.CSS("#post-body-editor"), chromedp.NodeVisible))
	Do(t, hn, chromedp.SendKeys(chromedp.CSS("#post-body-editor"), "Điểm hỗ trợ đặt tại phường Phúc Xá.", chromedp.NodeVisible))
	if status := Follow(t, hn, "#publish"); status != 200 {
		t.Fatalf("publish: %d", status)
	}
	if loc := location(hn); !strings.HasPrefix(loc, srv.URL+"/tinh/01/news/") {
		t.Errorf("the published post is at %s", loc)
	}
	anon := NewContext(t, ctx)
	Open(t, anon, srv.URL+"/tinh/01/news")
	if !strings.Contains(Eval[string](t, anon, `document.body.innerText`), "Hà Nội khai trương điểm hỗ trợ") {
		t.Errorf("Hà Nội's post is not in Hà Nội's news")
	}
	Open(t, anon, srv.URL+"/tinh/51/news")
	if strings.Contains(Eval[string](t, anon, `document.body.innerText`), "Hà Nội") {
		t.Errorf("Quảng Ngãi's news shows Hà Nội's posts")
	}

	// The host name mapped to Hà Nội serves its portal at /.
	req, _ := http.NewRequest("GET", srv.URL+"/", nil)
	req.Host = "localhost"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), "Chuyển đổi số thành phố Hà Nội") || !strings.Contains(string(page), `href="/news"`) ||
		strings.Contains(string(page), "Quảng Ngãi hướng dẫn") {
		t.Errorf("Hà Nội's host: %d", resp.StatusCode)
	}
}
