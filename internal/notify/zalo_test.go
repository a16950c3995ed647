package notify_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/notify"
	"github.com/lantoa/lantoa/internal/notify/notifytest"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func zaloAuth(z *notifytest.Zalo, d *db.DB, clk *clock) *notify.ZaloAuth {
	return &notify.ZaloAuth{DB: d, AppID: z.AppID, SecretKey: z.Secret, Bootstrap: "rt-bootstrap", URL: z.URL + "/v4/oa/access_token", Now: clk.now}
}

func zaloSetup(t *testing.T, d *db.DB, z *notifytest.Zalo) (*notify.Service, *notify.Worker, *clock, *notify.ZaloSender) {
	clk := &clock{t: time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)}
	svc := notify.NewService(d)
	svc.Now = clk.now
	zs := &notify.ZaloSender{Auth: zaloAuth(z, d, clk), CSURL: z.URL + "/v3.0/oa/message/cs", ZNSURL: z.URL + "/message/template",
		Templates: map[notify.Kind]string{notify.AccountInvitation: "231677", notify.ReportReminder: "300100"}}
	w := notify.NewWorker(svc, map[notify.Channel]notify.Sender{notify.Zalo: zs}, quiet())
	w.SendTimeout = 2 * time.Second
	return svc, w, clk, zs
}

func zaloOTP(phone string) notify.Message {
	return notify.Message{Kind: notify.AccountInvitation, Channel: notify.Zalo, Recipient: phone, Body: "Mã đăng nhập Lan Tỏa của bạn: 482913",
		TemplateData: map[string]string{"otp": "482913"}}
}

func TestZaloExpiredTokenRefreshedAndSentOnce(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		z := notifytest.StartZalo(t)
		svc, w, clk, _ := zaloSetup(t, d, z)
		first, err := svc.EnqueueNow(sys, zaloOTP("0912.345.678"))
		if err != nil {
			t.Fatal(err)
		}
		if n, err := w.RunOnce(sys); n != 1 || err != nil {
			t.Fatalf("RunOnce %d %v", n, err)
		}
		m, _ := svc.Find(sys, first)
		if m.Status != notify.Sent || m.ProviderRef != "zns-1" {
			t.Fatalf("first message: %+v", m)
		}
		got := z.Got()
		if len(got) != 1 || got[0].To != "84912345678" || got[0].Template != "231677" || got[0].Data["otp"] != "482913" || got[0].Tracking != notify.RequestID(m) {
			t.Fatalf("delivered %+v", got)
		}
		// Zalo stops honouring the token before the time it gave: the send is refused (-124), the
		// token refreshed with the stored refresh token, and the message sent once.
		z.Expire()
		clk.add(time.Hour)
		m2 := reminder("x")
		m2.Channel, m2.Recipient = notify.Zalo, "84987654321"
		second, _ := svc.EnqueueNow(sys, m2)
		w.RunOnce(sys)
		if m, _ := svc.Find(sys, second); m.Status != notify.Sent || m.Attempts != 1 {
			t.Fatalf("after the refresh: %+v", m)
		}
		got = z.Got()
		if len(got) != 2 || got[1].Data["subject"] != m2.Subject || got[1].Data["link"] != m2.Link || !strings.Contains(got[1].Data["content"], "tuần 48") {
			t.Fatalf("delivered %+v", got)
		}
		if z.RefreshCount() != 2 {
			t.Errorf("%d refreshes, want 2 (bootstrap, then after -124)", z.RefreshCount())
		}
		// The rotated refresh token is stored: another instance over the same database uses the
		// stored access token without refreshing, and refreshes with the newest refresh token.
		other := zaloAuth(z, d, clk)
		other.Bootstrap = "rt-bootstrap"
		tok, _, err := other.Token(sys)
		if err != nil || tok != "at-2" || z.RefreshCount() != 2 {
			t.Fatalf("other instance: %q %v (%d refreshes)", tok, err, z.RefreshCount())
		}
		clk.add(25 * time.Hour)
		if tok, _, err := other.Token(sys); err != nil || tok != "at-3" {
			t.Fatalf("after expiry: %q %v", tok, err)
		}
	})
}

func TestZaloRefreshSpendsTheTokenOnceAcrossInstances(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		z := notifytest.StartZalo(t)
		clk := &clock{t: time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)}
		z.Set(func() { z.Slow = 300 * time.Millisecond })
		var wg sync.WaitGroup
		toks := make([]string, 4)
		for i := range toks {
			a := zaloAuth(z, d, clk)
			wg.Go(func() {
				ctx, cancel := context.WithTimeout(sys, 10*time.Second)
				defer cancel()
				tok, _, err := a.Token(ctx)
				if err != nil {
					t.Error(err)
				}
				toks[i] = tok
			})
		}
		wg.Wait()
		if z.RefreshCount() != 1 {
			t.Errorf("%d refreshes for 4 instances, want 1", z.RefreshCount())
		}
		for _, tok := range toks {
			if tok != "at-1" {
				t.Errorf("tokens %v", toks)
				break
			}
		}
		// The operator authorises the OA again and gives a new refresh token: it replaces the
		// stored chain at the next use.
		z.Set(func() { z.Refresh = "rt-again" })
		z.Expire()
		a := zaloAuth(z, d, clk)
		a.Bootstrap = "rt-again"
		if tok, _, err := a.Token(sys); err != nil || tok != "at-2" {
			t.Fatalf("after a new bootstrap token: %q %v", tok, err)
		}
	})
}

