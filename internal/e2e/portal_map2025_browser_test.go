package e2e

import (
	"strings"
	"testing"

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
		// The table says the same, one row per commune with its figure and target.
		if n := Eval[int](t, ctx, `document.querySelectorAll("#map-table tbody tr").length`); n != 96 {
			t.Errorf("%d rows in the map's table, want 96", n)
		}
		NoSidewaysScroll(t, ctx, "the portal on the map of 2025")
		Screenshot(t, ctx, "portal-map-2025-"+map[int64]string{1280: "1280", 360: "360"}[width])
	}
}
