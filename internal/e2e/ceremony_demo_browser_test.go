package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/lantoa/lantoa/internal/ceremony"
	"github.com/lantoa/lantoa/internal/demo"
)

// TestCeremonyDemoBrowser: `serve --demo` has the plan's ceremony of 28/07/2023, launched, and the
// coming one a few days ahead with its default programme still open to edits, 187 points generated
// from the unit tree, some ready, delegates at the main site, and the demo operator diemcau.bato
// running Ba Tơ's point.
func TestCeremonyDemoBrowser(t *testing.T) {
	b := NewBrowser(t)
	srv := StartServer(t, WithDemo())
	base := srv.URL

	Login(t, b, base, "so.tttt", demo.Password)
	Open(t, b, base+"/ceremonies")
	listed := Eval[[]string](t, b, `Array.from(document.querySelectorAll("#ceremonies tbody tr")).map(r => r.cells[0].innerText + "|" + r.cells[r.cells.length-1].innerText)`)
	if len(listed) != 2 || listed[1] != demo.PlanCeremonyTitle+"|28/07/2023 08:30" || listed[0] != demo.ComingCeremonyTitle+"|—" {
		t.Fatalf("demo ceremonies %q, want the coming one, then the plan's launched on 28/07/2023", listed)
	}
	if status := Follow(t, b, "#ceremonies tbody tr:first-child a"); status != 200 {
		t.Fatalf("demo ceremony: %d", status)
	}
	path := Eval[string](t, b, `location.pathname`)
	if got := Text(t, b, "h1"); got != demo.ComingCeremonyTitle {
		t.Fatalf("demo ceremony title %q", got)
	}
	if n := Eval[int](t, b, `document.querySelectorAll("#steps li").length`); n != 5 {
		t.Fatalf("demo programme has %d steps", n)
	}
	if !strings.Contains(Text(t, b, "main"), "Số điểm cầu: 187") {
		t.Fatal("demo points not generated")
	}
	Open(t, b, base+path+"/edit")
	if n := Eval[int](t, b, `document.querySelectorAll("#edit-locked").length`); n != 0 {
		t.Errorf("the coming ceremony's programme is locked: %s", Text(t, b, "#edit-locked"))
	}
	Open(t, b, base+path+"/control")
	if ready := Eval[string](t, b, `document.querySelector('[data-count="ready"]').textContent`); ready == "0" {
		t.Fatal("no demo point is ready")
	}
	mainURL := Eval[string](t, b, `document.querySelector("#points tbody tr a").href`)
	Open(t, b, mainURL)
	if n := Eval[int](t, b, `document.querySelectorAll("#delegates tbody tr").length`); n < 2 {
		t.Fatalf("main site has %d demo delegates", n)
	}

	op := NewContext(t, b)
	Login(t, op, base, "diemcau.bato", demo.Password)
	Open(t, op, base+path)
	rows := Eval[[]string](t, op, `Array.from(document.querySelectorAll("#my-points tbody tr")).map(r => r.innerText)`)
	if len(rows) != 1 || !strings.Contains(rows[0], "Ba Tơ") {
		t.Fatalf("demo operator's points %q", rows)
	}
	Follow(t, op, "#my-points tbody a")
	if st := Text(t, op, "#point-state"); st != "Chưa sẵn sàng" {
		t.Fatalf("Ba Tơ's point is %q, want it left for the operator", st)
	}
}

