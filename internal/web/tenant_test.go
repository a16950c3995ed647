package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
)

// The province is the tenant boundary of the foundation: users, organisations, units and the
// audit log. Hà Nội's administrator works in Hà Nội as Quảng Ngãi's does in Quảng Ngãi, and
// reaches nothing of Quảng Ngãi's; the national administrator appoints province administrators and
// changes nothing inside a province.
func TestProvinceTenantFoundation(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		hn, qng, nat := e.tokens["province_admin_hanoi"], e.tokens["province_admin"], e.tokens["national_admin"]
		newUser := func(token, role, unit string) int {
			e.seq++
			body := map[string]any{"username": fmt.Sprintf("tenant.%d", e.seq), "password": testPassword, "role": role}
			if unit != "" {
				body["unit_code"] = unit
			}
			return e.json("POST", "/api/v1/users", token, body, nil)
		}
		// Each province administrator creates people in its own province only.
		for _, c := range []struct {
			name, token, role, unit string
			want                    int
		}{
			{"Hà Nội: a commune team member", hn, "team_member", e.haNoiCommune, http.StatusCreated},
			{"Hà Nội: another Hà Nội province admin", hn, "province_admin", "01", http.StatusCreated},
			{"Hà Nội: a Quảng Ngãi province admin", hn, "province_admin", "51", http.StatusForbidden},
			{"Hà Nội: a Ba Tơ team member", hn, "team_member", e.baToCommune, http.StatusForbidden},
			{"Quảng Ngãi: a Hà Nội commune admin", qng, "unit_admin", e.haNoiCommune, http.StatusForbidden},
			{"Hà Nội: a national admin", hn, "national_admin", "", http.StatusForbidden},
			{"national: a national admin", nat, "national_admin", "", http.StatusCreated},
			{"national: Quảng Ngãi's province admin", nat, "province_admin", "51", http.StatusCreated},
			{"national: a unit admin inside a province", nat, "unit_admin", "535", http.StatusForbidden},
			{"national admin naming a unit", nat, "national_admin", "51", http.StatusUnprocessableEntity},
		} {
			if got := newUser(c.token, c.role, c.unit); got != c.want {
				t.Errorf("%s: %d, want %d", c.name, got, c.want)
			}
		}
		// Listings hold their own province's people only.
		var list listed
		e.json("GET", "/api/v1/users", hn, nil, &list)
		for _, u := range list.Items {
			for _, g := range u.Grants {
				if g.UnitCode == "51" || strings.HasPrefix(g.UnitCode, "5") && len(g.UnitCode) == 3 || g.OrgID == e.orgIDs["tinhdoan"] {
					t.Errorf("Hà Nội's administrator lists %s (%+v)", u.Username, u.Grants)
				}
			}
		}
		e.json("GET", "/api/v1/users", qng, nil, &list)
		for _, u := range list.Items {
			if u.Username == "province.admin.hanoi" {
				t.Errorf("Quảng Ngãi's administrator lists Hà Nội's")
			}
		}
		// The national administrator sees the administrators it appoints, not the provinces' people.
		e.json("GET", "/api/v1/users", nat, nil, &list)
		seen := map[string]bool{}
		for _, u := range list.Items {
			seen[u.Username] = true
		}
		if !seen["province.admin"] || !seen["province.admin.hanoi"] || seen["learner"] || seen["team.member"] {
			t.Errorf("national listing: %v", seen)
		}
		// Another province's user does not exist for Hà Nội, and the probe is audited.
		qngUser := e.users["team_member"]
		if code := e.json("GET", fmt.Sprintf("/api/v1/users/%d", qngUser), hn, nil, nil); code != http.StatusNotFound {
			t.Errorf("Hà Nội reading a Quảng Ngãi user: %d", code)
		}
		if code := e.json("POST", fmt.Sprintf("/api/v1/users/%d/disable", qngUser), hn, nil, nil); code != http.StatusNotFound {
			t.Errorf("Hà Nội disabling a Quảng Ngãi user: %d", code)
		}
		// The national administrator manages the province administrators it appoints, no one else.
		var appointed struct {
			ID int64 `json:"id"`
		}
		e.json("POST", "/api/v1/users", nat, map[string]any{"username": "so.tttt.hanoi", "password": testPassword, "role": "province_admin", "unit_code": "01"}, &appointed)
		if code := e.json("POST", fmt.Sprintf("/api/v1/users/%d/disable", appointed.ID), nat, nil, nil); code >= 300 {
			t.Errorf("national disabling a province administrator: %d", code)
		}
		if code := e.json("POST", fmt.Sprintf("/api/v1/users/%d/disable", qngUser), nat, nil, nil); code != http.StatusNotFound {
			t.Errorf("national disabling a team member: %d", code)
		}
		denials, _ := audit.List(e.sys, d.Reader(), audit.Filter{Action: "access.denied"})
		probed := false
		for _, en := range denials {
			probed = probed || en.ActorName == "province.admin.hanoi" && strings.Contains(en.Detail, fmt.Sprintf("/api/v1/users/%d", qngUser)) && en.UnitPath == "/01/"
		}
		if !probed {
			t.Errorf("the denial is not in the audit log: %+v", denials)
		}
		// Organisations: in one's own province only, and every organisation in a province.
		for _, c := range []struct {
			name, token, body string
			want              int
		}{
			{"Hà Nội school in Ba Đình", hn, `{"name":"Trường Tiểu học Thử","kind":"school","unit_code":"001"}`, http.StatusCreated},
			{"Hà Nội school in Ba Tơ", hn, `{"name":"Trường Tiểu học Lạ","kind":"school","unit_code":"535"}`, http.StatusForbidden},
			{"Hà Nội union under Quảng Ngãi's Tỉnh đoàn", hn, fmt.Sprintf(`{"name":"Đoàn Lạ","kind":"union","parent_id":%d}`, e.orgIDs["tinhdoan"]), http.StatusForbidden},
			{"a union in no province", qng, `{"name":"Hội Không Nơi","kind":"union"}`, http.StatusUnprocessableEntity},
			{"national creates no organisation", nat, `{"name":"Bộ Thử","kind":"department","unit_code":"01"}`, http.StatusForbidden},
		} {
			if resp, b := e.do("POST", "/api/v1/orgs", c.token, "application/json", c.body); resp.StatusCode != c.want {
				t.Errorf("%s: %d, want %d: %s", c.name, resp.StatusCode, c.want, b)
			}
		}
		// Villages and imports: Hà Nội's own commune yes, Ba Tơ's no.
		if code := e.json("POST", "/api/v1/units/"+e.haNoiCommune+"/villages", hn, map[string]string{"name": "Tổ dân phố 1"}, nil); code != http.StatusCreated {
			t.Errorf("Hà Nội village: %d", code)
		}
		if code := e.json("POST", "/api/v1/units/"+e.baToCommune+"/villages", hn, map[string]string{"name": "Thôn Lạ"}, nil); code != http.StatusForbidden {
			t.Errorf("Hà Nội village in Ba Tơ: %d", code)
		}
		// The audit log: each province reads its own entries.
		var entries struct {
			Items []struct {
				Action, Actor, Detail string
			} `json:"items"`
		}
		e.json("GET", "/api/v1/audit", qng, nil, &entries)
		for _, en := range entries.Items {
			if strings.Contains(en.Detail, "Tổ dân phố 1") || strings.Contains(en.Detail, "Trường Tiểu học Thử") {
				t.Errorf("Quảng Ngãi reads Hà Nội's audit entry %+v", en)
			}
		}
	})
}
