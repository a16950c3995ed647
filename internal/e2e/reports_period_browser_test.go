package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/lantoa/lantoa/internal/ceremony"
	"github.com/lantoa/lantoa/internal/demo"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
)

// TestReportShowsEnterprises: a Sơn Tây team member guides an enterprise during the demo's
// campaign; Sơn Tây's People's Committee opens its draft report of the campaign's period and sees
// the enterprise counted apart from the citizens in the outreach section — at 360 and 1280 px,
// without sideways scroll, axe-clean. The province's public dashboard shows the same figures.
func TestReportShowsEnterprises(t *testing.T) {
	srv := StartServer(t, WithDemo())
	member := srv.Token(t, "tocnscd.sontay.1")
	rec := map[string]any{"client_id": "7d0c2a1e-5b4f-4c3d-9e8f-0a1b2c3d4e5f", "enterprise": map[string]any{"name": "Hợp tác xã Quế Sơn Tây", "tax_code": "4300654321"},
		"skills": []string{"hoa_don_dien_tu"}, "guided_at": time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)}
	if st := API(t, srv.URL, member, "POST", "/api/v1/outreach/records", rec, nil); st != 201 {
		t.Fatalf("enterprise record: %d", st)
	}
	unit := srv.Token(t, "ubnd.sontay")
	var periods struct {
		Items []struct {
			ID    int64  `json:"id"`
			Title string `json:"title"`
		} `json:"items"`
	}
	API(t, srv.URL, unit, "GET", "/api/v1/reports/periods", nil, &periods)
	var period int64
	for _, p := range periods.Items {
		if p.Title == demo.CampaignPeriodTitle {
			period = p.ID
		}
	}
	var list struct {
		Items []struct {
			ID       int64  `json:"id"`
			UnitCode string `json:"unit_code"`
		} `json:"items"`
	}
	API(t, srv.URL, unit, "GET", fmt.Sprintf("/api/v1/reports?period=%d", period), nil, &list)
	var report int64
	for _, r := range list.Items {
		if r.UnitCode == "530" {
			report = r.ID
		}
	}
	if period == 0 || report == 0 {
		t.Fatalf("Sơn Tây's report of the campaign's period: period %d, report %d", period, report)
	}

	b := NewBrowser(t)
	Login(t, b, srv.URL, "ubnd.sontay", demo.Password)
	row := func(label string) string {
		return Eval[string](t, b, fmt.Sprintf(`[...document.querySelectorAll(".figures-table tbody tr")].map(r => [...r.cells].map(c => c.textContent.trim()).join("|")).find(s => s.startsWith(%q)) || ""`, label+"|"))
	}
	for _, size := range [][2]int64{{1280, 900}, {360, 780}} {
		Do(t, b, chromedp.EmulateViewport(size[0], size[1]))
		// The outreach counters are written a moment after the record: the page is read again
		// until they are (the draft's figures are a live preview).
		deadline := time.Now().Add(15 * time.Second)
		for {
			if st := Open(t, b, fmt.Sprintf("%s/reports/%d", srv.URL, report)); st != 200 {
				t.Fatalf("Sơn Tây's report: %d", st)
			}
			if row("Số doanh nghiệp được hướng dẫn (theo mã số thuế)") != "" || time.Now().After(deadline) {
				break
			}
			time.Sleep(time.Second)
		}
		if got := row("Số doanh nghiệp được hướng dẫn (theo mã số thuế)"); !strings.HasPrefix(got, "Số doanh nghiệp được hướng dẫn (theo mã số thuế)|1|") {
			t.Errorf("enterprises at %d px: %q", size[0], got)
		}
		if got := row("Số lượt hướng dẫn doanh nghiệp"); !strings.HasPrefix(got, "Số lượt hướng dẫn doanh nghiệp|1|") {
			t.Errorf("enterprise records at %d px: %q", size[0], got)
		}
		// Citizens stay citizens: the enterprise is in neither of their figures.
		if cit := row("Số lượt hướng dẫn"); cit == "" {
			t.Errorf("the citizens' records are missing at %d px", size[0])
		}
		NoSidewaysScroll(t, b, fmt.Sprintf("Sơn Tây's report at %d px", size[0]))
		reportViolations(t, fmt.Sprintf("Sơn Tây's report at %d px", size[0]), auditPage(t, b))
		Screenshot(t, b, fmt.Sprintf("report-enterprises-%d", size[0]))
	}
}

