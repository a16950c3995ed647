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

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/outreach"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/units"
)

// startCampaign gives the test server's outreach module a campaign launched an hour ago.
func (e *env) startCampaign() {
	e.t.Helper()
	if _, err := e.outreach.CreateCampaign(e.sys, outreach.Campaign{Province: "51", Name: "Ra quân thử", LaunchAt: time.Now().Add(-time.Hour)}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) nextUUID() string {
	e.seq++
	return fmt.Sprintf("%08d-0000-4000-8000-%012d", e.seq, time.Now().UnixNano()%1e12)
}

func (e *env) recordBody(phone string) string {
	return fmt.Sprintf(`{"client_id":%q,"citizen":{"name":"Đinh Văn Thử","birth_year":1970,"phone":%q},"skills":["dvc_quocgia"],"guided_at":%q,"consent":{"given":true,"version":"v1"}}`,
		e.nextUUID(), phone, time.Now().Add(-time.Minute).UTC().Format(time.RFC3339))
}

// memberUser is the matrix's team member.
func (e *env) memberUser() accounts.User {
	u, err := e.accounts.FindUser(e.sys, e.users["team_member"])
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

func unitsVillage(name, parent string) units.Unit { return units.Unit{Name: name, ParentCode: parent} }

func (e *env) memberRecord(phone string) outreach.Record {
	e.t.Helper()
	u := e.memberUser()
	ctx := authz.WithActor(e.sys, &authz.Actor{UserID: u.ID, Username: u.Username, Grants: u.Grants})
	ctx = audit.WithWho(ctx, audit.Who{UserID: u.ID, Username: u.Username})
	res, err := e.outreach.SaveRecord(ctx, outreach.RecordInput{ClientID: e.nextUUID(), Citizen: outreach.Citizen{Name: "Người Dân", BirthYear: 1966, Phone: phone},
		Skills: []string{"dvc_tinh"}, GuidedAt: time.Now().Add(-time.Minute), Consent: &outreach.Consent{Given: true, Version: "v1"}})
	if err != nil {
		e.t.Fatal(err)
	}
	return res.Record
}

func (e *env) baToTeam() outreach.Team {
	e.t.Helper()
	e.seq++
	t, err := e.outreach.CreateTeam(e.sys, outreach.Team{Name: fmt.Sprintf("Tổ thử %d", e.seq), UnitCode: e.baToCommune})
	if err != nil {
		e.t.Fatal(err)
	}
	return t
}

func outreachMatrixCases() []matrixCase {
	memberOnly := expect(deny, map[string]outcome{"anonymous": anon, "team_member": ok})
	// Scoped lists: every administrator of units gets their own part (Hà Nội's administrator an
	// empty one); the national administrator reads teams and figures but no citizen's record.
	recordLists := expect(deny, map[string]outcome{"anonymous": anon, "province_admin": ok, "unit_admin_bato": ok, "unit_admin_sontay": ok, "team_member": ok,
		"province_admin_hanoi": ok})
	teamLists := expect(deny, map[string]outcome{"anonymous": anon, "province_admin": ok, "unit_admin_bato": ok, "unit_admin_sontay": ok, "team_member": ok,
		"province_admin_hanoi": ok, "national_admin": ok})
	baToAndMember := expect(deny, map[string]outcome{"anonymous": anon, "province_admin": ok, "unit_admin_bato": ok, "team_member": ok})
	baToTeamReaders := expect(deny, map[string]outcome{"anonymous": anon, "province_admin": ok, "unit_admin_bato": ok, "team_member": ok, "national_admin": ok})
	baToReaders := expect(deny, map[string]outcome{"anonymous": anon, "province_admin": ok, "unit_admin_bato": ok, "national_admin": ok})
	// The national catalogue: its entries are the national administrator's to change.
	nationalOnly := expect(deny, map[string]outcome{"anonymous": anon, "national_admin": ok})
	return []matrixCase{
		{"GET /api/v1/outreach/skills", func(e *env, _ string) (string, string) { return "/api/v1/outreach/skills", "" }, public},
		{"POST /api/v1/outreach/skills", func(e *env, _ string) (string, string) {
			return "/api/v1/outreach/skills", `{"code":"so_suc_khoe","name":"Sổ sức khỏe điện tử","kind":"platform","order":11,"active":true}`
		}, nationalOnly},
		{"GET /api/v1/outreach/campaigns", func(e *env, _ string) (string, string) { return "/api/v1/outreach/campaigns", "" }, signedIn},
		{"POST /api/v1/outreach/campaigns", func(e *env, role string) (string, string) {
			return "/api/v1/outreach/campaigns", fmt.Sprintf(`{"name":"Đợt %s","follow_ceremony":true}`, role)
		}, provinceAdmins},
		{"POST /api/v1/outreach/campaigns/{id}/launch", func(e *env, role string) (string, string) {
			c, err := e.outreach.CreateCampaign(e.sys, outreach.Campaign{Province: "51", Name: "Đợt chờ " + role})
			if err != nil {
				e.t.Fatal(err)
			}
			return fmt.Sprintf("/api/v1/outreach/campaigns/%d/launch", c.ID), `{"launch_at":"2023-07-05T01:00:00Z"}`
		}, provinceOnly},
		{"POST /api/v1/outreach/records", func(e *env, _ string) (string, string) { return "/api/v1/outreach/records", e.recordBody("0905123123") }, memberOnly},
		{"GET /api/v1/outreach/records", func(e *env, _ string) (string, string) { return "/api/v1/outreach/records", "" }, recordLists},
		{"GET /api/v1/outreach/records/{id}", func(e *env, _ string) (string, string) {
			return fmt.Sprintf("/api/v1/outreach/records/%d", e.memberRecord("0977000111").ID), ""
		}, baToAndMember},
		{"POST /api/v1/outreach/visits", func(e *env, _ string) (string, string) {
			return "/api/v1/outreach/visits", fmt.Sprintf(`{"client_id":%q,"household":"Nhà ông Đinh Văn Hà, thôn 1","outcome":"helped","visited_at":%q}`,
				e.nextUUID(), time.Now().Add(-time.Minute).UTC().Format(time.RFC3339))
		}, memberOnly},
		{"GET /api/v1/outreach/visits", func(e *env, _ string) (string, string) { return "/api/v1/outreach/visits?limit=20", "" }, memberOnly},
		{"GET /api/v1/outreach/progress", func(e *env, _ string) (string, string) { return "/api/v1/outreach/progress?unit=535", "" }, baToReaders},
		{"GET /api/v1/outreach/me", func(e *env, _ string) (string, string) { return "/api/v1/outreach/me", "" }, memberOnly},
		{"GET /api/v1/outreach/teams", func(e *env, _ string) (string, string) { return "/api/v1/outreach/teams", "" }, teamLists},
		{"POST /api/v1/outreach/teams", func(e *env, role string) (string, string) {
			return "/api/v1/outreach/teams", fmt.Sprintf(`{"name":"Tổ %s","unit_code":%q}`, role, e.baToCommune)
		}, baToAdmins},
		{"GET /api/v1/outreach/teams/{id}", func(e *env, _ string) (string, string) {
			return fmt.Sprintf("/api/v1/outreach/teams/%d", e.baToTeam().ID), ""
		}, baToTeamReaders},
		{"POST /api/v1/outreach/teams/{id}/members", func(e *env, _ string) (string, string) {
			u := e.fresh(accounts.NewUser{Role: authz.TeamMember, UnitCode: e.baToCommune})
			return fmt.Sprintf("/api/v1/outreach/teams/%d/members", e.baToTeam().ID), fmt.Sprintf(`{"username":%q,"leader":true}`, u.Username)
		}, baToAdmins},
		{"DELETE /api/v1/outreach/teams/{id}/members/{user}", func(e *env, _ string) (string, string) {
			u := e.fresh(accounts.NewUser{Role: authz.TeamMember, UnitCode: e.baToCommune})
			t := e.baToTeam()
			if _, err := e.outreach.AddMember(e.sys, t.ID, u.Username, false); err != nil {
				e.t.Fatal(err)
			}
			return fmt.Sprintf("/api/v1/outreach/teams/%d/members/%d", t.ID, u.ID), ""
		}, baToAdmins},
		{"POST /api/v1/outreach/teams/{id}/roster", func(e *env, _ string) (string, string) {
			e.seq++
			return fmt.Sprintf("/api/v1/outreach/teams/%d/roster", e.baToTeam().ID), fmt.Sprintf("tai_khoan,ho_ten,to_truong\nroster.%d,Nguyễn Văn Nhập,x\n", e.seq)
		}, baToAdmins},
		{"POST /api/v1/outreach/subject-requests", func(e *env, _ string) (string, string) {
			e.seq++
			phone := fmt.Sprintf("09%08d", 10000000+e.seq)
			e.memberRecord(phone)
			return "/api/v1/outreach/subject-requests", fmt.Sprintf(`{"kind":"export","phone":%q,"received_on":"2023-07-06"}`, phone)
		}, baToAdmins},
		{"POST /api/v1/outreach/retention", func(e *env, _ string) (string, string) { return "/api/v1/outreach/retention", "" }, provinceAdmins},
	}
}

// TestOutreachRecordContract is the acceptance contract over HTTP: store, identical
// replay (same id, count unchanged), other content under the same id (409), and progress.
func TestOutreachRecordContract(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		member := e.tokens["team_member"]
		body := fmt.Sprintf(`{"client_id":"6f1c8c1e-3b7a-4c55-9d2e-0a1b2c3d4e5f","citizen":{"name":"Đinh Thị Hoa","birth_year":1962,"phone":"+84 905 123 456"},`+
			`"skills":["dvc_quocgia","khong_tien_mat"],"platforms":["vneid"],"guided_at":%q,"evidence":"G01.123-230706-0001","consent":{"given":true,"version":"v1"}}`,
			time.Now().Add(-10*time.Minute).UTC().Format(time.RFC3339))
		var first, second map[string]any
		if resp, b := e.do("POST", "/api/v1/outreach/records", member, "application/json", body); resp.StatusCode != 201 || json.Unmarshal(b, &first) != nil {
			t.Fatalf("first post: %d %s", resp.StatusCode, b)
		}
		if resp, b := e.do("POST", "/api/v1/outreach/records", member, "application/json", body); resp.StatusCode != 200 || json.Unmarshal(b, &second) != nil {
			t.Fatalf("replay: %d %s", resp.StatusCode, b)
		}
		if first["id"] == nil || first["id"] != second["id"] {
			t.Fatalf("replay id %v, first %v", second["id"], first["id"])
		}
		changed := strings.Replace(body, "Đinh Thị Hoa", "Đinh Thị Hòa", 1)
		if resp, b := e.do("POST", "/api/v1/outreach/records", member, "application/json", changed); resp.StatusCode != 409 || !strings.Contains(string(b), "conflict") {
			t.Fatalf("changed content: %d %s", resp.StatusCode, b)
		}
		var p struct {
			Members    *int `json:"members"`
			MembersMet *int `json:"members_meeting_target"`
			Records    *int `json:"records"`
			Citizens   *int `json:"distinct_citizens"`
			Unit       struct{ Code string }
		}
		resp, b := e.do("GET", "/api/v1/outreach/progress?unit="+e.baToCommune, e.tokens["province_admin"], "", "")
		if resp.StatusCode != 200 || json.Unmarshal(b, &p) != nil || p.Records == nil || p.Citizens == nil || p.Members == nil || p.MembersMet == nil {
			t.Fatalf("progress: %d %s", resp.StatusCode, b)
		}
		if *p.Records != 1 || *p.Citizens != 1 || *p.Members != 1 || *p.MembersMet != 0 || p.Unit.Code != e.baToCommune {
			t.Fatalf("progress values: %s", b)
		}
		// The skills catalogue lists codes; the users API lists team members.
		resp, b = e.do("GET", "/api/v1/outreach/skills", "", "", "")
		for _, code := range []string{`"code":"dvc_tinh"`, `"code":"dvc_quocgia"`, `"code":"thanh_toan_truc_tuyen"`, `"code":"khong_tien_mat"`} {
			if resp.StatusCode != 200 || !strings.Contains(string(b), code) {
				t.Fatalf("skills lack %s: %s", code, b)
			}
		}
		resp, b = e.do("GET", "/api/v1/users?role=team_member", e.tokens["province_admin"], "", "")
		if resp.StatusCode != 200 || !strings.Contains(string(b), `"team.member"`) {
			t.Fatalf("team members: %d %s", resp.StatusCode, b)
		}
	})
}

