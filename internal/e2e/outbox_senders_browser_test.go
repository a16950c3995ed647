package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/lantoa/lantoa/internal/app"
	"github.com/lantoa/lantoa/internal/notify"
	"github.com/lantoa/lantoa/internal/notify/notifytest"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
)

// TestOutboxSendersBrowser runs `serve` configured with an eSMS gateway and a Zalo Official
// Account (local servers that implement their documented APIs): an SMS and a Zalo notification
// reach them with the documented payloads, while an SMS to a landline and a Zalo message to a user
// who refused the OA fail for good. The province's administrator then finds the failures from the
// workspace, on a phone and on a desktop, with the provider's reason in Vietnamese, and sends one
// again.
func TestOutboxSendersBrowser(t *testing.T) {
	RequireBrowser(t)
	z := notifytest.StartZalo(t)
	z.Set(func() { z.Answers["84912000111"] = -139 })
	gw := notifytest.StartESMS(t)
	srv := StartServer(t, WithConfig(func(c *app.Config) {
		n := &c.Notify
		n.SMSProvider, n.SMSURL, n.SMSAPIKey, n.SMSSecretKey, n.SMSBrandname = "esms", gw.Endpoint(), "api-key-test", "secret-key-test", "QUANGNGAI"
		n.ZaloAppID, n.ZaloSecretKey, n.ZaloRefreshToken = z.AppID, z.Secret, "rt-bootstrap"
		n.ZaloOAuthURL, n.ZaloCSURL, n.ZaloZNSURL = z.Endpoints()
		n.ZaloTemplates = map[notify.Kind]string{notify.AccountInvitation: "231677"}
		n.BaseURL = "https://lantoa.quangngai.gov.vn"
	}))
	const admin, pass = "so.tttt.outbox", "Hộp thư đi của Sở 2026"
	srv.CreateUser(t, admin, pass, "province_admin", "51")

	ctx := authz.WithActor(context.Background(), authz.System)
	d, err := db.Open(ctx, srv.DB, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	svc := notify.NewService(d)
	otp := func(to string) notify.Message {
		return notify.Message{Kind: notify.AccountInvitation, Channel: notify.Zalo, Recipient: to, UnitPath: "/51/",
			Body: "Mã đăng nhập Lan Tỏa: 482913", TemplateData: map[string]string{"otp": "482913"}}
	}
	sms := func(to string) notify.Message {
		return notify.Message{Kind: notify.ReportReminder, Channel: notify.SMS, Recipient: to, UnitPath: "/51/",
			Body: "Đề nghị xã Ba Tơ nộp báo cáo tuần 48.", Link: "https://lantoa.quangngai.gov.vn/r/48"}
	}
	ids := map[string]int64{}
	for name, m := range map[string]notify.Message{"sms": sms("0912345678"), "landline": sms("0255.3822.123"), "zalo": otp("0987654321"), "refused": otp("0912000111")} {
		if ids[name], err = svc.EnqueueNow(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	// The worker polls every few seconds (another process's commit cannot wake it).
	want := map[string]notify.Status{"sms": notify.Sent, "landline": notify.Failed, "zalo": notify.Sent, "refused": notify.Failed}
	deadline := time.Now().Add(40 * time.Second)
	for {
		done := true
		for name, id := range ids {
			if m, _ := svc.Find(ctx, id); m.Status != want[name] {
				done = false
			}
		}
		if done {
			break
		}
		if time.Now().After(deadline) {
			for name, id := range ids {
				m, _ := svc.Find(ctx, id)
				t.Errorf("%s: %s (%s %s)", name, m.Status, m.LastReason, m.LastError)
			}
			t.Fatal("the server's worker did not deliver the messages")
		}
		time.Sleep(200 * time.Millisecond)
	}
	if got := gw.Got(); len(got) != 1 || got[0].Phone != "0912345678" || got[0].Content != "De nghi xa Ba To nop bao cao tuan 48. https://lantoa.quangngai.gov.vn/r/48" {
		t.Errorf("SMS gateway received %+v", got)
	}
	if got := z.Got(); len(got) != 1 || got[0].To != "84987654321" || got[0].Data["otp"] != "482913" || got[0].Template != "231677" {
		t.Errorf("Zalo received %+v", got)
	}

	b := NewBrowser(t)
	for _, size := range []struct {
		name string
		w, h int64
	}{{"phone", 360, 780}, {"desktop", 1280, 900}} {
		t.Run(size.name, func(t *testing.T) {
			page := NewContext(t, b)
			Do(t, page, chromedp.EmulateViewport(size.w, size.h))
			Login(t, page, srv.URL, admin, pass)
			// The workspace points at the failed messages.
			if status := Follow(t, page, `a[href="/admin/outbox?status=failed"]`); status != 200 {
				t.Fatalf("outbox: %d", status)
			}
			text := Text(t, page, "#outbox")
			for _, s := range []string{
				"Số điện thoại không hợp lệ: cần số di động Việt Nam",  // the landline
				"Người nhận đã chặn hoặc từ chối nhận tin từ Zalo OA.", // -139
				"0255.3822.123", "error -139",
			} {
				if !strings.Contains(text, s) {
					t.Errorf("the failed messages do not say %q:\n%s", s, text)
				}
			}
			recipients := Eval[[]string](t, page, `[...document.querySelectorAll("#outbox td.code")].map(e => e.innerText.trim()).sort()`)
			// Masked: phone numbers are personal data (Decree 13), shown whole nowhere in lists.
			if strings.Join(recipients, " ") != "0255***123 0912***111" {
				t.Errorf("failed messages to %v, want the landline and the refused Zalo user only", recipients)
			}
			NoSidewaysScroll(t, page, "outbox at "+size.name)
			reportViolations(t, "outbox "+size.name, auditPage(t, page))
			Screenshot(t, page, "outbox-senders-"+size.name)
		})
	}

	// The sent messages show the provider's id of the message, for its support desk.
	page := NewContext(t, b)
	Do(t, page, chromedp.EmulateViewport(360, 780))
	Login(t, page, srv.URL, admin, pass)
	Open(t, page, srv.URL+"/admin/outbox?status=sent")
	if text := Text(t, page, "#outbox"); !strings.Contains(text, "ebe101db-0001") || !strings.Contains(text, "zns-1") {
		t.Errorf("sent messages:\n%s", text)
	}
	// Gửi lại puts the refused Zalo message back in the queue.
	Open(t, page, srv.URL+"/admin/outbox?status=failed")
	Follow(t, page, `form[action="/admin/outbox/`+itoa(ids["refused"])+`/retry"] button`)
	if flash := Eval[string](t, page, `document.body.innerText`); !strings.Contains(flash, "Đã đưa thông báo vào hàng đợi gửi lại.") {
		t.Errorf("after Gửi lại: %s", flash)
	}
	if m, _ := svc.Find(ctx, ids["refused"]); m.Status == notify.Failed && m.Attempts < 2 {
		t.Errorf("not queued again: %+v", m)
	}
}
