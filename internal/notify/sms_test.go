package notify_test

import (
	"strings"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/notify"
	"github.com/lantoa/lantoa/internal/notify/notifytest"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
)

func smsSetup(t *testing.T, d *db.DB, s *notifytest.ESMS) (*notify.Service, *notify.Worker, *clock) {
	clk := &clock{t: time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)}
	svc := notify.NewService(d)
	svc.Now = clk.now
	tpl, err := notify.ParseSMSTemplate("")
	if err != nil {
		t.Fatal(err)
	}
	gw := &notify.ESMSGateway{URL: s.Endpoint(), APIKey: "api-key-test", SecretKey: "secret-key-test", Brandname: "QUANGNGAI"}
	w := notify.NewWorker(svc, map[notify.Channel]notify.Sender{notify.SMS: &notify.SMSSender{Gateway: gw, Template: tpl}}, quiet())
	w.SendTimeout = 2 * time.Second
	return svc, w, clk
}

func sms(to string) notify.Message {
	return notify.Message{Kind: notify.ReportReminder, Channel: notify.SMS, Recipient: to,
		Body: "Đề nghị UBND xã Ba Tơ nộp báo cáo tuần 48.", Link: "https://lantoa.test/r/48"}
}

func TestSMSThroughESMSAsDocumented(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		s := notifytest.StartESMS(t)
		svc, w, _ := smsSetup(t, d, s)
		id, err := svc.EnqueueNow(sys, sms("+84912345678"))
		if err != nil {
			t.Fatal(err)
		}
		w.RunOnce(sys)
		m, _ := svc.Find(sys, id)
		if m.Status != notify.Sent || m.ProviderRef != "ebe101db-0001" {
			t.Fatalf("message %+v", m)
		}
		got := s.Got()
		if len(got) != 1 || got[0].Phone != "0912345678" || got[0].RequestID != notify.RequestID(m) ||
			got[0].Content != "De nghi UBND xa Ba To nop bao cao tuan 48. https://lantoa.test/r/48" {
			t.Fatalf("delivered %+v", got)
		}
	})
}

func TestSMSPermanentAndRetriedFailures(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		s := notifytest.StartESMS(t)
		s.Set(func() { s.Code["0987000111"] = "177"; s.Code["0987000222"] = "103" })
		svc, w, clk := smsSetup(t, d, s)
		invalid, _ := svc.EnqueueNow(sys, sms("0241234567")) // a landline
		short, _ := svc.EnqueueNow(sys, sms("090512"))       // too short
		carrier, _ := svc.EnqueueNow(sys, sms("0987000111")) // carrier not registered for the brand name
		balance, _ := svc.EnqueueNow(sys, sms("0987000222")) // balance too low: waits
		w.RunOnce(sys)
		for id, reason := range map[int64]string{invalid: "sms.invalid_number", short: "sms.invalid_number", carrier: "sms.carrier"} {
			if m, _ := svc.Find(sys, id); m.Status != notify.Failed || m.LastReason != reason {
				t.Errorf("%s: %s %q", m.Recipient, m.Status, m.LastReason)
			}
		}
		if m, _ := svc.Find(sys, balance); m.Status != notify.Pending || m.LastReason != "sms.balance" {
			t.Errorf("balance: %+v", m)
		}
		if n := s.Requests(); n != 2 {
			t.Errorf("%d requests: invalid numbers must not reach the gateway", n)
		}
		clk.add(24 * time.Hour)
		s.Set(func() { delete(s.Code, "0987000222") })
		w.RunOnce(sys)
		if m, _ := svc.Find(sys, balance); m.Status != notify.Sent {
			t.Errorf("after the top-up: %+v", m)
		}
		// Wrong keys are permanent: an operator fixes them, then presses Gửi lại.
		tpl, _ := notify.ParseSMSTemplate("")
		bad := notify.NewWorker(svc, map[notify.Channel]notify.Sender{notify.SMS: &notify.SMSSender{Template: tpl,
			Gateway: &notify.ESMSGateway{URL: s.Endpoint(), APIKey: "x", SecretKey: "y", Brandname: "QUANGNGAI"}}}, quiet())
		auth, _ := svc.EnqueueNow(sys, sms("0912345678"))
		bad.RunOnce(sys)
		if m, _ := svc.Find(sys, auth); m.Status != notify.Failed || m.LastReason != "sms.auth" || !strings.Contains(m.LastError, "101") {
			t.Errorf("wrong keys: %+v", m)
		}
	})
}

