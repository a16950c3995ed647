package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestReportsTwoProvincesBrowser: on a deployment serving Quảng Ngãi and Hà Nội, Hà Nội's
// administrator runs its own reporting without a trace of Quảng Ngãi's — its periods, its 30
// districts, its dashboard drawn as a grid since no district shapes of Hà Nội are known — and the
// national administrator's dashboard compares the two provinces, each a link down. Both
// dashboards fit a 360-px phone.
func TestReportsTwoProvincesBrowser(t *testing.T) {
	b := NewBrowser(t)
	srv := StartServer(t)
	base := srv.URL
	srv.ImportProvince(t, "01")
	srv.CreateUser(t, "so.tttt.qn", "QuangNgai-BaoCao-2024!", "province_admin", "51")
	srv.CreateUser(t, "so.tttt.hn", "HaNoi-BaoCao-2024!", "province_admin", "01")
	srv.CreateUser(t, "bo.tttt", "QuocGia-BaoCao-2024!", "national_admin", "")

	// Quảng Ngãi creates its plan's period.
	Login(t, b, base, "so.tttt.qn", "QuangNgai-BaoCao-2024!")
	Open(t, b, base+"/reports")
	if status := Follow(t, b, "#create-plan"); status != 200 {
		t.Fatalf("Quảng Ngãi's plan period: %d", status)
	}
	qngPeriod := Eval[string](t, b, `location.href`)

	// Hà Nội sees none of it, and makes its own: its 30 districts.
	hn := NewContext(t, b)
	Login(t, hn, base, "so.tttt.hn", "HaNoi-BaoCao-2024!")
	if status := Open(t, hn, base+"/reports"); status != 200 {
		t.Fatalf("/reports as Hà Nội: %d", status)
	}
	if n := Eval[int](t, hn, `document.querySelectorAll("#periods tbody tr[data-period]").length`); n != 0 {
		t.Errorf("Hà Nội lists %d periods before making any", n)
	}
	if status := Open(t, hn, qngPeriod); status != 404 {
		t.Errorf("Hà Nội opening Quảng Ngãi's period: %d", status)
	}
	Open(t, hn, base+"/reports")
	if status := Follow(t, hn, "#create-plan"); status != 200 {
		t.Fatalf("Hà Nội's plan period: %d", status)
	}
	if n := Eval[int](t, hn, `document.querySelectorAll("#status tbody tr").length`); n != 30 {
		t.Errorf("Hà Nội's period lists %d units, want its 30 districts", n)
	}
	if owner := Text(t, hn, "#period-owner"); !strings.Contains(owner, "Hà Nội") {
		t.Errorf("Hà Nội's period says %q", owner)
	}
	Screenshot(t, hn, "01-hanoi-period")

	// Hà Nội's dashboard: its districts in the chart and as a grid, no made-up map.
	if status := Open(t, hn, base+"/dashboard"); status != 200 {
		t.Fatalf("/dashboard as Hà Nội: %d", status)
	}
	if path := Eval[string](t, hn, `location.pathname`); path != "/dashboard/units/01" {
		t.Errorf("Hà Nội's /dashboard leads to %s", path)
	}
	if n := Eval[int](t, hn, `document.querySelectorAll("#unit-grid li").length`); n != 30 {
		t.Errorf("Hà Nội's grid has %d tiles", n)
	}
	if n := Eval[int](t, hn, `document.querySelectorAll("#district-map").length`); n != 0 {
		t.Errorf("Hà Nội's dashboard draws a district map")
	}
	WaitFor(t, hn, "Hà Nội's bar chart", `!!window.Chart && !!Chart.getChart(document.querySelector("#bar-chart"))`)
	if n := Eval[int](t, hn, `Chart.getChart(document.querySelector("#bar-chart")).data.labels.length`); n != 30 {
		t.Errorf("Hà Nội's bar chart has %d bars", n)
	}
	if strings.Contains(Text(t, hn, "main"), "Quảng Ngãi") {
		t.Errorf("Hà Nội's dashboard names Quảng Ngãi")
	}
	Screenshot(t, hn, "02-hanoi-dashboard")
	Do(t, hn, chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile))
	Open(t, hn, base+"/dashboard/units/01")
	if w := Eval[int](t, hn, `document.documentElement.scrollWidth`); w > 361 {
		t.Errorf("Hà Nội's dashboard is %d px wide at 360 px", w)
	}

	Screenshot(t, hn, "03-hanoi-dashboard-360px")

	// The national administrator compares the provinces and goes down to one.
	nat := NewContext(t, b)
	Login(t, nat, base, "bo.tttt", "QuocGia-BaoCao-2024!")
	if status := Open(t, nat, base+"/dashboard"); status != 200 {
		t.Fatalf("/dashboard as national: %d", status)
	}
	if n := Eval[int](t, nat, `document.querySelectorAll("#unit-grid li").length`); n != 2 {
		t.Errorf("the national grid has %d tiles", n)
	}
	WaitFor(t, nat, "the national bar chart", `!!window.Chart && !!Chart.getChart(document.querySelector("#bar-chart"))`)
	if n := Eval[int](t, nat, `Chart.getChart(document.querySelector("#bar-chart")).data.labels.length`); n != 2 {
		t.Errorf("the national bar chart has %d bars", n)
	}
	Screenshot(t, nat, "04-national-dashboard")
	if status := Follow(t, nat, `#children a[href="/dashboard/units/01"]`); status != 200 {
		t.Fatalf("down to Hà Nội: %d", status)
	}
	if trail := Text(t, nat, "nav.trail"); !strings.Contains(trail, "Cả nước") || !strings.Contains(trail, "Hà Nội") {
		t.Errorf("trail %q", trail)
	}
	Open(t, nat, base+"/reports")
	if n := Eval[int](t, nat, `document.querySelectorAll("#periods tbody tr[data-period]").length`); n != 2 {
		t.Errorf("the national administrator lists %d periods, want both provinces'", n)
	}
	Screenshot(t, nat, "05-national-reports")
	Do(t, nat, chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile))
	Open(t, nat, base+"/dashboard")
	if w := Eval[int](t, nat, `document.documentElement.scrollWidth`); w > 361 {
		t.Errorf("the national dashboard is %d px wide at 360 px", w)
	}
	Screenshot(t, nat, "06-national-dashboard-360px")
}