func TestZaloPermanentFailuresShownNotRetried(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		z := notifytest.StartZalo(t)
		z.Set(func() {
			z.Answers["84912000111"] = -139         // the user refused the OA's notifications
			z.Answers["84912000222"] = -118         // no Zalo account on the number
			z.Answers["7391234567890123456"] = -213 // not a follower
		})
		svc, w, clk, _ := zaloSetup(t, d, z)
		cases := map[string]string{
			"0912000111":          "zalo.blocked",
			"+84912000222":        "zalo.no_account",
			"7391234567890123456": "zalo.not_follower",
			"0241234567":          "zalo.invalid_phone", // a Hà Nội landline: no Zalo notification
		}
		ids := map[string]int64{}
		for to := range cases {
			m := zaloOTP(to)
			if to == "7391234567890123456" {
				m.TemplateData = nil
			}
			id, err := svc.EnqueueNow(sys, m)
			if err != nil {
				t.Fatal(err)
			}
			ids[to] = id
		}
		noTemplate, _ := svc.EnqueueNow(sys, notify.Message{Kind: notify.ExamSchedule, Channel: notify.Zalo, Recipient: "0912345678", Body: "Lịch thi"})
		w.RunOnce(sys)
		clk.add(24 * time.Hour)
		if n, _ := w.RunOnce(sys); n != 0 {
			t.Errorf("%d permanent failures tried again", n)
		}
		for to, reason := range cases {
			m, _ := svc.Find(sys, ids[to])
			if m.Status != notify.Failed || m.Attempts != 1 || m.LastReason != reason {
				t.Errorf("%s: %s after %d attempts, reason %q (%s)", to, m.Status, m.Attempts, m.LastReason, m.LastError)
			}
		}
		if m, _ := svc.Find(sys, noTemplate); m.Status != notify.Failed || m.LastReason != "zalo.no_template" {
			t.Errorf("kind without a template: %+v", m)
		}
		if len(z.Got()) != 0 {
			t.Errorf("delivered %+v", z.Got())
		}
	})
}

func TestZaloRateLimitAndOutageWaitThenSendOnce(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		z := notifytest.StartZalo(t)
		svc, w, clk, _ := zaloSetup(t, d, z)
		z.Set(func() { z.Limited = 1 })
		id, _ := svc.EnqueueNow(sys, zaloOTP("0987654321"))
		w.RunOnce(sys)
		m, _ := svc.Find(sys, id)
		if m.Status != notify.Pending || m.LastReason != notify.ReasonRateLimited || m.NextAttemptAt.Before(clk.now().Add(time.Minute)) {
			t.Fatalf("after -32: %+v", m)
		}
		// Zalo is down for two attempts (503), then answers.
		z.Set(func() { z.Down = 2 })
		for range 3 {
			clk.add(3 * time.Hour)
			w.RunOnce(sys)
		}
		m, _ = svc.Find(sys, id)
		if m.Status != notify.Sent || m.Attempts != 4 {
			t.Fatalf("after the outage: %+v", m)
		}
		at, _ := svc.Attempts(sys, id)
		if len(at) != 4 || !strings.Contains(at[1].Error, "503") || !at[3].OK {
			t.Errorf("attempts %+v", at)
		}
		if n := len(z.Got()); n != 1 {
			t.Errorf("delivered %d times", n)
		}
	})
}

