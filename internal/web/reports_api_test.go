package web_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/notify"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/platform/pdfdoc/pdftest"
	"github.com/lantoa/lantoa/internal/platform/sheet"
	"github.com/lantoa/lantoa/internal/reports"
	"github.com/lantoa/lantoa/internal/schema"
)

// baToCtx acts as Ba Tơ's People's Committee, which writes Ba Tơ's reports.
func baToCtx() context.Context {
	a := &authz.Actor{UserID: 0, Username: "ubnd.bato", Name: "UBND Ba Tơ", Grants: []authz.Grant{{Role: authz.UnitAdmin, UnitCode: "535", UnitPath: "/51/535/"}}}
	return audit.WithWho(authz.WithActor(context.Background(), a), audit.Who{Username: "ubnd.bato"})
}

var reportNarratives = map[string]string{"results": "Kết quả", "difficulties": "Khó khăn", "proposals": "Đề xuất"}

// baToPeriod makes a new period assigned to Ba Tơ only.
func (e *env) baToPeriod() reports.Period {
	e.t.Helper()
	e.seq++
	p, err := e.reports.CreatePeriod(e.sys, reports.PeriodInput{Title: fmt.Sprintf("Báo cáo thử %d", e.seq), PeriodStart: "2023-07-01", PeriodEnd: "2023-08-15",
		DueDate: "2023-08-15", UnitCodes: []string{"535"}, Sections: []string{"foundation"}})
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

// baToReport makes a new period and Ba Tơ's report in it, taken to state.
func (e *env) baToReport(state reports.State) reports.Report {
	e.t.Helper()
	p := e.baToPeriod()
	r, err := e.reports.OpenReport(baToCtx(), p.ID, "535")
	if err != nil {
		e.t.Fatal(err)
	}
	if state == reports.Draft {
		return r
	}
	if r, err = e.reports.Submit(baToCtx(), r.ID, reports.DraftInput{Narratives: reportNarratives}); err != nil {
		e.t.Fatal(err)
	}
	if state == reports.Accepted {
		if r, err = e.reports.Accept(e.sys, r.ID); err != nil {
			e.t.Fatal(err)
		}
	}
	return r
}

// reportsWith copies outcomes and changes some roles' outcomes, leaving the shared maps alone.
func reportsWith(m map[string]outcome, change map[string]outcome) map[string]outcome {
	out := map[string]outcome{}
	for k, v := range m {
		out[k] = v
	}
	for k, v := range change {
		out[k] = v
	}
	return out
}

// reportsMatrixCases: every object the cases make is Quảng Ngãi's (a Ba Tơ period or report).
// Hà Nội's administrator reads none of them (404) and changes none; listing the periods it
// answers 200 with its own (none of Quảng Ngãi's: TestReportsAcrossProvinces), and the plan's
// period it asks for is Hà Nội's own. The national administrator reads every one of them and
// changes none (403).
func reportsMatrixCases() []matrixCase {
	national := map[string]outcome{"national_admin": ok}
	reporters := expect(deny, map[string]outcome{"anonymous": anon, "province_admin": ok, "unit_admin_bato": ok, "unit_admin_sontay": ok,
		"province_admin_hanoi": ok, "national_admin": ok})
	baToOnly := expect(deny, map[string]outcome{"anonymous": anon, "unit_admin_bato": ok})
	baToReaders := reportsWith(baToAdmins, national)
	narratives, _ := json.Marshal(map[string]any{"narratives": reportNarratives})
	return []matrixCase{
		{"GET /api/v1/reports/periods", func(e *env, _ string) (string, string) { return "/api/v1/reports/periods", "" }, reporters},
		// Ba Tơ's unit in a period: Hà Nội's administrator is told the unit lies outside its
		// province (422, the field named); the national administrator defines no province's period.
		{"POST /api/v1/reports/periods", func(e *env, role string) (string, string) {
			return "/api/v1/reports/periods", fmt.Sprintf(`{"title":"Báo cáo %s","period_start":"2023-09-01","period_end":"2023-09-30","due_date":"2023-10-05","unit_codes":["535"]}`, role)
		}, reportsWith(provinceOnly, map[string]outcome{"province_admin_hanoi": refused})},
		{"POST /api/v1/reports/plan", func(e *env, _ string) (string, string) { return "/api/v1/reports/plan", "" },
			reportsWith(provinceOnly, map[string]outcome{"province_admin_hanoi": ok})},
		{"GET /api/v1/reports/periods/{id}/status", func(e *env, _ string) (string, string) {
			return fmt.Sprintf("/api/v1/reports/periods/%d/status", e.baToPeriod().ID), ""
		}, baToReaders},
		{"GET /api/v1/reports/periods/{id}/summary/export", func(e *env, _ string) (string, string) {
			return fmt.Sprintf("/api/v1/reports/periods/%d/summary/export?format=xlsx", e.baToReport(reports.Submitted).PeriodID), ""
		}, reportsWith(provinceOnly, national)},
		{"POST /api/v1/reports/periods/{id}/remind", func(e *env, _ string) (string, string) {
			return fmt.Sprintf("/api/v1/reports/periods/%d/remind", e.baToPeriod().ID), ""
		}, provinceOnly},
		{"POST /api/v1/reports/periods/{id}/units/{code}", func(e *env, _ string) (string, string) {
			return fmt.Sprintf("/api/v1/reports/periods/%d/units/535", e.baToPeriod().ID), ""
		}, baToOnly},
		{"GET /api/v1/reports", func(e *env, _ string) (string, string) {
			return fmt.Sprintf("/api/v1/reports?period=%d", e.baToReport(reports.Draft).PeriodID), ""
		}, baToReaders},
		{"GET /api/v1/reports/{id}", func(e *env, _ string) (string, string) {
			return fmt.Sprintf("/api/v1/reports/%d", e.baToReport(reports.Draft).ID), ""
		}, baToReaders},
		{"PUT /api/v1/reports/{id}", func(e *env, _ string) (string, string) {
			return fmt.Sprintf("/api/v1/reports/%d", e.baToReport(reports.Draft).ID), string(narratives)
		}, baToOnly},
		{"POST /api/v1/reports/{id}/submit", func(e *env, _ string) (string, string) {
			return fmt.Sprintf("/api/v1/reports/%d/submit", e.baToReport(reports.Draft).ID), string(narratives)
		}, baToOnly},
		{"POST /api/v1/reports/{id}/return", func(e *env, _ string) (string, string) {
			return fmt.Sprintf("/api/v1/reports/%d/return", e.baToReport(reports.Submitted).ID), `{"comment":"Bổ sung"}`
		}, provinceOnly},
		{"POST /api/v1/reports/{id}/accept", func(e *env, _ string) (string, string) {
			return fmt.Sprintf("/api/v1/reports/%d/accept", e.baToReport(reports.Submitted).ID), ""
		}, provinceOnly},
		{"POST /api/v1/reports/{id}/reopen", func(e *env, _ string) (string, string) {
			return fmt.Sprintf("/api/v1/reports/%d/reopen", e.baToReport(reports.Accepted).ID), `{"comment":"Sai số liệu"}`
		}, provinceOnly},
		{"GET /api/v1/reports/{id}/export", func(e *env, _ string) (string, string) {
			return fmt.Sprintf("/api/v1/reports/%d/export?format=pdf", e.baToReport(reports.Submitted).ID), ""
		}, baToReaders},
		{"GET /api/v1/dashboard/units/{code}", func(e *env, _ string) (string, string) { return "/api/v1/dashboard/units/535", "" },
			expect(deny, map[string]outcome{"anonymous": anon, "province_admin": ok, "unit_admin_bato": ok, "team_member": ok, "bridge_operator": ok, "national_admin": ok})},
		{"GET /api/v1/dashboard/public", func(e *env, _ string) (string, string) { return "/api/v1/dashboard/public", "" }, public},
	}
}

// TestReportsContract follows the acceptance contract over the API: periods, reports of
// a period, status with states and rates, exports, the lock, and bad input.
func TestReportsContract(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		prov, baTo, sonTay := e.tokens["province_admin"], e.tokens["unit_admin_bato"], e.tokens["unit_admin_sontay"]
		var p reports.Period
		if code := e.json("POST", "/api/v1/reports/plan", prov, nil, &p); code != http.StatusCreated || len(p.UnitCodes) != 13 {
			t.Fatalf("plan period: %d %+v", code, p)
		}
		var periods struct{ Items []reports.Period }
		if code := e.json("GET", "/api/v1/reports/periods", baTo, nil, &periods); code != 200 || len(periods.Items) != 1 || periods.Items[0].ID != p.ID {
			t.Fatalf("periods: %d %+v", code, periods)
		}
		var rep reports.Report
		if code := e.json("POST", fmt.Sprintf("/api/v1/reports/periods/%d/units/535", p.ID), baTo, nil, &rep); code != 200 || rep.State != reports.Draft {
			t.Fatalf("open: %d %+v", code, rep)
		}
		// Sơn Tây can neither read nor write Ba Tơ's report.
		if code := e.json("GET", fmt.Sprintf("/api/v1/reports/%d", rep.ID), sonTay, nil, nil); code != 404 {
			t.Errorf("Sơn Tây reads Ba Tơ's report: %d", code)
		}
		if code := e.json("PUT", fmt.Sprintf("/api/v1/reports/%d", rep.ID), sonTay, map[string]any{"narratives": reportNarratives}, nil); code != 404 {
			t.Errorf("Sơn Tây writes Ba Tơ's report: %d", code)
		}
		// Bad input.
		for _, body := range []string{`{"narratives":{"results":1}}`, `{"narratives":{"poem":"x"}}`, `{"extra":true}`, `{"narratives":`,
			`{"narratives":{"results":"` + strings.Repeat("a", reports.MaxNarrative+1) + `"}}`} {
			if resp, b := e.do("PUT", fmt.Sprintf("/api/v1/reports/%d", rep.ID), baTo, "application/json", body); resp.StatusCode != 422 {
				t.Errorf("PUT %.40s: %d %s", body, resp.StatusCode, b)
			}
		}
		if code := e.json("GET", "/api/v1/reports?period=abc", prov, nil, nil); code != 422 {
			t.Errorf("period=abc: %d", code)
		}
		if code := e.json("GET", fmt.Sprintf("/api/v1/reports/%d/export?format=docx", rep.ID), prov, nil, nil); code != 422 {
			t.Errorf("format=docx: %d", code)
		}
		if code := e.json("POST", fmt.Sprintf("/api/v1/reports/%d/submit", rep.ID), baTo, map[string]any{"narratives": reportNarratives}, &rep); code != 200 || rep.State != reports.Submitted {
			t.Fatalf("submit: %d %+v", code, rep)
		}
		var list struct{ Items []reports.Report }
		if code := e.json("GET", fmt.Sprintf("/api/v1/reports?period=%d", p.ID), prov, nil, &list); code != 200 || len(list.Items) != 1 || list.Items[0].UnitCode != "535" {
			t.Fatalf("reports of period: %d %+v", code, list)
		}
		// Status: the raw JSON carries state and on_time (false: 2023's due date has passed).
		resp, b := e.do("GET", fmt.Sprintf("/api/v1/reports/periods/%d/status", p.ID), prov, "", "")
		if resp.StatusCode != 200 {
			t.Fatalf("status: %d %s", resp.StatusCode, b)
		}
		var raw struct {
			Units []struct {
				UnitCode string `json:"unit_code"`
				State    string `json:"state"`
				OnTime   *bool  `json:"on_time"`
			} `json:"units"`
			ReportingRate *float64 `json:"reporting_rate"`
			OnTimeRate    *float64 `json:"on_time_rate"`
		}
		json.Unmarshal(b, &raw)
		if len(raw.Units) != 13 || raw.ReportingRate == nil || *raw.ReportingRate != 1.0/13 || raw.OnTimeRate == nil || *raw.OnTimeRate != 0 {
			t.Fatalf("status: %s", b)
		}
		for _, u := range raw.Units {
			if u.UnitCode == "535" && (u.State != "submitted" || u.OnTime == nil || *u.OnTime) {
				t.Errorf("Ba Tơ: %+v", u)
			}
			if u.UnitCode != "535" && (u.State != "missing" || u.OnTime != nil) {
				t.Errorf("%s: %+v", u.UnitCode, u)
			}
		}
		// Exports.
		resp, b = e.do("GET", fmt.Sprintf("/api/v1/reports/%d/export?format=xlsx", rep.ID), baTo, "", "")
		if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Type"), "spreadsheetml") {
			t.Fatalf("xlsx: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if _, err := zip.NewReader(bytes.NewReader(b), int64(len(b))); err != nil {
			t.Errorf("xlsx is not a zip: %v", err)
		}
		resp, b = e.do("GET", fmt.Sprintf("/api/v1/reports/%d/export?format=pdf", rep.ID), prov, "", "")
		if resp.StatusCode != 200 || !bytes.HasPrefix(b, []byte("%PDF-")) {
			t.Fatalf("pdf: %d", resp.StatusCode)
		}
		if out, ok := pdftest.Text(t, b); ok && !strings.Contains(out, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM") {
			t.Errorf("PDF text lacks the national name:\n%s", out)
		}
		// Reopening a report that was never accepted is refused, naming its state in Vietnamese.
		resp, b = e.do("POST", fmt.Sprintf("/api/v1/reports/%d/reopen", rep.ID), prov, "application/json", `{"comment":"Mở lại"}`)
		if resp.StatusCode != http.StatusConflict || !strings.Contains(string(b), "(Đã gửi, chờ xem xét)") {
			t.Errorf("reopen a submitted report: %d %s", resp.StatusCode, b)
		}
		if resp, b := e.do("GET", "/api/v1/reports", prov, "", ""); resp.StatusCode != 422 || !strings.Contains(string(b), "Thiếu tham số period") {
			t.Errorf("reports without a period: %d %s", resp.StatusCode, b)
		}
		// Accept, then an edit answers 423 with the reason in Vietnamese.
		if code := e.json("POST", fmt.Sprintf("/api/v1/reports/%d/accept", rep.ID), prov, nil, &rep); code != 200 || rep.State != reports.Accepted {
			t.Fatalf("accept: %d", code)
		}
		resp, b = e.do("PUT", fmt.Sprintf("/api/v1/reports/%d", rep.ID), baTo, "application/json", `{"narratives":{"results":"sửa"}}`)
		if resp.StatusCode != http.StatusLocked || !strings.Contains(string(b), "đã được tỉnh tiếp nhận") || !strings.Contains(string(b), "province.admin") {
			t.Errorf("edit after accept: %d %s", resp.StatusCode, b)
		}
		// Province summary.
		resp, b = e.do("GET", fmt.Sprintf("/api/v1/reports/periods/%d/summary/export?format=pdf", p.ID), prov, "", "")
		if resp.StatusCode != 200 || !bytes.HasPrefix(b, []byte("%PDF-")) {
			t.Errorf("summary pdf: %d", resp.StatusCode)
		}
		// Dashboards: Quảng Ngãi's public one has the 13 districts and the map.
		var dash struct {
			Children []struct{ Code string }  `json:"children"`
			Map      []struct{ Code string }  `json:"map"`
			Headline []struct{ Label string } `json:"headline"`
		}
		if code := e.json("GET", "/api/v1/dashboard/public?province=51", "", nil, &dash); code != 200 || len(dash.Children) != 13 || len(dash.Map) != 13 || len(dash.Headline) == 0 || dash.Headline[0].Label == "" {
			t.Errorf("public dashboard: %d %+v", code, dash)
		}
		if code := e.json("GET", "/api/v1/dashboard/public?days=0", "", nil, nil); code != 422 {
			t.Errorf("days=0: %d", code)
		}
		// Pages render.
		for _, path := range []string{"/reports", fmt.Sprintf("/reports/periods/%d", p.ID), fmt.Sprintf("/reports/periods/%d/status/export?format=xlsx", p.ID), fmt.Sprintf("/reports/%d", rep.ID), fmt.Sprintf("/reports/periods/%d/summary", p.ID),
			"/dashboard/units/51", "/dashboard/units/535", "/dashboard/units/" + e.baToCommune, "/dashboard/units/51/export?table=children",
			fmt.Sprintf("/dashboard/orgs/%d", e.orgIDs["tinhdoan"])} {
			if resp, b := e.do("GET", path, prov, "", ""); resp.StatusCode != 200 {
				t.Errorf("GET %s: %d %.300s", path, resp.StatusCode, b)
			}
		}
		if resp, b := e.do("GET", "/dashboard/public?province=51", "", "", ""); resp.StatusCode != 200 || !strings.Contains(string(b), "district-map") || !strings.Contains(string(b), "dvhcvn") {
			t.Errorf("public dashboard page: %d", resp.StatusCode)
		}
		// A district's official sees the province's comparison but may open only their district:
		// the others are not links (they would answer 404).
		if resp, b := e.do("GET", "/dashboard/units/51", baTo, "", ""); resp.StatusCode != 200 || !strings.Contains(string(b), `href="/dashboard/units/535"`) ||
			strings.Contains(string(b), `href="/dashboard/units/530"`) {
			t.Errorf("province dashboard for Ba Tơ's official: %d, links to 535 %v, to 530 %v", resp.StatusCode,
				strings.Contains(string(b), `href="/dashboard/units/535"`), strings.Contains(string(b), `href="/dashboard/units/530"`))
		}
		// An organisation's dashboard compares its member organisations, each a link down, with
		// the chart's data and an xlsx of the comparison.
		tinhDoan := fmt.Sprintf("/dashboard/orgs/%d", e.orgIDs["tinhdoan"])
		if resp, b := e.do("GET", tinhDoan, prov, "", ""); resp.StatusCode != 200 || !strings.Contains(string(b), `id="org-children"`) ||
			!strings.Contains(string(b), fmt.Sprintf(`href="/dashboard/orgs/%d"`, e.orgIDs["hd-bato"])) || !strings.Contains(string(b), "Huyện đoàn Ba Tơ") || !strings.Contains(string(b), "chart-data") {
			t.Errorf("organisation dashboard with members: %d %.400s", resp.StatusCode, b)
		}
		resp, b = e.do("GET", tinhDoan+"/export?format=xlsx&table=children", prov, "", "")
		if _, rows, err := sheet.ReadTable(bytes.NewReader(b), sheet.DefaultLimits); resp.StatusCode != 200 || err != nil || len(rows) != 1 || rows[0].Fields[1] != "Huyện đoàn Ba Tơ" {
			t.Errorf("organisation comparison xlsx: %d %v %+v", resp.StatusCode, err, rows)
		}
	})
}

