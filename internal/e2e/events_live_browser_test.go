package e2e

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/lantoa/lantoa/internal/demo"
)

// TestLaunchEventLiveScreenBrowser: a district's administrator records the district's follow-on
// launch, opens a live screen for it from the event's page (the ceremony machinery, hosted by the
// district: its communes are the bridge points), opens the screen, which shows the programme, and
// presses launch; the screen shows the launch, the event's page and its public page say it was
// launched, and the province's own ceremony page on the portal is not the district's. At 360 and
// 1280 px: no sideways scroll, axe clean.
func TestLaunchEventLiveScreenBrowser(t *testing.T) {
	srv := StartServer(t, WithDemo())
	const title = "Lễ phát động hưởng ứng Phong trào chuyển đổi số huyện Ba Tơ"
	vn := time.FixedZone("ICT", 7*3600)
	// The event starts in ten minutes: the launch button works from half an hour before.
	starts := time.Now().In(vn).Add(10 * time.Minute).Format("2006-01-02T15:04")

	b := NewBrowser(t)
	Do(t, b, chromedp.EmulateViewport(360, 780, chromedp.EmulateMobile))
	Login(t, b, srv.URL, "ubnd.bato", demo.Password)
	if status := Open(t, b, srv.URL+"/launch-events"); status != 200 {
		t.Fatalf("events page: %d", status)
	}
	Type(t, b, "#ev-title", title)
	Do(t, b, chromedp.SetValue("#ev-starts", starts), chromedp.SetValue("#ev-kind", "huong_ung"))
	Type(t, b, "#ev-place", "Hội trường UBND huyện Ba Tơ")
	if status := Follow(t, b, "#ev-submit"); status != 200 {
		t.Fatalf("create: %d %q", status, Text(t, b, "main"))
	}
	eventURL := Eval[string](t, b, `location.pathname`)
	if !regexp.MustCompile(`^/launch-events/\d+$`).MatchString(eventURL) {
		t.Fatalf("event page at %q: %q", eventURL, Text(t, b, "main"))
	}
	NoSidewaysScroll(t, b, "event page with its live block at 360px")
	reportViolations(t, "event page with its live block at 360px", auditPage(t, b))
	Screenshot(t, b, "live-01-event-360")

	// Open the live screen: the ceremony's page, hosted by the district.
	if status := Follow(t, b, "#ev-live-open"); status != 200 {
		t.Fatalf("open live screen: %d %q", status, Text(t, b, "main"))
	}
	ceremonyURL := Eval[string](t, b, `location.pathname`)
	if !regexp.MustCompile(`^/ceremonies/\d+$`).MatchString(ceremonyURL) || Text(t, b, "h1") != title {
		t.Fatalf("live screen's page %q: %q", ceremonyURL, Text(t, b, "main"))
	}
	if href := Eval[string](t, b, `document.querySelector("#ceremony-event a").getAttribute("href")`); href != eventURL {
		t.Errorf("the ceremony links back to %q, want %q", href, eventURL)
	}
	// Its bridge points are Ba Tơ's: the district and its communes, none of another district's.
	main := Text(t, b, "main")
	if !strings.Contains(main, "Ba Tơ") || strings.Contains(main, "Sơn Tây") || strings.Contains(main, "Trà Bồng") {
		t.Errorf("the district's live screen's points: %q", main)
	}
	NoSidewaysScroll(t, b, "hosted ceremony page at 360px")
	reportViolations(t, "hosted ceremony page at 360px", auditPage(t, b))
	Screenshot(t, b, "live-02-ceremony-360")
	Do(t, b, chromedp.EmulateViewport(1280, 900))
	NoSidewaysScroll(t, b, "hosted ceremony page at 1280px")
	reportViolations(t, "hosted ceremony page at 1280px", auditPage(t, b))
	Screenshot(t, b, "live-03-ceremony-1280")

	// The event's page now links to the control room and the screen.
	Open(t, b, srv.URL+eventURL)
	if got := Text(t, b, "#ev-live-status"); !strings.Contains(got, "Chưa phát động") {
		t.Errorf("event's live status before the launch: %q", got)
	}
	if status := Follow(t, b, "#ev-live-control"); status != 200 {
		t.Fatalf("control room: %d %q", status, Text(t, b, "main"))
	}
	NoSidewaysScroll(t, b, "hosted control room at 1280px")
	reportViolations(t, "hosted control room at 1280px", auditPage(t, b))
	Screenshot(t, b, "live-04-control-1280")

	// The screen, in a second tab: the programme, live.
	screen := NewContext(t, b)
	Do(t, screen, chromedp.EmulateViewport(360, 780, chromedp.EmulateMobile))
	Login(t, screen, srv.URL, "ubnd.bato", demo.Password)
	if status := Open(t, screen, srv.URL+ceremonyURL+"/screen"); status != 200 {
		t.Fatalf("screen: %d", status)
	}
	WaitFor(t, screen, "the screen live", `document.querySelector("#screen").dataset.connState === "live"`)
	if got := Text(t, screen, ".screen-title"); got != title {
		t.Errorf("screen title %q", got)
	}
	if got := Text(t, screen, "[data-next-step]"); got != "Tuyên bố lý do và giới thiệu đại biểu" {
		t.Errorf("screen's next step %q", got)
	}
	NoSidewaysScroll(t, screen, "hosted screen at 360px")
	reportViolations(t, "hosted screen at 360px", auditPage(t, screen))
	Screenshot(t, screen, "live-05-screen-360")

	// The district presses launch; the screen shows it.
	Open(t, b, srv.URL+ceremonyURL)
	Do(t, b, chromedp.Click(chromedp.CSS("#launch-arm"), chromedp.NodeVisible))
	WaitFor(t, b, "the confirmation", `!document.querySelector("#launch-confirm").hidden`)
	Do(t, b, chromedp.Click(chromedp.CSS("#launch-go"), chromedp.NodeVisible))
	WaitFor(t, b, "the launch answer", `document.querySelector("#launch-result").dataset.launchAt`)
	WaitFor(t, screen, "the screen launched", `document.querySelector("#screen").dataset.phase === "launched" && !document.querySelector("#launched").hidden`)
	Do(t, screen, chromedp.EmulateViewport(1280, 900))
	NoSidewaysScroll(t, screen, "launched screen at 1280px")
	reportViolations(t, "launched screen at 1280px", auditPage(t, screen))
	Screenshot(t, screen, "live-06-screen-launched-1280")
	if got := Text(t, screen, ".launched-sub"); !strings.Contains(got, "hưởng ứng") || strings.Contains(got, "tỉnh Quảng Ngãi") {
		t.Errorf("the district's screen's motto: %q", got)
	}

	// The ceremonies' list shows it apart from the province's own ceremonies.
	Open(t, b, srv.URL+"/ceremonies")
	if got := Text(t, b, "#hosted-ceremonies"); !strings.Contains(got, title) {
		t.Errorf("hosted list: %q", got)
	}
	if Eval[bool](t, b, `!!document.querySelector("#ceremonies") && document.querySelector("#ceremonies").textContent.includes(`+"`"+title+"`"+`)`) {
		t.Errorf("the district's screen is among the province's ceremonies")
	}
	NoSidewaysScroll(t, b, "ceremony list at 1280px")
	reportViolations(t, "ceremony list at 1280px", auditPage(t, b))
	Screenshot(t, b, "live-065-ceremonies-1280")
	Do(t, b, chromedp.EmulateViewport(360, 780, chromedp.EmulateMobile))
	NoSidewaysScroll(t, b, "ceremony list at 360px")
	reportViolations(t, "ceremony list at 360px", auditPage(t, b))
	Do(t, b, chromedp.EmulateViewport(1280, 900))

	// The event's page says so; the public event page too.
	Open(t, b, srv.URL+eventURL)
	if got := Text(t, b, "#ev-live-status"); !strings.Contains(got, "Đã phát động lúc") {
		t.Errorf("event's live status after the launch: %q", got)
	}
	reportViolations(t, "event page launched at 1280px", auditPage(t, b))
	Screenshot(t, b, "live-07-event-launched-1280")
	// An event launched on its screen happened: deleting it is refused, and it stays.
	Follow(t, b, "#ev-delete")
	if got := Text(t, b, "main"); !strings.Contains(got, "không xóa được") {
		t.Errorf("deleting a launched event: %q", got)
	}
	if status := Open(t, b, srv.URL+eventURL); status != 200 {
		t.Errorf("the launched event after a refused delete: %d", status)
	}
	a := NewBrowser(t)
	Do(t, a, chromedp.EmulateViewport(360, 780, chromedp.EmulateMobile))
	if status := Open(t, a, srv.URL+"/su-kien"+strings.TrimPrefix(eventURL, "/launch-events")); status != 200 {
		t.Fatalf("public event page: %d", status)
	}
	if got := Text(t, a, "#ev-live"); !strings.Contains(got, "đã được phát động lúc") || !strings.Contains(got, "Nghi lễ nhấn nút phát động") {
		t.Errorf("public event page's live block: %q", got)
	}
	NoSidewaysScroll(t, a, "public event page launched at 360px")
	reportViolations(t, "public event page launched at 360px", auditPage(t, a))
	Screenshot(t, a, "live-08-public-360")
	// The province's ceremony page on the portal is the province's, not the district's event.
	if status := Open(t, a, srv.URL+"/le-phat-dong"); status != 200 {
		t.Fatalf("public ceremony page: %d", status)
	}
	if got := Text(t, a, "main"); strings.Contains(got, title) {
		t.Errorf("the province's ceremony page shows the district's event: %q", got)
	}
}
