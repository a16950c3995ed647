package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lantoa/lantoa/internal/units"
)

// TestProvinceTenantContract is issue 14's acceptance contract as an operator runs it, through the
// real command line and the JSON API: all 63 provinces of 2023 imported from the national
// reference file, two province administrators and a national one created by `lantoa user create`;
// each province administrator's ceremony is its own province's, with its own tree's bridge points
// (Quảng Ngãi 1 + 13 + 173, Hà Nội 1 + 30 + 579); each lists only its own ceremonies, the national
// administrator all of them; the national administrator may not launch a province's ceremony, and
// the status of its national report period lists the units of every province.
func TestProvinceTenantContract(t *testing.T) {
	srv := StartServer(t)
	file := filepath.Join(t.TempDir(), "vietnam-units.csv")
	if err := os.WriteFile(file, units.Vietnam2023CSV(), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := srv.CLI(t, "", "import", "units", "--db", srv.DB, file); code != 0 || !strings.Contains(out, "updated 187") {
		t.Fatalf("import the country: exit %d\n%s%s", code, out, errOut)
	}
	srv.CreateUser(t, "so.tttt.hanoi", "Ha-Noi-Tinh-2024", "province_admin", "01")
	srv.CreateUser(t, "so.tttt.quangngai", "Quang-Ngai-Tinh-2024", "province_admin", "51")
	srv.CreateUser(t, "bcd.quocgia", "Quoc-Gia-Ban-Chi-Dao-2024", "national_admin", "")
	hn, qn, nat := srv.Token(t, "so.tttt.hanoi"), srv.Token(t, "so.tttt.quangngai"), srv.Token(t, "bcd.quocgia")

	call := func(token, method, path string, body, out any) int {
		t.Helper()
		return API(t, srv.URL, token, method, path, body, out)
	}
	type ceremony struct {
		ID       int64  `json:"id"`
		Province string `json:"province_code"`
	}
	made := map[string]ceremony{}
	for _, c := range []struct {
		name, token, province string
		points                int
	}{{"Hà Nội", hn, "01", 1 + 30 + 579}, {"Quảng Ngãi", qn, "51", 1 + 13 + 173}} {
		var cer ceremony
		body := json.RawMessage(`{"title":"Lễ phát động Phong trào chuyển đổi số","starts_at":"2030-07-28T08:00:00+07:00"}`)
		if code := call(c.token, "POST", "/api/v1/ceremonies", body, &cer); code != http.StatusCreated || cer.Province != c.province {
			t.Fatalf("%s creates its ceremony: %d %+v", c.name, code, cer)
		}
		made[c.province] = cer
		var gen struct {
			Total int `json:"total"`
		}
		if code := call(c.token, "POST", fmt.Sprintf("/api/v1/ceremonies/%d/bridge-points/generate", cer.ID), nil, &gen); code != http.StatusOK || gen.Total != c.points {
			t.Errorf("%s's bridge points: %d, %d points, want %d", c.name, code, gen.Total, c.points)
		}
	}
	// Creating a ceremony for the other province is refused.
	if code := call(hn, "POST", "/api/v1/ceremonies", json.RawMessage(`{"title":"Lạ","starts_at":"2030-07-28T08:00:00+07:00","province_code":"51"}`), nil); code != http.StatusForbidden {
		t.Errorf("Hà Nội creating Quảng Ngãi's ceremony: %d", code)
	}
	// Listings: each province its own, the national administrator both.
	for _, c := range []struct {
		name, token string
		want        []string
	}{{"Hà Nội", hn, []string{"01"}}, {"Quảng Ngãi", qn, []string{"51"}}, {"national", nat, []string{"01", "51"}}} {
		var list struct {
			Items []ceremony `json:"items"`
		}
		call(c.token, "GET", "/api/v1/ceremonies", nil, &list)
		var got []string
		for _, it := range list.Items {
			got = append(got, it.Province)
		}
		slices.Sort(got)
		if !slices.Equal(got, c.want) {
			t.Errorf("%s lists the ceremonies of %v, want %v", c.name, got, c.want)
		}
	}
	// Across the boundary: another province's ceremony does not exist; the national administrator
	// reads it and may not launch it.
	qnPath := fmt.Sprintf("/api/v1/ceremonies/%d", made["51"].ID)
	if code := call(hn, "GET", qnPath, nil, nil); code != http.StatusNotFound {
		t.Errorf("Hà Nội reading Quảng Ngãi's ceremony: %d", code)
	}
	if code := call(hn, "POST", qnPath+"/launch", nil, nil); code != http.StatusNotFound {
		t.Errorf("Hà Nội launching Quảng Ngãi's ceremony: %d", code)
	}
	if code := call(nat, "GET", qnPath, nil, nil); code != http.StatusOK {
		t.Errorf("national reading Quảng Ngãi's ceremony: %d", code)
	}
	if code := call(nat, "POST", qnPath+"/launch", nil, nil); code != http.StatusForbidden {
		t.Errorf("national launching Quảng Ngãi's ceremony: %d", code)
	}
	// A national report period: every province reports; its status lists them all.
	var period struct {
		ID int64 `json:"id"`
	}
	body := json.RawMessage(`{"title":"Báo cáo kết quả Phong trào toàn quốc","period_start":"2030-07-01","period_end":"2030-08-31","due_date":"2030-09-15","unit_level":"province"}`)
	if code := call(nat, "POST", "/api/v1/reports/periods", body, &period); code != http.StatusCreated {
		t.Fatalf("national period: %d", code)
	}
	var status struct {
		Units []struct {
			UnitCode string `json:"unit_code"`
		} `json:"units"`
	}
	if code := call(nat, "GET", fmt.Sprintf("/api/v1/reports/periods/%d/status", period.ID), nil, &status); code != http.StatusOK || len(status.Units) != 63 {
		t.Errorf("national period's status: %d, %d units, want 63", code, len(status.Units))
	}
	if code := call(qn, "POST", "/api/v1/reports/periods", json.RawMessage(`{"title":"Lạ","period_start":"2030-07-01","period_end":"2030-08-31","due_date":"2030-09-15","unit_codes":["001"]}`), nil); code != http.StatusForbidden && code != http.StatusUnprocessableEntity {
		t.Errorf("Quảng Ngãi defining a period for a Hà Nội district: %d", code)
	}
}
