package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
)

// TestOutreachRecordConsentHTTP is issue 18's contract for consent where data enters: the API,
// and the phone form's offline queue that replays through it, keep no name, year of birth or phone
// without consent, yet store and count the guidance; consent without its version is refused.
func TestOutreachRecordConsentHTTP(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		member := e.tokens["team_member"]
		at := time.Now().Add(-5 * time.Minute).UTC().Format(time.RFC3339)
		body := func(id, consent string) string {
			return fmt.Sprintf(`{"client_id":%q,"citizen":{"name":"Đinh Văn Riêng","birth_year":1959,"phone":"0905 777 888"},"skills":["dvc_tinh"],"guided_at":%q%s}`, id, at, consent)
		}
		stored := []struct{ name, body string }{
			{"without consent", body(e.nextUUID(), "")},
			{"consent false", body(e.nextUUID(), `,"consent":{"given":false,"version":"v1"}`)},
		}
		ids := map[string]bool{}
		for _, c := range stored {
			// The offline queue sends again until it hears back: the second send is a replay.
			for i, want := range []int{201, 200} {
				resp, b := e.do("POST", "/api/v1/outreach/records", member, "application/json", c.body)
				var rec struct {
					ID      int64 `json:"id"`
					Citizen struct {
						Name      string `json:"name"`
						BirthYear int    `json:"birth_year"`
						Phone     string `json:"phone"`
					} `json:"citizen"`
					ConsentVersion string `json:"consent_version"`
				}
				if resp.StatusCode != want || json.Unmarshal(b, &rec) != nil || rec.ID == 0 {
					t.Fatalf("%s, send %d: %d %s", c.name, i+1, resp.StatusCode, b)
				}
				if rec.Citizen.Name != "" || rec.Citizen.Phone != "" || rec.Citizen.BirthYear != 0 || rec.ConsentVersion != "" {
					t.Fatalf("%s: the answer names the citizen: %s", c.name, b)
				}
				ids[fmt.Sprint(rec.ID)] = true
			}
		}
		if len(ids) != 2 {
			t.Fatalf("replays made new records: %v", ids)
		}
		var kept int
		if err := d.Reader().QueryRowContext(context.Background(),
			"SELECT COUNT(*) FROM outreach_records WHERE citizen_name <> '' OR phone <> '' OR birth_year <> 0").Scan(&kept); err != nil || kept != 0 {
			t.Fatalf("personal data kept without consent: %d %v", kept, err)
		}
		for _, c := range []struct{ name, consent, wantField string }{
			{"consent without version", `,"consent":{"given":true}`, `"field":"consent"`},
			{"consent with a blank version", `,"consent":{"given":true,"version":"  "}`, `"field":"consent"`},
			{"consent with another version", `,"consent":{"given":true,"version":"v0"}`, `"field":"consent"`},
		} {
			resp, b := e.do("POST", "/api/v1/outreach/records", member, "application/json", body(e.nextUUID(), c.consent))
			if resp.StatusCode != 422 || !strings.Contains(string(b), c.wantField) {
				t.Errorf("%s: %d %s", c.name, resp.StatusCode, b)
			}
		}
		// With consent and its version the citizen is kept, and the version with them.
		resp, b := e.do("POST", "/api/v1/outreach/records", member, "application/json", body(e.nextUUID(), `,"consent":{"given":true,"version":"v1"}`))
		if resp.StatusCode != 201 || !strings.Contains(string(b), `"name":"Đinh Văn Riêng"`) || !strings.Contains(string(b), `"consent_version":"v1"`) {
			t.Fatalf("with consent: %d %s", resp.StatusCode, b)
		}
		// The guidance without consent counts: three records, three citizens.
		var p struct {
			Records  int `json:"records"`
			Citizens int `json:"distinct_citizens"`
		}
		_, b = e.do("GET", "/api/v1/outreach/progress?unit="+e.baToCommune, e.tokens["province_admin"], "", "")
		if json.Unmarshal(b, &p) != nil || p.Records != 3 || p.Citizens != 3 {
			t.Fatalf("progress: %s", b)
		}
	})
}
