package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/orgs"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/training"
	"github.com/lantoa/lantoa/internal/units"
)

// Over HTTP, after the switch to the map of 2025: the figures page ranks communes and shows them
// "as it is now" (the 2023 learner under Xã An Phú) or "as it was" (under Thành phố Quảng Ngãi, a 2023 district-level unit, retired,
// drilled into by path); the API answers the same and refuses a bad view; the certificate's
// verification page shows today's unit; the user page marks a grant on a retired unit.
func TestFiguresPagesAcrossTheSwitch(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newQuangNgaiEnv(t, d)
		admin := e.tokens["province_admin"]
		course := e.makeCourse(admin, fmt.Sprintf(newCourseBody, "Kỹ năng số 2025"))
		learner := e.userToken("hocvien.nghiadong", accounts.NewUser{Role: authz.Learner, UnitCode: "21037", DisplayName: "Phạm Thị Dõng"})
		if st := e.json("POST", fmt.Sprintf("/api/v1/courses/%d/enrol", course), learner, nil, nil); st != 200 && st != 201 {
			t.Fatalf("enrol: %d", st)
		}
		passed, code := e.takeExam(learner, course)
		if !passed {
			t.Fatal("the learner did not pass")
		}
		old := e.mustUser("ubnd.nghiadung", accounts.NewUser{Role: authz.UnitAdmin, UnitCode: "21034"})
		if _, err := e.units.SwitchMap(e.sys, bytes.NewReader(units.Vietnam2025CSV()), bytes.NewReader(units.QuangNgaiLineage2025CSV()), "2025-07-01"); err != nil {
			t.Fatal(err)
		}

		var now struct{ Items []training.FigureRow }
		if st := e.json("GET", fmt.Sprintf("/api/v1/courses/%d/figures", course), admin, nil, &now); st != 200 {
			t.Fatalf("figures: %d", st)
		}
		found := false
		for _, r := range now.Items {
			found = found || (r.Path == "/51/21034/" && r.Enrolled == 1 && r.Passed == 1)
			if strings.HasPrefix(r.Name, "Huyện") {
				t.Errorf("a district as it is now: %+v", r)
			}
		}
		if !found {
			t.Errorf("Xã An Phú lacks the 2023 learner: %+v", now.Items)
		}
		resp, body := e.do("GET", fmt.Sprintf("/courses/%d/figures", course), admin, "", "")
		page := string(body)
		if resp.StatusCode != 200 || !strings.Contains(page, "Bảng xếp hạng các xã, phường, đặc khu") || !strings.Contains(page, `id="view-was"`) {
			t.Errorf("figures page as it is now: %d", resp.StatusCode)
		}
		resp, body = e.do("GET", fmt.Sprintf("/courses/%d/figures?view=was", course), admin, "", "")
		page = string(body)
		if resp.StatusCode != 200 || !strings.Contains(page, "Thành phố Quảng Ngãi") || !strings.Contains(page, "hết hiệu lực sau ngày 2025-06-30") ||
			!strings.Contains(page, "parent=%2f51%2f522%2f") {
			t.Errorf("figures page as it was: %d", resp.StatusCode)
		}
		resp, body = e.do("GET", fmt.Sprintf("/courses/%d/figures?view=was&parent=%s", course, url.QueryEscape("/51/522/")), admin, "", "")
		if resp.StatusCode != 200 || !strings.Contains(string(body), "Xã Nghĩa Dõng") || !strings.Contains(string(body), "Xã Nghĩa Dũng") {
			t.Errorf("drilling into the city as it was: %d", resp.StatusCode)
		}
		if resp, _ := e.do("GET", fmt.Sprintf("/api/v1/courses/%d/figures?view=then", course), admin, "", ""); resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("a bad view: %d", resp.StatusCode)
		}

		resp, body = e.do("GET", "/verify/"+code, "", "", "")
		if resp.StatusCode != 200 || !strings.Contains(string(body), "Xã An Phú") || !strings.Contains(string(body), "Xã Nghĩa Dõng") {
			t.Errorf("verification page: %d", resp.StatusCode)
		}
		resp, body = e.do("GET", fmt.Sprintf("/users/%d", old.ID), admin, "", "")
		if resp.StatusCode != 200 || !strings.Contains(string(body), "Xã Nghĩa Dũng") || !strings.Contains(string(body), "đơn vị cũ, hết hiệu lực sau ngày 2025-06-30") {
			t.Errorf("user page of a grant on a retired unit: %d", resp.StatusCode)
		}
	})
}

// The organisations' merge over the API and the form: the province's administrator merges Sở
// TT&TT into Sở KH&CN; a unit administrator is refused, bad input is 422, and the merged
// organisation leaves the listing.
func TestOrgMergeOverHTTP(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newQuangNgaiEnv(t, d)
		tttt := e.mustOrg(orgs.Org{Name: "Sở Thông tin và Truyền thông", Kind: orgs.Department, UnitCode: "51"})
		khcn := e.mustOrg(orgs.Org{Name: "Sở Khoa học và Công nghệ", Kind: orgs.Department, UnitCode: "51"})
		path := fmt.Sprintf("/api/v1/orgs/%d/merge", tttt.ID)
		if st := e.json("POST", path, e.tokens["unit_admin_bato"], map[string]any{"successor_id": khcn.ID, "effective": "2025-03-01"}, nil); st != http.StatusForbidden {
			t.Errorf("a unit administrator: %d", st)
		}
		for _, bad := range []map[string]any{
			{"successor_id": khcn.ID, "effective": "1/3/2025"},
			{"successor_id": tttt.ID, "effective": "2025-03-01"},
			{"successor_id": 0, "effective": "2025-03-01"},
		} {
			if st := e.json("POST", path, e.tokens["province_admin"], bad, nil); st != http.StatusUnprocessableEntity {
				t.Errorf("%v: %d", bad, st)
			}
		}
		var res orgs.MergeResult
		if st := e.json("POST", path, e.tokens["province_admin"], map[string]any{"successor_id": khcn.ID, "effective": "2025-03-01"}, &res); st != 200 {
			t.Fatalf("merge: %d", st)
		}
		if res.Org.ValidTo != "2025-02-28" || res.Successor.ID != khcn.ID {
			t.Errorf("merge result %+v", res)
		}
		resp, body := e.do("GET", "/api/v1/orgs?q="+url.QueryEscape("Sở"), "", "", "")
		var list struct{ Items []orgs.Org }
		if err := json.Unmarshal(body, &list); err != nil || resp.StatusCode != 200 {
			t.Fatalf("orgs: %d %s", resp.StatusCode, body)
		}
		ids := map[int64]bool{}
		for _, o := range list.Items {
			ids[o.ID] = true
		}
		if ids[tttt.ID] || !ids[khcn.ID] {
			t.Errorf("orgs in force after the merger: %s", body)
		}
		resp, body = e.do("GET", "/orgs", e.tokens["province_admin"], "", "")
		if resp.StatusCode != 200 || !strings.Contains(string(body), `id="org-merge"`) {
			t.Errorf("the organisations page lacks the merge form: %d", resp.StatusCode)
		}
	})
}
