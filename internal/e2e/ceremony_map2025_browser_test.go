package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestLaunchOn2025MapBrowser: on the 2025 map Quảng Ngãi launches "Bình dân học vụ số" to 97
// screens — the main site and its 96 communes directly under the province, none under a district.
// The control room lists the 97 points with no district filter; a commune's operator (Xã An Phú,
// code 21034, which in 2023 was Xã Nghĩa Dũng's) completes the checklist and the control room
// turns the point ready live; the province presses launch and the open screens (the main site's and
// the commune's) count down to the same instant. The pages fit 360 px.
func TestLaunchOn2025MapBrowser(t *testing.T) {
	admin := NewBrowser(t)
	srv := StartServer(t)
	switchTo2025(t, srv) // map2025_contract_test.go: the command with the shipped files
	const adminUser, adminPass = "so.khcn.qn", "QuangNgai-2025-BDHVS!"
	const opUser, opPass = "diemcau.anphu", "AnPhu-DiemCau-2025!"
	srv.CreateUser(t, adminUser, adminPass, "province_admin", "51")
	srv.CreateUser(t, opUser, opPass, "bridge_operator", "21034")
	base := srv.URL

	Login(t, admin, base, adminUser, adminPass)
	Open(t, admin, base+"/ceremonies")
	Do(t, admin, chromedp.SetValue(chromedp.CSS("#c-title"), "Lễ phát động phong trào “Bình dân học vụ số”", chromedp.NodeVisible))
	starts := time.Now().Add(10 * time.Minute).In(time.FixedZone("ICT", 7*3600)).Format("2006-01-02T15:04")
	Do(t, admin, chromedp.SetValue(chromedp.CSS("#c-starts"), starts, chromedp.NodeVisible))
	if status := Follow(t, admin, "#ceremony-submit"); status != 200 {
		t.Fatalf("create ceremony: %d; page says %q", status, Eval[string](t, admin, `document.body.innerText`))
	}
	WaitFor(t, admin, "the ceremony page", `/^\/ceremonies\/\d+$/.test(location.pathname) && document.querySelector("#generate-points") !== null`)
	ceremonyPath := Eval[string](t, admin, `location.pathname`)
	if status := Follow(t, admin, "#generate-points"); status != 200 {
		t.Fatalf("generate points: %d", status)
	}
	WaitFor(t, admin, "97 points", `document.body.innerText.includes("Số điểm cầu: 97")`)
	if hint := Text(t, admin, "#communes-hint"); !strings.Contains(hint, "96") || strings.Contains(hint, "huyện") {
		t.Errorf("the ceremony page's hint on the 2025 map says %q", hint)
	}
	Screenshot(t, admin, "01-ceremony-97-points")

	// The control room: 97 rows, no district filter or column (there are no districts).
	if status := Open(t, admin, base+ceremonyPath+"/control"); status != 200 {
		t.Fatalf("control room: %d", status)
	}
	WaitFor(t, admin, "the control room's stream", `document.querySelector("#control").dataset.connState === "live"`)
	if n := Eval[int](t, admin, `document.querySelectorAll("#points tr[data-point-id]").length`); n != 97 {
		t.Fatalf("control room lists %d points, want 97", n)
	}
	if n := Eval[int](t, admin, `document.querySelectorAll("#district").length`); n != 0 {
		t.Errorf("a district filter on the 2025 map")
	}
	if got := Eval[string](t, admin, `document.querySelector('[data-count="total"]').textContent`); got != "97" {
		t.Errorf("total count %q", got)
	}
	row := `Array.from(document.querySelectorAll("#points tr[data-point-id]")).find(r => r.innerText.includes("Xã An Phú"))`
	Eval[bool](t, admin, `window.notReloaded = true`)
	Screenshot(t, admin, "02-control-room-1280")
	// The control room's filter: the points not ready whose name is "an phu" (typed without its
	// marks) are An Phú's alone, until the live update below makes it ready.
	Do(t, admin, chromedp.Evaluate[chromedp.Void](`(s => { s.value = "not_ready"; s.dispatchEvent(new Event("change", {bubbles: true})); })(document.getElementById("pf-state"))`))
	Type(t, admin, "#pf-q", "an phu")
	shown := `Array.from(document.querySelectorAll("#points tr[data-point-id]")).filter(r => !r.hidden).map(r => r.cells[0].textContent.trim())`
	if got := Eval[[]string](t, admin, shown); len(got) != 1 || !strings.Contains(got[0], "Xã An Phú") {
		t.Errorf("not ready, 'an phu': %q, want An Phú's point alone", got)
	}

	// Xã An Phú's operator sees only An Phú's point and completes its checklist.
	op := NewContext(t, admin)
	Login(t, op, base, opUser, opPass)
	if status := Open(t, op, base+ceremonyPath); status != 200 {
		t.Fatalf("operator's ceremony page: %d", status)
	}
	if n := Eval[int](t, op, `document.querySelectorAll("#my-points tbody tr").length`); n != 1 {
		t.Fatalf("operator sees %d points, want only An Phú's", n)
	}
	if status := Follow(t, op, "#my-points tbody a"); status != 200 {
		t.Fatalf("point page: %d", status)
	}
	if got := Text(t, op, "h1"); !strings.Contains(got, "Xã An Phú") {
		t.Fatalf("point page for %q", got)
	}
	for _, item := range []string{"line", "camera", "microphone", "screen", "sound", "rehearsal"} {
		Do(t, op, chromedp.Click(chromedp.CSS("#chk-"+item), chromedp.NodeVisible))
	}
	WaitFor(t, op, "the point ready", `document.querySelector("#point-state").textContent === "Sẵn sàng"`)
	WaitFor(t, admin, "An Phú's row ready", row+`.dataset.state === "ready"`)
	if !Eval[bool](t, admin, `window.notReloaded === true`) {
		t.Fatal("the control room reloaded")
	}
	// Ready now: the filter "not ready" no longer shows it, and says nothing matches.
	WaitFor(t, admin, "An Phú filtered out once ready", row+`.hidden && !document.getElementById("points-none").hidden`)
	Type(t, admin, "#pf-q", "")
	Do(t, admin, chromedp.Evaluate[chromedp.Void](`(s => { s.value = ""; s.dispatchEvent(new Event("change", {bubbles: true})); })(document.getElementById("pf-state"))`))
	if n := Eval[int](t, admin, shown+`.length`); n != 97 {
		t.Errorf("the filter cleared shows %d points, want all 97 on the big screen", n)
	}

	// Screens: An Phú's and the main site's.
	pid := Eval[string](t, admin, row+`.dataset.pointId`)
	if status := Open(t, op, base+ceremonyPath+"/screen?point="+pid); status != 200 {
		t.Fatalf("An Phú's screen: %d", status)
	}
	main := NewContext(t, admin)
	Login(t, main, base, adminUser, adminPass)
	if status := Open(t, main, base+ceremonyPath+"/screen"); status != 200 {
		t.Fatalf("main screen: %d", status)
	}
	WaitFor(t, op, "An Phú's screen live", `document.querySelector("#screen").dataset.connState === "live"`)
	WaitFor(t, main, "the main screen live", `document.querySelector("#screen").dataset.connState === "live"`)

	// Launch: two steps.
	Open(t, admin, base+ceremonyPath)
	Do(t, admin, chromedp.Click(chromedp.CSS("#launch-arm"), chromedp.NodeVisible))
	WaitFor(t, admin, "the confirmation", `!document.querySelector("#launch-confirm").hidden`)
	Do(t, admin, chromedp.Click(chromedp.CSS("#launch-go"), chromedp.NodeVisible))
	WaitFor(t, admin, "the launch answer", `document.querySelector("#launch-result").dataset.launchAt`)
	launchAt := Eval[string](t, admin, `document.querySelector("#launch-result").dataset.launchAt`)
	at, err := time.Parse(time.RFC3339, launchAt)
	if err != nil {
		t.Fatalf("launch_at %q: %v", launchAt, err)
	}
	WaitFor(t, op, "An Phú's countdown", `["countdown", "launched"].includes(document.querySelector("#screen").dataset.phase)`)
	WaitFor(t, main, "the main countdown", `["countdown", "launched"].includes(document.querySelector("#screen").dataset.phase)`)
	if ms := Eval[int64](t, op, `parseInt(document.querySelector("#screen").dataset.launchAtMs, 10)`); ms != at.UnixMilli() {
		t.Errorf("An Phú's screen counts down to %d, want %d", ms, at.UnixMilli())
	}
	if ms := Eval[int64](t, main, `parseInt(document.querySelector("#screen").dataset.launchAtMs, 10)`); ms != at.UnixMilli() {
		t.Errorf("the main screen counts down to %d, want %d", ms, at.UnixMilli())
	}
	Screenshot(t, op, "03-screen-an-phu")
	WaitFor(t, main, "the main screen launched", `document.querySelector("#screen").dataset.phase === "launched"`)
	Screenshot(t, main, "04-screen-launched")

	// The control room and the readiness page at 360 px: no sideways scroll.
	Do(t, admin, chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile))
	Open(t, admin, base+ceremonyPath+"/control")
	NoSidewaysScroll(t, admin, "the control room at 360 px")
	Screenshot(t, admin, "05-control-room-360")
	Open(t, admin, base+ceremonyPath+"/readiness")
	if n := Eval[int](t, admin, `document.querySelectorAll("#chase-points tr[data-point-id]").length`); n != 97 {
		t.Errorf("readiness lists %d points, want 97", n)
	}
	NoSidewaysScroll(t, admin, "the readiness page at 360 px")
	Screenshot(t, admin, "06-readiness-360")
	Open(t, admin, base+ceremonyPath)
	NoSidewaysScroll(t, admin, "the ceremony page at 360 px")
	Screenshot(t, admin, "07-ceremony-360")
}
