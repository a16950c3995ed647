package web_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/units"
)

type progressJSON struct {
	View string `json:"view"`
	Unit struct {
		Code, Name, Path string
		ValidTo          string `json:"valid_to"`
	} `json:"unit"`
	Records  int64 `json:"records"`
	Members  int   `json:"members"`
	Children []struct {
		Unit struct {
			Code, Name, Path string
			ValidTo          string `json:"valid_to"`
		} `json:"unit"`
		Records int64 `json:"records"`
	} `json:"children"`
	FromSplit []struct {
		Unit struct {
			Code, Name, Path string
		} `json:"unit"`
		Records int64 `json:"records"`
	} `json:"from_split"`
}

// rawJSON sends body as it is (a record as the phone writes it) and decodes a success into out.
func (e *env) rawJSON(method, path, token, body string, out any) int {
	e.t.Helper()
	resp, b := e.do(method, path, token, "application/json", body)
	if resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s %s: decode %q: %v", method, path, b, err)
		}
	}
	return resp.StatusCode
}

func (p progressJSON) child(path string) (int64, bool) {
	for _, c := range p.Children {
		if c.Unit.Path == path {
			return c.Records, true
		}
	}
	return 0, false
}

// The acceptance contract of issue 15 on the API: after the switch of the plan's 2023 Quảng Ngãi to
// the shipped map of 2025, a 2023 record of Xã Nghĩa Dõng (21037) counts in Xã An Phú (21034) as
// it is now, and as it was in 21037 under Thành phố Quảng Ngãi (522). The member who made it goes
// on recording, now in Xã An Phú, and teams are made and filled on communes under the province.
func TestOutreachProgressAcrossTheSwitch(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newQuangNgaiEnv(t, d)
		e.units.OnSwitch(e.outreach.FollowSwitch) // as internal/app wires it
		admin := e.tokens["province_admin"]
		dong := e.mustUser("tv.nghiadong", accounts.NewUser{Role: authz.TeamMember, UnitCode: "21037"})
		tok, err := e.accounts.CreateToken(e.sys, dong.ID, "phone")
		if err != nil {
			t.Fatal(err)
		}
		var rec struct {
			UnitCode string `json:"unit_code"`
		}
		first := e.recordBody("0905123001")
		if st := e.rawJSON("POST", "/api/v1/outreach/records", tok, first, &rec); st != http.StatusCreated || rec.UnitCode != "21037" {
			t.Fatalf("record before the switch: %d %+v", st, rec)
		}
		// A visit in the 2023 Xã Nghĩa Dũng, whose code 21034 Xã An Phú takes in 2025.
		dungUser := e.mustUser("tv.nghiadung", accounts.NewUser{Role: authz.TeamMember, UnitCode: "21034"})
		dungTok, err := e.accounts.CreateToken(e.sys, dungUser.ID, "phone")
		if err != nil {
			t.Fatal(err)
		}
		visit := `{"client_id":"` + e.nextUUID() + `","household":"Nhà ông Bảy","outcome":"helped","visited_at":"` + time.Now().Add(-time.Minute).UTC().Format(time.RFC3339) + `"}`
		if resp, b := e.do("POST", "/api/v1/outreach/visits", dungTok, "application/json", visit); resp.StatusCode != http.StatusCreated {
			t.Fatalf("visit: %d %s", resp.StatusCode, b)
		}
		if _, err := e.units.SwitchMap(e.sys, bytes.NewReader(units.Vietnam2025CSV()), bytes.NewReader(units.QuangNgaiLineage2025CSV()), "2025-07-01"); err != nil {
			t.Fatal(err)
		}

		var now progressJSON
		if st := e.json("GET", "/api/v1/outreach/progress?unit=21034", admin, nil, &now); st != 200 || now.View != "now" || now.Records != 1 ||
			now.Unit.Name != "Xã An Phú" || now.Unit.Path != "/51/21034/" || now.Members != 2 {
			t.Fatalf("21034 now: %d %+v", st, now)
		}
		var was progressJSON
		if st := e.json("GET", "/api/v1/outreach/progress?unit=21034&view=was", admin, nil, &was); st != 200 || was.View != "was" || was.Records != 0 {
			t.Fatalf("21034 was: %d %+v", st, was)
		}
		var tp progressJSON
		if st := e.json("GET", "/api/v1/outreach/progress?unit=522&view=was", admin, nil, &tp); st != 200 || tp.Unit.ValidTo != "2025-06-30" || tp.Records != 1 {
			t.Fatalf("522 was: %d %+v", st, tp)
		}
		if n, ok := tp.child("/51/522/21037/"); !ok || n != 1 {
			t.Fatalf("21037 under 522 as it was: %d %v (%+v)", n, ok, tp.Children)
		}
		var province progressJSON
		if st := e.json("GET", "/api/v1/outreach/progress?unit=51", admin, nil, &province); st != 200 || len(province.Children) != 96 ||
			len(province.FromSplit) != 1 || province.FromSplit[0].Unit.Name != "Xã Trà Bùi" {
			t.Fatalf("province now: %d children %d split %+v", st, len(province.Children), province.FromSplit)
		}
		if n, _ := province.child("/51/21034/"); n != 1 {
			t.Fatalf("An Phú among the province's communes: %d", n)
		}
		// The 2023 version of a reused code is reached by its path.
		var dung progressJSON
		if st := e.json("GET", "/api/v1/outreach/progress?unit=/51/522/21034/", admin, nil, &dung); st != 200 || dung.Unit.Name != "Xã Nghĩa Dũng" || dung.View != "was" {
			t.Fatalf("2023 Nghĩa Dũng by path: %d %+v", st, dung)
		}
		for _, q := range []string{"?unit=21034&view=then", "?unit=" + strings.Repeat("1", 101)} {
			if resp, b := e.do("GET", "/api/v1/outreach/progress"+q, admin, "", ""); resp.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("%s: %d %s", q, resp.StatusCode, b)
			}
		}

		// The phone, unsure what arrived, sends the first record again: 200, the record as stored.
		if st := e.rawJSON("POST", "/api/v1/outreach/records", tok, first, &rec); st != http.StatusOK || rec.UnitCode != "21037" {
			t.Fatalf("replay after the switch: %d %+v", st, rec)
		}
		// The member's grant moved with the switch: the phone's next record is Xã An Phú's.
		if st := e.rawJSON("POST", "/api/v1/outreach/records", tok, e.recordBody("0905123002"), &rec); st != http.StatusCreated || rec.UnitCode != "21034" {
			t.Fatalf("record after the switch: %d %+v", st, rec)
		}
		if resp, b := e.do("GET", "/outreach/form", tok, "", ""); resp.StatusCode != 200 || !strings.Contains(string(b), "dvc_quocgia") {
			t.Fatalf("phone form in a commune under the province: %d", resp.StatusCode)
		}

		// The member's visit keeps the name of the commune it was made in.
		if resp, b := e.do("GET", "/outreach/visits", dungTok, "", ""); resp.StatusCode != 200 || !strings.Contains(string(b), "Xã Nghĩa Dũng") || strings.Contains(string(b), "Xã An Phú") {
			t.Fatalf("visits page after the switch: %d", resp.StatusCode)
		}

		// A team on a commune under the province, filled from a roster.
		var team struct {
			ID       int64  `json:"id"`
			UnitName string `json:"unit_name"`
			Level    string `json:"level"`
		}
		if st := e.json("POST", "/api/v1/outreach/teams", admin, map[string]string{"name": "Tổ CNSCĐ xã An Phú", "unit_code": "21034"}, &team); st != http.StatusCreated ||
			team.UnitName != "Xã An Phú" || team.Level != "commune" {
			t.Fatalf("team: %d %+v", st, team)
		}
		if st := e.json("POST", "/api/v1/outreach/teams", admin, map[string]string{"name": "Tổ cũ", "unit_code": "21037"}, nil); st != http.StatusUnprocessableEntity {
			t.Fatalf("team on a retired commune: %d", st)
		}
		resp, b := e.do("POST", "/api/v1/outreach/teams/"+strconv.FormatInt(team.ID, 10)+"/roster", admin, "text/csv", "Tài khoản,Họ tên\nanphu.mot,Nguyễn Văn Một\n")
		if resp.StatusCode != 200 || !strings.Contains(string(b), `"created":1`) {
			t.Fatalf("roster: %d %s", resp.StatusCode, b)
		}
		resp, b = e.do("GET", "/outreach/teams", admin, "", "")
		if resp.StatusCode != 200 || !strings.Contains(string(b), "Tổ CNSCĐ xã An Phú") || !strings.Contains(string(b), `<option value="21034">Xã An Phú (21034)</option>`) ||
			strings.Contains(string(b), `<option value="522">`) {
			t.Fatalf("teams page: %d", resp.StatusCode)
		}

		// The progress page offers both views and names the retired units as such.
		resp, b = e.do("GET", "/outreach/progress?unit=51", admin, "", "")
		page := string(b)
		if resp.StatusCode != 200 || !strings.Contains(page, `view=now" aria-current="page"`) || !strings.Contains(page, `id="from-split"`) ||
			strings.Contains(page, "Thành phố Quảng Ngãi") {
			t.Fatalf("progress page now: %d", resp.StatusCode)
		}
		resp, b = e.do("GET", "/outreach/progress?unit=51&view=was", admin, "", "")
		page = string(b)
		if resp.StatusCode != 200 || !strings.Contains(page, `view=was" aria-current="page"`) || !strings.Contains(page, "Thành phố Quảng Ngãi") ||
			!strings.Contains(page, "30/06/2025") || strings.Contains(page, `id="from-split"`) {
			t.Fatalf("progress page was: %d %v %v %v %v", resp.StatusCode, strings.Contains(page, `view=was" aria-current="page"`), strings.Contains(page, "Thành phố Quảng Ngãi"), strings.Contains(page, "30/06/2025"), strings.Contains(page, `id="from-split"`))
		}
		resp, b = e.do("GET", "/outreach/progress?unit=21037", admin, "", "")
		if resp.StatusCode != 200 || !strings.Contains(string(b), `id="retired"`) || !strings.Contains(string(b), "Thành phố Quảng Ngãi") {
			t.Fatalf("retired commune's page: %d", resp.StatusCode)
		}
		resp, b = e.do("GET", "/outreach/progress/export?format=xlsx&unit=522&view=was", admin, "", "")
		if resp.StatusCode != 200 || !strings.HasPrefix(string(b), "PK") {
			t.Fatalf("export as it was: %d", resp.StatusCode)
		}
		x, err := excelize.OpenReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := x.GetRows(x.GetSheetName(0))
		var row []string
		for _, r := range rows {
			if len(r) > 0 && r[0] == "21037" {
				row = r
			}
		}
		if len(row) < 7 || row[1] != "Xã Nghĩa Dõng" || row[2] != "30/06/2025" || row[6] != "1" {
			t.Fatalf("export row of 21037 as it was: %v", row)
		}
		// The team page of a commune under the province offers the member and roster forms.
		resp, b = e.do("GET", "/outreach/teams/"+strconv.FormatInt(team.ID, 10), admin, "", "")
		if resp.StatusCode != 200 || !strings.Contains(string(b), "Xã An Phú") || !strings.Contains(string(b), "/roster") || !strings.Contains(string(b), "anphu.mot") {
			t.Fatalf("team page: %d", resp.StatusCode)
		}
	})
}
