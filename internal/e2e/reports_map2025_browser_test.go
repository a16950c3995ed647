package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestCommuneReportsOn2025MapBrowser: on the 2025 map the province defines a period whose
// reporting level is the commune (the only choice: there are no districts), the administrator of
// Xã An Phú writes and submits its report directly to the province, and the province sees it
// submitted among its 96 communes, opens it and accepts it. The province's dashboard shows its
// communes as tiles, with no district map. The pages fit 360 px.
func TestCommuneReportsOn2025MapBrowser(t *testing.T) {
	prov := NewBrowser(t)
	srv := StartServer(t)
	switchTo2025(t, srv)
	base := srv.URL
	srv.CreateUser(t, "so.khcn.bc", "Tinh-BaoCao-2025!", "province_admin", "51")
	srv.CreateUser(t, "ubnd.anphu", "AnPhu-BaoCao-2025!", "unit_admin", "21034")

	Login(t, prov, base, "so.khcn.bc", "Tinh-BaoCao-2025!")
	if status := Open(t, prov, base+"/reports"); status != 200 {
		t.Fatalf("/reports: %d", status)
	}
	if intro := Text(t, prov, "h1 + p.hint"); !strings.Contains(intro, "trực tiếp về UBND tỉnh") || strings.Contains(intro, "Các huyện") {
		t.Errorf("the reports page's introduction on the 2025 map: %q", intro)
	}
	if n := Eval[int](t, prov, `document.querySelectorAll("#create-plan").length`); n != 0 {
		t.Errorf("the 2023 plan's district report is offered on the 2025 map")
	}
	if got := Eval[string](t, prov, `Array.from(document.querySelectorAll("#p-level option")).map(o => o.value).join(",")`); got != "commune" {
		t.Errorf("reporting levels offered on the 2025 map: %q", got)
	}
	if hint := Text(t, prov, "#p-level-direct"); !strings.Contains(hint, "trực tiếp") {
		t.Errorf("level hint %q", hint)
	}
	Type(t, prov, "#p-title", "Báo cáo kết quả phong trào Bình dân học vụ số tháng 8/2025")
	Do(t, prov,
		chromedp.SetValue(chromedp.CSS("#p-start"), "2025-07-28", chromedp.NodeVisible),
		chromedp.SetValue(chromedp.CSS("#p-end"), "2025-08-31", chromedp.NodeVisible),
		chromedp.SetValue(chromedp.CSS("#p-due"), "2099-09-05", chromedp.NodeVisible))
	Screenshot(t, prov, "01-period-form-1280")
	if status := Follow(t, prov, "#period-submit"); status != 200 {
		t.Fatalf("create the period: %d; page says %q", status, Eval[string](t, prov, `document.body.innerText`))
	}
	periodURL := Eval[string](t, prov, `location.href`)
	if !strings.Contains(periodURL, "/reports/periods/") {
		t.Fatalf("after creating the period the browser is at %s", periodURL)
	}
	if n := Eval[int](t, prov, `document.querySelectorAll("#status tbody tr").length`); n != 96 {
		t.Fatalf("status lists %d units, want the 96 communes", n)
	}
	if level := Text(t, prov, "#reporting-level"); !strings.Contains(level, "cấp xã") {
		t.Errorf("the period says %q", level)
	}

	// Xã An Phú's administrator writes and submits directly to the province.
	commune := NewContext(t, prov)
	Login(t, commune, base, "ubnd.anphu", "AnPhu-BaoCao-2025!")
	if status := Open(t, commune, base+"/reports"); status != 200 {
		t.Fatalf("/reports as An Phú: %d", status)
	}
	if intro := Text(t, commune, "h1 + p.hint"); !strings.Contains(intro, "trực tiếp về UBND tỉnh") {
		t.Errorf("the commune's reports page introduction: %q", intro)
	}
	if status := Follow(t, commune, "#periods a"); status != 200 {
		t.Fatalf("open the period: %d", status)
	}
	if n := Eval[int](t, commune, `document.querySelectorAll("#status tbody tr").length`); n != 1 {
		t.Errorf("An Phú sees %d units in the status, want only itself", n)
	}
	if status := Follow(t, commune, "#start-21034"); status != 200 {
		t.Fatalf("start the report: %d", status)
	}
	Type(t, commune, "#n-results", "Đã tổ chức 12 lớp Bình dân học vụ số cho 480 người dân.")
	Type(t, commune, "#n-difficulties", "Một số thôn chưa có sóng 4G ổn định.")
	Type(t, commune, "#n-proposals", "Đề nghị tỉnh hỗ trợ thiết bị cho điểm học tại nhà văn hóa thôn.")
	Type(t, commune, "#signer-name", "Nguyễn Văn Hùng")
	Type(t, commune, "#signer-position", "Chủ tịch")
	Screenshot(t, commune, "02-commune-writes-1280")
	if status := Follow(t, commune, "#report-submit"); status != 200 {
		t.Fatalf("submit: %d; page says %q", status, Eval[string](t, commune, `document.body.innerText`))
	}
	if got := Eval[string](t, commune, `document.querySelector("#report-state").dataset.state`); got != "submitted" {
		t.Fatalf("after submitting, state %q", got)
	}
	Do(t, commune, chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile))
	Open(t, commune, Eval[string](t, commune, `location.href`))
	NoSidewaysScroll(t, commune, "the commune's report at 360 px")
	Screenshot(t, commune, "03-commune-report-360")

	// The province sees it among its communes, opens it and accepts it.
	if status := Open(t, prov, periodURL); status != 200 {
		t.Fatalf("period page: %d", status)
	}
	if got := Text(t, prov, "[data-testid=state-21034]"); got != "Đã gửi, chờ xem xét" {
		t.Errorf("the province sees An Phú's state %q", got)
	}
	if got := Text(t, prov, "#reporting-rate"); got == "0%" || got == "" {
		t.Errorf("reporting rate %q after one submission", got)
	}
	Screenshot(t, prov, "04-province-sees-commune-1280")
	if status := Follow(t, prov, "#open-21034"); status != 200 {
		t.Fatalf("open An Phú's report: %d", status)
	}
	if got := Text(t, prov, "h1"); !strings.Contains(got, "Xã An Phú") {
		t.Errorf("report page title %q", got)
	}
	if status := Follow(t, prov, "#report-accept"); status != 200 {
		t.Fatalf("accept: %d", status)
	}
	if got := Eval[string](t, prov, `document.querySelector("#report-state").dataset.state`); got != "accepted" {
		t.Fatalf("after accepting, state %q", got)
	}

	// The province's dashboard: its communes as tiles, no district map; An Phú is a drill-down.
	if status := Open(t, prov, base+"/dashboard/units/51"); status != 200 {
		t.Fatalf("province dashboard: %d", status)
	}
	if n := Eval[int](t, prov, `document.querySelectorAll("#unit-grid li").length`); n != 96 {
		t.Errorf("the dashboard's grid has %d tiles, want 96 communes", n)
	}
	if n := Eval[int](t, prov, `document.querySelectorAll("#district-map").length`); n != 0 {
		t.Errorf("a district map on the 2025 map")
	}
	Screenshot(t, prov, "05-dashboard-1280")
	if status := Follow(t, prov, `#children a[href="/dashboard/units/21034"]`); status != 200 {
		t.Fatalf("drill down to An Phú: %d", status)
	}
	if trail := Text(t, prov, "nav.trail"); !strings.Contains(trail, "Quảng Ngãi") || !strings.Contains(trail, "Xã An Phú") || strings.Contains(trail, "Huyện") {
		t.Errorf("An Phú's trail %q", trail)
	}
	Do(t, prov, chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile))
	for _, page := range []struct{ path, name string }{{"/dashboard/units/51", "06-dashboard-360"}, {periodURL[len(base):], "07-period-360"}, {"/reports", "08-periods-360"}} {
		Open(t, prov, base+page.path)
		NoSidewaysScroll(t, prov, page.path+" at 360 px")
		Screenshot(t, prov, page.name)
	}
}