func TestOutreachRefusals(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		member := e.tokens["team_member"]
		now := time.Now().UTC()
		farVillage, err := e.units.CreateVillage(e.sys, unitsVillage("Thôn Ngoài", e.sonTayCommune))
		if err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name, body string
			status     int
			contains   string
		}{
			{"foreign phone", fmt.Sprintf(`{"client_id":%q,"citizen":{"name":"A","birth_year":1970,"phone":"+33612345678"},"skills":["dvc_tinh"],"guided_at":%q}`, e.nextUUID(), now.Format(time.RFC3339)), 422, "citizen.phone"},
			{"future", fmt.Sprintf(`{"client_id":%q,"citizen":{"name":"A","birth_year":1970,"phone":"0905123123"},"skills":["dvc_tinh"],"guided_at":%q}`, e.nextUUID(), now.Add(2*time.Hour).Format(time.RFC3339)), 422, "guided_at"},
			{"outside window", fmt.Sprintf(`{"client_id":%q,"citizen":{"name":"A","birth_year":1970,"phone":"0905123123"},"skills":["dvc_tinh"],"guided_at":%q}`, e.nextUUID(), now.Add(-72*time.Hour).Format(time.RFC3339)), 422, "guided_at"},
			{"out of scope", fmt.Sprintf(`{"client_id":%q,"citizen":{"name":"A","birth_year":1970,"phone":"0905123123"},"skills":["dvc_tinh"],"guided_at":%q,"village_code":%q}`, e.nextUUID(), now.Format(time.RFC3339), farVillage.Code), 403, "forbidden"},
			{"bad skill", fmt.Sprintf(`{"client_id":%q,"citizen":{"name":"A","birth_year":1970,"phone":"0905123123"},"skills":["khong_co"],"guided_at":%q}`, e.nextUUID(), now.Format(time.RFC3339)), 422, "skills"},
			{"unknown field", fmt.Sprintf(`{"client_id":%q,"citizen":{"name":"A","birth_year":1970},"skills":["dvc_tinh"],"guided_at":%q,"extra":1}`, e.nextUUID(), now.Format(time.RFC3339)), 422, "invalid"},
			{"not RFC3339", fmt.Sprintf(`{"client_id":%q,"citizen":{"name":"A","birth_year":1970},"skills":["dvc_tinh"],"guided_at":"06/07/2023"}`, e.nextUUID()), 422, "invalid"},
			{"huge name", fmt.Sprintf(`{"client_id":%q,"citizen":{"name":%q,"birth_year":1970},"skills":["dvc_tinh"],"guided_at":%q}`, e.nextUUID(), strings.Repeat("Đ", 500), now.Format(time.RFC3339)), 422, "citizen.name"},
		}
		for _, c := range cases {
			resp, b := e.do("POST", "/api/v1/outreach/records", member, "application/json", c.body)
			if resp.StatusCode != c.status || !strings.Contains(string(b), c.contains) {
				t.Errorf("%s: %d %s", c.name, resp.StatusCode, b)
			}
		}
		var p struct {
			Records int `json:"records"`
		}
		_, b := e.do("GET", "/api/v1/outreach/progress?unit=51", e.tokens["province_admin"], "", "")
		if json.Unmarshal(b, &p) != nil || p.Records != 0 {
			t.Fatalf("refused records counted: %s", b)
		}
		// A malformed roster is refused line by line and imports nothing.
		team := e.baToTeam()
		resp, b := e.do("POST", fmt.Sprintf("/api/v1/outreach/teams/%d/roster", team.ID), e.tokens["unit_admin_bato"], "text/csv", "tai_khoan,ho_ten\nBAD NAME,X\nok.user,\n")
		if resp.StatusCode != 422 || !strings.Contains(string(b), `"line":2`) || !strings.Contains(string(b), `"line":3`) {
			t.Fatalf("bad roster: %d %s", resp.StatusCode, b)
		}
		if tm, _ := e.outreach.FindTeam(e.sys, team.ID); len(tm.Members) != 0 {
			t.Fatalf("bad roster imported %d", len(tm.Members))
		}
		// A form without its file: the access check answers first (another district's
		// administrator is refused), the missing file only to someone who may import.
		const noFile = "--x\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\n-\r\n--x--\r\n"
		for _, c := range []struct {
			path, who string
			want      []int
		}{
			{fmt.Sprintf("/api/v1/outreach/teams/%d/roster", team.ID), "unit_admin_sontay", []int{403, 404}},
			{fmt.Sprintf("/api/v1/outreach/teams/%d/roster", team.ID), "unit_admin_bato", []int{422}},
			{"/api/v1/units/import", "team_member", []int{403}},
			{"/api/v1/units/import", "province_admin", []int{422}},
		} {
			resp, b := e.do("POST", c.path, e.tokens[c.who], "multipart/form-data; boundary=x", noFile)
			if !slices.Contains(c.want, resp.StatusCode) {
				t.Errorf("%s by %s without a file: %d %s, want %v", c.path, c.who, resp.StatusCode, b, c.want)
			}
		}
	})
}

