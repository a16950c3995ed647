package e2e

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/lantoa/lantoa/internal/units"
)

type unitItem struct {
	Code    string `json:"code"`
	Name    string `json:"name"`
	Level   string `json:"level"`
	Path    string `json:"path"`
	ValidTo string `json:"valid_to"`
}

func listUnits(t *testing.T, srv *Server, token, query string) []unitItem {
	t.Helper()
	var out struct {
		Items []unitItem `json:"items"`
	}
	if code := API(t, srv.URL, token, "GET", "/api/v1/units?"+query, nil, &out); code != http.StatusOK {
		t.Fatalf("GET /api/v1/units?%s: %d", query, code)
	}
	return out.Items
}

func countLevels(items []unitItem) map[string]int {
	n := map[string]int{}
	for _, u := range items {
		n[u.Level]++
	}
	return n
}

// switchTo2025 runs the command on the server's database with the shipped files (copied
// out of the binary, as an operator has them) and returns its output.
func switchTo2025(t *testing.T, srv *Server) string {
	t.Helper()
	dir := t.TempDir()
	unitsFile, lineageFile := filepath.Join(dir, "vietnam-units-2025.csv"), filepath.Join(dir, "quang-ngai-2025-lineage.csv")
	if err := os.WriteFile(unitsFile, units.Vietnam2025CSV(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(lineageFile, units.QuangNgaiLineage2025CSV(), 0o600); err != nil {
		t.Fatal(err)
	}
	// Without the lineage, a database holding 2023 Quảng Ngãi refuses the new map and names the command.
	code, out, errOut := srv.CLI(t, "", "import", "units", "--db", srv.DB, "--effective", "2025-07-01", unitsFile)
	if code == 0 || !strings.Contains(errOut, "--lineage") {
		t.Fatalf("switch without lineage: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = srv.CLI(t, "", "import", "units", "--db", srv.DB, unitsFile)
	if code == 0 || !strings.Contains(errOut, "--lineage") {
		t.Fatalf("plain import of the 2025 map: exit %d\n%s%s", code, out, errOut)
	}
	// A bad lineage file: refused whole, each bad line named.
	bad := filepath.Join(dir, "bad-lineage.csv")
	badRows := string(units.QuangNgaiLineage2025CSV()) + "99999,Xã Không Có,21037,Xã Nghĩa Dõng,51\n21034,Xã An Phú,21999,Xã Không Có,51\n"
	if err := os.WriteFile(bad, []byte(badRows), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = srv.CLI(t, "", "import", "units", "--db", srv.DB, "--effective", "2025-07-01", "--lineage", bad, unitsFile)
	if code == 0 || !strings.Contains(errOut, "279") || !strings.Contains(errOut, "280") {
		t.Fatalf("bad lineage: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = srv.CLI(t, "", "import", "units", "--db", srv.DB, "--effective", "2025-07-01", "--lineage", lineageFile, unitsFile)
	if code != 0 {
		t.Fatalf("switch: exit %d\n%s%s", code, out, errOut)
	}
	return out
}

// TestMap2025Contract is issue 15's acceptance contract for the unit tree, as an operator runs it:
// on a fresh database (the plan's 2023 Quảng Ngãi), the refusals leave the tree untouched, then
// `lantoa import units --effective 2025-07-01 --lineage …` moves it to the two-tier map of 2025.
func TestMap2025Contract(t *testing.T) {
	srv := StartServer(t)
	srv.CreateUser(t, "so.tttt.quangngai", "Quang-Ngai-Tinh-2025", "province_admin", "51")
	token := srv.Token(t, "so.tttt.quangngai")
	before := countLevels(listUnits(t, srv, token, "parent=51"))
	if before["district"] != 13 {
		t.Fatalf("2023 tree: %v", before)
	}

	// A 2023 guidance record in Xã Nghĩa Dõng (21037), made before the switch.
	srv.CreateUser(t, "tv.nghiadong", "Nghia-Dong-To-2023", "team_member", "21037")
	var camp, team struct{ ID int64 }
	if code := API(t, srv.URL, token, "POST", "/api/v1/outreach/campaigns", map[string]any{"name": "7 người dân trong 7 ngày",
		"launch_at": time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)}, &camp); code != http.StatusCreated {
		t.Fatalf("campaign: %d", code)
	}
	if code := API(t, srv.URL, token, "POST", "/api/v1/outreach/teams", map[string]string{"name": "Tổ Công nghệ số cộng đồng xã Nghĩa Dõng", "unit_code": "21037"}, &team); code != http.StatusCreated {
		t.Fatalf("team: %d", code)
	}
	if code := API(t, srv.URL, token, "POST", fmt.Sprintf("/api/v1/outreach/teams/%d/members", team.ID), map[string]any{"username": "tv.nghiadong"}, nil); code >= 300 {
		t.Fatalf("member: %d", code)
	}
	record := map[string]any{"client_id": "6f1d2c3b-4a5e-4f60-8a7b-202307150001",
		"citizen": map[string]any{"name": "Trần Thị Dõng", "birth_year": 1968, "phone": "0905111222"}, "skills": []string{"dvc_quocgia"},
		"guided_at": time.Now().Add(-time.Minute).UTC().Format(time.RFC3339), "consent": map[string]any{"given": true, "version": "v1"}}
	if code := API(t, srv.URL, srv.Token(t, "tv.nghiadong"), "POST", "/api/v1/outreach/records", record, nil); code != http.StatusCreated {
		t.Fatalf("record: %d", code)
	}

	out := switchTo2025(t, srv)
	if !strings.Contains(out, "retired 186") || !strings.Contains(out, "split unit /51/525/21142/") {
		t.Errorf("switch output: %s", out)
	}

	if n := len(listUnits(t, srv, token, "level=commune&parent=51")); n != 96 {
		t.Errorf("communes of 51: %d, want 96", n)
	}
	if got := countLevels(listUnits(t, srv, token, "parent=51")); got["district"] != 0 || got["commune"] != 96 {
		t.Errorf("children of 51: %v", got)
	}
	if got := countLevels(listUnits(t, srv, token, "parent=51&retired=1")); got["district"] != 13 || got["commune"] != 96 {
		t.Errorf("children of 51 with the retired: %v", got)
	}
	if n := len(listUnits(t, srv, token, "level=commune&parent=51&retired=1")); n != 96+173 {
		t.Errorf("communes of 51 with the retired: %d, want 269", n)
	}

	// The 2023 record counts in Xã An Phú as it is now, and in Xã Nghĩa Dõng as it was.
	var progress struct {
		Records int64 `json:"records"`
	}
	for _, q := range []string{"unit=21034", "unit=21037&view=was"} {
		progress.Records = 0
		if code := API(t, srv.URL, token, "GET", "/api/v1/outreach/progress?"+q, nil, &progress); code != http.StatusOK || progress.Records != 1 {
			t.Errorf("progress?%s: %d, %d records, want 1", q, code, progress.Records)
		}
	}

	// The province's launch on the new map: 1 main site + 96 communes.
	var cer struct {
		ID int64 `json:"id"`
	}
	if code := API(t, srv.URL, token, "POST", "/api/v1/ceremonies", map[string]string{"title": "Lễ phát động phong trào Bình dân học vụ số",
		"starts_at": "2030-07-28T08:00:00+07:00"}, &cer); code != http.StatusCreated {
		t.Fatalf("ceremony: %d", code)
	}
	var gen struct {
		Total int `json:"total"`
	}
	if code := API(t, srv.URL, token, "POST", fmt.Sprintf("/api/v1/ceremonies/%d/bridge-points/generate", cer.ID), nil, &gen); code != http.StatusOK || gen.Total != 97 {
		t.Errorf("bridge points on the 2025 map: %d, %d, want 97", code, gen.Total)
	}

	// One code, two versions: the API says which it shows.
	var anPhu struct {
		unitItem
		InForce    bool `json:"in_force"`
		FormedFrom []struct {
			OldCode string `json:"old_code"`
		} `json:"formed_from"`
	}
	API(t, srv.URL, token, "GET", "/api/v1/units/21034", nil, &anPhu)
	if anPhu.Name != "Xã An Phú" || !anPhu.InForce || len(anPhu.FormedFrom) != 5 {
		t.Errorf("21034 today: %+v", anPhu)
	}
	API(t, srv.URL, token, "GET", "/api/v1/units/21034?at=2023-07-15", nil, &anPhu)
	if anPhu.Name != "Xã Nghĩa Dũng" || anPhu.InForce || anPhu.Path != "/51/522/21034/" || anPhu.ValidTo != "2025-06-30" {
		t.Errorf("21034 in 2023: %+v", anPhu)
	}
	// A day that is not one is refused in Vietnamese, on the API and on the page, not compared
	// as a string.
	for _, at := range []string{"15/07/2023", "2023-02-30", "2023-7-15", "hôm%20qua"} {
		body := rawGet(t, srv.URL+"/api/v1/units/21034?at="+at, token)
		if body.code != http.StatusUnprocessableEntity || !strings.Contains(body.text, "Ngày không hợp lệ") {
			t.Errorf("GET /api/v1/units/21034?at=%s: %d %s", at, body.code, body.text)
		}
	}

	// What a person sees: the 2023 version of a reused code says what it is now, and today's unit
	// lists what it was formed from.
	browser := NewBrowser(t)
	for _, width := range []int64{360, 1280} {
		ctx := NewContext(t, browser)
		Do(t, ctx, chromedp.EmulateViewport(width, 900))
		Login(t, ctx, srv.URL, "so.tttt.quangngai", "Quang-Ngai-Tinh-2025")
		Open(t, ctx, srv.URL+"/units/21034?at=2023-07-15")
		if note := Text(t, ctx, "#unit-version"); !strings.Contains(note, "30/06/2025") || !strings.Contains(note, "Xã An Phú") {
			t.Errorf("%d px: version note %q", width, note)
		}
		NoSidewaysScroll(t, ctx, fmt.Sprintf("2023 version of 21034 at %d px", width))
		reportViolations(t, "2023 version of 21034", auditPage(t, ctx))
		Screenshot(t, ctx, fmt.Sprintf("unit-21034-2023-%d", width))
		Follow(t, ctx, "#unit-version a")
		if got := Text(t, ctx, "#formed-from"); !strings.Contains(got, "Xã Nghĩa Dõng") || !strings.Contains(got, "Xã Nghĩa Dũng") {
			t.Errorf("%d px: formed from %q", width, got)
		}
		NoSidewaysScroll(t, ctx, fmt.Sprintf("An Phú at %d px", width))
		reportViolations(t, "An Phú", auditPage(t, ctx))
		Screenshot(t, ctx, fmt.Sprintf("unit-21034-2025-%d", width))
		Open(t, ctx, srv.URL+"/units/51")
		if got := Text(t, ctx, "#children"); strings.Contains(got, "Huyện Tư Nghĩa") {
			t.Errorf("%d px: a retired district among the province's children", width)
		}
		Follow(t, ctx, "#toggle-retired")
		if got := Text(t, ctx, "#children"); !strings.Contains(got, "Huyện Tư Nghĩa") || !strings.Contains(got, "Xã An Phú") {
			t.Errorf("%d px: children with the retired lack a district or a commune", width)
		}
		Screenshot(t, ctx, fmt.Sprintf("unit-51-retired-%d", width))
		if st := Open(t, ctx, srv.URL+"/units/21034?at=2023-02-30"); st != http.StatusUnprocessableEntity {
			t.Errorf("%d px: a page for a day that is not one answers %d", width, st)
		}
		if got := Text(t, ctx, "main"); !strings.Contains(got, "Ngày không hợp lệ") {
			t.Errorf("%d px: a page for a day that is not one says %q", width, got)
		}
	}

	// The split commune: the province administrator gives Xã Trà Bùi's records to Tây Trà Bồng.
	ctx := NewContext(t, browser)
	Login(t, ctx, srv.URL, "so.tttt.quangngai", "Quang-Ngai-Tinh-2025")
	Open(t, ctx, srv.URL+"/units/21142")
	if got := Text(t, ctx, "#went-into"); !strings.Contains(got, "Xã Cà Đam") || !strings.Contains(got, "Xã Tây Trà Bồng") {
		t.Errorf("Trà Bùi went into %q", got)
	}
	Text(t, ctx, "#split-pending")
	reportViolations(t, "split unit", auditPage(t, ctx))
	Screenshot(t, ctx, "split-trabui")
	Do(t, ctx, chromedp.SetValue(chromedp.CSS("#split-into"), "21157", chromedp.NodeVisible))
	Follow(t, ctx, "#assign-split button")
	WaitFor(t, ctx, "the split assigned", `!document.querySelector("#split-pending") && !document.querySelector("#assign-split")`)
	var after struct {
		Path string `json:"path"`
	}
	if code := API(t, srv.URL, token, "POST", "/api/v1/units/split-assignments", map[string]string{"path": "/51/525/21142/", "into": "21136"}, &after); code != http.StatusOK {
		t.Errorf("re-assigning through the API: %d", code)
	}
}

type rawReply struct {
	code int
	text string
}

// rawGet answers a GET with its status and body whatever the status, asking for Vietnamese.
func rawGet(t *testing.T, url, token string) rawReply {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept-Language", "vi")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return rawReply{resp.StatusCode, string(b)}
}