// TestDemoTourLaunchNow follows the README's tour for so.tttt: the coming ceremony's start is
// moved to within half an hour on its edit page, the button is pressed, and the public ceremony
// page then counts down the campaign under way — the same last moment the campaign's own API
// gives, one "7 days" — at 1280 and 360 px, without sideways scrolling, axe-clean.
func TestDemoTourLaunchNow(t *testing.T) {
	b := NewBrowser(t)
	srv := StartServer(t, WithDemo())
	base := srv.URL
	code, out, errOut := srv.CLI(t, "", "token", "create", "--username", "so.tttt", "--name", "e2e")
	if code != 0 {
		t.Fatalf("token create: %d %s", code, errOut)
	}
	var camps struct {
		Items []struct {
			Name     string    `json:"name"`
			LaunchAt time.Time `json:"launch_at"`
			Days     int       `json:"days"`
		} `json:"items"`
	}
	if st := API(t, base, strings.TrimSpace(out), "GET", "/api/v1/outreach/campaigns", nil, &camps); st != 200 || len(camps.Items) != 1 {
		t.Fatalf("demo campaigns: %d %+v", st, camps.Items)
	}
	campaignEnd := camps.Items[0].LaunchAt.Add(time.Duration(camps.Items[0].Days) * 24 * time.Hour)

	Login(t, b, base, "so.tttt", demo.Password)
	Open(t, b, base+"/ceremonies")
	Follow(t, b, "#ceremonies tbody tr:first-child a")
	path := Eval[string](t, b, `location.pathname`)
	for _, size := range [][2]int64{{1280, 900}, {360, 780}} {
		Do(t, b, chromedp.EmulateViewport(size[0], size[1]))
		Open(t, b, base+path+"/edit")
		NoSidewaysScroll(t, b, fmt.Sprintf("the coming ceremony's edit page at %d px", size[0]))
		Screenshot(t, b, fmt.Sprintf("edit-coming-%d", size[0]))
	}
	Do(t, b, chromedp.EmulateViewport(1280, 900))
	soon := time.Now().Add(20 * time.Minute).In(ceremony.VietnamTime).Format("2006-01-02T15:04")
	// A datetime-local field takes keys per segment in the browser's locale; its value is set
	// as the picker would, then the person saves.
	Eval[bool](t, b, fmt.Sprintf(`(() => { const f = document.querySelector("#e-starts"); f.value = %q; f.dispatchEvent(new Event("input", {bubbles: true})); return true })()`, soon))
	if st := Follow(t, b, "#details-save"); st != 200 {
		t.Fatalf("save the new start: %d", st)
	}
	if got := Eval[string](t, b, `document.querySelector("#e-starts") ? document.querySelector("#e-starts").value : ""`); got != "" && got != soon {
		t.Fatalf("start after saving %q, want %q", got, soon)
	}
	Open(t, b, base+path)
	Do(t, b, chromedp.Click(chromedp.CSS("#launch-arm"), chromedp.NodeVisible))
	WaitFor(t, b, "the confirmation", `!document.querySelector("#launch-confirm").hidden`)
	Do(t, b, chromedp.Click(chromedp.CSS("#launch-go"), chromedp.NodeVisible))
	WaitFor(t, b, "the launch answer", `document.querySelector("#launch-result").dataset.launchAt`)

	anon := NewContext(t, b)
	for _, size := range [][2]int64{{1280, 900}, {360, 780}} {
		Do(t, anon, chromedp.EmulateViewport(size[0], size[1]))
		if st := Open(t, anon, base+"/le-phat-dong"); st != 200 {
			t.Fatalf("/le-phat-dong: %d", st)
		}
		if got := Text(t, anon, "#ceremony-heading"); got != demo.ComingCeremonyTitle {
			t.Fatalf("public ceremony %q", got)
		}
		end := Eval[int64](t, anon, `document.querySelector("#countdown") ? parseInt(document.querySelector("#countdown").dataset.end, 10) : 0`)
		if end != campaignEnd.UnixMilli() {
			t.Errorf("the public countdown ends at %v, the campaign at %v", time.UnixMilli(end), campaignEnd)
		}
		NoSidewaysScroll(t, anon, fmt.Sprintf("/le-phat-dong after the launch at %d px", size[0]))
		Screenshot(t, anon, fmt.Sprintf("public-launched-%d", size[0]))
		reportViolations(t, "/le-phat-dong after the demo launch", auditPage(t, anon))
	}
}
