package web_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
)

// TestOutreachEnterpriseContract is issue 19's contract for enterprises over HTTP: a record with
// "enterprise" in place of "citizen" is stored (201), replayed (200, same id), and counted apart
// from citizens in the progress; a record naming both is refused naming the field, as are a bad
// tax code and a citizen's skill.
func TestOutreachEnterpriseContract(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		e.startCampaign()
		member := e.tokens["team_member"]
		at := time.Now().Add(-5 * time.Minute).UTC().Format(time.RFC3339)
		enterprise := func(id, taxCode, skills string) string {
			return fmt.Sprintf(`{"client_id":%q,"enterprise":{"name":"Công ty TNHH Đường Quảng Ngãi","tax_code":%q},"skills":[%s],"guided_at":%q}`, id, taxCode, skills, at)
		}
		body := enterprise(e.nextUUID(), "4300123456", `"hoa_don_dien_tu","thue_dien_tu"`)
		var first, second map[string]any
		if resp, b := e.do("POST", "/api/v1/outreach/records", member, "application/json", body); resp.StatusCode != 201 || json.Unmarshal(b, &first) != nil {
			t.Fatalf("enterprise record: %d %s", resp.StatusCode, b)
		}
		if first["subject"] != "enterprise" || first["enterprise"].(map[string]any)["tax_code"] != "4300123456" {
			t.Fatalf("answer: %v", first)
		}
		if resp, b := e.do("POST", "/api/v1/outreach/records", member, "application/json", body); resp.StatusCode != 200 || json.Unmarshal(b, &second) != nil || second["id"] != first["id"] {
			t.Fatalf("replay: %d %s", resp.StatusCode, b)
		}
		// A citizen beside, so the two figures are seen apart.
		if resp, b := e.do("POST", "/api/v1/outreach/records", member, "application/json", e.recordBody("0905123123")); resp.StatusCode != 201 {
			t.Fatalf("citizen record: %d %s", resp.StatusCode, b)
		}
		refusals := []struct {
			name, body, field, text string
		}{
			{"both", fmt.Sprintf(`{"client_id":%q,"citizen":{"name":"Đinh Văn A","birth_year":1970},"enterprise":{"name":"HKD A","tax_code":"4300123457"},"skills":["hoa_don_dien_tu"],"guided_at":%q,"consent":{"given":true,"version":"v1"}}`, e.nextUUID(), at), "citizen", "không được cả hai"},
			{"bad tax code", enterprise(e.nextUUID(), "43001234", `"hoa_don_dien_tu"`), "enterprise.tax_code", "Mã số thuế không hợp lệ"},
			{"citizen skill", enterprise(e.nextUUID(), "4300123456", `"dvc_tinh"`), "skills", "không dùng cho phiếu doanh nghiệp"},
		}
		for _, c := range refusals {
			resp, b := e.do("POST", "/api/v1/outreach/records", member, "application/json", c.body)
			if resp.StatusCode != 422 || !strings.Contains(string(b), `"field":"`+c.field+`"`) || !strings.Contains(string(b), c.text) {
				t.Errorf("%s: %d %s", c.name, resp.StatusCode, b)
			}
		}
		var p struct {
			Records           int `json:"records"`
			Citizens          int `json:"distinct_citizens"`
			EnterpriseRecords int `json:"enterprise_records"`
			Enterprises       int `json:"distinct_enterprises"`
		}
		resp, b := e.do("GET", "/api/v1/outreach/progress?unit=51", e.tokens["province_admin"], "", "")
		if resp.StatusCode != 200 || json.Unmarshal(b, &p) != nil {
			t.Fatalf("progress: %d %s", resp.StatusCode, b)
		}
		if p.Records != 1 || p.Citizens != 1 || p.EnterpriseRecords != 1 || p.Enterprises != 1 {
			t.Fatalf("progress figures: %+v", p)
		}
		// The member's own count is of citizens only.
		resp, b = e.do("GET", "/api/v1/outreach/me", member, "", "")
		if resp.StatusCode != 200 || !strings.Contains(string(b), `"citizens":1`) {
			t.Fatalf("me: %d %s", resp.StatusCode, b)
		}
		// The catalogue tells each entry's audience, for the phone form.
		resp, b = e.do("GET", "/api/v1/outreach/skills", "", "", "")
		if resp.StatusCode != 200 || !strings.Contains(string(b), `"code":"hoa_don_dien_tu","name":"Hóa đơn điện tử","kind":"skill","audience":"enterprise"`) {
			t.Fatalf("skills: %s", b)
		}
	})
}
