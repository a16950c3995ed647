package web_test

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/ceremony"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/units"
)

// switchTo2025 moves the environment's Quảng Ngãi to the map of 1 July 2025 with the shipped files.
func (e *env) switchTo2025() {
	e.t.Helper()
	if _, err := e.units.SwitchMap(e.sys, bytes.NewReader(units.Vietnam2025CSV()), bytes.NewReader(units.QuangNgaiLineage2025CSV()), "2025-07-01"); err != nil {
		e.t.Fatalf("switch: %v", err)
	}
}

// The acceptance contract on the 2025 map: POST /api/v1/ceremonies + /bridge-points/generate for
// province 51 → 97 points (1 main + 96 communes, none with a district); the filters, a commune's
// scope, the control room and the public count follow.
func TestCeremonyOn2025Map(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newQuangNgaiEnv(t, d)
		e.switchTo2025()
		admin := e.tokens["province_admin"]
		var created struct {
			ID int64 `json:"id"`
		}
		starts := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
		if code := e.json("POST", "/api/v1/ceremonies", admin, map[string]string{"title": "Lễ phát động phong trào Bình dân học vụ số", "starts_at": starts, "province_code": "51"}, &created); code != 201 {
			t.Fatalf("create: %d", code)
		}
		base := fmt.Sprintf("/api/v1/ceremonies/%d", created.ID)
		var gen ceremony.GenerateResult
		if code := e.json("POST", base+"/bridge-points/generate", admin, map[string]any{}, &gen); code != 200 || gen.Total != 97 || gen.Added != 97 {
			t.Fatalf("generate: %d %+v", code, gen)
		}
		var list struct {
			Items []ceremony.Point `json:"items"`
		}
		if code := e.json("GET", base+"/bridge-points", admin, nil, &list); code != 200 || len(list.Items) != 97 {
			t.Fatalf("list: %d, %d points", code, len(list.Items))
		}
		levels := map[ceremony.Level]int{}
		for _, p := range list.Items {
			levels[p.Level]++
			if p.DistrictCode != "" {
				t.Errorf("point %s names district %q", p.Name, p.DistrictCode)
			}
		}
		if levels[ceremony.Main] != 1 || levels[ceremony.Commune] != 96 || levels[ceremony.District] != 0 {
			t.Errorf("levels %v", levels)
		}
		if code := e.json("GET", base+"/bridge-points?level=commune", admin, nil, &list); code != 200 || len(list.Items) != 96 {
			t.Errorf("communes: %d %d", code, len(list.Items))
		}
		if code := e.json("GET", base+"/bridge-points?district=51", admin, nil, &list); code != 200 || len(list.Items) != 97 {
			t.Errorf("points directly under the province: %d %d", code, len(list.Items))
		}
		if resp, _ := e.do("GET", base+"/bridge-points?district="+strings.Repeat("9", 11), admin, "", ""); resp.StatusCode != 422 {
			t.Errorf("overlong district: %d", resp.StatusCode)
		}
		// A 2025 commune's administrator sees its own point only.
		anPhu, _ := e.units.Find(e.sys, "21034")
		tok := e.userToken("ubnd.anphu", accounts.NewUser{Role: authz.UnitAdmin, UnitCode: anPhu.Code})
		if code := e.json("GET", base+"/bridge-points", tok, nil, &list); code != 200 || len(list.Items) != 1 || list.Items[0].Name != "Xã An Phú" {
			t.Errorf("An Phú's administrator: %d %+v", code, list.Items)
		}

		// The control room: 97 points, no district filter or column where there are no districts.
		b := e.browser()
		if resp := b.login("province.admin", testPassword); resp.StatusCode != 303 {
			t.Fatalf("login: %d", resp.StatusCode)
		}
		resp, page := b.get(fmt.Sprintf("/ceremonies/%d/control", created.ID))
		if resp.StatusCode != 200 || strings.Count(page, "data-point-id=") != 97 || strings.Contains(page, `id="district"`) {
			t.Errorf("control room: %d, %d rows, district filter %v", resp.StatusCode, strings.Count(page, "data-point-id="), strings.Contains(page, `id="district"`))
		}
		// Readiness: the province lands on the points directly under it and may chase them all.
		resp, page = b.get(fmt.Sprintf("/ceremonies/%d/readiness", created.ID))
		if resp.StatusCode != 200 || strings.Count(page, "data-point-id=") != 97 || !strings.Contains(page, `id="chase-all"`) {
			t.Errorf("readiness: %d, %d rows", resp.StatusCode, strings.Count(page, "data-point-id="))
		}
		// The public count is the points in force.
		e.web.Portal.Ceremonies = ceremonyBoard(e)
		resp, page = e.browser().get("/tinh/51/le-phat-dong") // 34 provinces after the switch: each portal under /tinh/
		if resp.StatusCode != 200 || !strings.Contains(page, `id="ceremony-points"`) || !regexp.MustCompile(`id="ceremony-points">[^<]*\b97\b`).MatchString(page) {
			t.Errorf("public ceremony page: %d", resp.StatusCode)
		}
	})
}