func TestZaloLostAnswerNotRepeated(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		z := notifytest.StartZalo(t)
		svc, w, clk, _ := zaloSetup(t, d, z)
		w.SendTimeout = 300 * time.Millisecond
		z.Set(func() { z.Hang = true })
		id, _ := svc.EnqueueNow(sys, zaloOTP("0912345678"))
		w.RunOnce(sys)
		m, _ := svc.Find(sys, id)
		if m.Status != notify.Failed || m.LastReason != notify.ReasonOutcomeUnknown {
			t.Fatalf("after a lost answer: %+v", m)
		}
		clk.add(24 * time.Hour)
		w.RunOnce(sys)
		if n := len(z.Got()); n != 1 {
			t.Errorf("delivered %d times", n)
		}

		// A worker that stops between the send and its record: the next claim finds the open
		// attempt and does not send again through Zalo, which cannot recognise a repeat.
		z.Set(func() { z.Hang = false })
		id2, _ := svc.EnqueueNow(sys, zaloOTP("0912345679"))
		if _, ok, err := w.ClaimOnly(sys); !ok || err != nil {
			t.Fatal(ok, err)
		}
		clk.add(w.Lease + time.Second)
		w.RunOnce(sys)
		m, _ = svc.Find(sys, id2)
		at, _ := svc.Attempts(sys, id2)
		if m.Status != notify.Failed || m.LastReason != notify.ReasonOutcomeUnknown || len(at) != 2 || !strings.Contains(at[0].Error, "outcome unknown") {
			t.Errorf("after a lost worker: %+v %+v", m, at)
		}
		if n := len(z.Got()); n != 1 {
			t.Errorf("delivered %d messages", n)
		}
		// An administrator who checked with the recipient sends it again by hand.
		if err := svc.Retry(sys, id2); err != nil {
			t.Fatal(err)
		}
		w.RunOnce(sys)
		if m, _ := svc.Find(sys, id2); m.Status != notify.Sent {
			t.Errorf("after Gửi lại: %+v", m)
		}
	})
}

func TestZaloFollowerTextAndDailyQuota(t *testing.T) {
	d := dbtest.SQLite(t, schema.All())
	z := notifytest.StartZalo(t)
	svc, w, clk, _ := zaloSetup(t, d, z)
	// A follower of the OA, by the user id Zalo gave them: a customer-service text with the
	// subject, the body and the link.
	m := reminder("x")
	m.Channel, m.Recipient = notify.Zalo, "7391234567890123456"
	id, _ := svc.EnqueueNow(sys, m)
	w.RunOnce(sys)
	if got, _ := svc.Find(sys, id); got.Status != notify.Sent || got.ProviderRef != "cs-1" {
		t.Fatalf("follower text: %+v", got)
	}
	got := z.Got()
	if len(got) != 1 || got[0].Endpoint != "cs" || got[0].Text != m.Subject+"\n\n"+m.Body+"\n\n"+m.Link {
		t.Fatalf("delivered %+v", got)
	}
	// The OA's daily quota is used up (-144) at 20:00 in Vietnam: the message waits until 06:00.
	clk.add(5 * time.Hour) // 13:00 UTC = 20:00 ICT
	z.Set(func() { z.Answers["84912345678"] = -144 })
	quota, _ := svc.EnqueueNow(sys, zaloOTP("0912345678"))
	w.RunOnce(sys)
	q, _ := svc.Find(sys, quota)
	if want := time.Date(2026, 11, 20, 23, 0, 0, 0, time.UTC); q.Status != notify.Pending || q.LastReason != "zalo.quota" || !q.NextAttemptAt.Equal(want) {
		t.Errorf("after -144: %s %q next %v, want %v", q.Status, q.LastReason, q.NextAttemptAt, want)
	}
	// Too long for an OA text: refused before Zalo, for good.
	long := m
	long.Body = strings.Repeat("Đề nghị nộp báo cáo. ", 120)
	lid, _ := svc.EnqueueNow(sys, long)
	w.RunOnce(sys)
	if l, _ := svc.Find(sys, lid); l.Status != notify.Failed || l.LastReason != "zalo.too_long" {
		t.Errorf("long text: %+v", l)
	}
}

func TestTemplateDataValidatedAndKept(t *testing.T) {
	d := dbtest.SQLite(t, schema.All())
	svc := notify.NewService(d)
	many := map[string]string{}
	for i := range 21 {
		many[fmt.Sprintf("p%d", i)] = "x"
	}
	for i, data := range []map[string]string{many, {"": "x"}, {strings.Repeat("k", 65): "x"}, {"otp": strings.Repeat("9", 1001)}, {"otp": "\xff"}} {
		m := zaloOTP("0912345678")
		m.TemplateData = data
		if _, err := svc.EnqueueNow(sys, m); apperr.KindOf(err) != apperr.Invalid {
			t.Errorf("case %d: %v", i, err)
		}
	}
	id, err := svc.EnqueueNow(sys, zaloOTP("0912345678"))
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := svc.Find(sys, id); m.TemplateData["otp"] != "482913" || len(m.TemplateData) != 1 {
		t.Errorf("template data read back %v", m.TemplateData)
	}
	// EnqueueMany keeps it too.
	err = d.WriteTx(sys, func(tx *db.Tx) error {
		m := zaloOTP("0987654321")
		m.TemplateData = map[string]string{"otp": "100200"}
		_, err := svc.EnqueueMany(sys, tx, []notify.Message{m})
		return err
	})
	list, _ := svc.List(sys, notify.Filter{})
	if err != nil || len(list) != 2 || list[0].TemplateData["otp"] != "100200" {
		t.Errorf("EnqueueMany: %v %+v", err, list)
	}
}
