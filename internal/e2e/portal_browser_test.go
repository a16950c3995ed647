package e2e

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// axeSource is axe-core (MPL-2.0, Deque Systems; licence in testdata/axe.LICENSE and in the file's
// header), vendored for the accessibility audit. It is injected into pages by the tests and never
// served by the application.
//
//go:embed testdata/axe.min.js
var axeSource string

const (
	editorUser = "bientap.tinh"
	editorPass = "BienTap-QuangNgai-2026"
)

// TestPortalBrowser is the flow: an editor writes a post in the rich-text editor, uploads
// an image into it and publishes; an anonymous visitor finds the post on the portal, and the post's
// Open Graph tags carry its title and the image's absolute address.
func TestPortalBrowser(t *testing.T) {
	ctx := NewBrowser(t)
	srv := StartServer(t)
	srv.CreateUser(t, editorUser, editorPass, "province_admin", "51")
	base := srv.URL

	Login(t, ctx, base, editorUser, editorPass)
	if status := Open(t, ctx, base+"/editor/posts/new"); status != 200 {
		t.Fatalf("editor form: %d", status)
	}
	// The script turned the textarea into the rich-text area with its toolbar.
	WaitFor(t, ctx, "the rich-text editor", `!document.querySelector("#post-body-editor").hidden && document.querySelector("#post-body").hidden`)
	title := "Quảng Ngãi ra quân Tổ công nghệ số cộng đồng"
	Type(t, ctx, "#post-title-input", title)
	Do(t, ctx, chromedp.Click(chromedp.CSS("#post-body-editor"), chromedp.NodeVisible))
	Do(t, ctx, chromedp.SendKeys(chromedp.CSS("#post-body-editor"), "Sáng nay các tổ công nghệ số đã về từng thôn.", chromedp.NodeVisible))
	// Bold through the toolbar: select everything, press B.
	Eval[bool](t, ctx, `(function(){var r=document.createRange();r.selectNodeContents(document.querySelector("#post-body-editor"));var s=getSelection();s.removeAllRanges();s.addRange(r);document.querySelector("#post-body-editor").dispatchEvent(new Event("mouseup"));return true})()`)
	Do(t, ctx, chromedp.Click(chromedp.CSS(`button[data-cmd="bold"]`), chromedp.NodeVisible))
	WaitFor(t, ctx, "bold text", `/<(b|strong)>/.test(document.querySelector("#post-body-editor").innerHTML)`)
	Eval[bool](t, ctx, `(function(){var a=document.querySelector("#post-body-editor");var r=document.createRange();r.selectNodeContents(a);r.collapse(false);var s=getSelection();s.removeAllRanges();s.addRange(r);a.dispatchEvent(new Event("mouseup"));return true})()`)

	// Upload a large photograph: the server shrinks it.
	photo := filepath.Join(t.TempDir(), "ra-quan.jpg")
	writeJPEG(t, photo, 2400, 1200)
	Type(t, ctx, "#image-alt", "Lực lượng ra quân tại xã Ba Tơ")
	Do(t, ctx, chromedp.SetUploadFiles(chromedp.CSS("#post-image"), []string{photo}, chromedp.NodeVisible))
	WaitFor(t, ctx, "the uploaded image in the editor", `document.querySelector("#post-body-editor img[src^='/media/']") !== null`)
	imgPath := Eval[string](t, ctx, `document.querySelector("#post-body-editor img").getAttribute("src")`)
	Screenshot(t, ctx, "01-editor")
	if status := Follow(t, ctx, "#publish"); status != 200 {
		t.Fatalf("publish: %d; page says %q", status, Eval[string](t, ctx, `document.body.innerText`))
	}
	if got := Text(t, ctx, "#post-title"); got != title {
		t.Fatalf("post page title %q", got)
	}
	if n := Eval[int](t, ctx, `document.querySelectorAll("#post-body strong, #post-body b").length`); n == 0 {
		t.Errorf("bold text lost: %s", Eval[string](t, ctx, `document.querySelector("#post-body").innerHTML`))
	}

	// An anonymous visitor in another browser context.
	anon := NewContext(t, ctx)
	if status := Open(t, anon, base+"/"); status != 200 {
		t.Fatalf("portal: %d", status)
	}
	if n := Eval[int](t, anon, `document.querySelectorAll("[data-testid=who]").length`); n != 0 {
		t.Fatalf("visitor is signed in")
	}
	if got := Text(t, anon, "#latest-posts h3 a"); got != title {
		t.Fatalf("portal's latest post is %q", got)
	}
	if n := Eval[int](t, anon, `document.querySelectorAll("#figures li").length`); n < 4 {
		t.Errorf("portal shows %d figures", n)
	}
	Screenshot(t, anon, "02-portal")
	if status := Follow(t, anon, "#latest-posts h3 a"); status != 200 {
		t.Fatalf("post: %d", status)
	}
	og := Eval[map[string]string](t, anon, `Object.fromEntries([...document.querySelectorAll("meta[property^='og:']")].map(m => [m.getAttribute("property"), m.content]))`)
	if og["og:title"] != title {
		t.Errorf("og:title %q", og["og:title"])
	}
	if og["og:image"] != base+imgPath {
		t.Errorf("og:image %q, want %s", og["og:image"], base+imgPath)
	}
	if og["og:url"] == "" || !strings.HasPrefix(og["og:url"], base+"/news/") {
		t.Errorf("og:url %q", og["og:url"])
	}
	WaitFor(t, anon, "the image to load", `(function(){var i=document.querySelector("#post-body img");return i && i.complete && i.naturalWidth > 0})()`)
	if w := Eval[int](t, anon, `document.querySelector("#post-body img").naturalWidth`); w != 1600 {
		t.Errorf("served image is %d px wide, want 1600", w)
	}
	if alt := Eval[string](t, anon, `document.querySelector("#post-body img").alt`); alt != "Lực lượng ra quân tại xã Ba Tơ" {
		t.Errorf("alt %q", alt)
	}
}

