package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestPortalMap2025Browser: after `lantoa import units --effective 2025-07-01 --lineage …` the
// public portal's board draws the level that exists — Quảng Ngãi's 96 commune-level units, as
// tiles with their figures (no licensed commune shapes are shipped), and no district — readable
// on a phone (360 px) and on a desktop (1280 px).
func TestPortalMap2025Browser(t *testing.T) {
	ctx := NewBrowser(t)
	srv := StartServer(t)
	if code, out, errOut := srv.CLI(t, "", "import", "units", "--db", srv.DB, "--effective", "2025-07-01",
		"--lineage", "embedded:quang-ngai-2025-lineage.csv", "embedded:vietnam-units-2025.csv"); code != 0 {
		t.Fatalf("switch to the map of 2025: exit %d\n%s%s", code, out, errOut)
	}
	// A campaign of the province, a team in Xã An Phú (a commune directly under the province) and a
	// citizen its member guided.
	srv.CreateUser(t, "so.qng", "SoQuangNgai-2025-dai", "province_admin", "51")
	srv.CreateUser(t, "tocnscd.anphu", "ToAnPhu-2025-matkhau", "learner", "21034")
	admin := srv.Token(t, "so.qng")
	var camp struct {
		ID int64 `json:"id"`
	}
	if code := API(t, srv.URL, admin, "POST", "/api/v1/outreach/campaigns", map[string]any{"province_code": "51", "name": "Bình dân học vụ số 2025",
		"days": 7, "target": 7, "consent_version": "2025-07", "consent_text": "Tôi đồng ý cho Tổ công nghệ số cộng đồng ghi nhận việc hướng dẫn.", "retention_days": 365}, &camp); code != 201 {
		t.Fatalf("campaign: %d", code)
	}
	if code := API(t, srv.URL, admin, "POST", fmt.Sprintf("/api/v1/outreach/campaigns/%d/launch", camp.ID), map[string]any{"launch_at": time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)}, nil); code != 200 {
		t.Fatalf("launch: %d", code)
	}
	var team struct {
		ID int64 `json:"id"`
	}
	if code := API(t, srv.URL, admin, "POST", "/api/v1/outreach/teams", map[string]any{"name": "Tổ công nghệ số cộng đồng xã An Phú", "unit_code": "21034"}, &team); code != 201 {
		t.Fatalf("team: %d", code)
	}
	if code := API(t, srv.URL, admin, "POST", fmt.Sprintf("/api/v1/outreach/teams/%d/members", team.ID), map[string]any{"username": "tocnscd.anphu"}, nil); code >= 300 {
		t.Fatalf("member: %d", code)
	}
	member := srv.Token(t, "tocnscd.anphu")
	if code := API(t, srv.URL, member, "POST", "/api/v1/outreach/records", map[string]any{"client_id": "2b7e3c1a-5d4f-4e2a-9b8c-202507280001",
		"citizen": map[string]any{"name": "Nguyễn Văn Phú", "birth_year": 1970, "phone": "0905123456"}, "skills": []string{"dvc_quocgia"},
		"guided_at": time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)}, nil); code != 201 {
		t.Fatalf("record: %d", code)
	}
	for _, width := range []int64{1280, 360} {
		Do(t, ctx, chromedp.EmulateViewport(width, 900))
		if status := Open(t, ctx, srv.URL+"/tinh/51/"); status != 200 {
			t.Fatalf("portal: %d", status)
		}
		if got := Eval[string](t, ctx, `document.querySelector("#map-grid-note").dataset.level`); got != "commune" {
			t.Fatalf("the board's level at %d px: %q", width, got)
		}
		if n := Eval[int](t, ctx, `document.querySelectorAll("#district-grid .district-tile").length`); n != 96 {
			t.Errorf("%d commune tiles at %d px, want 96", n, width)
		}
		tiles := Eval[string](t, ctx, `document.querySelector("#district-grid").innerText`)
		if !strings.Contains(tiles, "Xã An Phú") || !strings.Contains(tiles, "Đặc khu Lý Sơn") || strings.Contains(tiles, "Huyện ") {
			t.Errorf("the tiles at %d px: %.300s", width, tiles)
		}
		if h := Text(t, ctx, "#map-heading"); !strings.Contains(h, "xã") {
			t.Errorf("map heading %q", h)
		}
		// The table says the same, one row per commune with the dashboards' measure: An Phú's one
		// member, who has guided one citizen of seven, has not met the target yet.
		if n := Eval[int](t, ctx, `document.querySelectorAll("#map-table tbody tr").length`); n != 96 {
			t.Errorf("%d rows in the map's table, want 96", n)
		}
		row := Eval[string](t, ctx, `[...document.querySelectorAll("#map-table tbody tr")].map(r => [...r.cells].map(c => c.textContent.trim()).join("|")).find(s => s.startsWith("Xã An Phú|")) || ""`)
		if row != "Xã An Phú|0|1|0%" {
			t.Errorf("An Phú's row at %d px: %q", width, row)
		}
		if tile := Eval[string](t, ctx, `[...document.querySelectorAll("#district-grid .district-tile")].map(r => r.className + " " + r.innerText).find(s => s.includes("Xã An Phú")) || ""`); !strings.Contains(tile, "b0") || !strings.Contains(tile, "0%") {
			t.Errorf("An Phú's tile at %d px: %q", width, tile)
		}
		NoSidewaysScroll(t, ctx, "the portal on the map of 2025")
		Screenshot(t, ctx, "portal-map-2025-"+map[int64]string{1280: "1280", 360: "360"}[width])
	}
}
