package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/platform/pdfdoc/pdftest"
	"github.com/lantoa/lantoa/internal/reports"
	"github.com/lantoa/lantoa/internal/schema"
)

// apiError is the JSON error answer's parts the tests read.
type apiError struct {
	Error struct {
		Kind, Message, Field string
	} `json:"error"`
}

func decodeError(b []byte) apiError {
	var e apiError
	_ = json.Unmarshal(b, &e)
	return e
}

// TestReportsAcrossProvinces is the breach closed: Hà Nội's administrator neither reads
// nor touches a Quảng Ngãi period or district report — every read, review step and export
// answers 404 as for a report that does not exist, the report stays as it was, and each probe is
// in the audit log. The national administrator reads them all and changes none (403).
func TestReportsAcrossProvinces(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		hn, nat, qng := e.tokens["province_admin_hanoi"], e.tokens["national_admin"], e.tokens["province_admin"]
		submitted := e.baToReport(reports.Submitted)
		accepted := e.baToReport(reports.Accepted)
		draft := e.baToReport(reports.Draft)
		probes := []struct{ method, path, body string }{
			{"GET", fmt.Sprintf("/api/v1/reports/periods/%d/status", submitted.PeriodID), ""},
			{"GET", fmt.Sprintf("/api/v1/reports?period=%d", submitted.PeriodID), ""},
			{"GET", fmt.Sprintf("/api/v1/reports/%d", submitted.ID), ""},
			{"POST", fmt.Sprintf("/api/v1/reports/%d/return", submitted.ID), `{"comment":"Trả lại từ Hà Nội"}`},
			{"POST", fmt.Sprintf("/api/v1/reports/%d/accept", submitted.ID), ""},
			{"POST", fmt.Sprintf("/api/v1/reports/%d/reopen", accepted.ID), `{"comment":"Mở lại từ Hà Nội"}`},
			{"GET", fmt.Sprintf("/api/v1/reports/%d/export?format=pdf", submitted.ID), ""},
			{"GET", fmt.Sprintf("/api/v1/reports/%d/export?format=xlsx", submitted.ID), ""},
			{"GET", fmt.Sprintf("/api/v1/reports/periods/%d/summary/export?format=pdf", submitted.PeriodID), ""},
			{"POST", fmt.Sprintf("/api/v1/reports/periods/%d/remind", submitted.PeriodID), ""},
			{"POST", fmt.Sprintf("/api/v1/reports/periods/%d/units/535", draft.PeriodID), ""},
			{"PUT", fmt.Sprintf("/api/v1/reports/%d", draft.ID), `{"narratives":{"results":"Hà Nội viết hộ"}}`},
			{"GET", "/api/v1/dashboard/units/535", ""},
			{"GET", "/api/v1/dashboard/units/51", ""},
		}
		for _, p := range probes {
			resp, b := e.do(p.method, p.path, hn, "application/json", p.body)
			if resp.StatusCode != http.StatusNotFound {
				t.Errorf("Hà Nội: %s %s = %d, want 404: %.200s", p.method, p.path, resp.StatusCode, b)
			}
		}
		for _, path := range []string{fmt.Sprintf("/reports/periods/%d", submitted.PeriodID), fmt.Sprintf("/reports/%d", submitted.ID),
			fmt.Sprintf("/reports/periods/%d/summary", submitted.PeriodID), fmt.Sprintf("/reports/periods/%d/status/export?format=xlsx", submitted.PeriodID),
			"/dashboard/units/535", "/dashboard/units/51/export"} {
			if resp, _ := e.do("GET", path, hn, "", ""); resp.StatusCode != http.StatusNotFound {
				t.Errorf("Hà Nội: page %s = %d, want 404", path, resp.StatusCode)
			}
		}
		// Nothing changed, and the list of Hà Nội's periods holds none of Quảng Ngãi's.
		for id, want := range map[int64]reports.State{submitted.ID: reports.Submitted, accepted.ID: reports.Accepted, draft.ID: reports.Draft} {
			if r, err := e.reports.FindReport(e.sys, id); err != nil || r.State != want || r.Narratives["results"] == "Hà Nội viết hộ" {
				t.Errorf("report %d after Hà Nội's attempts: %v %s", id, err, r.State)
			}
		}
		var periods struct{ Items []reports.Period }
		if code := e.json("GET", "/api/v1/reports/periods", hn, nil, &periods); code != 200 || len(periods.Items) != 0 {
			t.Errorf("Hà Nội lists %d periods (%d)", len(periods.Items), code)
		}
		denials, _ := audit.List(e.sys, d.Reader(), audit.Filter{Action: "access.denied"})
		probed := map[string]bool{}
		for _, en := range denials {
			if en.ActorName == "province.admin.hanoi" {
				probed[en.Detail] = true
			}
		}
		for _, p := range []string{fmt.Sprintf("/api/v1/reports/%d/return", submitted.ID), fmt.Sprintf("/api/v1/reports/%d", submitted.ID)} {
			found := false
			for detail := range probed {
				found = found || strings.Contains(detail, p)
			}
			if !found {
				t.Errorf("no access.denied entry for Hà Nội's %s: %v", p, probed)
			}
		}

		// The national administrator reads everything of Quảng Ngãi's…
		for _, path := range []string{fmt.Sprintf("/api/v1/reports/periods/%d/status", submitted.PeriodID), fmt.Sprintf("/api/v1/reports/%d", submitted.ID),
			fmt.Sprintf("/api/v1/reports/%d/export?format=pdf", submitted.ID), fmt.Sprintf("/api/v1/reports/periods/%d/summary/export?format=xlsx", submitted.PeriodID),
			"/api/v1/dashboard/units/51", "/api/v1/dashboard/units/535"} {
			if resp, b := e.do("GET", path, nat, "", ""); resp.StatusCode != 200 {
				t.Errorf("national: GET %s = %d %.200s", path, resp.StatusCode, b)
			}
		}
		var list struct{ Items []reports.Period }
		if e.json("GET", "/api/v1/reports/periods", nat, nil, &list); len(list.Items) != 3 {
			t.Errorf("national lists %d periods, want Quảng Ngãi's 3", len(list.Items))
		}
		// …and changes none of it: 403, saying why.
		for _, p := range []struct{ method, path, body string }{
			{"POST", fmt.Sprintf("/api/v1/reports/%d/return", submitted.ID), `{"comment":"Trả lại"}`},
			{"POST", fmt.Sprintf("/api/v1/reports/%d/accept", submitted.ID), ""},
			{"POST", fmt.Sprintf("/api/v1/reports/%d/reopen", accepted.ID), `{"comment":"Mở lại"}`},
			{"POST", fmt.Sprintf("/api/v1/reports/periods/%d/remind", submitted.PeriodID), ""},
			{"PUT", fmt.Sprintf("/api/v1/reports/%d", draft.ID), `{"narratives":{"results":"Trung ương viết hộ"}}`},
			{"POST", "/api/v1/reports/periods", `{"title":"Kỳ của tỉnh","period_start":"2023-09-01","period_end":"2023-09-30","due_date":"2023-10-05","unit_level":"district","province_code":"51"}`},
			{"POST", "/api/v1/reports/plan", `{"province_code":"51"}`},
		} {
			resp, b := e.do(p.method, p.path, nat, "application/json", p.body)
			if resp.StatusCode != http.StatusForbidden || decodeError(b).Error.Message == "" {
				t.Errorf("national: %s %s = %d, want 403: %.200s", p.method, p.path, resp.StatusCode, b)
			}
		}
		if r, _ := e.reports.FindReport(e.sys, submitted.ID); r.State != reports.Submitted {
			t.Errorf("the national administrator changed a province's report: %s", r.State)
		}
		// The national administrator reads a province's pages without their review controls.
		resp, b := e.do("GET", fmt.Sprintf("/reports/%d", submitted.ID), nat, "", "")
		if resp.StatusCode != 200 || strings.Contains(string(b), `id="report-accept"`) {
			t.Errorf("national report page: %d, accept button %v", resp.StatusCode, strings.Contains(string(b), `id="report-accept"`))
		}
		resp, b = e.do("GET", fmt.Sprintf("/reports/periods/%d", submitted.PeriodID), nat, "", "")
		if resp.StatusCode != 200 || strings.Contains(string(b), `id="remind"`) || !strings.Contains(string(b), `id="summary-link"`) || !strings.Contains(string(b), "Tỉnh Quảng Ngãi") {
			t.Errorf("national period page: %d", resp.StatusCode)
		}
		// Quảng Ngãi's own administrator still reviews: the report Hà Nội could not touch is accepted.
		if code := e.json("POST", fmt.Sprintf("/api/v1/reports/%d/accept", submitted.ID), qng, nil, nil); code != 200 {
			t.Errorf("Quảng Ngãi accepting its report: %d", code)
		}
	})
}