func TestOutreachPagesAndExports(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		e.memberRecord("0905123123")
		// The service worker is served with a scope covering the whole site.
		resp, b := e.do("GET", "/outreach/sw.js", "", "", "")
		if resp.StatusCode != 200 || resp.Header.Get("Service-Worker-Allowed") != "/" || !strings.Contains(resp.Header.Get("Content-Type"), "javascript") || !strings.Contains(string(b), "lantoa-outreach") {
			t.Fatalf("sw: %d %v", resp.StatusCode, resp.Header)
		}
		resp, b = e.do("GET", "/outreach/manifest.webmanifest", "", "", "")
		if resp.StatusCode != 200 || !strings.Contains(string(b), `"start_url":"/outreach/form"`) {
			t.Fatalf("manifest: %d %s", resp.StatusCode, b)
		}
		resp, b = e.do("GET", "/outreach/form", e.tokens["team_member"], "", "")
		if resp.StatusCode != 200 || !strings.Contains(string(b), `rel="manifest"`) || !strings.Contains(string(b), "dvc_quocgia") || strings.Contains(string(b), "<script>") {
			t.Fatalf("form page: %d", resp.StatusCode)
		}
		if resp, _ := e.do("GET", "/outreach/form", e.tokens["learner"], "", ""); resp.StatusCode != 403 {
			t.Fatalf("form for a learner: %d", resp.StatusCode)
		}
		for _, path := range []string{"/outreach/progress?unit=535", "/outreach/teams", "/outreach/admin"} {
			if resp, b := e.do("GET", path, e.tokens["unit_admin_bato"], "", ""); resp.StatusCode != 200 {
				t.Fatalf("%s: %d %.300s", path, resp.StatusCode, b)
			}
		}
		// Exports: the district administrator sees masked phones, the province administrator full ones.
		for role, want := range map[string]string{"unit_admin_bato": "0905***123", "province_admin": "0905123123"} {
			resp, b := e.do("GET", "/outreach/records/export?format=xlsx&unit=535", e.tokens[role], "", "")
			if resp.StatusCode != 200 {
				t.Fatalf("records export as %s: %d", role, resp.StatusCode)
			}
			f, err := excelize.OpenReader(strings.NewReader(string(b)))
			if err != nil {
				t.Fatal(err)
			}
			rows, _ := f.GetRows(f.GetSheetName(0))
			if len(rows) != 2 || rows[1][5] != want {
				t.Fatalf("export as %s: %v", role, rows)
			}
		}
		resp, b = e.do("GET", "/outreach/progress/export?format=xlsx&unit=535", e.tokens["unit_admin_bato"], "", "")
		if resp.StatusCode != 200 || !strings.HasPrefix(string(b), "PK") {
			t.Fatalf("progress export: %d", resp.StatusCode)
		}
		if resp, _ := e.do("GET", "/outreach/progress/export?format=xlsx&unit=535", e.tokens["unit_admin_sontay"], "", ""); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("progress export out of scope: %d", resp.StatusCode)
		}
	})
}