func writeJPEG(t *testing.T, path string, w, h int) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := 0; x < w; x++ {
		for y := 0; y < h; y++ {
			img.Set(x, y, color.RGBA{uint8(x / 10), uint8(y / 5), 160, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []any  `json:"target"`
		HTML   string `json:"html"`
	} `json:"nodes"`
}

// auditPage runs axe-core's WCAG 2.1 A and AA rules on the tab's page and returns the violations.
func auditPage(t *testing.T, ctx context.Context) []axeViolation {
	t.Helper()
	v, err := runAxe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// runAxe is auditPage for callers that report a failure as one finding among others.
func runAxe(ctx context.Context) ([]axeViolation, error) {
	// Injecting and running axe takes a few seconds on a loaded machine: more than ActionTimeout.
	bctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := chromedp.Run(bctx, chromedp.Evaluate[chromedp.Void](axeSource)); err != nil {
		return nil, fmt.Errorf("inject axe: %w", err)
	}
	return rerunAxe(ctx)
}

// rerunAxe is runAxe on a page where axe is already injected, such as the same page at another
// window size.
func rerunAxe(ctx context.Context) ([]axeViolation, error) {
	bctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	raw, err := chromedp.Run(bctx, chromedp.Evaluate[string](`axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}, resultTypes: ["violations"]}).then(r => JSON.stringify(r.violations))`, chromedp.EvalAwaitPromise))
	if err != nil {
		return nil, fmt.Errorf("axe.run: %w", err)
	}
	var v []axeViolation
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		return nil, err
	}
	return v, nil
}

func reportViolations(t *testing.T, page string, vs []axeViolation) {
	t.Helper()
	for _, v := range vs {
		var where []string
		for _, n := range v.Nodes {
			where = append(where, fmt.Sprint(n.Target)+" "+n.HTML)
		}
		t.Errorf("%s: %s (%s): %s\n  %s", page, v.ID, v.Impact, v.Help, strings.Join(where, "\n  "))
	}
}

// publishViaAPI creates a published post with an administrator's token, for the audits.
func publishViaAPI(t *testing.T, srv *Server, title string) string {
	t.Helper()
	code, out, errOut := srv.CLI(t, "", "token", "create", "--username", editorUser, "--name", "e2e")
	if code != 0 {
		t.Fatalf("token create: %d %s %s", code, out, errOut)
	}
	body, _ := json.Marshal(map[string]string{"title": title, "body_html": "<p>Các bước cài đặt ứng dụng.</p><h2>Bước 1</h2><ul><li>Tải ứng dụng.</li></ul>"})
	req, _ := http.NewRequest("POST", srv.URL+"/api/v1/posts", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(out))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var p struct{ URL string }
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil || resp.StatusCode != 201 {
		t.Fatalf("create post: %d %v", resp.StatusCode, err)
	}
	return strings.TrimPrefix(p.URL, srv.URL)
}

// auditAll opens each page at the given window size and reports axe's violations.
func auditAll(t *testing.T, ctx context.Context, base string, width, height int64, pages []string) {
	t.Helper()
	Do(t, ctx, chromedp.EmulateViewport(width, height))
	for _, p := range pages {
		if status := Open(t, ctx, base+p); status != 200 {
			t.Fatalf("%s: %d", p, status)
		}
		reportViolations(t, fmt.Sprintf("%s at %dpx", p, width), auditPage(t, ctx))
	}
}

// TestPortalAccessibilityPhone audits the public pages with axe-core (WCAG 2.1 A and AA) in a
// phone-sized window, shows that the audit catches planted faults, and checks that the first Tab
// reaches the skip link to the main content. (Each audit test has its own browser: a browser lives
// at most BrowserTimeout.)
func TestPortalAccessibilityPhone(t *testing.T) {
	ctx := NewBrowser(t)
	srv := StartServer(t)
	srv.CreateUser(t, editorUser, editorPass, "province_admin", "51")
	post := publishViaAPI(t, srv, "Hướng dẫn cài đặt VNeID")
	auditAll(t, ctx, srv.URL, 360, 740, []string{"/", "/news", post, "/login", "/news?category=document"})

	// The audit can fail: a picture without text and an unlabelled field are reported.
	Eval[bool](t, ctx, `(function(){var m=document.querySelector("main");m.insertAdjacentHTML("beforeend", '<img src="data:image/gif;base64,R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw=="><input id="x-unlabelled">');return true})()`)
	found := map[string]bool{}
	for _, v := range auditPage(t, ctx) {
		found[v.ID] = true
	}
	if !found["image-alt"] || !found["label"] {
		t.Errorf("the audit misses planted violations: %v", found)
	}
	// Keyboard: the first Tab reaches the skip link, which leads to the main content.
	Open(t, ctx, srv.URL+"/")
	Do(t, ctx, chromedp.KeyEvent("\t"))
	if got := Eval[string](t, ctx, `document.activeElement.getAttribute("href")`); got != "#main" {
		t.Errorf("first Tab lands on %q, want the skip link", got)
	}
}

// TestPortalAccessibilityDesktop audits the public pages in a desktop window.
func TestPortalAccessibilityDesktop(t *testing.T) {
	ctx := NewBrowser(t)
	srv := StartServer(t)
	srv.CreateUser(t, editorUser, editorPass, "province_admin", "51")
	post := publishViaAPI(t, srv, "Thông báo lịch phát động")
	auditAll(t, ctx, srv.URL, 1280, 900, []string{"/", "/news", post, "/le-phat-dong"})
}

// TestPortalAccessibilityForms audits the forms editors and administrators use: the post editor
// (with its toolbar shown), the list of posts, communication tracking and notification choices.
func TestPortalAccessibilityForms(t *testing.T) {
	ctx := NewBrowser(t)
	srv := StartServer(t)
	srv.CreateUser(t, editorUser, editorPass, "province_admin", "51")
	Login(t, ctx, srv.URL, editorUser, editorPass)
	Open(t, ctx, srv.URL+"/editor/posts/new")
	WaitFor(t, ctx, "the rich-text editor", `!document.querySelector("#post-body-editor").hidden`)
	reportViolations(t, "/editor/posts/new", auditPage(t, ctx))
	auditAll(t, ctx, srv.URL, 1280, 900, []string{"/editor/posts", "/communication", "/account/notifications"})
}
