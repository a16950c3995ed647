package e2e

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/lantoa/lantoa/internal/ceremony"
	"github.com/lantoa/lantoa/internal/demo"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/sheet"
)

// TestPublicServicesBeforeAfter: the province's administrator opens «Dịch vụ công trực tuyến» from
// the menu on a phone, imports the month-by-month export of the administrative-procedures system
// (an xlsx in the system's own wording), and reads the shares of online dossiers and online
// payments before and after the launch, for Ba Tơ and for its communes; a second import of the same
// months is refused with the lines named until «Thay thế» is ticked. At 360 and 1280 px: no
// sideways scroll, axe clean.
func TestPublicServicesBeforeAfter(t *testing.T) {
	srv := StartServer(t, WithDemo())
	ctx := authz.WithActor(context.Background(), authz.System)
	d, err := db.Open(ctx, srv.DB, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// The demo's ceremony was launched days ago, so no month after it is over yet: its launch is
	// moved to March 2025, as the ceremony of an earlier year would be.
	launch := time.Date(2025, 3, 15, 8, 30, 0, 0, ceremony.VietnamTime)
	if err := d.WriteTx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE ceremonies SET launch_at = ? WHERE province_code = '51' AND launch_at <> 0", db.Millis(launch))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var commune string
	if err := d.Reader().QueryRowContext(ctx, "SELECT code FROM units WHERE path LIKE '/51/535/%' AND level = 'commune' AND valid_to = '' ORDER BY code LIMIT 1").Scan(&commune); err != nil {
		t.Fatalf("a Ba Tơ commune: %v", err)
	}
	d.Close()

	var file bytes.Buffer
	rows := [][]any{}
	for i, m := range []string{"01/2025", "02/2025", "03/2025", "04/2025", "05/2025"} {
		rows = append(rows, []any{i + 1, "Huyện Ba Tơ", "535", m, 1000, 300 + 100*i, 100 + 50*i, 50 + 50*i})
		rows = append(rows, []any{i + 1, "", commune, m, 200, 40 + 30*i, 20, 10 + 10*i})
	}
	if err := sheet.WriteXLSX(&file, sheet.Table{Name: "Báo cáo", Header: []string{"STT", "Tên cơ quan", "Mã ĐVHC", "Kỳ báo cáo", "Tổng số hồ sơ tiếp nhận",
		"Số hồ sơ tiếp nhận trực tuyến", "Số hồ sơ DVC trực tuyến toàn trình", "Số hồ sơ thanh toán trực tuyến"}, Rows: rows}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "thong-ke-dvc.xlsx")
	if err := os.WriteFile(path, file.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}

	b := NewBrowser(t)
	Do(t, b, chromedp.EmulateViewport(360, 780, chromedp.EmulateMobile))
	Login(t, b, srv.URL, "so.tttt", demo.Password)
	// «Báo cáo, số liệu» in the menu, then its section's «Dịch vụ công trực tuyến».
	OpenMenu(t, b)
	if status := Follow(t, b, `header a[href="/reports"]`); status != 200 {
		t.Fatalf("reports: %d", status)
	}
	if status := Follow(t, b, `a[href="/public-services"]`); status != 200 {
		t.Fatalf("public services page: %d %q", status, Text(t, b, "main"))
	}
	if got := Text(t, b, "#ps-months"); !strings.Contains(got, "Chưa có số liệu") {
		t.Errorf("months before any import: %q", got)
	}
	Screenshot(t, b, "pubservices-01-empty-360")
	Open(t, b, srv.URL+"/public-services?unit=535")
	Do(t, b, chromedp.SetUploadFiles("#ps-file", []string{path}))
	if status := Follow(t, b, "#ps-import button[type=submit]"); status != 200 {
		t.Fatalf("import: %d %q", status, Text(t, b, "main"))
	}
	// Ba Tơ's own lines count for Ba Tơ: online 300+400 of 2000 before (35 %), 600+700 of 2000
	// after (65 %); payments 50+100 → 200+250 (7,5 % → 22,5 %). The commune's: online 40+70 of
	// 400 (27,5 %) → 130+160 (72,5 %).
	summary := Text(t, b, "#before-after")
	for _, want := range []string{"35,0 % → 65,0 %", "7,5 % → 22,5 %", "+30,0"} {
		if !strings.Contains(summary, want) {
			t.Errorf("summary lacks %q: %q", want, summary)
		}
	}
	if got := Text(t, b, `#ps-units tr[data-code="`+commune+`"]`); !strings.Contains(got, "27,5 %") || !strings.Contains(got, "72,5 %") {
		t.Errorf("the commune's row: %q", got)
	}
	NoSidewaysScroll(t, b, "public services at 360px")
	reportViolations(t, "public services at 360px", auditPage(t, b))
	Screenshot(t, b, "pubservices-02-imported-360")

	// The same months again: refused, the lines named; with «Thay thế» ticked, replaced.
	Do(t, b, chromedp.SetUploadFiles("#ps-file", []string{path}))
	Follow(t, b, "#ps-import button[type=submit]")
	if got := Text(t, b, "main"); !strings.Contains(got, "Dòng 2") || !strings.Contains(got, "đã được nhập") {
		t.Errorf("second import: %q", got)
	}
	NoSidewaysScroll(t, b, "the refused import at 360px")
	Screenshot(t, b, "pubservices-03-refused-360")
	Open(t, b, srv.URL+"/public-services?unit=535")
	Do(t, b, chromedp.SetUploadFiles("#ps-file", []string{path}), chromedp.Click(chromedp.CSS("#ps-replace"), chromedp.NodeVisible))
	if status := Follow(t, b, "#ps-import button[type=submit]"); status != 200 {
		t.Fatalf("replace: %d", status)
	}
	if got := Text(t, b, ".flash"); !strings.Contains(got, "thay thế") {
		t.Errorf("flash after replace: %q", got)
	}

	Do(t, b, chromedp.EmulateViewport(1280, 900))
	NoSidewaysScroll(t, b, "public services at 1280px")
	reportViolations(t, "public services at 1280px", auditPage(t, b))
	Screenshot(t, b, "pubservices-04-1280")
	// The unit's dashboard shows the same comparison in its own section.
	Open(t, b, srv.URL+"/dashboard/units/535")
	if got := Text(t, b, "#ps-section"); !strings.Contains(got, "35,0 % → 65,0 %") {
		t.Errorf("dashboard section: %q", got)
	}
	Screenshot(t, b, "pubservices-05-dashboard-1280")
}
