package web_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/reports"
	"github.com/lantoa/lantoa/internal/schema"
)

// On the 2025 map a province's communes report to it directly: the API takes reporting_level
// (default: communes, since there are no districts), a commune's administrator opens and submits
// its report through the API, the province accepts it; the pages offer the communes only, say the
// period's level, and draw the communes as tiles on the dashboard.
func TestCommuneReportsOn2025Map(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newQuangNgaiEnv(t, d)
		e.switchTo2025()
		admin := e.tokens["province_admin"]
		body := map[string]any{"title": "Báo cáo Bình dân học vụ số tháng 8/2025", "period_start": "2025-07-28", "period_end": "2025-08-31", "due_date": "2099-09-05",
			"sections": []string{"foundation"}}
		// Bad input: districts where there are none; levels that disagree.
		body["reporting_level"] = "district"
		if resp, b := e.do("POST", "/api/v1/reports/periods", admin, "application/json", jsonOf(t, body)); resp.StatusCode != 422 || !strings.Contains(string(b), "reporting_level") {
			t.Errorf("districts on the 2025 map: %d %s", resp.StatusCode, b)
		}
		body["reporting_level"], body["unit_level"] = "commune", "district"
		if resp, b := e.do("POST", "/api/v1/reports/periods", admin, "application/json", jsonOf(t, body)); resp.StatusCode != 422 || !strings.Contains(string(b), "reporting_level") {
			t.Errorf("disagreeing levels: %d %s", resp.StatusCode, b)
		}
		delete(body, "unit_level")
		var p reports.Period
		if code := e.json("POST", "/api/v1/reports/periods", admin, body, &p); code != 201 || p.ReportingLevel != "commune" || len(p.UnitCodes) != 96 {
			t.Fatalf("commune period: %d %q %d units", code, p.ReportingLevel, len(p.UnitCodes))
		}
		delete(body, "reporting_level")
		body["title"] = "Kỳ theo mặc định"
		var def reports.Period
		if code := e.json("POST", "/api/v1/reports/periods", admin, body, &def); code != 201 || def.ReportingLevel != "commune" || len(def.UnitCodes) != 96 {
			t.Errorf("period by default: %d %q %d units", code, def.ReportingLevel, len(def.UnitCodes))
		}

		// Xã An Phú's administrator writes and submits; the province accepts.
		tok := e.userToken("ubnd.anphu.api", accounts.NewUser{Role: authz.UnitAdmin, UnitCode: "21034"})
		var r reports.Report
		if code := e.json("POST", fmt.Sprintf("/api/v1/reports/periods/%d/units/21034", p.ID), tok, nil, &r); code != 200 && code != 201 {
			t.Fatalf("open: %d", code)
		}
		if r.UnitName != "Xã An Phú" {
			t.Errorf("report unit: %q", r.UnitName)
		}
		if code := e.json("POST", fmt.Sprintf("/api/v1/reports/periods/%d/units/21115", p.ID), tok, nil, nil); code != 403 {
			t.Errorf("An Phú opening Trà Bồng's report: %d", code)
		}
		if code := e.json("POST", fmt.Sprintf("/api/v1/reports/%d/submit", r.ID), tok, map[string]any{"narratives": reportNarratives}, &r); code != 200 || r.State != reports.Submitted {
			t.Fatalf("submit: %d %s", code, r.State)
		}
		if code := e.json("POST", fmt.Sprintf("/api/v1/reports/%d/accept", r.ID), tok, map[string]any{}, nil); code != 403 {
			t.Errorf("the commune accepting its own report: %d", code)
		}
		if code := e.json("POST", fmt.Sprintf("/api/v1/reports/%d/accept", r.ID), admin, map[string]any{}, &r); code != 200 || r.State != reports.Accepted {
			t.Errorf("accept: %d %s", code, r.State)
		}
		var st reports.Status
		if code := e.json("GET", fmt.Sprintf("/api/v1/reports/periods/%d/status", p.ID), admin, nil, &st); code != 200 || st.Assigned != 96 || st.Reported != 1 {
			t.Errorf("status: %d %+v", code, st)
		}

		// Pages: the form offers the communes only, the period says its level, the dashboard tiles.
		b := e.browser()
		if resp := b.login("province.admin", testPassword); resp.StatusCode != 303 {
			t.Fatalf("login: %d", resp.StatusCode)
		}
		_, page := b.get("/reports")
		if strings.Contains(page, `<option value="district"`) || !strings.Contains(page, `<option value="commune" selected>`) || !strings.Contains(page, `id="p-level-direct"`) {
			t.Errorf("period form on the 2025 map:\n%s", page)
		}
		resp, page := b.post("/reports/periods", url.Values{"title": {"Kỳ qua biểu mẫu"}, "period_start": {"2025-08-01"}, "period_end": {"2025-08-31"}, "due_date": {"2099-09-10"},
			"reporting_level": {"commune"}, "sections": {"foundation"}, "narratives": {"results"}})
		if resp.StatusCode != 303 {
			t.Fatalf("form period: %d\n%s", resp.StatusCode, page)
		}
		_, page = b.get(resp.Header.Get("Location"))
		if !strings.Contains(page, `id="reporting-level"`) || strings.Count(page, "data-unit=") != 96 {
			t.Errorf("period page: level %v, %d units", strings.Contains(page, `id="reporting-level"`), strings.Count(page, "data-unit="))
		}
		_, page = b.get("/dashboard/units/51")
		if strings.Contains(page, `id="district-map"`) || strings.Count(page, `class="tile"`) != 96 || !strings.Contains(page, `id="grid-hint"`) {
			t.Errorf("province dashboard on the 2025 map: map %v, %d tiles", strings.Contains(page, `id="district-map"`), strings.Count(page, `class="tile"`))
		}
		if _, page = b.get("/dashboard/units/21034"); !strings.Contains(page, "Xã An Phú") || !strings.Contains(page, `href="/dashboard/units/51"`) {
			t.Errorf("commune dashboard: trail missing")
		}
	})
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
