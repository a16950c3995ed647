package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestOutreachAcrossTheMapSwitch: a member of Xã Nghĩa Dõng (2023) records two citizens on a phone
// that is offline while the operator switches the database to the map of 1 July 2025 with the
// shipped files. Back online, the two records arrive once, in Xã An Phú, where the member's team
// now is. The province's administrator then reads the progress page: as it is now, Xã An Phú holds
// the records and Xã Trà Bùi shows in the "from split units" line; as it was, Thành phố Quảng Ngãi
// and its communes of 2023 are there again, named with their last day.
func TestOutreachAcrossTheMapSwitch(t *testing.T) {
	RequireBrowser(t)
	srv := StartServer(t)
	proxy := newSwitchableProxy(t, srv.URL)
	const pass = "mật khẩu thử đủ dài 2025"
	srv.CreateUser(t, "so.tttt", pass, "province_admin", "51")
	srv.CreateUser(t, "tv.nghiadong", pass, "team_member", "21037")
	admin, member := srv.Token(t, "so.tttt"), srv.Token(t, "tv.nghiadong")
	var camp struct{ ID int64 }
	if st := API(t, srv.URL, admin, "POST", "/api/v1/outreach/campaigns", map[string]any{"name": "Bình dân học vụ số",
		"launch_at": time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)}, &camp); st != 201 {
		t.Fatalf("campaign: %d", st)
	}
	var team struct{ ID int64 }
	if st := API(t, srv.URL, admin, "POST", "/api/v1/outreach/teams", map[string]string{"name": "Tổ Công nghệ số cộng đồng xã Nghĩa Dõng", "unit_code": "21037"}, &team); st != 201 {
		t.Fatalf("team: %d", st)
	}
	if st := API(t, srv.URL, admin, "POST", fmt.Sprintf("/api/v1/outreach/teams/%d/members", team.ID), map[string]any{"username": "tv.nghiadong", "leader": true}, nil); st != 200 {
		t.Fatalf("member: %d", st)
	}

	ctx := NewBrowser(t)
	Do(t, ctx, chromedp.EmulateViewport(360, 740))
	Login(t, ctx, proxy.URL, "tv.nghiadong", pass)
	if status := Open(t, ctx, proxy.URL+"/outreach/form"); status != 200 {
		t.Fatalf("form: %d", status)
	}
	WaitFor(t, ctx, "the form and its offline copy", `document.getElementById("outreach").dataset.ready === "1" && document.getElementById("outreach").dataset.offlineReady === "1"`)
	setNetwork(t, ctx, proxy, true)
	WaitFor(t, ctx, "the page to know it is offline", `navigator.onLine === false`)
	for i, c := range []struct{ name, year, phone string }{{"Võ Văn Một", "1962", "0905 222 001"}, {"Lê Thị Hai", "1979", "0935 222 002"}} {
		Type(t, ctx, "#c-name", c.name)
		Type(t, ctx, "#c-year", c.year)
		Type(t, ctx, "#c-phone", c.phone)
		Do(t, ctx,
			chromedp.Click(chromedp.CSS(`input[name=skills][value=dvc_quocgia]`), chromedp.NodeVisible),
			chromedp.Click(chromedp.CSS(`#c-consent`), chromedp.NodeVisible),
			chromedp.Click(chromedp.CSS(`#save-record`), chromedp.NodeVisible))
		WaitFor(t, ctx, fmt.Sprintf("%d waiting", i+1), fmt.Sprintf(`document.getElementById("pending-count").textContent === "%d"`, i+1))
	}

	// The operator switches the map while the phone is offline.
	if code, out, errOut := srv.CLI(t, "", "import", "units", "--db", srv.DB, "--effective", "2025-07-01",
		"--lineage", "embedded:quang-ngai-2025-lineage.csv", "embedded:vietnam-units-2025.csv"); code != 0 {
		t.Fatalf("switch: exit %d\n%s%s", code, out, errOut)
	}
	setNetwork(t, ctx, proxy, false)
	WaitFor(t, ctx, "the queue to empty", `document.getElementById("pending-count").textContent === "0"`)
	var mine struct {
		Items []struct {
			ClientID string `json:"client_id"`
			UnitCode string `json:"unit_code"`
		}
	}
	apiGet(t, srv.URL, member, "/api/v1/outreach/records?mine=1", &mine)
	if len(mine.Items) != 2 {
		t.Fatalf("%d records arrived, want exactly 2: %+v", len(mine.Items), mine.Items)
	}
	for _, r := range mine.Items {
		if r.UnitCode != "21034" {
			t.Errorf("record %s stored in %s, want Xã An Phú (21034)", r.ClientID, r.UnitCode)
		}
	}

	// What the province's administrator sees, at another computer.
	admCtx := NewContext(t, ctx)
	for _, width := range []int64{360, 1280} {
		Do(t, admCtx, chromedp.EmulateViewport(width, 900))
		if width == 360 {
			Login(t, admCtx, srv.URL, "so.tttt", pass)
		}
		if status := Open(t, admCtx, srv.URL+"/outreach/progress?unit=21034"); status != 200 {
			t.Fatalf("progress of An Phú: %d", status)
		}
		if got := Text(t, admCtx, "#t-records"); got != "2" {
			t.Errorf("An Phú as it is now shows %s records, want 2", got)
		}
		if cur := Eval[string](t, admCtx, `document.querySelector('#view a[aria-current="page"]').textContent`); cur != "Theo đơn vị hiện nay" {
			t.Errorf("current view %q", cur)
		}
		NoSidewaysScroll(t, admCtx, fmt.Sprintf("progress at %d px", width))
		Screenshot(t, admCtx, fmt.Sprintf("outreach-switch-now-%d", width))

		Open(t, admCtx, srv.URL+"/outreach/progress?unit=51")
		if split := Text(t, admCtx, "#from-split"); !strings.Contains(split, "Xã Trà Bùi") {
			t.Errorf("from-split line: %q", split)
		}
		if rows := Text(t, admCtx, "#children"); strings.Contains(rows, "Thành phố Quảng Ngãi") || !strings.Contains(rows, "Xã An Phú") {
			t.Errorf("the province's units as it is now: %.300q", rows)
		}
		// The toggle: as it was, the districts of 2023 are back, marked with their last day.
		if status := Follow(t, admCtx, `#view a[href$="view=was"]`); status != 200 {
			t.Fatalf("as it was: %d", status)
		}
		rows := Text(t, admCtx, "#children")
		if !strings.Contains(rows, "Thành phố Quảng Ngãi") || !strings.Contains(rows, "30/06/2025") {
			t.Errorf("the province as it was: %.300q", rows)
		}
		Screenshot(t, admCtx, fmt.Sprintf("outreach-switch-was-%d", width))
		if status := Follow(t, admCtx, `#children a[href*="unit=%2f51%2f522%2f"]`); status != 200 {
			t.Fatalf("Thành phố Quảng Ngãi as it was: %d", status)
		}
		if got := Text(t, admCtx, "#retired"); !strings.Contains(got, "30/06/2025") {
			t.Errorf("retired district notice: %q", got)
		}
		if rows := Text(t, admCtx, "#children"); !strings.Contains(rows, "Xã Nghĩa Dõng") {
			t.Errorf("the 2023 communes of Thành phố Quảng Ngãi: %.300q", rows)
		}
	}
}
