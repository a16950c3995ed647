package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/lantoa/lantoa/internal/app"
	"github.com/lantoa/lantoa/internal/notify/notifytest"
	"github.com/lantoa/lantoa/internal/platform/sheet"
)

// The invitation e-mails travel through Mailpit, a real SMTP server (notifytest.StartMailpit).

// evalPromise evaluates a JavaScript expression whose value is a promise, and decodes what it
// resolves to.
func evalPromise[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	bctx, cancel := bounded(ctx)
	defer cancel()
	v, err := chromedp.Run(bctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// waitMail waits for the outbox worker to deliver a message to address and returns it whole.
func waitMail(t *testing.T, mp *notifytest.Mailpit, address string) notifytest.Mail {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		list := mp.Messages(t)
		for _, m := range list {
			if len(m.To) == 1 && m.To[0].Address == address {
				var full notifytest.Mail
				mp.Get(t, "/api/v1/message/"+m.ID, &full)
				return full
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no e-mail to %s within 30 s (%d messages)", address, len(list))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestInvitationsBrowser is the acceptance contract of issue 19, item 3, as written: "A delegate
// imported from xlsx gets a numbered invitation by e-mail (real SMTP server in the test), answers
// through the RSVP link, and appears as "confirmed" on the attendance list." Ba Tơ's administrator
// imports the delegate list (a bad file first: refused whole, its lines named), sends the
// invitations; the e-mail arrives at Mailpit with "Số: 1/GM-UBND" and the RSVP link; the delegate,
// without an account, answers on a phone; a second answer is refused politely; the administrator's
// list shows "Xác nhận tham dự" with the phone masked; once the ceremony is cancelled, the link says
// so politely and takes no answer. 360 and 1280 px: no sideways scroll, axe clean.
func TestInvitationsBrowser(t *testing.T) {
	mp := notifytest.StartMailpit(t)
	srv := StartServer(t, WithConfig(func(c *app.Config) {
		c.Notify.SMTPAddr = mp.SMTP
		c.Notify.SMTPFrom = "Lan Tỏa <no-reply@quangngai.gov.vn>"
	}))
	srv.CreateUser(t, "tinh.giaymoi", "Tinh-GiayMoi-2024", "province_admin", "51")
	srv.CreateUser(t, "huyen.bato.gm", "Huyen-BaTo-GM-2024", "unit_admin", "535")
	base := srv.URL
	dir := t.TempDir()
	writeSheet := func(name string, header []string, rows ...[]any) string {
		p := filepath.Join(dir, name)
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := sheet.WriteXLSX(f, sheet.Table{Name: "Đại biểu", Header: header, Rows: rows}); err != nil {
			t.Fatal(err)
		}
		return p
	}
	header := []string{"STT", "Họ tên", "Chức vụ", "Đơn vị/Cơ quan", "E-mail", "Điện thoại", "Kênh (email/sms/zalo)"}
	bad := writeSheet("sai.xlsx", header,
		[]any{1, "Phạm Văn Đồng", "Bí thư Huyện ủy", "Huyện ủy Ba Tơ", "pvdong@quangngai.gov.vn", "", ""},
		[]any{2, "", "Phó Bí thư", "Huyện ủy Ba Tơ", "", "", ""},
		[]any{3, "Đinh Thị Hoa", "Chủ tịch", "UBND huyện Ba Tơ", "hoa@", "0912 345 678", ""})
	good := writeSheet("dai-bieu.xlsx", header,
		[]any{1, "Phạm Văn Đồng", "Bí thư Huyện ủy", "Huyện ủy Ba Tơ", "pvdong@quangngai.gov.vn", "", ""},
		[]any{2, "Đinh Thị Hoa", "Chủ tịch", "UBND huyện Ba Tơ", "", "0912 345 678", "sms"})

	admin := NewBrowser(t)
	Login(t, admin, base, "tinh.giaymoi", "Tinh-GiayMoi-2024")
	path := createCeremonyInBrowser(t, admin, base, "Lễ phát động Phong trào chuyển đổi số (giấy mời)", 48*time.Hour)
	Follow(t, admin, "#generate-points")
	WaitFor(t, admin, "the points", `document.body.innerText.includes("Số điểm cầu:")`)

	district := NewContext(t, admin)
	Do(t, district, chromedp.EmulateViewport(360, 780, chromedp.EmulateMobile))
	Login(t, district, base, "huyen.bato.gm", "Huyen-BaTo-GM-2024")
	Open(t, district, base+path)
	pointURL := Eval[string](t, district, `Array.from(document.querySelectorAll("#my-points a")).find(a => a.innerText.includes("Ba Tơ")).href`)
	Open(t, district, pointURL)
	if status := Follow(t, district, "#invitations-link"); status != 200 {
		t.Fatalf("invitations page: %d", status)
	}
	invitationsURL := Eval[string](t, district, `location.href`)
	Screenshot(t, district, "invitations-01-empty-360")

	// A bad file is refused whole, its lines named; nothing is written.
	Do(t, district, chromedp.SetUploadFiles("#import-file", []string{bad}))
	if status := Follow(t, district, "#import-submit"); status != 422 {
		t.Fatalf("bad file: %d %q", status, Text(t, district, "main"))
	}
	if got := Text(t, district, "#error-lines"); !strings.Contains(got, "Dòng 3: thiếu họ tên") || !strings.Contains(got, "Dòng 4: e-mail \"hoa@\" không hợp lệ") {
		t.Errorf("error lines: %q", got)
	}
	NoSidewaysScroll(t, district, "the refused import at 360px")
	reportViolations(t, "the refused import at 360px", auditPage(t, district))
	Screenshot(t, district, "invitations-02-refused-360")
	Open(t, district, invitationsURL)
	if n := Eval[int](t, district, `document.querySelectorAll("#delegates-list tbody tr").length`); n != 0 {
		t.Fatalf("%d delegates after a refused file", n)
	}

	// The good file, then the sending: each delegate gets the next number of GM-UBND.
	Do(t, district, chromedp.SetUploadFiles("#import-file", []string{good}))
	if status := Follow(t, district, "#import-submit"); status != 200 {
		t.Fatalf("import: %d %q", status, Text(t, district, "main"))
	}
	if got := Text(t, district, ".flash"); !strings.Contains(got, "Đã nhập 2 đại biểu") {
		t.Errorf("flash after import: %q", got)
	}
	if status := Follow(t, district, "#send-invitations"); status != 200 {
		t.Fatalf("send: %d %q", status, Text(t, district, "main"))
	}
	if got := Text(t, district, ".flash"); !strings.Contains(got, "Đã đưa 2 giấy mời vào hàng đợi gửi") {
		t.Errorf("flash after sending: %q", got)
	}
	list := Text(t, district, "#delegates-list")
	if !strings.Contains(list, "1/GM-UBND") || !strings.Contains(list, "2/GM-UBND") || !strings.Contains(list, "Chưa trả lời") {
		t.Errorf("list after sending: %q", list)
	}
	// Phones are masked on the page (Decree 13).
	if html := Eval[string](t, district, `document.querySelector("main").innerHTML`); strings.Contains(html, "0912345678") || !strings.Contains(html, "0912***678") {
		t.Errorf("the phone is not masked: %q", list)
	}

	// The e-mail, through a real SMTP server.
	mail := waitMail(t, mp, "pvdong@quangngai.gov.vn")
	if !strings.Contains(mail.Subject, "1/GM-UBND") || !regexp.MustCompile(`Số: \d+/GM-[A-Z]+`).MatchString(mail.Text) || !strings.Contains(mail.Text, "Số: 1/GM-UBND") ||
		!strings.Contains(mail.Text, "Kính gửi: Ông/Bà Phạm Văn Đồng, Bí thư Huyện ủy, Huyện ủy Ba Tơ") {
		t.Errorf("e-mail %q: %q", mail.Subject, mail.Text)
	}
	link := regexp.MustCompile(`https?://\S+/rsvp/[A-Za-z0-9_-]{32}`).FindString(mail.Text)
	if link == "" || !strings.HasPrefix(link, base) {
		t.Fatalf("no RSVP link in %q", mail.Text)
	}

	// The delegate answers on a phone, without an account.
	guest := NewBrowser(t)
	Do(t, guest, chromedp.EmulateViewport(360, 780, chromedp.EmulateMobile))
	if status := Open(t, guest, link); status != 200 {
		t.Fatalf("RSVP page: %d", status)
	}
	if got := Text(t, guest, "#rsvp-number"); got != "1/GM-UBND" {
		t.Errorf("number on the page: %q", got)
	}
	if got := Text(t, guest, "main"); !strings.Contains(got, "câu trả lời đầu tiên là câu trả lời cuối cùng") {
		t.Errorf("the page does not say the first answer is final: %q", got)
	}
	if status := evalPromise[int](t, guest, `fetch(document.querySelector("#rsvp-pdf").href).then(r => r.headers.get("Content-Type").startsWith("application/pdf") ? r.status : -r.status)`); status != 200 {
		t.Errorf("the letter from the link: %d", status)
	}
	NoSidewaysScroll(t, guest, "the RSVP page at 360px")
	reportViolations(t, "the RSVP page at 360px", auditPage(t, guest))
	Screenshot(t, guest, "invitations-03-rsvp-360")
	Do(t, guest, chromedp.Click(chromedp.CSS("#rsvp-attend"), chromedp.NodeVisible))
	if status := Follow(t, guest, "#rsvp-submit"); status != 200 {
		t.Fatalf("answer: %d %q", status, Text(t, guest, "main"))
	}
	if got := Text(t, guest, "#rsvp-answer"); !strings.Contains(got, "Xác nhận tham dự") {
		t.Errorf("answer recorded: %q", got)
	}
	Screenshot(t, guest, "invitations-04-answered-360")
	// The link used twice: answered politely (409), nothing changed.
	second := evalPromise[string](t, guest, fmt.Sprintf(`fetch(%q, {method: "POST", headers: {"Content-Type": "application/x-www-form-urlencoded"}, body: "rsvp=decline"}).then(async r => r.status + " " + await r.text())`, link))
	if !strings.HasPrefix(second, "409 ") || !strings.Contains(second, "chỉ trả lời một lần") {
		t.Errorf("second answer: %.300q", second)
	}
	Open(t, guest, link)
	if got := Text(t, guest, "#rsvp-answer"); !strings.Contains(got, "Xác nhận tham dự") {
		t.Errorf("after the second answer: %q", got)
	}
	if n := Eval[int](t, guest, `document.querySelectorAll("#rsvp-form").length`); n != 0 {
		t.Errorf("the form is offered again")
	}
	Do(t, guest, chromedp.EmulateViewport(1280, 900))
	NoSidewaysScroll(t, guest, "the RSVP page at 1280px")
	reportViolations(t, "the RSVP page at 1280px", auditPage(t, guest))
	Screenshot(t, guest, "invitations-05-rsvp-1280")
	// An unknown link: a polite 404.
	if status := Open(t, guest, base+"/rsvp/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"); status != 404 {
		t.Errorf("unknown link: %d", status)
	}
	if got := Text(t, guest, "main"); !strings.Contains(got, "Không tìm thấy giấy mời") {
		t.Errorf("unknown link page: %q", got)
	}

	// The attendance list follows: "Xác nhận tham dự" beside the delegate.
	Open(t, district, invitationsURL)
	row := Eval[string](t, district, `Array.from(document.querySelectorAll("#delegates-list tbody tr")).find(r => r.innerText.includes("Phạm Văn Đồng")).innerText`)
	if !strings.Contains(row, "Xác nhận tham dự") || !strings.Contains(row, "1/GM-UBND") {
		t.Errorf("attendance row: %q", row)
	}
	if got := Text(t, district, "#answers"); !strings.Contains(got, "Xác nhận tham dự: 1") || !strings.Contains(got, "Chưa trả lời: 1") {
		t.Errorf("answer counts: %q", got)
	}
	NoSidewaysScroll(t, district, "the invitations page at 360px")
	reportViolations(t, "the invitations page at 360px", auditPage(t, district))
	Screenshot(t, district, "invitations-06-list-360")
	Do(t, district, chromedp.EmulateViewport(1280, 900))
	NoSidewaysScroll(t, district, "the invitations page at 1280px")
	reportViolations(t, "the invitations page at 1280px", auditPage(t, district))
	Screenshot(t, district, "invitations-07-list-1280")
	// The point's own page shows the answers too.
	Do(t, district, chromedp.EmulateViewport(360, 780, chromedp.EmulateMobile))
	Open(t, district, pointURL)
	if got := Text(t, district, "#delegates"); !strings.Contains(got, "Xác nhận tham dự") {
		t.Errorf("point page's delegates: %q", got)
	}
	NoSidewaysScroll(t, district, "the point page at 360px")
	reportViolations(t, "the point page at 360px", auditPage(t, district))
	Do(t, district, chromedp.ScrollIntoView("#delegates"))
	Screenshot(t, district, "invitations-08-point-360")

	// The province cancels the ceremony: the RSVP link now says so politely, without a form or
	// the letter, and the delegate's answer stays as it was.
	if status := Open(t, admin, base+path+"/edit"); status != 200 {
		t.Fatalf("edit page: %d", status)
	}
	if status := Follow(t, admin, "#status-cancel"); status != 200 {
		t.Fatalf("cancel: %d", status)
	}
	Do(t, guest, chromedp.EmulateViewport(360, 780, chromedp.EmulateMobile))
	if status := Open(t, guest, link); status != 200 {
		t.Fatalf("the RSVP link of a cancelled ceremony: %d", status)
	}
	if got := Text(t, guest, "#rsvp-cancelled"); !strings.Contains(got, "Buổi lễ này đã hủy") {
		t.Errorf("the RSVP page of a cancelled ceremony: %q", got)
	}
	if n := Eval[int](t, guest, `document.querySelectorAll("#rsvp-form, #rsvp-pdf").length`); n != 0 {
		t.Errorf("a cancelled ceremony's RSVP page still has %d of its form and letter", n)
	}
	if got := Text(t, guest, "#rsvp-answer"); !strings.Contains(got, "Xác nhận tham dự") {
		t.Errorf("the answer on record after the cancellation: %q", got)
	}
	NoSidewaysScroll(t, guest, "the cancelled RSVP page at 360px")
	reportViolations(t, "the cancelled RSVP page at 360px", auditPage(t, guest))
	Screenshot(t, guest, "invitations-09-cancelled-360")
	Do(t, guest, chromedp.EmulateViewport(1280, 900))
	reportViolations(t, "the cancelled RSVP page at 1280px", auditPage(t, guest))
	Screenshot(t, guest, "invitations-10-cancelled-1280")
}
