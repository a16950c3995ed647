package e2e

import (
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/lantoa/lantoa/internal/demo"
)

// TestOutreachHouseholdVisits: a member logs a household visit on the phone form while offline
// (it waits in the phone's queue), comes back online, the visit arrives once, and the visits page
// lists it with its village, time and outcome and counts it; the page passes axe.
func TestOutreachHouseholdVisits(t *testing.T) {
	srv := StartServer(t, WithDemo())
	proxy := newSwitchableProxy(t, srv.URL)
	const member = "tocnscd.bato.2"
	code, out, errOut := srv.CLI(t, "", "token", "create", "--username", member, "--name", "e2e")
	if code != 0 {
		t.Fatalf("token create: %d %s %s", code, out, errOut)
	}
	token := strings.TrimSpace(out)
	type visits struct {
		Total  int64
		Visits []struct {
			Household, Outcome string
			UnitCode           string `json:"unit_code"`
		}
	}
	var before visits
	apiGet(t, srv.URL, token, "/api/v1/outreach/visits", &before)

	ctx := NewBrowser(t)
	Do(t, ctx, chromedp.EmulateViewport(360, 740))
	Login(t, ctx, proxy.URL, member, demo.Password)
	if status := Open(t, ctx, proxy.URL+"/outreach/form"); status != 200 {
		t.Fatalf("form: %d", status)
	}
	WaitFor(t, ctx, "the form and its offline copy", `document.getElementById("outreach").dataset.ready === "1" && document.getElementById("outreach").dataset.offlineReady === "1"`)
	setNetwork(t, ctx, proxy, true)
	WaitFor(t, ctx, "the page to know it is offline", `navigator.onLine === false`)
	Do(t, ctx, chromedp.Click(chromedp.CSS(`details.visits summary`), chromedp.NodeVisible))
	Type(t, ctx, "#v-household", "Nhà bà Trương Thị Mười, xóm Gò")
	Do(t, ctx, chromedp.SetValue(chromedp.CSS(`#v-outcome`), "declined"))
	hasVillage := Eval[bool](t, ctx, `!!document.getElementById("v-village") && document.getElementById("v-village").options.length > 1`)
	if hasVillage {
		Do(t, ctx, chromedp.Evaluate[chromedp.Void](`document.getElementById("v-village").selectedIndex = 1`))
	}
	Do(t, ctx, chromedp.Click(chromedp.CSS(`#visit-form button[type=submit]`), chromedp.NodeVisible))
	WaitFor(t, ctx, "the visit waiting on the phone", `document.getElementById("pending-count").textContent === "1"`)
	var mid visits
	apiGet(t, srv.URL, token, "/api/v1/outreach/visits", &mid)
	if mid.Total != before.Total {
		t.Fatalf("a visit arrived while offline: %d → %d", before.Total, mid.Total)
	}
	setNetwork(t, ctx, proxy, false)
	WaitFor(t, ctx, "the visit sent", `document.getElementById("pending-count").textContent === "0"`)
	var after visits
	apiGet(t, srv.URL, token, "/api/v1/outreach/visits", &after)
	if after.Total != before.Total+1 || len(after.Visits) == 0 || after.Visits[0].Household != "Nhà bà Trương Thị Mười, xóm Gò" || after.Visits[0].Outcome != "declined" {
		t.Fatalf("visits after sending: %+v (before %d)", after, before.Total)
	}

	if href := Eval[string](t, ctx, `document.getElementById("visits-link").getAttribute("href")`); href != "/outreach/visits" {
		t.Fatalf("the form links the visits page as %q", href)
	}
	if status := Open(t, ctx, proxy.URL+"/outreach/visits"); status != 200 {
		t.Fatalf("visits page: %d", status)
	}
	WaitFor(t, ctx, "the visits page", `!!document.getElementById("visits")`)
	row := Eval[string](t, ctx, `document.querySelector("#visits tbody tr").textContent`)
	if !strings.Contains(row, "Trương Thị Mười") || !strings.Contains(row, "/") {
		t.Errorf("first row: %q", row)
	}
	if hasVillage && strings.Contains(row, after.Visits[0].UnitCode+"\t") {
		t.Errorf("village shown by code: %q", row)
	}
	if got := Eval[string](t, ctx, `document.querySelector("#visits tbody tr td[data-outcome]").dataset.outcome`); got != "declined" {
		t.Errorf("outcome cell %q", got)
	}
	if got := Eval[string](t, ctx, `document.querySelector("#visit-counts dd[data-outcome=total]").textContent`); got != strconv.FormatInt(after.Total, 10) {
		t.Errorf("total shown %q, want %d", got, after.Total)
	}
	if got := Eval[string](t, ctx, `document.querySelector("#visit-counts dd[data-outcome=declined]").textContent`); got == "0" {
		t.Errorf("declined count shown %q", got)
	}
	if w := Eval[int](t, ctx, `document.documentElement.scrollWidth`); w > 360 {
		t.Errorf("the visits page is %d px wide on a 360-px screen", w)
	}
	reportViolations(t, "/outreach/visits", auditPage(t, ctx))
}