// TestDashboardsShowPublicServices: the province's public dashboard shows its online public
// services before and after the launch (without the administrators' link), and the national one
// lists each province with statistics against its own launch — at 360 and 1280 px, without
// sideways scroll, axe-clean.
func TestDashboardsShowPublicServices(t *testing.T) {
	srv := StartServer(t, WithDemo())
	ctx := authz.WithActor(context.Background(), authz.System)
	d, err := db.Open(ctx, srv.DB, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// The demo's ceremony was launched days ago: no month after it is over yet, so its launch is
	// moved to March 2025, as an earlier year's ceremony would be.
	if err := d.WriteTx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE ceremonies SET launch_at = ? WHERE province_code = '51' AND launch_at <> 0",
			db.Millis(time.Date(2025, 3, 15, 8, 30, 0, 0, ceremony.VietnamTime)))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	d.Close()
	file := "Mã đơn vị,Tháng,Tổng số hồ sơ tiếp nhận,Hồ sơ trực tuyến,Hồ sơ trực tuyến toàn trình,Hồ sơ thanh toán trực tuyến\n"
	for i, m := range []string{"2025-01", "2025-02", "2025-03", "2025-04", "2025-05"} {
		file += fmt.Sprintf("535,%s,1000,%d,%d,%d\n", m, 300+100*i, 100+50*i, 50+50*i)
	}
	req, _ := http.NewRequest("POST", srv.URL+"/api/v1/public-services/stats/import", strings.NewReader(file))
	req.Header.Set("Authorization", "Bearer "+srv.Token(t, "so.tttt"))
	req.Header.Set("Content-Type", "text/csv")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("import: %d", resp.StatusCode)
	}
	srv.ImportProvince(t, "01", "001") // a second province: /dashboard/public is the national page

	b := NewBrowser(t)
	for _, size := range [][2]int64{{1280, 900}, {360, 780}} {
		Do(t, b, chromedp.EmulateViewport(size[0], size[1]))
		if st := Open(t, b, srv.URL+"/dashboard/public?province=51"); st != 200 {
			t.Fatalf("Quảng Ngãi's public dashboard: %d", st)
		}
		if got := Text(t, b, "#ps-section"); !strings.Contains(got, "35,0 % → 65,0 %") {
			t.Errorf("the province's public dashboard at %d px: %q", size[0], got)
		}
		if n := Eval[int](t, b, `document.querySelectorAll("#ps-open").length`); n != 0 {
			t.Errorf("the public dashboard links to the administrators' page")
		}
		NoSidewaysScroll(t, b, fmt.Sprintf("the province's public dashboard at %d px", size[0]))
		reportViolations(t, fmt.Sprintf("the province's public dashboard at %d px", size[0]), auditPage(t, b))
		Screenshot(t, b, fmt.Sprintf("public-dashboard-ps-%d", size[0]))

		if st := Open(t, b, srv.URL+"/dashboard/public"); st != 200 {
			t.Fatalf("the national public dashboard: %d", st)
		}
		row := Eval[string](t, b, `[...document.querySelectorAll("#ps-provinces-table tbody tr")].map(r => r.dataset.code + "|" + [...r.cells].map(c => c.textContent.trim()).join("|")).join("\n")`)
		if row != "51|Tỉnh Quảng Ngãi|15/03/2025|35,0\u00a0% → 65,0\u00a0%|+30,0" {
			t.Errorf("the national dashboard's provinces at %d px: %q", size[0], row)
		}
		NoSidewaysScroll(t, b, fmt.Sprintf("the national public dashboard at %d px", size[0]))
		reportViolations(t, fmt.Sprintf("the national public dashboard at %d px", size[0]), auditPage(t, b))
		Screenshot(t, b, fmt.Sprintf("national-dashboard-ps-%d", size[0]))
	}
}
