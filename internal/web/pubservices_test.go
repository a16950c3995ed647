package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/lantoa/lantoa/internal/ceremony"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
)

// launchedIn makes Quảng Ngãi's ceremony launched at the given moment. A ceremony is launched only
// within its window, that is now; statistics are of months already over, so the test moves the
// launch back in time as a ceremony of last year would be.
func (e *env) launchedIn(d *db.DB, at time.Time) {
	e.t.Helper()
	c, err := e.web.Ceremony.Create(e.sys, ceremony.Ceremony{Province: "51", Title: "Lễ phát động Phong trào chuyển đổi số", StartsAt: time.Now().Add(time.Hour).Truncate(time.Minute),
		Venue: "Trung tâm IOC tỉnh", Steps: []ceremony.Step{{Position: 1, Title: "Khai mạc", PlannedAt: time.Now().Add(time.Hour).Truncate(time.Minute)}}})
	if err != nil {
		e.t.Fatal(err)
	}
	if err := d.WriteTx(e.sys, func(tx *db.Tx) error {
		_, err := tx.ExecContext(e.sys, `UPDATE ceremonies SET launch_at = ? WHERE id = ?`, db.Millis(at), c.ID)
		return err
	}); err != nil {
		e.t.Fatal(err)
	}
}

type psJSON struct {
	Months []struct {
		Month    string `json:"month"`
		Received int64  `json:"received"`
		Phase    string `json:"phase"`
	} `json:"months"`
	Summary struct {
		Before struct {
			Months      int      `json:"months"`
			OnlineShare *float64 `json:"online_share"`
		} `json:"before"`
		After struct {
			Months          int      `json:"months"`
			OnlineShare     *float64 `json:"online_share"`
			PaidOnlineShare *float64 `json:"paid_online_share"`
		} `json:"after"`
	} `json:"summary"`
	Children []json.RawMessage `json:"children"`
}