// Two provinces on one server: Hà Nội's administrator runs Hà Nội's campaign and catalogue
// additions, its member records into Hà Nội's campaign, and nothing of Quảng Ngãi's is reached;
// the national administrator reads the figures of both and changes neither.
func TestOutreachAcrossProvinces(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		hn, qn, nat := e.tokens["province_admin_hanoi"], e.tokens["province_admin"], e.tokens["national_admin"]
		launch := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
		for _, c := range []struct {
			name, token, province string
			want                  int
		}{{"Hà Nội for Quảng Ngãi", hn, "51", 403}, {"Hà Nội for an unknown code", hn, "99", 422}, {"national", nat, "", 403}} {
			if code := e.json("POST", "/api/v1/outreach/campaigns", c.token, map[string]any{"province_code": c.province, "name": "Đợt thử", "launch_at": launch}, nil); code != c.want {
				t.Errorf("%s: %d, want %d", c.name, code, c.want)
			}
		}
		var camp outreach.Campaign
		if code := e.json("POST", "/api/v1/outreach/campaigns", hn, map[string]any{"name": "Ra quân Hà Nội", "launch_at": launch}, &camp); code != 201 || camp.Province != "01" {
			t.Fatalf("Hà Nội's campaign: %d %+v", code, camp)
		}
		var list struct {
			Items []outreach.Campaign `json:"items"`
		}
		e.json("GET", "/api/v1/outreach/campaigns", hn, nil, &list)
		if len(list.Items) != 1 || list.Items[0].ID != camp.ID {
			t.Errorf("Hà Nội's campaigns: %+v", list.Items)
		}
		e.json("GET", "/api/v1/outreach/campaigns", qn, nil, &list)
		for _, c := range list.Items {
			if c.Province != "51" {
				t.Errorf("Quảng Ngãi lists %+v", c)
			}
		}
		qnCamp := list.Items[0]
		for token, want := range map[string]int{hn: 404, nat: 403} {
			if code := e.json("POST", fmt.Sprintf("/api/v1/outreach/campaigns/%d/launch", qnCamp.ID), token, map[string]string{"launch_at": launch}, nil); code != want {
				t.Errorf("launching Quảng Ngãi's campaign: %d, want %d", code, want)
			}
		}
		// Hà Nội's own catalogue entry; the national entries are not Hà Nội's to change.
		if code := e.json("POST", "/api/v1/outreach/skills", hn, map[string]any{"code": "so_tay_ha_noi", "name": "Sổ tay điện tử Hà Nội", "kind": "platform", "order": 30, "active": true}, nil); code != 200 {
			t.Fatalf("Hà Nội's entry: %d", code)
		}
		if code := e.json("POST", "/api/v1/outreach/skills", hn, map[string]any{"code": "vneid", "name": "Đổi", "kind": "platform", "active": true}, nil); code != 403 {
			t.Errorf("Hà Nội changing a national entry: %d", code)
		}
		for province, want := range map[string]bool{"01": true, "51": false} {
			if _, b := e.do("GET", "/api/v1/outreach/skills?province="+province, "", "", ""); strings.Contains(string(b), "so_tay_ha_noi") != want || !strings.Contains(string(b), "vneid") {
				t.Errorf("catalogue of %s: %s", province, b)
			}
		}
		// Hà Nội's member records into Hà Nội's campaign.
		m := e.fresh(accounts.NewUser{Role: authz.TeamMember, UnitCode: e.haNoiCommune})
		tok, err := e.accounts.CreateToken(e.sys, m.ID, "test")
		if err != nil {
			t.Fatal(err)
		}
		body := fmt.Sprintf(`{"client_id":%q,"citizen":{"name":"Nguyễn Thị Hà","birth_year":1970,"phone":"0912000111"},"skills":["dvc_quocgia"],"platforms":["so_tay_ha_noi"],"guided_at":%q,"consent":{"given":true,"version":%q}}`,
			e.nextUUID(), time.Now().Add(-time.Minute).UTC().Format(time.RFC3339), camp.ConsentVersion)
		var rec outreach.Record
		if resp, b := e.do("POST", "/api/v1/outreach/records", tok, "application/json", body); resp.StatusCode != 201 || json.Unmarshal(b, &rec) != nil || rec.CampaignID != camp.ID {
			t.Fatalf("Hà Nội's record: %d %s", resp.StatusCode, b)
		}
		// Progress: Hà Nội's own; the national administrator reads both provinces.
		var p struct {
			Records  int `json:"records"`
			Campaign struct {
				ID int64 `json:"id"`
			} `json:"campaign"`
		}
		for _, c := range []struct {
			token, unit string
			want        int
			campaign    int64
		}{{hn, "01", 200, camp.ID}, {nat, "01", 200, camp.ID}, {nat, "51", 200, qnCamp.ID}, {hn, "535", 403, 0}, {hn, "51", 403, 0}} {
			code := e.json("GET", "/api/v1/outreach/progress?unit="+c.unit, c.token, nil, &p)
			if code != c.want || (code == 200 && p.Campaign.ID != c.campaign) {
				t.Errorf("progress of %s: %d %+v", c.unit, code, p)
			}
		}
		// The national administrator's progress page: a province to choose, then its figures
		// without the records' export.
		if resp, b := e.do("GET", "/outreach/progress", nat, "", ""); resp.StatusCode != 200 || !strings.Contains(string(b), `href="/outreach/progress?unit=01"`) {
			t.Errorf("national progress page: %d", resp.StatusCode)
		}
		if resp, b := e.do("GET", "/outreach/progress?unit=51", nat, "", ""); resp.StatusCode != 200 || strings.Contains(string(b), "/outreach/records/export") {
			t.Errorf("national progress of Quảng Ngãi: %d", resp.StatusCode)
		}
		// Records: Hà Nội's administrator lists Hà Nội's with phones; the national one none.
		var recs struct {
			Items []outreach.Record `json:"items"`
		}
		if code := e.json("GET", "/api/v1/outreach/records", hn, nil, &recs); code != 200 || len(recs.Items) != 1 || recs.Items[0].Citizen.Phone != "0912000111" {
			t.Errorf("Hà Nội's records: %d %+v", code, recs.Items)
		}
		if code := e.json("GET", "/api/v1/outreach/records", nat, nil, nil); code != 403 {
			t.Errorf("national records: %d", code)
		}
		qnRec := e.memberRecord("0977000222")
		if code := e.json("GET", fmt.Sprintf("/api/v1/outreach/records/%d", qnRec.ID), hn, nil, nil); code != 404 {
			t.Errorf("Hà Nội viewing a Quảng Ngãi record: %d", code)
		}
		// Retention runs over Hà Nội's campaigns only (none has expired).
		var ret outreach.RetentionResult
		if code := e.json("POST", "/api/v1/outreach/retention", hn, nil, &ret); code != 200 || len(ret.Campaigns) != 0 {
			t.Errorf("Hà Nội's retention: %d %+v", code, ret)
		}
		// The campaigns page lists each province's campaigns; the national one names the province.
		if _, b := e.do("GET", "/outreach/admin", hn, "", ""); strings.Contains(string(b), qnCamp.Name) || !strings.Contains(string(b), camp.Name) {
			t.Errorf("Hà Nội's campaigns page")
		}
		if _, b := e.do("GET", "/outreach/admin", nat, "", ""); !strings.Contains(string(b), `data-province="01"`) || !strings.Contains(string(b), `data-province="51"`) ||
			strings.Contains(string(b), `action="/outreach/admin/campaigns"`) || strings.Contains(string(b), `id="subject-form"`) {
			t.Errorf("national campaigns page")
		}
	})
}