// TestReportsHaNoiOwnPeriod: Hà Nội's administrator runs its own reporting end to end — a period
// of Hà Nội's districts, a Hà Nội district writes and submits, Hà Nội returns and accepts — and
// every document names Hà Nội from the unit tree; Quảng Ngãi's administrator is a stranger to it.
func TestReportsHaNoiOwnPeriod(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		hn, qng, nat := e.tokens["province_admin_hanoi"], e.tokens["province_admin"], e.tokens["national_admin"]
		baDinh := e.mustUser("ubnd.badinh", accounts.NewUser{Role: authz.UnitAdmin, UnitCode: "001", DisplayName: "UBND quận Ba Đình"})
		baDinhToken, err := e.accounts.CreateToken(e.sys, baDinh.ID, "test")
		if err != nil {
			t.Fatal(err)
		}
		// Bad input first: another province's unit, another province, a province that does not exist.
		for _, c := range []struct {
			name, body string
			status     int
			field      string
		}{
			{"a Quảng Ngãi district", `{"unit_codes":["535"]}`, 422, "unit_codes"},
			{"Quảng Ngãi as the province", `{"unit_level":"district","province_code":"51"}`, 403, ""},
			{"a province that does not exist", `{"unit_level":"district","province_code":"99"}`, 422, "province_code"},
			{"a national period", `{"unit_level":"province"}`, 403, ""},
			{"a commune of Hà Nội and a district of Quảng Ngãi", fmt.Sprintf(`{"unit_codes":[%q,"535"]}`, e.haNoiCommune), 422, "unit_codes"},
		} {
			body := strings.Replace(c.body, "{", `{"title":"Báo cáo Hà Nội","period_start":"2023-09-01","period_end":"2023-09-30","due_date":"2099-10-05",`, 1)
			resp, b := e.do("POST", "/api/v1/reports/periods", hn, "application/json", body)
			if resp.StatusCode != c.status || decodeError(b).Error.Field != c.field {
				t.Errorf("%s: %d %s", c.name, resp.StatusCode, b)
			}
		}
		var p reports.Period
		if code := e.json("POST", "/api/v1/reports/periods", hn, map[string]any{"title": "Báo cáo quý IV Hà Nội", "period_start": "2023-10-01", "period_end": "2023-12-31",
			"due_date": "2099-01-05", "unit_level": "district"}, &p); code != http.StatusCreated || p.Province != "01" || p.National || len(p.UnitCodes) != 2 || p.ProvinceName != "Thành phố Hà Nội" {
			t.Fatalf("Hà Nội's period: %d %+v", code, p)
		}
		// Quảng Ngãi's administrator and districts do not see it.
		if code := e.json("GET", fmt.Sprintf("/api/v1/reports/periods/%d/status", p.ID), qng, nil, nil); code != 404 {
			t.Errorf("Quảng Ngãi reads Hà Nội's period: %d", code)
		}
		var mine struct{ Items []reports.Period }
		e.json("GET", "/api/v1/reports/periods", qng, nil, &mine)
		for _, x := range mine.Items {
			if x.ID == p.ID {
				t.Errorf("Quảng Ngãi lists Hà Nội's period")
			}
		}
		// Ba Đình writes and submits; Hà Nội itself writes no district's report.
		if code := e.json("POST", fmt.Sprintf("/api/v1/reports/periods/%d/units/001", p.ID), hn, nil, nil); code != 403 {
			t.Errorf("Hà Nội writing Ba Đình's report: %d", code)
		}
		var rep reports.Report
		if code := e.json("POST", fmt.Sprintf("/api/v1/reports/periods/%d/units/001", p.ID), baDinhToken, nil, &rep); code != 200 || rep.State != reports.Draft {
			t.Fatalf("Ba Đình opens its report: %d %+v", code, rep)
		}
		body := map[string]any{"narratives": reportNarratives, "signer_name": "Nguyễn Văn An", "signer_position": "Chủ tịch"}
		if code := e.json("POST", fmt.Sprintf("/api/v1/reports/%d/submit", rep.ID), baDinhToken, body, &rep); code != 200 || rep.State != reports.Submitted || rep.OnTime == nil || !*rep.OnTime {
			t.Fatalf("Ba Đình submits: %d %+v", code, rep)
		}
		// Strangers: Quảng Ngãi gets 404 on every step, the national administrator 403.
		if code := e.json("POST", fmt.Sprintf("/api/v1/reports/%d/return", rep.ID), qng, map[string]any{"comment": "x"}, nil); code != 404 {
			t.Errorf("Quảng Ngãi returning Hà Nội's report: %d", code)
		}
		if code := e.json("POST", fmt.Sprintf("/api/v1/reports/%d/accept", rep.ID), nat, nil, nil); code != 403 {
			t.Errorf("national accepting Hà Nội's report: %d", code)
		}
		// Hà Nội reviews: returns with a comment, Ba Đình resubmits, Hà Nội accepts.
		if code := e.json("POST", fmt.Sprintf("/api/v1/reports/%d/return", rep.ID), hn, map[string]any{"comment": "Bổ sung số liệu phường Điện Biên"}, &rep); code != 200 || rep.State != reports.Returned {
			t.Fatalf("Hà Nội returns: %d %+v", code, rep)
		}
		if code := e.json("POST", fmt.Sprintf("/api/v1/reports/%d/submit", rep.ID), baDinhToken, body, &rep); code != 200 || rep.State != reports.Submitted {
			t.Fatalf("Ba Đình resubmits: %d", code)
		}
		if code := e.json("POST", fmt.Sprintf("/api/v1/reports/%d/accept", rep.ID), hn, nil, &rep); code != 200 || rep.State != reports.Accepted {
			t.Fatalf("Hà Nội accepts: %d", code)
		}
		if code := e.json("POST", fmt.Sprintf("/api/v1/reports/%d/accept", rep.ID), hn, nil, nil); code != http.StatusLocked {
			t.Errorf("accepting twice: %d", code)
		}
		var st reports.Status
		if code := e.json("GET", fmt.Sprintf("/api/v1/reports/periods/%d/status", p.ID), hn, nil, &st); code != 200 || st.Assigned != 2 || st.Reported != 1 || st.Missing != 1 {
			t.Errorf("Hà Nội's status: %d %+v", code, st)
		}
		// The documents name Hà Nội, from the unit tree, and never Quảng Ngãi; due after March 2025,
		// they go through the Department of Science and Technology (reports.bodiesOn).
		resp, b := e.do("GET", fmt.Sprintf("/api/v1/reports/%d/export?format=pdf", rep.ID), hn, "", "")
		if resp.StatusCode != 200 {
			t.Fatalf("report PDF: %d", resp.StatusCode)
		}
		if text, ok := pdftest.Text(t, b); ok {
			for _, want := range []string{"QUẬN BA ĐÌNH", "Ba Đình, ngày", "trên địa bàn thành phố Hà Nội", "UBND thành phố Hà Nội (qua Sở KH&CN)", "Nguyễn Văn An"} {
				if !strings.Contains(text, want) {
					t.Errorf("report PDF lacks %q:\n%s", want, text)
				}
			}
			if strings.Contains(text, "Quảng Ngãi") {
				t.Errorf("Hà Nội's report PDF names Quảng Ngãi:\n%s", text)
			}
		}
		resp, b = e.do("GET", fmt.Sprintf("/api/v1/reports/periods/%d/summary/export?format=pdf", p.ID), hn, "", "")
		if resp.StatusCode != 200 {
			t.Fatalf("summary PDF: %d", resp.StatusCode)
		}
		if text, ok := pdftest.Text(t, b); ok {
			for _, want := range []string{"UBND THÀNH PHỐ HÀ NỘI", "SỞ KHOA HỌC VÀ CÔNG NGHỆ", "Hà Nội, ngày", "Quận Ba Đình"} {
				if !strings.Contains(text, want) {
					t.Errorf("summary PDF lacks %q:\n%s", want, text)
				}
			}
			if strings.Contains(text, "Quảng Ngãi") {
				t.Errorf("Hà Nội's summary PDF names Quảng Ngãi:\n%s", text)
			}
		}
		// The plan's period of Hà Nội: its two districts, created once.
		var plan reports.Period
		if code := e.json("POST", "/api/v1/reports/plan", hn, nil, &plan); code != http.StatusCreated || plan.Province != "01" || len(plan.UnitCodes) != 2 {
			t.Errorf("Hà Nội's plan period: %d %+v", code, plan)
		}
		if code := e.json("POST", "/api/v1/reports/plan", hn, nil, nil); code != http.StatusOK {
			t.Errorf("Hà Nội's plan period again: %d", code)
		}
		// Pages: the list names the province, the form offers Hà Nội's districts; nothing in the
		// page's content names Quảng Ngãi.
		resp, b = e.do("GET", "/reports", hn, "", "")
		main := string(b)
		if k := strings.Index(main, "<main"); k >= 0 {
			main = main[k:]
		}
		if resp.StatusCode != 200 || !strings.Contains(main, "Thành phố Hà Nội") || !strings.Contains(main, "(2 đơn vị)") || strings.Contains(main, "Quảng Ngãi") {
			t.Errorf("Hà Nội's reports page: %d %s", resp.StatusCode, stripTags(main))
		}
		// The national administrator reads Hà Nội's documents too.
		if resp, _ := e.do("GET", fmt.Sprintf("/api/v1/reports/periods/%d/summary/export?format=xlsx", p.ID), nat, "", ""); resp.StatusCode != 200 {
			t.Errorf("national reading Hà Nội's summary: %d", resp.StatusCode)
		}
	})
}

