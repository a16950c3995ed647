package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"image/png"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/lantoa/lantoa/internal/demo"
	"github.com/lantoa/lantoa/internal/platform/db"
)

// correctAnswers reads the demo course's correct options from the server's database: question
// text → the texts of its correct options. The browser never gets them; the test plays a learner
// who knows the material.
func correctAnswers(t *testing.T, path string) map[string][]string {
	t.Helper()
	d, err := db.Open(context.Background(), path, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	rows, err := d.Reader().QueryContext(context.Background(), `SELECT q.text, o.text FROM training_questions q JOIN training_options o ON o.question_id = q.id
		JOIN training_courses c ON c.id = q.course_id WHERE c.title = ? AND o.correct = 1`, demo.DemoCourseTitle)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var q, o string
		if err := rows.Scan(&q, &o); err != nil {
			t.Fatal(err)
		}
		out[q] = append(out[q], o)
	}
	if len(out) < 10 {
		t.Fatalf("demo course has %d questions, want at least 10", len(out))
	}
	return out
}

// TestTrainingBrowser is the flow: a citizen registers, takes the exam, passes, downloads
// the certificate and opens the public verification page from its QR code's link.
func TestTrainingBrowser(t *testing.T) {
	ctx := NewBrowser(t)
	srv := StartServer(t, WithDemo())
	base := srv.URL
	answers := correctAnswers(t, srv.DB)

	// Registration, choosing the commune where the citizen lives.
	if status := Open(t, ctx, base+"/register"); status != 200 {
		t.Fatalf("/register: %d", status)
	}
	Type(t, ctx, "#username", "nguoidan.bato")
	Type(t, ctx, "#display_name", "Đinh Thị Người Dân")
	Type(t, ctx, "#password", "mat-khau-nguoi-dan-2023")
	place := Eval[string](t, ctx, `document.querySelector("#place optgroup:last-of-type option").value`)
	Do(t, ctx, chromedp.SetValue(chromedp.CSS("#place"), place, chromedp.NodeVisible))
	Screenshot(t, ctx, "01-register")
	if status := Follow(t, ctx, "#register-submit"); status != 200 {
		t.Fatalf("register: %d; page says %q", status, Eval[string](t, ctx, `document.body.innerText`))
	}
	if got := Text(t, ctx, "[data-testid=who]"); got != "Đinh Thị Người Dân" && got != "nguoidan.bato" {
		t.Fatalf("signed in as %q", got)
	}
	// The catalogue lists the demo course; its page offers the exam.
	if status := Follow(t, ctx, `#courses a[data-course]`); status != 200 {
		t.Fatalf("course page: %d", status)
	}
	if got := Text(t, ctx, "#course-title"); got != demo.DemoCourseTitle {
		t.Fatalf("course %q", got)
	}
	if status := Follow(t, ctx, "#take-exam"); status != 200 {
		t.Fatalf("exam page: %d", status)
	}
	// Opening the exam page starts nothing: the start step tells the terms first.
	if n := attemptsOf(t, srv.DB, "nguoidan.bato"); n != 0 {
		t.Fatalf("opening the exam page made %d attempts", n)
	}
	atBothSizes(t, ctx, func(size string) {
		NoSidewaysScroll(t, ctx, size+" start step")
		reportViolations(t, size+" start step", seriousViolations(auditPage(t, ctx)))
		Screenshot(t, ctx, "02-start-"+size)
	})
	if got := Text(t, ctx, "#exam-minutes"); got != "20 phút" {
		t.Errorf("time limit %q", got)
	}
	if got := Text(t, ctx, "#exam-attempts"); got != "Đã làm 0/3 lần, còn 3 lần" {
		t.Errorf("attempts %q", got)
	}
	startExam(t, ctx, 10)
	if n := attemptsOf(t, srv.DB, "nguoidan.bato"); n != 1 {
		t.Fatalf("the start button made %d attempts", n)
	}
	// Each option's control sits on its text's line, on a phone and on a desktop.
	atBothSizes(t, ctx, func(size string) {
		optionsBesideText(t, ctx, size)
		NoSidewaysScroll(t, ctx, size+" running exam")
		reportViolations(t, size+" running exam", seriousViolations(auditPage(t, ctx)))
		Screenshot(t, ctx, "03-exam-"+size)
	})
	js, _ := json.Marshal(answers)
	clicked := Eval[int](t, ctx, `(function(){ var answers = `+string(js)+`; var n = 0;
		document.querySelectorAll("#questions li.question").forEach(function(li){
			var want = answers[li.querySelector("legend").textContent] || [];
			li.querySelectorAll("label.option").forEach(function(label){
				if (want.indexOf(label.textContent.trim()) >= 0) { label.querySelector("input").click(); n++; }
			});
		}); return n; })()`)
	if clicked < 10 {
		t.Fatalf("clicked %d correct options", clicked)
	}
	// Every answer is saved on the server before submission.
	submitExam(t, ctx)
	if got := Text(t, ctx, "#result-text"); !strings.Contains(got, "đã đạt") || !strings.Contains(got, "100 điểm") || strings.Contains(got, "100.0") {
		t.Fatalf("result %q", got)
	}
	atBothSizes(t, ctx, func(size string) {
		NoSidewaysScroll(t, ctx, size+" result")
		Screenshot(t, ctx, "04-result-"+size)
	})
	pdfURL := Eval[string](t, ctx, `document.getElementById("cert-pdf").href`)
	code := strings.TrimSuffix(strings.TrimPrefix(pdfURL, base+"/api/v1/certificates/"), "/export?format=pdf")
	// Download the certificate in the browser: a PDF.
	Eval[bool](t, ctx, `window.__pdf = null; fetch(`+jsString(pdfURL)+`).then(function(r){ return r.arrayBuffer().then(function(b){
		window.__pdf = r.status + " " + r.headers.get("Content-Type") + " " + String.fromCharCode.apply(null, new Uint8Array(b.slice(0, 4)));
	}); }); true`)
	WaitFor(t, ctx, "the PDF", `window.__pdf !== null`)
	if got := Eval[string](t, ctx, `window.__pdf`); got != "200 application/pdf %PDF" {
		t.Fatalf("certificate download: %q", got)
	}
	verifyURL := base + "/verify/" + code
	// The PDF's QR code links to the verification page (the link annotation of the QR image).
	resp, err := http.Get(pdfURL)
	if err != nil {
		t.Fatal(err)
	}
	pdf, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(pdf), "/URI ("+verifyURL+")") {
		t.Errorf("the PDF's QR code does not link to %s", verifyURL)
	}
	// The certificates page shows the QR code, linked to the same address. The test reads the QR
	// image the browser shows, as a phone's camera would: it decodes the PNG and gets the address.
	if status := Open(t, ctx, base+"/certificates"); status != 200 {
		t.Fatalf("/certificates: %d", status)
	}
	if got := Eval[string](t, ctx, `document.querySelector("a.cert-verify").href`); got != verifyURL {
		t.Fatalf("QR link %q, want %q", got, verifyURL)
	}
	scanned := decodeQR(t, Eval[string](t, ctx, `document.querySelector("img.qr").src`))
	if scanned != verifyURL {
		t.Fatalf("the QR code reads %q, want %q", scanned, verifyURL)
	}
	// The verification page is public: a second person, with no account, opens the scanned address.
	anon := NewContext(t, ctx)
	if status := Open(t, anon, scanned); status != 200 {
		t.Fatalf("verify: %d", status)
	}
	Screenshot(t, anon, "05-verify")
	if got := Text(t, anon, "#verify-score"); got != "100 điểm" {
		t.Errorf("verify score %q", got)
	}
	if got := Text(t, anon, "#verify-learner"); got != "Đinh Thị Người Dân" {
		t.Errorf("verify names %q", got)
	}
	if got := Text(t, anon, "#verify-course"); got != demo.DemoCourseTitle {
		t.Errorf("verify course %q", got)
	}
	if n := Eval[int](t, anon, `document.querySelectorAll("[data-testid=who]").length`); n != 0 {
		t.Errorf("verification page shown signed in")
	}
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// decodeQR reads the QR code of a PNG given as a data: URL, with a QR decoder (ZXing's port).
func decodeQR(t *testing.T, dataURL string) string {
	t.Helper()
	b64, ok := strings.CutPrefix(dataURL, "data:image/png;base64,")
	if !ok {
		t.Fatalf("the QR image is not a PNG data URL: %.40q", dataURL)
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatalf("QR PNG: %v", err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("decoding the QR code: %v", err)
	}
	return res.GetText()
}
