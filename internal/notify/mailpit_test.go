package notify_test

import (
	"strings"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/notify"
	"github.com/lantoa/lantoa/internal/notify/notifytest"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
)

// The e-mail tests run against Mailpit, a real SMTP server (notifytest.StartMailpit).

// startMailpit refuses (550) recipients outside quangngai.gov.vn, as a province's mail server
// refuses unknown mailboxes.
func startMailpit(t *testing.T) *notifytest.Mailpit {
	return notifytest.StartMailpit(t, "--smtp-allowed-recipients", `@quangngai\.gov\.vn$`)
}

func TestEmailThroughMailpit(t *testing.T) {
	mp := startMailpit(t)
	d := dbtest.SQLite(t, schema.All())
	clk := &clock{t: time.Date(2026, 11, 20, 1, 0, 0, 0, time.UTC)}
	svc := notify.NewService(d)
	svc.Now = clk.now
	sender := &notify.SMTPSender{Addr: mp.SMTP, From: "Lan Tỏa <no-reply@quangngai.gov.vn>", Username: "lantoa", Password: "mật-khẩu-thử",
		BaseURL: "https://lantoa.test"}
	w := notify.NewWorker(svc, map[notify.Channel]notify.Sender{notify.Email: sender}, quiet())

	id, err := svc.EnqueueNow(sys, reminder("UBND.BaTo@quangngai.gov.vn"))
	if err != nil {
		t.Fatal(err)
	}
	w.RunOnce(sys)
	if m, _ := svc.Find(sys, id); m.Status != notify.Sent {
		t.Fatalf("message %+v", m)
	}
	list := mp.Messages(t)
	if len(list) != 1 {
		t.Fatalf("mailpit holds %d messages", len(list))
	}
	var full notifytest.Mail
	mp.Get(t, "/api/v1/message/"+list[0].ID, &full)
	if full.Subject != "Nhắc nộp báo cáo tuần 48" || full.From.Address != "no-reply@quangngai.gov.vn" || full.From.Name != "Lan Tỏa" ||
		len(full.To) != 1 || full.To[0].Address != "ubnd.bato@quangngai.gov.vn" {
		t.Errorf("message %+v", full)
	}
	if !strings.Contains(full.Text, "Đề nghị nộp báo cáo tiến độ tuần 48 trước 17 giờ thứ Sáu.") || !strings.Contains(full.Text, "https://lantoa.test/reports/48") ||
		!strings.Contains(full.Text, "https://lantoa.test/unsubscribe/") {
		t.Errorf("text %q", full.Text)
	}
	var headers map[string][]string
	mp.Get(t, "/api/v1/message/"+list[0].ID+"/headers", &headers)
	if u := headers["List-Unsubscribe"]; len(u) != 1 || !strings.HasPrefix(u[0], "<https://lantoa.test/unsubscribe/") ||
		len(headers["List-Unsubscribe-Post"]) != 1 || headers["Auto-Submitted"][0] != "auto-generated" {
		t.Errorf("headers %v", headers)
	}

	// A mailbox the server refuses (550) fails for good, with its reason.
	refused, _ := svc.EnqueueNow(sys, reminder("ai.do@example.com"))
	w.RunOnce(sys)
	if m, _ := svc.Find(sys, refused); m.Status != notify.Failed || m.LastReason != "email.rejected" || !strings.Contains(m.LastError, "550") {
		t.Errorf("refused recipient: %+v", m)
	}

	// The mail server is down: the message waits, is tried again when it is back, and arrives once.
	mp.Stop()
	later, _ := svc.EnqueueNow(sys, reminder("xa.bato@quangngai.gov.vn"))
	w.RunOnce(sys)
	if m, _ := svc.Find(sys, later); m.Status != notify.Pending || m.LastReason != notify.ReasonUnreachable {
		t.Fatalf("while down: %+v", m)
	}
	mp.Start(t)
	clk.add(notify.Backoff[0])
	w.RunOnce(sys)
	if m, _ := svc.Find(sys, later); m.Status != notify.Sent || m.Attempts != 2 {
		t.Errorf("after the outage: %+v", m)
	}
	n := 0
	for _, m := range mp.Messages(t) {
		if m.To[0].Address == "xa.bato@quangngai.gov.vn" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("delivered %d times", n)
	}
}
