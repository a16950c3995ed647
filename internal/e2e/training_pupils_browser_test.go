package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/lantoa/lantoa/internal/demo"
	"github.com/lantoa/lantoa/internal/platform/db"
)

// TestPupilsBrowser: the administrator of Trường THPT Ba Tơ uploads a roster with a wrong line
// (every error shown, nothing created), then the corrected roster: the page shows the progress
// and offers the printable list of one-time passwords. Another school's page is not theirs.
func TestPupilsBrowser(t *testing.T) {
	ctx := NewBrowser(t)
	srv := StartServer(t, WithDemo())
	d, err := db.Open(context.Background(), srv.DB, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	orgID := func(name string) int64 {
		var id int64
		if err := d.Reader().QueryRowContext(context.Background(), "SELECT id FROM orgs WHERE name = ?", name).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	school, other := orgID("Trường THPT Ba Tơ"), orgID("Trường THCS thị trấn Ba Tơ")
	Login(t, ctx, srv.URL, "thpt.bato", demo.Password)
	page := srv.URL + "/schools/" + strconv.FormatInt(school, 10) + "/pupils"
	if status := Open(t, ctx, page); status != 200 {
		t.Fatalf("pupils page: %d", status)
	}
	if got := Text(t, ctx, "#school-name"); got != "Trường THPT Ba Tơ" {
		t.Fatalf("school %q", got)
	}
	dir := t.TempDir()
	year := time.Now().Year()
	header := "ho_ten,ngay_sinh,lop,ten_nguoi_giam_ho,sdt_nguoi_giam_ho,dong_y_cua_nguoi_giam_ho\n"
	badFile := filepath.Join(dir, "sai.csv")
	goodFile := filepath.Join(dir, "dung.csv")
	_ = os.WriteFile(badFile, []byte(header+fmt.Sprintf("Đinh Văn Nam,%d,10A,Đinh Văn Ba,0912345678,\nHồ Thị Na,%d,12B,,,\n", year-15, year-18)), 0o600)
	_ = os.WriteFile(goodFile, []byte(header+fmt.Sprintf("Đinh Văn Nam,%d,10A,Đinh Văn Ba,0912345678,có\nHồ Thị Na,%d,12B,,,\n", year-15, year-18)), 0o600)
	count := func() int {
		var n int
		if err := d.Reader().QueryRowContext(context.Background(), "SELECT COUNT(*) FROM pupil_profiles").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	Do(t, ctx, chromedp.SetUploadFiles("#pupils-file", []string{badFile}))
	Do(t, ctx, chromedp.Click("#pupils-submit", chromedp.NodeVisible))
	WaitFor(t, ctx, "the file's errors", `!document.getElementById("pupils-errors").hidden`)
	Screenshot(t, ctx, "01-errors")
	if got := Text(t, ctx, "#pupils-error-lines"); !strings.Contains(got, "2") || !strings.Contains(got, "đồng ý") {
		t.Fatalf("errors shown: %q", got)
	}
	if n := count(); n != 0 {
		t.Fatalf("a rejected file created %d pupils", n)
	}
	Do(t, ctx, chromedp.SetUploadFiles("#pupils-file", []string{goodFile}))
	Do(t, ctx, chromedp.Click("#pupils-submit", chromedp.NodeVisible))
	WaitFor(t, ctx, "the list of passwords", `!document.getElementById("pupils-done").hidden && document.getElementById("pupils-errors").hidden`)
	Screenshot(t, ctx, "02-done")
	if n := count(); n != 2 {
		t.Fatalf("%d pupils created, want 2", n)
	}
	pdfURL := Eval[string](t, ctx, `document.getElementById("pupils-pdf").href`)
	Eval[bool](t, ctx, `window.__pdf = null; fetch(`+jsString(pdfURL)+`).then(function(r){ return r.arrayBuffer().then(function(b){
		window.__pdf = r.status + " " + r.headers.get("Content-Type") + " " + String.fromCharCode.apply(null, new Uint8Array(b.slice(0, 4)));
	}); }); true`)
	WaitFor(t, ctx, "the PDF", `window.__pdf !== null`)
	if got := Eval[string](t, ctx, `window.__pdf`); got != "200 application/pdf %PDF" {
		t.Fatalf("credentials download: %q", got)
	}
	// Another school's page is not theirs.
	if status := Open(t, ctx, srv.URL+"/schools/"+strconv.FormatInt(other, 10)+"/pupils"); status != 404 {
		t.Fatalf("another school's page: %d", status)
	}
}
