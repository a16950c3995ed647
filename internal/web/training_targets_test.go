package web_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
)

type figureItem struct {
	Key            string   `json:"key"`
	Passed         int      `json:"passed"`
	Headcount      *int     `json:"headcount"`
	CompletedShare *float64 `json:"completed_share"`
	PassedShare    *float64 `json:"passed_share"`
}

// The acceptance contract of issue 19: every item of GET /api/v1/courses/{id}/figures carries
// headcount and completed_share (null where no headcount is known); with headcounts imported, the
// organisation figures show "% completed" and the leaderboard orders by it.
func TestTargetsContract(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		admin := e.tokens["province_admin"]
		_, a := e.passed()
		base := fmt.Sprintf("/api/v1/courses/%d/figures", a.CourseID)
		items := func(path string) []figureItem {
			t.Helper()
			resp, b := e.do("GET", path, admin, "", "")
			if resp.StatusCode != 200 {
				t.Fatalf("%s: %d %s", path, resp.StatusCode, b)
			}
			// The keys are there, null or not.
			var raw struct {
				Totals map[string]json.RawMessage   `json:"totals"`
				Items  []map[string]json.RawMessage `json:"items"`
			}
			if err := json.Unmarshal(b, &raw); err != nil {
				t.Fatal(err)
			}
			for _, it := range append(raw.Items, raw.Totals) {
				for _, k := range []string{"headcount", "completed_share", "passed_share"} {
					if _, ok := it[k]; !ok {
						t.Fatalf("%s: an item without %s: %s", path, k, b)
					}
				}
			}
			var out struct {
				Items []figureItem `json:"items"`
			}
			if err := json.Unmarshal(b, &out); err != nil {
				t.Fatal(err)
			}
			return out.Items
		}
		var district string
		for _, it := range items(base) {
			if it.Headcount != nil || it.CompletedShare != nil || it.PassedShare != nil {
				t.Errorf("a share without headcount: %+v", it)
			}
			if it.Passed == 1 {
				district = it.Key
			}
		}
		if district == "" {
			t.Fatal("no district with the pass")
		}
		other := "530"
		if district == other {
			other = "535"
		}
		orgs := items(base + "?by=org")
		var org string
		for _, it := range orgs {
			if it.Passed == 1 {
				org = it.Key
			}
		}
		// A bad file: refused whole, its lines named.
		file := fmt.Sprintf("Mã đơn vị hoặc Mã tổ chức,Nhóm,Số người\n%s,cán bộ công chức,50\n%s,giáo viên,-3\n99999,giáo viên,4\n", district, other)
		resp, b := e.do("POST", "/api/v1/headcounts/import", admin, "text/csv", file)
		if resp.StatusCode != 422 || !strings.Contains(string(b), `"line":3`) || !strings.Contains(string(b), `"line":4`) || strings.Contains(string(b), `"line":2`) {
			t.Errorf("bad file: %d %s", resp.StatusCode, b)
		}
		for _, it := range items(base) {
			if it.Headcount != nil {
				t.Fatalf("a refused file wrote %+v", it)
			}
		}
		file = fmt.Sprintf("Mã đơn vị hoặc Mã tổ chức,Nhóm,Số người\n%s,cán bộ công chức,50\n%s,cán bộ công chức,10\nTC%s,đoàn viên thanh niên,4\n", district, other, org)
		if resp, b := e.do("POST", "/api/v1/headcounts/import", admin, "text/csv", file); resp.StatusCode != 200 {
			t.Fatalf("import: %d %s", resp.StatusCode, b)
		}
		if st := e.json("PUT", "/api/v1/targets", admin, map[string]any{"course_id": 0, "percent": 80}, nil); st != 200 {
			t.Fatalf("target: %d", st)
		}
		for _, it := range items(base) {
			switch it.Key {
			case district:
				if it.Headcount == nil || *it.Headcount != 50 || it.CompletedShare == nil || *it.CompletedShare != 2 || it.PassedShare == nil || *it.PassedShare != 100 {
					t.Errorf("the learner's district: %+v", it)
				}
			case other:
				if it.Headcount == nil || *it.Headcount != 10 || it.CompletedShare == nil || *it.CompletedShare != 0 {
					t.Errorf("the other district: %+v", it)
				}
			default:
				if it.Headcount != nil || it.CompletedShare != nil {
					t.Errorf("a headcount where none was imported: %+v", it)
				}
			}
		}
		for _, it := range items(base + "?by=org") {
			if it.Key == org && (it.CompletedShare == nil || *it.CompletedShare != 25) {
				t.Errorf("the organisation: %+v", it)
			}
		}
		board := items(base + "?level=district&limit=3")
		if len(board) != 3 || board[0].Key != district || board[1].Key != other || board[2].Headcount != nil {
			t.Errorf("leaderboard: %+v", board)
		}
		// The pages: the organisation figures show "% hoàn thành"; the workspace names who is
		// below the target.
		resp, b = e.do("GET", fmt.Sprintf("/courses/%d/figures?by=org", a.CourseID), admin, "", "")
		if page := string(b); resp.StatusCode != 200 || !strings.Contains(page, "% hoàn thành") || !strings.Contains(page, "25.0%") {
			t.Errorf("figures page: %d", resp.StatusCode)
		}
		resp, b = e.do("GET", "/workspace", admin, "", "")
		if page := string(b); resp.StatusCode != 200 || !strings.Contains(page, "Dưới chỉ tiêu 80 %") || !strings.Contains(page, "2.0% hoàn thành") {
			t.Errorf("workspace: %d", resp.StatusCode)
		}
		resp, b = e.do("GET", "/api/v1/headcounts", admin, "", "")
		if resp.StatusCode != 200 || !strings.Contains(string(b), `"percent":80`) || !strings.Contains(string(b), `"count":50`) {
			t.Errorf("headcounts: %d %s", resp.StatusCode, b)
		}
	})
}