// TestReportsNationalPeriod: a national period is answered by the provinces, each report written
// by the province's administrator and reviewed by the national administrator, whose status lists
// every province; each province sees its own row and report only.
func TestReportsNationalPeriod(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		hn, qng, nat := e.tokens["province_admin_hanoi"], e.tokens["province_admin"], e.tokens["national_admin"]
		period := map[string]any{"title": "Báo cáo 6 tháng toàn quốc", "period_start": "2023-07-01", "period_end": "2023-12-31", "due_date": "2099-01-10", "unit_level": "province"}
		if code := e.json("POST", "/api/v1/reports/periods", qng, period, nil); code != 403 {
			t.Errorf("a province defining a national period: %d", code)
		}
		resp, b := e.do("POST", "/api/v1/reports/periods", nat, "application/json", `{"title":"Sai","period_start":"2023-07-01","period_end":"2023-12-31","due_date":"2099-01-10","unit_codes":["01","535"]}`)
		if resp.StatusCode != 422 || decodeError(b).Error.Field != "unit_codes" {
			t.Errorf("provinces mixed with a district: %d %s", resp.StatusCode, b)
		}
		var p reports.Period
		if code := e.json("POST", "/api/v1/reports/periods", nat, period, &p); code != http.StatusCreated || !p.National || p.Province != "" || strings.Join(p.UnitCodes, ",") != "01,51" {
			t.Fatalf("national period: %d %+v", code, p)
		}
		// A district administrator answers nothing of it and does not see it.
		if code := e.json("GET", fmt.Sprintf("/api/v1/reports/periods/%d/status", p.ID), e.tokens["unit_admin_bato"], nil, nil); code != 404 {
			t.Errorf("Ba Tơ reads the national period: %d", code)
		}
		// Each province writes its own report; not the other's, not one for the other.
		var qngRep, hnRep reports.Report
		if code := e.json("POST", fmt.Sprintf("/api/v1/reports/periods/%d/units/51", p.ID), qng, nil, &qngRep); code != 200 {
			t.Fatalf("Quảng Ngãi opens its report: %d", code)
		}
		if code := e.json("POST", fmt.Sprintf("/api/v1/reports/periods/%d/units/01", p.ID), qng, nil, nil); code != 403 {
			t.Errorf("Quảng Ngãi opening Hà Nội's report: %d", code)
		}
		if code := e.json("POST", fmt.Sprintf("/api/v1/reports/periods/%d/units/01", p.ID), hn, nil, &hnRep); code != 200 {
			t.Fatalf("Hà Nội opens its report: %d", code)
		}
		if code := e.json("GET", fmt.Sprintf("/api/v1/reports/%d", hnRep.ID), qng, nil, nil); code != 404 {
			t.Errorf("Quảng Ngãi reading Hà Nội's national report: %d", code)
		}
		for tok, id := range map[string]int64{qng: qngRep.ID, hn: hnRep.ID} {
			var r reports.Report
			if code := e.json("POST", fmt.Sprintf("/api/v1/reports/%d/submit", id), tok, map[string]any{"narratives": reportNarratives}, &r); code != 200 || r.State != reports.Submitted || len(r.Figures) == 0 {
				t.Fatalf("submit %d: %d %+v", id, code, r)
			}
		}
		// The national status lists both provinces; each province sees its own row only.
		var st reports.Status
		if code := e.json("GET", fmt.Sprintf("/api/v1/reports/periods/%d/status", p.ID), nat, nil, &st); code != 200 || st.Assigned != 2 || st.Reported != 2 ||
			st.Units[0].UnitCode != "01" || st.Units[1].UnitCode != "51" || st.Units[0].UnitName != "Thành phố Hà Nội" {
			t.Errorf("national status: %d %+v", code, st)
		}
		if code := e.json("GET", fmt.Sprintf("/api/v1/reports/periods/%d/status", p.ID), qng, nil, &st); code != 200 || st.Assigned != 1 || st.Units[0].UnitCode != "51" {
			t.Errorf("Quảng Ngãi's view of the national status: %d %+v", code, st)
		}
		// A province does not review its own national report; the national administrator does.
		if code := e.json("POST", fmt.Sprintf("/api/v1/reports/%d/accept", qngRep.ID), qng, nil, nil); code != 403 {
			t.Errorf("Quảng Ngãi accepting its own national report: %d", code)
		}
		if code := e.json("POST", fmt.Sprintf("/api/v1/reports/%d/return", hnRep.ID), nat, map[string]any{"comment": "Bổ sung số liệu"}, nil); code != 200 {
			t.Errorf("national returning Hà Nội's report: %d", code)
		}
		if code := e.json("POST", fmt.Sprintf("/api/v1/reports/%d/accept", qngRep.ID), nat, nil, nil); code != 200 {
			t.Errorf("national accepting Quảng Ngãi's report: %d", code)
		}
		// The province's report is a document of its People's Committee to the Ministry.
		resp, b = e.do("GET", fmt.Sprintf("/api/v1/reports/%d/export?format=pdf", qngRep.ID), qng, "", "")
		if resp.StatusCode != 200 {
			t.Fatalf("province report PDF: %d", resp.StatusCode)
		}
		if text, ok := pdftest.Text(t, b); ok {
			for _, want := range []string{"TỈNH QUẢNG NGÃI", "Quảng Ngãi, ngày", "Bộ Khoa học và Công nghệ (b/c)"} {
				if !strings.Contains(text, want) {
					t.Errorf("province report PDF lacks %q:\n%s", want, text)
				}
			}
		}
		resp, b = e.do("GET", fmt.Sprintf("/api/v1/reports/periods/%d/summary/export?format=pdf", p.ID), nat, "", "")
		if resp.StatusCode != 200 {
			t.Fatalf("national summary PDF: %d", resp.StatusCode)
		}
		if text, ok := pdftest.Text(t, b); ok {
			for _, want := range []string{"BỘ KHOA HỌC VÀ CÔNG NGHỆ", "Thành phố Hà Nội", "Tỉnh Quảng Ngãi"} {
				if !strings.Contains(text, want) {
					t.Errorf("national summary PDF lacks %q:\n%s", want, text)
				}
			}
		}
		// Reminders of a national period go to the provinces' administrators, about their province.
		e.fresh(accounts.NewUser{Role: authz.ProvinceAdmin, UnitCode: "01", Email: "so.tttt@hanoi.example.vn"})
		soon := map[string]any{"title": "Báo cáo nhanh", "period_start": "2023-07-01", "period_end": "2023-12-31",
			"due_date": e.reports.Now().In(reports.VietnamTime).AddDate(0, 0, 1).Format("2006-01-02"), "unit_codes": []string{"01"}}
		var q reports.Period
		if code := e.json("POST", "/api/v1/reports/periods", nat, soon, &q); code != http.StatusCreated {
			t.Fatalf("second national period: %d", code)
		}
		if code := e.json("POST", fmt.Sprintf("/api/v1/reports/periods/%d/remind", q.ID), hn, nil, nil); code != 403 {
			t.Errorf("Hà Nội reminding for a national period: %d", code)
		}
		var res reports.RemindResult
		if code := e.json("POST", fmt.Sprintf("/api/v1/reports/periods/%d/remind", q.ID), nat, nil, &res); code != 200 || res.Queued != 1 {
			t.Fatalf("national reminders: %d %+v", code, res)
		}
		var outbox []struct {
			Recipient, Body, UnitPath string
		}
		rows, err := d.Reader().QueryContext(e.sys, "SELECT recipient, body, unit_path FROM notify_messages WHERE kind = 'report_reminder'")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var m struct{ Recipient, Body, UnitPath string }
			if err := rows.Scan(&m.Recipient, &m.Body, &m.UnitPath); err != nil {
				t.Fatal(err)
			}
			outbox = append(outbox, m)
		}
		rows.Close()
		if len(outbox) != 1 || outbox[0].Recipient != "so.tttt@hanoi.example.vn" || outbox[0].UnitPath != "/01/" ||
			!strings.Contains(outbox[0].Body, "thành phố Hà Nội") || strings.Contains(outbox[0].Body, "Quảng Ngãi") {
			t.Errorf("national reminder: %+v", outbox)
		}
	})
}