// TestReportsSignerKeptAndReturned: a submission that names no signer keeps the one saved before
// (the PDF signs with it), and a returned report is counted as such in the status.
func TestReportsSignerKeptAndReturned(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		prov, baTo := e.tokens["province_admin"], e.tokens["unit_admin_bato"]
		p := e.baToPeriod()
		var rep reports.Report
		if code := e.json("POST", fmt.Sprintf("/api/v1/reports/periods/%d/units/535", p.ID), baTo, nil, &rep); code != 200 {
			t.Fatalf("open: %d", code)
		}
		body := map[string]any{"narratives": reportNarratives, "signer_name": "Phạm Thị Lan", "signer_position": "Chủ tịch"}
		if code := e.json("PUT", fmt.Sprintf("/api/v1/reports/%d", rep.ID), baTo, body, &rep); code != 200 || rep.SignerName != "Phạm Thị Lan" {
			t.Fatalf("save: %d %+v", code, rep)
		}
		resp, b := e.do("POST", fmt.Sprintf("/api/v1/reports/%d/submit", rep.ID), baTo, "", "")
		if resp.StatusCode != 200 {
			t.Fatalf("submit without a body: %d %s", resp.StatusCode, b)
		}
		json.Unmarshal(b, &rep)
		if rep.State != reports.Submitted || rep.SignerName != "Phạm Thị Lan" || rep.SignerPosition != "Chủ tịch" {
			t.Fatalf("submit erased the signer: %+v", rep)
		}
		resp, b = e.do("GET", fmt.Sprintf("/api/v1/reports/%d/export?format=pdf", rep.ID), baTo, "", "")
		if resp.StatusCode != 200 {
			t.Fatalf("pdf: %d", resp.StatusCode)
		}
		if out, ok := pdftest.Text(t, b); ok && (!strings.Contains(out, "Phạm Thị Lan") || !strings.Contains(out, "CHỦ TỊCH")) {
			t.Errorf("PDF signature block lacks the signer:\n%s", out)
		}
		// Returned: counted as returned, in neither rate; the totals add up to the assigned units.
		if code := e.json("POST", fmt.Sprintf("/api/v1/reports/%d/return", rep.ID), prov, map[string]any{"comment": "Bổ sung"}, &rep); code != 200 {
			t.Fatalf("return: %d", code)
		}
		var st reports.Status
		resp, b = e.do("GET", fmt.Sprintf("/api/v1/reports/periods/%d/status", p.ID), prov, "", "")
		if resp.StatusCode != 200 || !strings.Contains(string(b), `"returned":1`) {
			t.Fatalf("status: %d %s", resp.StatusCode, b)
		}
		json.Unmarshal(b, &st)
		if st.Assigned != 1 || st.Returned != 1 || st.Reported != 0 || st.Missing != 0 || st.ReportingRate != 0 || st.OnTimeRate != 0 {
			t.Errorf("status after return: %+v", st)
		}
		resp, b = e.do("GET", fmt.Sprintf("/reports/periods/%d", p.ID), prov, "", "")
		if resp.StatusCode != 200 || !strings.Contains(string(b), `id="returned-count">1<`) {
			t.Errorf("period page lacks the returned count: %d", resp.StatusCode)
		}
		// A save naming only the position keeps the name.
		if code := e.json("PUT", fmt.Sprintf("/api/v1/reports/%d", rep.ID), baTo, map[string]any{"signer_position": "Phó Chủ tịch"}, &rep); code != 200 ||
			rep.SignerName != "Phạm Thị Lan" || rep.SignerPosition != "Phó Chủ tịch" {
			t.Errorf("partial signer save: %d %+v", code, rep)
		}
		if code := e.json("PUT", fmt.Sprintf("/api/v1/reports/%d", rep.ID), baTo, map[string]any{"signer_name": ""}, &rep); code != 200 ||
			rep.SignerName != "" || rep.SignerPosition != "Phó Chủ tịch" {
			t.Errorf("clearing the signer's name: %d %+v", code, rep)
		}
	})
}

