package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/lantoa/lantoa/internal/demo"
	"github.com/lantoa/lantoa/internal/platform/db"
)

// createCourse fills the new-course form as the signed-in administrator, imports a bank of 12
// questions (the right option is "Ba") from the course page and publishes; it returns the
// course page's address.
func createCourse(t *testing.T, ctx context.Context, base, title, scope string) string {
	t.Helper()
	if status := Open(t, ctx, base+"/courses"); status != 200 {
		t.Fatalf("/courses: %d", status)
	}
	if status := Follow(t, ctx, "#new-course"); status != 200 {
		t.Fatalf("new course form: %d", status)
	}
	if got := Text(t, ctx, "#course-scope"); !strings.Contains(got, scope) {
		t.Errorf("the form says %q, want %q", got, scope)
	}
	Type(t, ctx, "#title", title)
	Screenshot(t, ctx, "new-course-"+title)
	if status := Follow(t, ctx, "#course-submit"); status != 200 {
		t.Fatalf("create: %d", status)
	}
	var bank strings.Builder
	bank.WriteString("category,type,question,A,B,C,D,correct\n")
	for i := 1; i <= 12; i++ {
		fmt.Fprintf(&bank, "An toàn thông tin,single,Câu hỏi số %d về an toàn số?,Một,Hai,Ba,Bốn,C\n", i)
	}
	file := filepath.Join(t.TempDir(), "cau-hoi.csv")
	if err := os.WriteFile(file, []byte(bank.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	Do(t, ctx, chromedp.SetUploadFiles("#file", []string{file}, chromedp.NodeVisible))
	if status := Follow(t, ctx, "#import-submit"); status != 200 {
		t.Fatalf("import: %d", status)
	}
	if status := Follow(t, ctx, "#publish"); status != 200 {
		t.Fatalf("publish: %d", status)
	}
	return Eval[string](t, ctx, `location.href`)
}

// passExam has the signed-in learner open the course, take its exam choosing "Ba" everywhere and
// submit; it returns the certificate's code.
func passExam(t *testing.T, ctx context.Context, base, courseURL string) string {
	t.Helper()
	if status := Open(t, ctx, courseURL); status != 200 {
		t.Fatalf("course: %d", status)
	}
	NoSidewaysScroll(t, ctx, "the course page")
	if status := Follow(t, ctx, "#take-exam"); status != 200 {
		t.Fatalf("exam page: %d", status)
	}
	startExam(t, ctx, 10)
	clicked := Eval[int](t, ctx, `(function(){ var n = 0;
		document.querySelectorAll("#questions label.option").forEach(function(label){
			if (label.textContent.trim() === "Ba") { label.querySelector("input").click(); n++; }
		}); return n; })()`)
	if clicked != 10 {
		t.Fatalf("clicked %d answers", clicked)
	}
	submitExam(t, ctx)
	if Eval[bool](t, ctx, `document.getElementById("result-cert") === null`) {
		t.Fatalf("no certificate after the exam; page says %q", Eval[string](t, ctx, `document.body.innerText`))
	}
	pdfURL := Eval[string](t, ctx, `document.getElementById("cert-pdf").href`)
	return strings.TrimSuffix(strings.TrimPrefix(pdfURL, base+"/api/v1/certificates/"), "/export?format=pdf")
}

// TestTrainingProvinceBrowser: on a deployment serving Quảng Ngãi (the demo) and Hà Nội, Hà Nội's
// administrator does not meet Quảng Ngãi's course, creates a course of Hà Nội, fills its bank and
// publishes it; a Hà Nội learner passes it on a phone and the public verification page says
// the certificate was issued by Hà Nội's Department.
func TestTrainingProvinceBrowser(t *testing.T) {
	browser := NewBrowser(t)
	srv := StartServer(t, WithDemo())
	base := srv.URL
	srv.ImportProvince(t, "01", "001")
	srv.CreateUser(t, "so.hanoi", "mat-khau-so-ha-noi-2023", "province_admin", "01")
	srv.CreateUser(t, "hocvien.hanoi", "mat-khau-hoc-vien-2023", "learner", "00001")
	d, err := db.Open(context.Background(), srv.DB, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var demoID int64
	if err := d.Reader().QueryRowContext(context.Background(), "SELECT id FROM training_courses WHERE title = ?", demo.DemoCourseTitle).Scan(&demoID); err != nil {
		t.Fatal(err)
	}

	// Hà Nội's administrator: Quảng Ngãi's course is neither listed nor found.
	admin := NewContext(t, browser)
	Login(t, admin, base, "so.hanoi", "mat-khau-so-ha-noi-2023")
	if status := Open(t, admin, base+"/courses"); status != 200 {
		t.Fatalf("/courses: %d", status)
	}
	if got := Text(t, admin, "#courses"); strings.Contains(got, demo.DemoCourseTitle) {
		t.Errorf("Hà Nội's catalogue lists Quảng Ngãi's course: %q", got)
	}
	if status := Open(t, admin, fmt.Sprintf("%s/courses/%d", base, demoID)); status != 404 {
		t.Errorf("Quảng Ngãi's course for Hà Nội: %d", status)
	}
	// It creates a course of its own province.
	courseURL := createCourse(t, admin, base, "Kỹ năng số cho người dân Thủ đô", "thành phố Hà Nội")
	if got := Text(t, admin, "#course-province"); got != "Thành phố Hà Nội" {
		t.Errorf("course province %q", got)
	}
	Screenshot(t, admin, "02-course")

	// A Hà Nội learner, on a phone, takes it and passes.
	learner := NewContext(t, browser)
	Do(t, learner, chromedp.EmulateViewport(360, 800))
	Login(t, learner, base, "hocvien.hanoi", "mat-khau-hoc-vien-2023")
	if status := Open(t, learner, base+"/courses"); status != 200 {
		t.Fatalf("/courses: %d", status)
	}
	if got := Text(t, learner, "#courses"); !strings.Contains(got, "Kỹ năng số cho người dân Thủ đô") || strings.Contains(got, demo.DemoCourseTitle) {
		t.Errorf("the learner's catalogue: %q", got)
	}
	NoSidewaysScroll(t, learner, "the catalogue")
	Screenshot(t, learner, "03-catalogue-360")
	code := passExam(t, learner, base, courseURL)

	// Anyone checks the certificate: issued by Hà Nội's Department.
	anon := NewContext(t, browser)
	Do(t, anon, chromedp.EmulateViewport(360, 800))
	if status := Open(t, anon, base+"/verify/"+code); status != 200 {
		t.Fatalf("verify: %d", status)
	}
	if got := Text(t, anon, "#verify-status"); !strings.Contains(got, "Sở Thông tin và Truyền thông thành phố Hà Nội") {
		t.Errorf("verification says %q", got)
	}
	NoSidewaysScroll(t, anon, "the verification page")
	Screenshot(t, anon, "04-verify-360")

	// The national administrator publishes a national course; Quảng Ngãi's demo learner and the
	// Hà Nội learner pass it, and its figures lead from the provinces.
	srv.CreateUser(t, "quoc.gia", "mat-khau-quoc-gia-2023", "national_admin", "")
	national := NewContext(t, browser)
	Login(t, national, base, "quoc.gia", "mat-khau-quoc-gia-2023")
	nationalURL := createCourse(t, national, base, "Kỹ năng số toàn dân", "toàn quốc")
	if got := Text(t, national, "#course-province"); got != "Toàn quốc" {
		t.Errorf("national course province %q", got)
	}
	passExam(t, learner, base, nationalURL)
	qng := NewContext(t, browser)
	Login(t, qng, base, "hocvien.bato", demo.Password)
	passExam(t, qng, base, nationalURL)
	if status := Open(t, national, nationalURL+"/figures"); status != 200 {
		t.Fatalf("national figures: %d", status)
	}
	rows := Eval[string](t, national, `Array.from(document.querySelectorAll("#figures tbody tr")).map(function(tr){ return tr.innerText.replace(/\s+/g, " ").trim(); }).join("|")`)
	if !strings.Contains(rows, "Thành phố Hà Nội 1 1 1 100.0%") || !strings.Contains(rows, "Tỉnh Quảng Ngãi 1 1 1 100.0%") {
		t.Errorf("national rows %q", rows)
	}
	Screenshot(t, national, "05-national-figures")
	if status := Follow(t, national, `#figures a[href*="parent=01"]`); status != 200 {
		t.Fatalf("drill into Hà Nội: %d", status)
	}
	if got := Text(t, national, "#figures"); !strings.Contains(got, "Quận Ba Đình") || strings.Contains(got, "Ba Tơ") {
		t.Errorf("Hà Nội's districts %q", got)
	}
	// Hà Nội's administrator reads Hà Nội's part of it only, on a phone.
	Do(t, admin, chromedp.EmulateViewport(360, 800))
	if status := Open(t, admin, nationalURL+"/figures"); status != 200 {
		t.Fatalf("Hà Nội's figures: %d", status)
	}
	if got := Text(t, admin, "#totals"); !strings.Contains(got, "1 ghi danh") {
		t.Errorf("Hà Nội's totals %q", got)
	}
	if got := Text(t, admin, "#figures"); strings.Contains(got, "Quảng Ngãi") || !strings.Contains(got, "Quận Ba Đình") {
		t.Errorf("Hà Nội's rows %q", got)
	}
	NoSidewaysScroll(t, admin, "the figures page")
	Screenshot(t, admin, "06-hanoi-part-360")
}
