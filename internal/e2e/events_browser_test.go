package e2e

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/lantoa/lantoa/internal/demo"
)

// TestLaunchEventsBrowser: a commune's administrator, on a phone, records the commune's launch
// event from the menu with its participants and a photo; the district's administrator finds it in
// the workspace block of the communes' events; an anonymous visitor finds it on the portal's
// calendar and opens its page with the photo. At 360 and 1280 px: no sideways scroll, axe clean.
func TestLaunchEventsBrowser(t *testing.T) {
	srv := StartServer(t, WithDemo())
	img := image.NewRGBA(image.Rect(0, 0, 800, 600))
	for x := 0; x < 800; x++ {
		for y := 0; y < 600; y++ {
			img.Set(x, y, color.RGBA{uint8(x / 4), uint8(y / 3), 160, 255})
		}
	}
	var photo bytes.Buffer
	if err := jpeg.Encode(&photo, img, nil); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "le-phat-dong.jpg")
	if err := os.WriteFile(path, photo.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	const title = "Lễ phát động hưởng ứng Phong trào của xã"
	starts := time.Now().In(time.FixedZone("ICT", 7*3600)).AddDate(0, 0, 3).Format("2006-01-02") + "T08:00"

	b := NewBrowser(t)
	Do(t, b, chromedp.EmulateViewport(360, 780, chromedp.EmulateMobile))
	Login(t, b, srv.URL, "xa.bato", demo.Password)
	OpenMenu(t, b)
	if status := Follow(t, b, `header a[href="/ceremonies"]`); status != 200 {
		t.Fatalf("ceremony menu: %d", status)
	}
	if status := Follow(t, b, `a[href="/launch-events"]`); status != 200 {
		t.Fatalf("events page: %d %q", status, Text(t, b, "main"))
	}
	Screenshot(t, b, "events-01-list-360")
	Type(t, b, "#ev-title", title)
	Do(t, b, chromedp.SetValue("#ev-starts", starts), chromedp.SetValue("#ev-kind", "huong_ung"))
	Type(t, b, "#ev-place", "Hội trường UBND xã")
	Type(t, b, "#ev-host", "Chủ tịch UBND xã")
	Do(t, b, chromedp.SetValue("#ev-g-officials", "35"), chromedp.SetValue("#ev-g-citizens", "140"))
	if status := Follow(t, b, "#ev-submit"); status != 200 {
		t.Fatalf("create: %d %q", status, Text(t, b, "main"))
	}
	if got := Text(t, b, "h1"); got != title {
		t.Fatalf("event page heading %q (%q)", got, Text(t, b, "main"))
	}
	Do(t, b, chromedp.SetUploadFiles("#ev-photo", []string{path}))
	if status := Follow(t, b, "#ev-photo-submit"); status != 200 {
		t.Fatalf("photo: %d %q", status, Text(t, b, "main"))
	}
	if n := Eval[int](t, b, `document.querySelectorAll("#ev-photos img").length`); n != 1 {
		t.Fatalf("%d photos on the event's page: %q", n, Text(t, b, "main"))
	}
	WaitFor(t, b, "the photo loads", `document.querySelector("#ev-photos img").complete && document.querySelector("#ev-photos img").naturalWidth > 0`)
	NoSidewaysScroll(t, b, "event page at 360px")
	reportViolations(t, "event page at 360px", auditPage(t, b))
	Screenshot(t, b, "events-02-event-360")
	Do(t, b, chromedp.EmulateViewport(1280, 900))
	NoSidewaysScroll(t, b, "event page at 1280px")
	reportViolations(t, "event page at 1280px", auditPage(t, b))
	Screenshot(t, b, "events-03-event-1280")
	Open(t, b, srv.URL+"/launch-events")
	if got := Text(t, b, "#ev-table"); !strings.Contains(got, title) {
		t.Errorf("the list lacks the event: %q", got)
	}
	reportViolations(t, "events list at 1280px", auditPage(t, b))
	Screenshot(t, b, "events-04-list-1280")
	Do(t, b, chromedp.EmulateViewport(360, 780, chromedp.EmulateMobile))
	NoSidewaysScroll(t, b, "events list at 360px")
	reportViolations(t, "events list at 360px", auditPage(t, b))

	// The district sees it in its workspace.
	d := NewBrowser(t)
	Do(t, d, chromedp.EmulateViewport(360, 780, chromedp.EmulateMobile))
	Login(t, d, srv.URL, "ubnd.bato", demo.Password)
	Open(t, d, srv.URL+"/workspace")
	block := Text(t, d, `[data-task="events"]`)
	if !strings.Contains(block, title) || !strings.Contains(block, "sắp diễn ra") {
		t.Errorf("district's workspace block: %q", block)
	}
	NoSidewaysScroll(t, d, "district workspace at 360px")
	reportViolations(t, "district workspace at 360px", auditPage(t, d))
	Screenshot(t, d, "events-05-workspace-360")

	// The public calendar, and the event's own page with its photo.
	a := NewBrowser(t)
	Do(t, a, chromedp.EmulateViewport(360, 780, chromedp.EmulateMobile))
	if status := Open(t, a, srv.URL+"/su-kien"); status != 200 {
		t.Fatalf("calendar: %d", status)
	}
	if got := Text(t, a, "#ev-upcoming"); !strings.Contains(got, title) {
		t.Fatalf("the calendar's upcoming events lack it: %q", got)
	}
	if got := Text(t, a, "#ev-past"); !strings.Contains(got, "Ba Tơ") {
		t.Errorf("the calendar's past events: %q", got)
	}
	NoSidewaysScroll(t, a, "calendar at 360px")
	reportViolations(t, "calendar at 360px", auditPage(t, a))
	Screenshot(t, a, "events-06-calendar-360")
	Do(t, a, chromedp.EmulateViewport(1280, 900))
	NoSidewaysScroll(t, a, "calendar at 1280px")
	reportViolations(t, "calendar at 1280px", auditPage(t, a))
	Screenshot(t, a, "events-07-calendar-1280")
	if status := Follow(t, a, `#ev-upcoming a`); status != 200 {
		t.Fatalf("public event page: %d", status)
	}
	if got := Text(t, a, "main"); !strings.Contains(got, title) || !strings.Contains(got, "175 người tham gia") {
		t.Errorf("public event page: %q", got)
	}
	WaitFor(t, a, "the photo loads", `document.querySelector("#ev-photos img") && document.querySelector("#ev-photos img").complete && document.querySelector("#ev-photos img").naturalWidth > 0`)
	NoSidewaysScroll(t, a, "public event page at 1280px")
	reportViolations(t, "public event page at 1280px", auditPage(t, a))
	Screenshot(t, a, "events-08-public-1280")
	Do(t, a, chromedp.EmulateViewport(360, 780, chromedp.EmulateMobile))
	NoSidewaysScroll(t, a, "public event page at 360px")
	reportViolations(t, "public event page at 360px", auditPage(t, a))
	Screenshot(t, a, "events-09-public-360")
}
