package e2e

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/lantoa/lantoa/internal/units"
)

// firstCommuneOf returns the code and name of the first commune of a district, from the embedded
// unit tree.
func firstCommuneOf(t *testing.T, district string) (code, name string) {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(units.QuangNgai2023CSV())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows[1:] {
		if r[2] == "commune" && r[3] == district {
			return r[0], r[1]
		}
	}
	t.Fatalf("no commune under %s", district)
	return "", ""
}

type screenTab struct {
	name string
	ctx  context.Context
}

// TestCeremonyBrowser is the browser contract: an operator completes the checklist and the
// control room, open in another browser context, turns that point to ready without a reload; the
// administrator presses launch (two steps) and two open screen pages both show the countdown.
func TestCeremonyBrowser(t *testing.T) {
	admin := NewBrowser(t)
	srv := StartServer(t)
	const adminUser, adminPass = "tinh.admin", "Tinh-QuangNgai-2024"
	const opUser, opPass = "dieuhanh.xa", "DiemCau-Xa-2024"
	communeCode, communeName := firstCommuneOf(t, "535")
	srv.CreateUser(t, adminUser, adminPass, "province_admin", "51")
	srv.CreateUser(t, opUser, opPass, "bridge_operator", communeCode)
	base := srv.URL

	// The province administrator creates the ceremony, starting in ten minutes (Vietnam time).
	Login(t, admin, base, adminUser, adminPass)
	if status := Follow(t, admin, `header nav a[href="/ceremonies"]`); status != 200 {
		t.Fatalf("/ceremonies: %d", status)
	}
	starts := time.Now().Add(10 * time.Minute).In(time.FixedZone("ICT", 7*3600)).Format("2006-01-02T15:04")
	Do(t, admin, chromedp.SetValue(chromedp.CSS("#c-starts"), starts, chromedp.NodeVisible))
	if status := Follow(t, admin, "#ceremony-submit"); status != 200 {
		t.Fatalf("create ceremony: %d; page says %q", status, Eval[string](t, admin, `document.body.innerText`))
	}
	WaitFor(t, admin, "the ceremony page", `/^\/ceremonies\/\d+$/.test(location.pathname) && document.querySelector("#generate-points") !== null`)
	ceremonyPath := Eval[string](t, admin, `location.pathname`)
	if got := Text(t, admin, "h1"); !strings.Contains(got, "Lễ phát động") {
		t.Fatalf("ceremony page title %q", got)
	}
	Screenshot(t, admin, "01-ceremony")
	// Bridge points from the unit tree, in one action.
	if status := Follow(t, admin, "#generate-points"); status != 200 {
		t.Fatalf("generate points: %d", status)
	}
	WaitFor(t, admin, "187 points", `document.body.innerText.includes("Số điểm cầu: 187")`)

	// The control room, filtered to Ba Tơ, is live.
	if status := Open(t, admin, base+ceremonyPath+"/control?district=535"); status != 200 {
		t.Fatalf("control room: %d", status)
	}
	WaitFor(t, admin, "the control room's stream", `document.querySelector("#control").dataset.connState === "live"`)
	Eval[bool](t, admin, `window.notReloaded = true`)
	row := fmt.Sprintf(`Array.from(document.querySelectorAll("#points tr[data-point-id]")).find(r => r.innerText.includes(%q))`, communeName)
	if st := Eval[string](t, admin, row+`.dataset.state`); st != "not_ready" {
		t.Fatalf("commune point starts %q", st)
	}
	readyBefore := Eval[string](t, admin, `document.querySelector('[data-count="ready"]').textContent`)
	Screenshot(t, admin, "02-control-room")

	// The commune's operator, at another computer, works through the checklist.
	op := NewContext(t, admin)
	Login(t, op, base, opUser, opPass)
	if status := Open(t, op, base+ceremonyPath); status != 200 {
		t.Fatalf("operator's ceremony page: %d", status)
	}
	if n := Eval[int](t, op, `document.querySelectorAll("#my-points tbody tr").length`); n != 1 {
		t.Fatalf("operator sees %d points, want only theirs", n)
	}
	if status := Follow(t, op, "#my-points tbody a"); status != 200 {
		t.Fatalf("point page: %d", status)
	}
	if got := Text(t, op, "h1"); !strings.Contains(got, communeName) {
		t.Fatalf("point page for %q", got)
	}
	// Going on air with an incomplete checklist is refused with a message.
	Do(t, op, chromedp.Click(chromedp.CSS("#on-air"), chromedp.NodeVisible))
	WaitFor(t, op, "the refusal", `!document.querySelector("#checklist-section [data-error]").hidden`)
	if msg := Text(t, op, "#checklist-section [data-error]"); !strings.Contains(msg, "0/6") {
		t.Fatalf("on-air refusal says %q", msg)
	}
	for _, item := range []string{"line", "camera", "microphone", "screen", "sound", "rehearsal"} {
		Do(t, op, chromedp.Click(chromedp.CSS("#chk-"+item), chromedp.NodeVisible))
	}
	WaitFor(t, op, "the point ready", `document.querySelector("#point-state").textContent === "Sẵn sàng"`)
	Screenshot(t, op, "03-checklist-done")

	// The control room turned the point ready, without a reload.
	WaitFor(t, admin, "the row ready", row+`.dataset.state === "ready" && `+row+`.querySelector("[data-state-text]").textContent === "Sẵn sàng"`)
	if !Eval[bool](t, admin, `window.notReloaded === true`) {
		t.Fatal("the control room reloaded")
	}
	if after := Eval[string](t, admin, `document.querySelector('[data-count="ready"]').textContent`); after == readyBefore {
		t.Fatalf("ready count still %s", after)
	}
	Screenshot(t, admin, "04-control-room-ready")

	// Two screens are open: the commune's (the operator's display, which reports heartbeats) and
	// another site's.
	pid := Eval[string](t, admin, row+`.dataset.pointId`)
	if status := Open(t, op, base+ceremonyPath+"/screen?point="+pid); status != 200 {
		t.Fatalf("commune screen: %d", status)
	}
	other := NewContext(t, admin)
	Login(t, other, base, adminUser, adminPass)
	if status := Open(t, other, base+ceremonyPath+"/screen"); status != 200 {
		t.Fatalf("second screen: %d", status)
	}
	WaitFor(t, op, "screen 1 live", `document.querySelector("#screen").dataset.connState === "live" && document.querySelector("#screen").dataset.clockOffsetMs !== undefined`)
	WaitFor(t, other, "screen 2 live", `document.querySelector("#screen").dataset.connState === "live" && document.querySelector("#screen").dataset.clockOffsetMs !== undefined`)

	// The administrator presses launch: two steps.
	Open(t, admin, base+ceremonyPath)
	Do(t, admin, chromedp.Click(chromedp.CSS("#launch-arm"), chromedp.NodeVisible))
	WaitFor(t, admin, "the confirmation", `!document.querySelector("#launch-confirm").hidden`)
	Screenshot(t, admin, "05-launch-confirm")
	Do(t, admin, chromedp.Click(chromedp.CSS("#launch-go"), chromedp.NodeVisible))
	WaitFor(t, admin, "the launch answer", `document.querySelector("#launch-result").dataset.launchAt`)
	launchAt := Eval[string](t, admin, `document.querySelector("#launch-result").dataset.launchAt`)
	at, err := time.Parse(time.RFC3339, launchAt)
	if err != nil {
		t.Fatalf("launch_at %q: %v", launchAt, err)
	}

	// Both screens count down to the same instant, then show the launch.
	for _, tab := range []*screenTab{{"commune screen", op}, {"second screen", other}} {
		WaitFor(t, tab.ctx, tab.name+" countdown", `document.querySelector("#screen").dataset.phase === "countdown" || document.querySelector("#screen").dataset.phase === "launched"`)
		if ms := Eval[int64](t, tab.ctx, `parseInt(document.querySelector("#screen").dataset.launchAtMs, 10)`); ms != at.UnixMilli() {
			t.Fatalf("%s counts down to %d, want %d", tab.name, ms, at.UnixMilli())
		}
	}
	for _, tab := range []*screenTab{{"commune screen", op}, {"second screen", other}} {
		if Eval[string](t, tab.ctx, `document.querySelector("#screen").dataset.phase`) == "countdown" {
			n := Eval[string](t, tab.ctx, `document.querySelector("#countdown-number").textContent`)
			if n == "" || strings.Trim(n, "0123456789") != "" {
				t.Fatalf("%s countdown shows %q", tab.name, n)
			}
			Screenshot(t, tab.ctx, "06-countdown-"+strings.ReplaceAll(tab.name, " ", "-"))
		}
	}
	for _, tab := range []*screenTab{{"commune screen", op}, {"second screen", other}} {
		WaitFor(t, tab.ctx, tab.name+" launched", `document.querySelector("#screen").dataset.phase === "launched" && !document.querySelector("#launched").hidden`)
	}
	Screenshot(t, other, "07-launched")
}