// TestReportsRemindPeriod: the remind API reminds the period it names only, and says when the
// administrators to remind have no e-mail address.
func TestReportsRemindPeriod(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		prov := e.tokens["province_admin"]
		// Due tomorrow: within the reminders' window.
		now := time.Now().In(reports.VietnamTime)
		period := func(title, unit string) reports.Period {
			p, err := e.reports.CreatePeriod(e.sys, reports.PeriodInput{Title: title, PeriodStart: now.AddDate(0, -1, 0).Format("2006-01-02"),
				PeriodEnd: now.Format("2006-01-02"), DueDate: now.AddDate(0, 0, 1).Format("2006-01-02"), UnitCodes: []string{unit}, Sections: []string{"foundation"}})
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
		baToP, sonTayP := period("Báo cáo Ba Tơ", "535"), period("Báo cáo Sơn Tây", "530")
		e.fresh(accounts.NewUser{Role: authz.UnitAdmin, UnitCode: "530", Email: "ubnd.sontay@example.vn"})
		type answer struct {
			reports.RemindResult
			Message string `json:"message"`
		}
		var a answer
		// Ba Tơ's administrator has no address: nothing queued, and the answer says why; Sơn Tây's
		// period is not touched.
		if code := e.json("POST", fmt.Sprintf("/api/v1/reports/periods/%d/remind", baToP.ID), prov, nil, &a); code != 200 ||
			a.Queued != 0 || a.WithoutEmail != 1 || !strings.Contains(a.Message, "chưa có địa chỉ thư điện tử") {
			t.Fatalf("remind Ba Tơ: %d %+v", code, a)
		}
		a = answer{}
		if code := e.json("POST", fmt.Sprintf("/api/v1/reports/periods/%d/remind", sonTayP.ID), prov, nil, &a); code != 200 || a.Queued != 1 || a.Periods != 1 {
			t.Fatalf("remind Sơn Tây: %d %+v", code, a)
		}
		msgs, err := e.web.Notify.List(context.Background(), notify.Filter{Kind: notify.ReportReminder})
		if err != nil || len(msgs) != 1 || msgs[0].Recipient != "ubnd.sontay@example.vn" {
			t.Fatalf("queued: %v %+v", err, msgs)
		}
		resp, b := e.do("POST", "/api/v1/reports/periods/999999/remind", prov, "", "")
		if resp.StatusCode != 404 || !strings.Contains(string(b), "Không tìm thấy kỳ báo cáo") {
			t.Errorf("unknown period: %d %s", resp.StatusCode, b)
		}
	})
}