func TestPublicServicesAPI(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		e.launchedIn(d, time.Date(2024, 3, 15, 9, 0, 0, 0, time.UTC))
		prov, baTo, sonTay := e.tokens["province_admin"], e.tokens["unit_admin_bato"], e.tokens["unit_admin_sontay"]
		file := "Mã đơn vị,Tháng,Tổng số hồ sơ tiếp nhận,Hồ sơ trực tuyến,Hồ sơ trực tuyến toàn trình,Hồ sơ thanh toán trực tuyến\n"
		for i, m := range []string{"2024-01", "2024-02", "2024-03", "2024-04", "2024-05"} {
			file += fmt.Sprintf("%s,%s,200,%d,%d,%d\n", e.baToCommune, m, 40+20*i, 10+10*i, 5+10*i)
		}
		resp, b := e.do("POST", "/api/v1/public-services/stats/import", prov, "text/csv", file)
		if resp.StatusCode != 200 || !strings.Contains(string(b), `"rows":5`) {
			t.Fatalf("import: %d %s", resp.StatusCode, b)
		}
		// Again without replace: refused whole, every line named, nothing changed.
		changed := strings.Replace(file, ",200,", ",300,", 1)
		resp, b = e.do("POST", "/api/v1/public-services/stats/import", prov, "text/csv", changed)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(b), `"line":2,`) || !strings.Contains(string(b), `"line":6,`) || !strings.Contains(string(b), "đã được nhập") {
			t.Fatalf("re-import: %d %s", resp.StatusCode, b)
		}
		var got psJSON
		if st := e.json("GET", "/api/v1/public-services/stats?unit="+e.baToCommune, baTo, nil, &got); st != 200 || got.Months[0].Received != 200 {
			t.Fatalf("stats after a refused re-import: %d %+v", st, got.Months)
		}
		// A bad replace flag is refused; replace=true replaces.
		if resp, _ := e.do("POST", "/api/v1/public-services/stats/import?replace=maybe", prov, "text/csv", changed); resp.StatusCode != 400 && resp.StatusCode != 422 {
			t.Errorf("replace=maybe: %d", resp.StatusCode)
		}
		resp, b = e.do("POST", "/api/v1/public-services/stats/import?replace=true", baTo, "text/csv", changed)
		if resp.StatusCode != 200 || !strings.Contains(string(b), `"replaced":5`) {
			t.Fatalf("replace: %d %s", resp.StatusCode, b)
		}
		// Ba Tơ's figures: January and February before (40+60 online of 300+200 received: 20 %),
		// March the launch month, April and May after (100+120 of 200+200: 55 %).
		got = psJSON{}
		e.json("GET", "/api/v1/public-services/stats?unit=535", baTo, nil, &got)
		if len(got.Months) != 5 || got.Months[0].Received != 300 || got.Months[2].Phase != "launch" || got.Summary.Before.Months != 2 || got.Summary.After.Months != 2 {
			t.Fatalf("Ba Tơ: %+v", got)
		}
		if got.Summary.Before.OnlineShare == nil || fmt.Sprintf("%.1f", *got.Summary.Before.OnlineShare) != "20.0" ||
			got.Summary.After.OnlineShare == nil || fmt.Sprintf("%.1f", *got.Summary.After.OnlineShare) != "55.0" {
			t.Errorf("online shares: %+v", got.Summary)
		}
		if len(got.Children) != 1 {
			t.Errorf("children with figures: %d", len(got.Children))
		}
		// Sơn Tây's administrator does not see Ba Tơ; a unit code that is not one is refused.
		if r, _ := e.do("GET", "/api/v1/public-services/stats?unit=535", sonTay, "", ""); r.StatusCode != 404 {
			t.Errorf("Sơn Tây reads Ba Tơ: %d", r.StatusCode)
		}
		if r, _ := e.do("GET", "/api/v1/public-services/stats?unit=5%2735", prov, "", ""); r.StatusCode != 400 && r.StatusCode != 422 {
			t.Errorf("malformed unit: %d", r.StatusCode)
		}
		// Not a spreadsheet, and an empty file: refused with a reason.
		for _, body := range []string{"\x00\x01\x02 not a table", ""} {
			if r, b := e.do("POST", "/api/v1/public-services/stats/import", prov, "text/csv", body); r.StatusCode < 400 || r.StatusCode >= 500 {
				t.Errorf("bad file %q: %d %s", body, r.StatusCode, b)
			}
		}

		// The page, the province's dashboard and the export show the before/after figures.
		br := e.browser()
		if r := br.login("province.admin", testPassword); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("login: %d", r.StatusCode)
		}
		_, page := br.get("/public-services?unit=535")
		if strings.Contains(page, "%!") || strings.Contains(page, "%%") {
			t.Errorf("a label printed a format verb:\n%.3000s", page)
		}
		if !strings.Contains(page, "20,0 % → 55,0 %") || !strings.Contains(page, `data-code="`+e.baToCommune+`"`) {
			t.Errorf("page lacks the before/after shares:\n%.3000s", page)
		}
		if _, dash := br.get("/dashboard/units/535"); !strings.Contains(dash, `id="ps-section"`) || !strings.Contains(dash, "20,0 % → 55,0 %") {
			t.Errorf("dashboard lacks the public services section")
		}
		// The province summary of a report period carries the province's comparison too.
		if _, sum := br.get(fmt.Sprintf("/reports/periods/%d/summary", e.baToPeriod().ID)); !strings.Contains(sum, `id="ps-section"`) || !strings.Contains(sum, "20,0 % → 55,0 %") {
			t.Errorf("the period's summary lacks the public services section")
		}
		// The summary's workbook has a sheet of the comparison; the province's public dashboard
		// shows it to anyone, without the link to the administrators' page.
		if sr, sb := br.get(fmt.Sprintf("/api/v1/reports/periods/%d/summary/export?format=xlsx", e.baToPeriod().ID)); sr.StatusCode != 200 {
			t.Errorf("summary export: %d", sr.StatusCode)
		} else if wb, err := excelize.OpenReader(strings.NewReader(sb)); err != nil || !slices.Contains(wb.GetSheetList(), "Trước và sau phát động") {
			t.Errorf("summary workbook: %v %v", err, wb.GetSheetList())
		}
		if _, pub := e.browser().get("/dashboard/public?province=51"); !strings.Contains(pub, `id="ps-section"`) || !strings.Contains(pub, "20,0 % → 55,0 %") || strings.Contains(pub, `id="ps-open"`) {
			t.Errorf("the public dashboard's public services section")
		}
		// The national dashboard lists each province with statistics against its own launch.
		if _, nat := e.browser().get("/dashboard/public"); !strings.Contains(nat, `id="ps-provinces"`) {
			t.Errorf("the national dashboard lacks the provinces' public services")
		} else if sec, _, _ := strings.Cut(nat[strings.Index(nat, `id="ps-provinces"`):], "</section>"); !strings.Contains(sec, `<tr data-code="51"><th scope="row">Tỉnh Quảng Ngãi</th><td data-label="Lễ phát động">15/03/2024</td>`) ||
			!strings.Contains(sec, "20,0\u00a0% → 55,0\u00a0%") || !strings.Contains(sec, "&#43;35,0<") || strings.Contains(sec, `data-code="01"`) {
			t.Errorf("the national dashboard's provinces: %.1500s", sec)
		}
		xr, xb := br.get("/public-services/export?unit=535&format=xlsx")
		if xr.StatusCode != 200 {
			t.Fatalf("export: %d", xr.StatusCode)
		}
		f, err := excelize.OpenReader(strings.NewReader(xb))
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := f.GetRows(f.GetSheetList()[0])
		if len(rows) != 3 || rows[1][0] != "535" || rows[1][2] != "20" || rows[1][3] != "55" {
			t.Errorf("export rows: %v", rows)
		}
	})
}
