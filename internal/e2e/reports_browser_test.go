package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/lantoa/lantoa/internal/demo"
)

// TestReportsBrowser is the flow of the reporting issue: the province creates the plan's report
// (due 15/8/2023, long past, so any submission is late); Ba Tơ's administrator writes and submits
// it; the province sees it as late and returns it with a comment; Ba Tơ sees the comment and
// resubmits; the province accepts it and the report is locked (an edit is answered 423 with the
// reason); the province dashboard's Chart.js charts and district map are drawn, and a click on
// a bar drills down.
func TestReportsBrowser(t *testing.T) {
	prov := NewBrowser(t)
	srv := StartServer(t)
	base := srv.URL
	srv.CreateUser(t, "so.tttt.bc", "Tinh-BaoCao-2024!", "province_admin", "51")
	srv.CreateUser(t, "ubnd.bato.bc", "BaTo-BaoCao-2024!", "unit_admin", "535")

	// The province creates the plan's report in one click.
	Login(t, prov, base, "so.tttt.bc", "Tinh-BaoCao-2024!")
	if status := Open(t, prov, base+"/reports"); status != 200 {
		t.Fatalf("/reports: %d", status)
	}
	if status := Follow(t, prov, "#create-plan"); status != 200 {
		t.Fatalf("create the plan's report: %d", status)
	}
	periodURL := Eval[string](t, prov, `location.href`)
	if !strings.Contains(periodURL, "/reports/periods/") {
		t.Fatalf("after creating the plan's report the browser is at %s", periodURL)
	}
	if n := Eval[int](t, prov, `document.querySelectorAll("#status tbody tr").length`); n != 13 {
		t.Fatalf("status lists %d units, want the 13 districts", n)
	}
	if got := Text(t, prov, "[data-testid=state-535]"); got != "Chưa có" {
		t.Errorf("Ba Tơ's state before anything: %q", got)
	}

	// Ba Tơ's administrator writes and submits, after the due date.
	dist := NewContext(t, prov)
	Login(t, dist, base, "ubnd.bato.bc", "BaTo-BaoCao-2024!")
	if status := Open(t, dist, base+"/reports"); status != 200 {
		t.Fatalf("/reports as Ba Tơ: %d", status)
	}
	if status := Follow(t, dist, "#periods a"); status != 200 {
		t.Fatalf("open the period: %d", status)
	}
	if n := Eval[int](t, dist, `document.querySelectorAll("#status tbody tr").length`); n != 1 {
		t.Errorf("Ba Tơ sees %d units in the status, want only itself", n)
	}
	if status := Follow(t, dist, "#start-535"); status != 200 {
		t.Fatalf("start the report: %d", status)
	}
	Type(t, dist, "#n-results", "Đã thành lập 19 Tổ Công nghệ số cộng đồng, hướng dẫn người dân cài đặt VNeID.")
	Type(t, dist, "#n-difficulties", "Sóng di động yếu ở các xã vùng cao.")
	Type(t, dist, "#n-proposals", "Đề nghị hỗ trợ thiết bị cho các tổ.")
	Type(t, dist, "#signer-name", "Phạm Thị Lan")
	Type(t, dist, "#signer-position", "Chủ tịch")
	Screenshot(t, dist, "01-district-writes")
	if status := Follow(t, dist, "#report-submit"); status != 200 {
		t.Fatalf("submit: %d; page says %q", status, Eval[string](t, dist, `document.body.innerText`))
	}
	if got := Eval[string](t, dist, `document.querySelector("#report-state").dataset.state`); got != "submitted" {
		t.Fatalf("after submitting, state %q", got)
	}
	if got := Text(t, dist, "#report-timeliness"); got != "Trễ hạn" {
		t.Errorf("timeliness after a submission past 15/8/2023: %q", got)
	}
	reportURL := Eval[string](t, dist, `location.href`)

	// The province sees it late, opens it and returns it with a comment.
	if status := Open(t, prov, periodURL); status != 200 {
		t.Fatalf("period page: %d", status)
	}
	if got := Text(t, prov, "[data-testid=timeliness-535]"); got != "Trễ hạn" {
		t.Errorf("province sees Ba Tơ as %q, want Trễ hạn", got)
	}
	if got := Text(t, prov, "[data-testid=state-535]"); got != "Đã gửi, chờ xem xét" {
		t.Errorf("province sees Ba Tơ's state %q", got)
	}
	Screenshot(t, prov, "02-province-sees-late")
	if status := Follow(t, prov, "#open-535"); status != 200 {
		t.Fatalf("open Ba Tơ's report: %d", status)
	}
	if n := Eval[int](t, prov, `document.querySelectorAll(".figures-table tbody tr").length`); n == 0 {
		t.Errorf("the submitted report shows no figures")
	}
	Type(t, prov, "#return-comment", "Đề nghị bổ sung số người dân được hướng dẫn theo từng xã.")
	if status := Follow(t, prov, "#report-return"); status != 200 {
		t.Fatalf("return: %d", status)
	}
	if got := Eval[string](t, prov, `document.querySelector("#report-state").dataset.state`); got != "returned" {
		t.Fatalf("after returning, state %q", got)
	}

	// Ba Tơ sees the comment and resubmits.
	if status := Open(t, dist, reportURL); status != 200 {
		t.Fatalf("report page as Ba Tơ: %d", status)
	}
	if got := Text(t, dist, "#return-comment-text"); got != "Đề nghị bổ sung số người dân được hướng dẫn theo từng xã." {
		t.Errorf("Ba Tơ sees the comment %q", got)
	}
	Type(t, dist, "#n-results", "Đã thành lập 19 Tổ Công nghệ số cộng đồng; số người được hướng dẫn theo từng xã ở phụ lục.")
	if status := Follow(t, dist, "#report-submit"); status != 200 {
		t.Fatalf("resubmit: %d", status)
	}
	if got := Eval[string](t, dist, `document.querySelector("#report-state").dataset.state`); got != "submitted" {
		t.Fatalf("after resubmitting, state %q", got)
	}

	// The province accepts; the report is locked.
	if status := Open(t, prov, reportURL); status != 200 {
		t.Fatalf("report page as province: %d", status)
	}
	if status := Follow(t, prov, "#report-accept"); status != 200 {
		t.Fatalf("accept: %d", status)
	}
	if got := Eval[string](t, prov, `document.querySelector("#report-state").dataset.state`); got != "accepted" {
		t.Fatalf("after accepting, state %q", got)
	}
	if status := Open(t, dist, reportURL); status != 200 {
		t.Fatalf("report page as Ba Tơ after acceptance: %d", status)
	}
	if n := Eval[int](t, dist, `document.querySelectorAll("#report-form").length`); n != 0 {
		t.Errorf("Ba Tơ still has an edit form on an accepted report")
	}
	if !strings.Contains(Text(t, dist, "#locked-note"), "so.tttt.bc") {
		t.Errorf("locked note does not say who accepted: %q", Text(t, dist, "#locked-note"))
	}
	// An edit sent anyway (an old tab, a script) is refused with 423 and the reason.
	type answer struct {
		Status int
		Text   string
	}
	got, err := chromedp.Run(dist, chromedp.Evaluate[answer](`(async () => {
		const id = location.pathname.split("/").pop();
		const r = await fetch("/reports/" + id + "/save", {method: "POST", body: new URLSearchParams({results: "sửa sau khi khóa"})});
		const html = await r.text();
		const doc = new DOMParser().parseFromString(html, "text/html");
		return {Status: r.status, Text: doc.querySelector("[role=alert]") ? doc.querySelector("[role=alert]").textContent : html.slice(0, 300)};
	})()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("edit of an accepted report: %v", err)
	}
	if got.Status != 423 || !strings.Contains(got.Text, "đã được tỉnh tiếp nhận") || !strings.Contains(got.Text, "so.tttt.bc") {
		t.Errorf("edit of an accepted report: %d %q", got.Status, got.Text)
	}
	Screenshot(t, dist, "03-district-locked")

	// The province dashboard draws its bar chart and progress chart with Chart.js, and the
	// district map as server SVG.
	if status := Open(t, prov, base+"/dashboard"); status != 200 {
		t.Fatalf("/dashboard: %d", status)
	}
	WaitFor(t, prov, "the district map", `document.querySelectorAll("#district-map path").length === 13`)
	WaitFor(t, prov, "the Chart.js bar chart", `!!window.Chart && !!Chart.getChart(document.querySelector("#bar-chart"))`)
	if n := Eval[int](t, prov, `Chart.getChart(document.querySelector("#bar-chart")).data.labels.length`); n != 13 {
		t.Errorf("bar chart has %d bars, want 13", n)
	}
	// Drawn, not just made: the canvases have coloured pixels and a size, and the SVG
	// fallbacks are hidden.
	if n := Eval[int](t, prov, chartsDrawn); n != 1+Eval[int](t, prov, `document.querySelectorAll("canvas.progress-chart").length`) {
		t.Errorf("%d canvases drawn", n)
	}
	if n := Eval[int](t, prov, `document.querySelectorAll("canvas.progress-chart").length`); n == 0 {
		t.Errorf("no progress chart")
	}
	if n := Eval[int](t, prov, `[...document.querySelectorAll(".chart-fallback")].filter(f => f.offsetHeight > 0).length`); n != 0 {
		t.Errorf("%d SVG fallbacks still shown beside the canvases", n)
	}
	// Vietnamese figures on the value axis: dots between thousands, never commas.
	if ticks := Eval[string](t, prov, `Chart.getChart(document.querySelector("#bar-chart")).scales.x.ticks.map(k => k.label).join(" ")`); strings.Contains(ticks, ",") && !strings.Contains(ticks, ".") {
		t.Errorf("value axis ticks %q", ticks)
	}
	// Drawn, not just present: the paths have an area on screen.
	if n := Eval[int](t, prov, `[...document.querySelectorAll("#district-map path")].filter(p => { const b = p.getBBox(); return b.width > 1 && b.height > 1; }).length`); n != 13 {
		t.Errorf("%d district shapes have an area", n)
	}
	if w := Eval[float64](t, prov, `document.querySelector("#district-map").getBoundingClientRect().width`); w < 200 {
		t.Errorf("map is %v px wide", w)
	}
	if fill := Eval[string](t, prov, `getComputedStyle(document.querySelector("#district-map path")).fill`); fill == "" || fill == "none" || fill == "rgb(0, 0, 0)" {
		t.Errorf("district shapes are not coloured by share: fill %q", fill)
	}
	if !strings.Contains(Text(t, prov, "#map-attribution"), "dvhcvn") {
		t.Errorf("map attribution missing")
	}
	Screenshot(t, prov, "04-province-dashboard")
	// Drill down to Ba Tơ by clicking its bar, then see its communes.
	baTo := Eval[int](t, prov, `Chart.getChart(document.querySelector("#bar-chart")).data.labels.findIndex(l => l.includes("Ba Tơ"))`)
	if baTo < 0 {
		t.Fatalf("no Ba Tơ bar")
	}
	Do(t, prov, chromedp.ScrollIntoView("#bar-chart"))
	type point struct{ X, Y float64 }
	bar, err := chromedp.Run(prov, chromedp.Evaluate[point](fmt.Sprintf(`(() => {
		const c = Chart.getChart(document.querySelector("#bar-chart"));
		const b = c.getDatasetMeta(0).data[%d];
		const r = c.canvas.getBoundingClientRect();
		return {X: r.left + (b.base + b.x) / 2, Y: r.top + b.y};
	})()`, baTo)))
	if err != nil {
		t.Fatalf("find Ba Tơ's bar: %v", err)
	}
	if resp, err := chromedp.RunResponse(prov, chromedp.MouseClickXY(bar.X, bar.Y)); err != nil || resp == nil || resp.Status != 200 {
		t.Fatalf("click Ba Tơ's bar: %v %v", resp, err)
	}
	if path := Eval[string](t, prov, `location.pathname`); path != "/dashboard/units/535" {
		t.Fatalf("Ba Tơ's bar leads to %s", path)
	}
	WaitFor(t, prov, "Ba Tơ's bar chart", `!!window.Chart && !!Chart.getChart(document.querySelector("#bar-chart"))`)
	if n := Eval[int](t, prov, `Chart.getChart(document.querySelector("#bar-chart")).data.labels.length`); n < 10 {
		t.Errorf("Ba Tơ's dashboard compares %d communes", n)
	}
	if n := Eval[int](t, prov, chartsDrawn); n == 0 {
		t.Errorf("Ba Tơ's charts are blank")
	}
	Screenshot(t, prov, "05-district-dashboard")
	// The public dashboard needs no login.
	anon := NewContext(t, prov)
	if status := Open(t, anon, base+"/dashboard/public"); status != 200 {
		t.Fatalf("public dashboard: %d", status)
	}
	if n := Eval[int](t, anon, `document.querySelectorAll("#district-map path").length`); n != 13 {
		t.Errorf("public map has %d districts", n)
	}
	WaitFor(t, anon, "the public bar chart", `!!window.Chart && !!Chart.getChart(document.querySelector("#bar-chart"))`)
	if n := Eval[int](t, anon, chartsDrawn); n == 0 {
		t.Errorf("the public dashboard's charts are blank")
	}

	// An organisation's dashboard compares its member organisations in a chart; a click on a
	// member's name goes down to its own dashboard.
	code, out, errOut := srv.CLI(t, "", "token", "create", "--username", "so.tttt.bc", "--db", srv.DB)
	if code != 0 {
		t.Fatalf("token create: %d %s", code, errOut)
	}
	token := strings.TrimSpace(out)
	mkOrg := func(body string) int64 {
		t.Helper()
		req, _ := http.NewRequest("POST", base+"/api/v1/orgs", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var o struct{ ID int64 }
		if resp.StatusCode != http.StatusCreated || json.NewDecoder(resp.Body).Decode(&o) != nil {
			t.Fatalf("create organisation %s: %d", body, resp.StatusCode)
		}
		return o.ID
	}
	dept := mkOrg(`{"name":"Sở Giáo dục và Đào tạo","kind":"department","unit_code":"51"}`)
	mkOrg(fmt.Sprintf(`{"name":"Trường THPT Ba Tơ","kind":"school","unit_code":"535","parent_id":%d}`, dept))
	mkOrg(fmt.Sprintf(`{"name":"Trường THPT Sơn Tây","kind":"school","unit_code":"530","parent_id":%d}`, dept))
	if status := Open(t, prov, fmt.Sprintf("%s/dashboard/orgs/%d", base, dept)); status != 200 {
		t.Fatalf("organisation dashboard: %d", status)
	}
	WaitFor(t, prov, "the organisation's bar chart", `!!window.Chart && !!Chart.getChart(document.querySelector("#bar-chart"))`)
	if n := Eval[int](t, prov, `Chart.getChart(document.querySelector("#bar-chart")).data.labels.length`); n != 2 {
		t.Errorf("the organisation's chart has %d bars, want its 2 schools", n)
	}
	if n := Eval[int](t, prov, chartsDrawn); n == 0 {
		t.Errorf("the organisation's chart is blank")
	}
	Screenshot(t, prov, "06-organisation-dashboard")
	if status := Follow(t, prov, `#org-children a[href$="/dashboard/orgs/`+fmt.Sprint(dept+1)+`"]`); status != 200 {
		t.Fatalf("drill-down to a member organisation: %d", status)
	}
}

// chartsDrawn counts the Chart.js canvases of the page that have a size and at least one
// pixel that is not transparent.
const chartsDrawn = `[...document.querySelectorAll("figure[data-chart] canvas")].filter(c => {
	if (!Chart.getChart(c) || c.width < 50 || c.height < 50) return false;
	const px = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
	for (let i = 3; i < px.length; i += 4) if (px[i] !== 0) return true;
	return false;
}).length`

// TestReportsDemoData checks the acceptance contract on the demo data: the plan's period exists
// with at least one submitted district report, listed through the API.
func TestReportsDemoData(t *testing.T) {
	srv := StartServer(t, WithDemo())
	code, out, errOut := srv.CLI(t, "", "token", "create", "--username", "so.tttt", "--db", srv.DB)
	if code != 0 {
		t.Fatalf("token create: %d %s", code, errOut)
	}
	token := strings.TrimSpace(out)
	get := func(path string, v any) {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d", path, resp.StatusCode)
		}
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			t.Fatal(err)
		}
	}
	var periods struct {
		Items []struct {
			ID        int64    `json:"id"`
			Title     string   `json:"title"`
			DueDate   string   `json:"due_date"`
			UnitCodes []string `json:"unit_codes"`
		} `json:"items"`
	}
	get("/api/v1/reports/periods", &periods)
	// The campaign's period (due in the future) lists first, the plan's of 2023 after it.
	plan := -1
	for i, p := range periods.Items {
		if p.DueDate == "2023-08-15" && len(p.UnitCodes) == 13 {
			plan = i
		}
	}
	if len(periods.Items) != 2 || plan != 1 {
		t.Fatalf("demo periods: %+v", periods)
	}
	var list struct {
		Items []struct {
			ID       int64  `json:"id"`
			UnitCode string `json:"unit_code"`
			State    string `json:"state"`
		} `json:"items"`
	}
	get(fmt.Sprintf("/api/v1/reports?period=%d", periods.Items[plan].ID), &list)
	submitted := 0
	var baTo int64
	for _, r := range list.Items {
		if r.State == "submitted" || r.State == "accepted" {
			submitted++
		}
		if r.UnitCode == "535" {
			baTo = r.ID
		}
	}
	if submitted == 0 || baTo == 0 {
		t.Fatalf("no submitted district report in the demo data: %+v", list.Items)
	}
	// Ba Tơ's report is submitted after the ceremony is loaded, so it carries its bridge points.
	var rep struct {
		SignerName string `json:"signer_name"`
		Figures    []struct {
			Section string  `json:"section"`
			Key     string  `json:"key"`
			Value   float64 `json:"value"`
		} `json:"figures"`
	}
	get(fmt.Sprintf("/api/v1/reports/%d", baTo), &rep)
	points := 0.0
	for _, f := range rep.Figures {
		if f.Section == "ceremony" && f.Key == "points" {
			points = f.Value
		}
	}
	if points == 0 || rep.SignerName == "" {
		t.Errorf("Ba Tơ's demo report: %v bridge points, signer %q", points, rep.SignerName)
	}

	// With the demo's teams, records and learners the province dashboard draws figures, not
	// only the axes: some bar is longer than zero and some district is coloured above the
	// lowest band of the map.
	b := NewBrowser(t)
	Login(t, b, srv.URL, "so.tttt", demo.Password)
	if status := Open(t, b, srv.URL+"/dashboard"); status != 200 {
		t.Fatalf("/dashboard: %d", status)
	}
	WaitFor(t, b, "the Chart.js bar chart", `!!window.Chart && !!Chart.getChart(document.querySelector("#bar-chart"))`)
	if !Eval[bool](t, b, `Chart.getChart(document.querySelector("#bar-chart")).data.datasets.some(d => d.data.some(v => v > 0))`) {
		t.Errorf("every bar of the demo dashboard is zero")
	}
	if n := Eval[int](t, b, `new Set([...document.querySelectorAll("#district-map path")].map(p => getComputedStyle(p).fill)).size`); n < 2 {
		t.Errorf("the demo map colours every district alike (%d colours)", n)
	}
	Screenshot(t, b, "07-province-dashboard-demo")

	// The 2023 period is history judged against its own dates: Ba Tơ on time, Sơn Tây really
	// late. The campaign's period is due in the future: Ba Tơ on time, Đức Phổ returned.
	campaign := 1 - plan
	var campaignReports struct {
		Items []struct {
			ID       int64  `json:"id"`
			UnitCode string `json:"unit_code"`
		} `json:"items"`
	}
	get(fmt.Sprintf("/api/v1/reports?period=%d", periods.Items[campaign].ID), &campaignReports)
	var ducPho int64
	for _, r := range campaignReports.Items {
		if r.UnitCode == "534" {
			ducPho = r.ID
		}
	}
	for _, size := range [][2]int64{{1280, 900}, {360, 780}} {
		Do(t, b, chromedp.EmulateViewport(size[0], size[1]))
		Open(t, b, fmt.Sprintf("%s/reports/periods/%d", srv.URL, periods.Items[plan].ID))
		if on, late := Text(t, b, "[data-testid=timeliness-535]"), Text(t, b, "[data-testid=timeliness-530]"); on != "Đúng hạn" || late != "Trễ hạn" {
			t.Errorf("2023 period: Ba Tơ %q, Sơn Tây %q; want Đúng hạn, Trễ hạn", on, late)
		}
		NoSidewaysScroll(t, b, fmt.Sprintf("the 2023 period at %d px", size[0]))
		Screenshot(t, b, fmt.Sprintf("08-plan-period-%d", size[0]))
		Open(t, b, fmt.Sprintf("%s/reports/periods/%d", srv.URL, periods.Items[campaign].ID))
		if on, back := Text(t, b, "[data-testid=timeliness-535]"), Text(t, b, "[data-testid=state-534]"); on != "Đúng hạn" || back != "Bị trả lại" {
			t.Errorf("campaign period: Ba Tơ %q, Đức Phổ %q; want Đúng hạn, Bị trả lại", on, back)
		}
		NoSidewaysScroll(t, b, fmt.Sprintf("the campaign's period at %d px", size[0]))
		Screenshot(t, b, fmt.Sprintf("09-campaign-period-%d", size[0]))
	}
	// Đức Phổ's People's Committee reads why its report came back.
	dp := NewContext(t, b)
	Login(t, dp, srv.URL, "ubnd.ducpho", demo.Password)
	if st := Open(t, dp, fmt.Sprintf("%s/reports/%d", srv.URL, ducPho)); st != 200 || !strings.Contains(Text(t, dp, "main"), demo.ReturnComment) {
		t.Errorf("Đức Phổ's returned report (%d) does not show the province's comment", st)
	}
}