// TestReportsDashboardsPerProvince: each province's dashboard is its own; the national
// administrator's /dashboard compares the provinces and leads to each; a province without known
// district shapes shows a grid, not a made-up map.
func TestReportsDashboardsPerProvince(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		hn, nat := e.tokens["province_admin_hanoi"], e.tokens["national_admin"]
		type dash struct {
			Unit     string `json:"unit_code"`
			Name     string `json:"unit_name"`
			Level    string `json:"level"`
			National bool   `json:"national"`
			Children []struct {
				Code   string
				Fields []reports.Field
			} `json:"children"`
			Map      []struct{ Code string } `json:"map"`
			Headline []reports.Field         `json:"headline"`
		}
		var hnDash dash
		if code := e.json("GET", "/api/v1/dashboard/units/01", hn, nil, &hnDash); code != 200 || len(hnDash.Children) != 2 || len(hnDash.Map) != 0 {
			t.Fatalf("Hà Nội's dashboard: %d %+v", code, hnDash)
		}
		resp, b := e.do("GET", "/dashboard/units/01", hn, "", "")
		if resp.StatusCode != 200 || !strings.Contains(string(b), `id="unit-grid"`) || strings.Contains(string(b), "district-map") || !strings.Contains(string(b), "Quận Ba Đình") {
			t.Errorf("Hà Nội's dashboard page: %d, grid %v", resp.StatusCode, strings.Contains(string(b), `id="unit-grid"`))
		}
		// /dashboard: each province administrator lands on its own province.
		if resp, _ := e.do("GET", "/dashboard", hn, "", ""); resp.StatusCode != 200 || resp.Request.URL.Path != "/dashboard/units/01" {
			t.Errorf("Hà Nội's /dashboard: %d %s", resp.StatusCode, resp.Request.URL)
		}
		if resp, _ := e.do("GET", "/dashboard", e.tokens["province_admin"], "", ""); resp.StatusCode != 200 || resp.Request.URL.Path != "/dashboard/units/51" {
			t.Errorf("Quảng Ngãi's /dashboard: %d %s", resp.StatusCode, resp.Request.URL)
		}
		// The national administrator's /dashboard compares the provinces, each a link down.
		resp, b = e.do("GET", "/dashboard", nat, "", "")
		page := string(b)
		if resp.StatusCode != 200 || !strings.Contains(page, `href="/dashboard/units/51"`) || !strings.Contains(page, `href="/dashboard/units/01"`) ||
			!strings.Contains(page, "Các tỉnh, thành phố") || !strings.Contains(page, `id="unit-grid"`) {
			t.Errorf("national /dashboard: %d %.500s", resp.StatusCode, stripTags(page))
		}
		// The national figures are the provinces' sums.
		var national, qngPublic dash
		if code := e.json("GET", "/api/v1/dashboard/public", nat, nil, &national); code != 200 || !national.National || national.Level != "national" || len(national.Children) != 2 {
			t.Fatalf("national dashboard: %d %+v", code, national)
		}
		e.json("GET", "/api/v1/dashboard/public?province=51", "", nil, &qngPublic)
		communes := func(fields []reports.Field) float64 {
			for _, f := range fields {
				if f.Section == "foundation" && f.Key == "communes" {
					return f.Value
				}
			}
			return -1
		}
		if got, want := communes(national.Headline), communes(qngPublic.Headline)+communes(hnDash.Headline); got != want || communes(qngPublic.Headline) != 173 {
			t.Errorf("national communes %v, want Quảng Ngãi's %v + Hà Nội's %v", got, communes(qngPublic.Headline), communes(hnDash.Headline))
		}
		// Anonymous visitors of a two-province deployment get the national page, with a link to
		// each province's public dashboard; a province that does not exist is refused.
		resp, b = e.do("GET", "/dashboard/public", "", "", "")
		if resp.StatusCode != 200 || !strings.Contains(string(b), `href="/dashboard/public?province=01"`) || !strings.Contains(string(b), "export?format=xlsx&amp;table=all") {
			t.Errorf("national public page: %d", resp.StatusCode)
		}
		resp, b = e.do("GET", "/dashboard/public?province=01", "", "", "")
		if resp.StatusCode != 200 || !strings.Contains(string(b), "Thành phố Hà Nội") || !strings.Contains(string(b), "export?format=xlsx&amp;table=all&amp;province=01") {
			t.Errorf("Hà Nội's public page: %d", resp.StatusCode)
		}
		if resp, b := e.do("GET", "/api/v1/dashboard/public?province=99", "", "", ""); resp.StatusCode != 422 || decodeError(b).Error.Field != "province" {
			t.Errorf("unknown province: %d %s", resp.StatusCode, b)
		}
		if resp, _ := e.do("GET", "/dashboard/public/export?province=01&table=children", "", "", ""); resp.StatusCode != 200 {
			t.Errorf("Hà Nội's public export: %d", resp.StatusCode)
		}
	})
}