func TestSMSOutageRateLimitAndLostAnswersSendOnce(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		s := notifytest.StartESMS(t)
		svc, w, clk := smsSetup(t, d, s)
		// Down twice (503), then rate-limited with Retry-After: 120, then up.
		s.Set(func() { s.Down, s.Limited = 2, 1 })
		id, _ := svc.EnqueueNow(sys, sms("0912345678"))
		w.RunOnce(sys)
		if m, _ := svc.Find(sys, id); m.Status != notify.Pending || m.LastReason != notify.ReasonDown {
			t.Fatalf("after 503: %+v", m)
		}
		clk.add(time.Hour)
		w.RunOnce(sys)
		clk.add(time.Hour)
		w.RunOnce(sys)
		m, _ := svc.Find(sys, id)
		if m.Status != notify.Pending || m.LastReason != notify.ReasonRateLimited || m.NextAttemptAt.Before(clk.now().Add(30*time.Minute)) {
			t.Fatalf("after 429: %+v", m)
		}
		clk.add(time.Hour)
		w.RunOnce(sys)
		if m, _ := svc.Find(sys, id); m.Status != notify.Sent || m.Attempts != 4 {
			t.Fatalf("after the outage: %+v", m)
		}

		// The gateway delivers but its answer is lost: eSMS recognises the repeated RequestId
		// (CodeResult 124), so the worker may ask again, and the message goes out once.
		w.SendTimeout = 300 * time.Millisecond
		s.Set(func() { s.Hang = true })
		lost, _ := svc.EnqueueNow(sys, sms("0987654321"))
		w.RunOnce(sys)
		if m, _ := svc.Find(sys, lost); m.Status != notify.Pending || m.LastReason != notify.ReasonNoAnswer {
			t.Fatalf("after a lost answer: %+v", m)
		}
		s.Set(func() { s.Hang = false })
		clk.add(time.Hour)
		w.RunOnce(sys)
		if m, _ := svc.Find(sys, lost); m.Status != notify.Sent || m.ProviderRef != "ebe101db-0002" {
			t.Fatalf("after the repeat: %+v", m)
		}

		// A worker that stops between the send and its record: the next worker repeats the request
		// with the same RequestId, and eSMS does not send it again.
		crash, _ := svc.EnqueueNow(sys, sms("0377123456"))
		c, ok, err := w.ClaimOnly(sys)
		if !ok || err != nil {
			t.Fatal(ok, err)
		}
		gw := &notify.ESMSGateway{URL: s.Endpoint(), APIKey: "api-key-test", SecretKey: "secret-key-test", Brandname: "QUANGNGAI"}
		if _, err := (&notify.SMSSender{Gateway: gw}).SendRef(sys, c); err != nil {
			t.Fatal(err)
		}
		clk.add(w.Lease + time.Second)
		w.RunOnce(sys)
		if m, _ := svc.Find(sys, crash); m.Status != notify.Sent || m.Attempts != 2 {
			t.Fatalf("after the crash: %+v", m)
		}
		seen := map[string]int{}
		for _, g := range s.Got() {
			seen[g.Phone]++
		}
		if len(seen) != 3 || seen["0912345678"] != 1 || seen["0987654321"] != 1 || seen["0377123456"] != 1 {
			t.Errorf("deliveries %v", seen)
		}
	})
}

func TestNormalizePhone(t *testing.T) {
	good := map[string]string{
		"0912345678": "84912345678", "0912 345 678": "84912345678", "091.234.5678": "84912345678", "+84 912 345 678": "84912345678",
		"(+84) 912-345-678": "84912345678", "84912345678": "84912345678", "+84 0912345678": "84912345678", "0356789012": "84356789012",
		"0701234567": "84701234567", "0812345678": "84812345678", "0587654321": "84587654321",
	}
	for in, want := range good {
		if got, err := notify.NormalizePhone(in); got != want || err != nil {
			t.Errorf("NormalizePhone(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0241234567", "01234567890", "0912345", "09123456789", "+1 415 555 0100", "0912a45678", "84612345678",
		"0912345678; 0987654321", "++84912345678", "0012345678", strings.Repeat("9", 40), "٠٩١٢٣٤٥٦٧٨"} {
		if got, err := notify.NormalizePhone(in); err == nil {
			t.Errorf("NormalizePhone(%q) = %q, want an error", in, got)
		}
	}
	if notify.LocalPhone("84912345678") != "0912345678" {
		t.Error("LocalPhone")
	}
}

func TestSMSText(t *testing.T) {
	tpl, err := notify.ParseSMSTemplate("LanToa: {{.Body}}")
	if err != nil {
		t.Fatal(err)
	}
	s := &notify.SMSSender{Template: tpl}
	if got, _ := s.Text(notify.Message{Body: "Đồng chí  Đặng\nThị Hoà"}); got != "LanToa: Dong chi Dang Thi Hoa" {
		t.Errorf("text %q", got)
	}
	s.Unicode = true
	if got, _ := s.Text(notify.Message{Body: "Đặng Thị Hoà"}); got != "LanToa: Đặng Thị Hoà" {
		t.Errorf("unicode text %q", got)
	}
	if _, err := s.Text(notify.Message{Body: strings.Repeat("a", 700)}); notify.ReasonOf(err) != "sms.too_long" || !notify.IsPermanent(err) {
		t.Errorf("long text: %v", err)
	}
	if _, err := notify.ParseSMSTemplate("{{.Body"); err == nil {
		t.Error("a broken template parsed")
	}
	bad, _ := notify.ParseSMSTemplate("{{.Nope}}")
	if _, err := (&notify.SMSSender{Template: bad}).Text(notify.Message{Body: "x"}); !notify.IsPermanent(err) {
		t.Errorf("template with an unknown field: %v", err)
	}
}
