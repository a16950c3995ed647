package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestCeremonyScriptOnTheDayBrowser: on the ceremony's day the province administrator moves the
// programme to its first step, then edits the next step's title and script; a bridge screen open
// in another browser shows the new title at once, without reloading. The step already run is shown
// fixed, without a form. The script PDF downloads. The edit page and the screen do not scroll
// sideways at 360 px and are axe-clean; screenshots at 360 and 1280 px.
func TestCeremonyScriptOnTheDayBrowser(t *testing.T) {
	admin := NewBrowser(t)
	srv := StartServer(t)
	const adminUser, adminPass = "tinh.kichban", "Tinh-KichBan-2024"
	const screenUser, screenPass = "tinh.manhinh", "Tinh-ManHinh-2024"
	srv.CreateUser(t, adminUser, adminPass, "province_admin", "51")
	srv.CreateUser(t, screenUser, screenPass, "province_admin", "51")
	base := srv.URL
	Login(t, admin, base, adminUser, adminPass)

	path := createCeremonyInBrowser(t, admin, base, "Lễ phát động (kịch bản)", 10*time.Minute)
	// The control room moves the programme to step 1 (as its "start" button does).
	token := srv.Token(t, adminUser)
	if st := API(t, base, token, "POST", "/api/v1"+path+"/step", map[string]int{"step": 1}, nil); st != 200 {
		t.Fatalf("step 1: %d", st)
	}

	// The bridge screen, in another browser, shows step 1 and, next, step 2.
	screen := NewBrowser(t)
	Login(t, screen, base, screenUser, screenPass)
	if st := Open(t, screen, base+path+"/screen"); st != 200 {
		t.Fatalf("screen: %d", st)
	}
	WaitFor(t, screen, "the live stream", `document.querySelector("#screen").dataset.connState === "live"`)
	if got := Text(t, screen, "[data-next-step]"); got != "Thông qua Chương trình Lễ phát động phong trào" {
		t.Fatalf("next step on the screen %q", got)
	}
	Eval[bool](t, screen, `window.notReloaded = true`)

	// The edit page: step 1 has run and is fixed; step 2 changes.
	if st := Open(t, admin, base+path+"/edit"); st != 200 {
		t.Fatalf("edit: %d", st)
	}
	if msg := Text(t, admin, "#on-day"); !strings.Contains(msg, "ghi nhật ký") {
		t.Fatalf("on-day notice %q", msg)
	}
	if n := Eval[int](t, admin, `document.querySelectorAll("#step-form-1").length + document.querySelectorAll("#step-fixed-1").length * 10`); n != 10 {
		t.Fatalf("step 1 is not shown fixed (%d)", n)
	}
	const newTitle = "Thông qua Chương trình (điều chỉnh tại buổi lễ)"
	Type(t, admin, `input[form=step-form-2][name=title]`, newTitle)
	Do(t, admin, chromedp.Click(chromedp.CSS(`#step-2 details summary`), chromedp.NodeVisible))
	Type(t, admin, "#sp-2", "Chánh Văn phòng UBND tỉnh")
	Type(t, admin, "#du-2", "5")
	Type(t, admin, "#mc-2", "Kính thưa các đồng chí, sau đây xin thông qua chương trình.")
	if st := Follow(t, admin, `#step-form-2 button[value=update]`); st != 200 {
		t.Fatalf("update step 2: %d", st)
	}
	if got := Eval[string](t, admin, `document.querySelector("#sp-2").value`); got != "Chánh Văn phòng UBND tỉnh" {
		t.Fatalf("speaker after saving %q", got)
	}

	// The screen shows it live, without a reload.
	WaitFor(t, screen, "the new title on the screen", fmt.Sprintf(`document.querySelector("[data-next-step]").textContent === %q`, newTitle))
	if !Eval[bool](t, screen, `window.notReloaded === true`) {
		t.Fatal("the screen reloaded")
	}

	// The script PDF downloads.
	got := Eval[string](t, admin, `(() => { const x = new XMLHttpRequest(); x.open("GET", document.querySelector("#script-pdf").getAttribute("href"), false);
		x.overrideMimeType("text/plain; charset=x-user-defined"); x.send(); return x.status + " " + x.getResponseHeader("Content-Type") + " " + x.responseText.slice(0, 5) })()`)
	if got != "200 application/pdf %PDF-" {
		t.Fatalf("script PDF: %q", got)
	}

	// 360 and 1280 px: no sideways scroll, axe-clean.
	for _, size := range [][2]int64{{360, 780}, {1280, 900}} {
		Do(t, admin, chromedp.EmulateViewport(size[0], size[1]))
		Open(t, admin, base+path+"/edit")
		NoSidewaysScroll(t, admin, fmt.Sprintf("the edit page at %d px", size[0]))
		reportViolations(t, fmt.Sprintf("edit page %d px", size[0]), auditPage(t, admin))
		Screenshot(t, admin, fmt.Sprintf("script-edit-%d", size[0]))
		Do(t, screen, chromedp.EmulateViewport(size[0], size[1]))
		NoSidewaysScroll(t, screen, fmt.Sprintf("the screen at %d px", size[0]))
		reportViolations(t, fmt.Sprintf("screen %d px", size[0]), auditPage(t, screen))
		Screenshot(t, screen, fmt.Sprintf("script-screen-%d", size[0]))
	}
}
