package notify_test

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/mail"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/notify"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
)

// smtpServer is a tiny in-process SMTP server (RFC 5321 subset: EHLO, MAIL, RCPT, DATA, RSET,
// NOOP, QUIT) that keeps what it receives. failRcpt makes the next n RCPT commands fail with a
// temporary 451; reject lists addresses refused with 550.
type smtpServer struct {
	ln       net.Listener
	mu       sync.Mutex
	received []received
	failRcpt int
	reject   map[string]bool
	// hangUp closes the connection at QUIT without answering, after the message was queued.
	hangUp bool
}

type received struct {
	From, To string
	Data     []byte
}

func startSMTP(t *testing.T) *smtpServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpServer{ln: ln, reject: map[string]bool{}}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

func (s *smtpServer) serve(c net.Conn) {
	defer c.Close()
	tp := textproto.NewConn(c)
	_ = tp.PrintfLine("220 test.local ESMTP")
	var from, to string
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
		arg := strings.TrimSpace(strings.TrimPrefix(line, line[:len(verb)]))
		switch verb {
		case "EHLO", "HELO":
			_ = tp.PrintfLine("250-test.local\r\n250 8BITMIME")
		case "MAIL":
			from = angle(arg)
			_ = tp.PrintfLine("250 ok")
		case "RCPT":
			addr := angle(arg)
			s.mu.Lock()
			fail, rej := s.failRcpt > 0, s.reject[addr]
			if fail {
				s.failRcpt--
			}
			s.mu.Unlock()
			switch {
			case rej:
				_ = tp.PrintfLine("550 5.1.1 no such user")
			case fail:
				_ = tp.PrintfLine("451 4.3.0 try again later")
			default:
				to = addr
				_ = tp.PrintfLine("250 ok")
			}
		case "DATA":
			_ = tp.PrintfLine("354 go ahead")
			data, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.received = append(s.received, received{From: from, To: to, Data: data})
			s.mu.Unlock()
			_ = tp.PrintfLine("250 queued")
		case "RSET", "NOOP":
			_ = tp.PrintfLine("250 ok")
		case "QUIT":
			s.mu.Lock()
			hang := s.hangUp
			s.mu.Unlock()
			if !hang {
				_ = tp.PrintfLine("221 bye")
			}
			return
		default:
			_ = tp.PrintfLine("502 unknown command")
		}
	}
}

func (s *smtpServer) got() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.received...)
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func setup(t *testing.T, d *db.DB, srv *smtpServer) (*notify.Service, *notify.Worker, *clock) {
	clk := &clock{t: time.Date(2026, 11, 20, 1, 0, 0, 0, time.UTC)}
	svc := notify.NewService(d)
	svc.Now = clk.now
	sender := &notify.SMTPSender{Addr: srv.ln.Addr().String(), From: "Lan Tỏa <no-reply@quangngai.gov.vn>", BaseURL: "https://lantoa.test"}
	w := notify.NewWorker(svc, map[notify.Channel]notify.Sender{notify.Email: sender}, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})))
	return svc, w, clk
}

var sys = authz.WithActor(context.Background(), authz.System)

func reminder(to string) notify.Message {
	return notify.Message{Kind: notify.ReportReminder, Channel: notify.Email, Recipient: to,
		Subject: "Nhắc nộp báo cáo tuần 48", Body: "Kính gửi UBND xã Ba Tơ,\nĐề nghị nộp báo cáo tiến độ tuần 48 trước 17 giờ thứ Sáu.",
		Link: "https://lantoa.test/reports/48"}
}

func TestReminderDeliveredBySMTP(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		srv := startSMTP(t)
		svc, w, _ := setup(t, d, srv)
		var id int64
		// Queued inside the caller's transaction, as the reports module does.
		err := d.WriteTx(sys, func(tx *db.Tx) error {
			var err error
			id, err = svc.Enqueue(sys, tx, reminder("UBND.BaTo@quangngai.gov.vn"))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		n, err := w.RunOnce(sys)
		if err != nil || n != 1 {
			t.Fatalf("RunOnce = %d, %v", n, err)
		}
		got := srv.got()
		if len(got) != 1 {
			t.Fatalf("server received %d messages", len(got))
		}
		if got[0].To != "ubnd.bato@quangngai.gov.vn" || got[0].From != "no-reply@quangngai.gov.vn" {
			t.Errorf("envelope %s → %s", got[0].From, got[0].To)
		}
		msg, err := mail.ReadMessage(strings.NewReader(string(got[0].Data)))
		if err != nil {
			t.Fatal(err)
		}
		subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
		if subject != "Nhắc nộp báo cáo tuần 48" {
			t.Errorf("subject %q", subject)
		}
		body, _ := io.ReadAll(msg.Body)
		raw, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(string(body), "\r\n", ""))
		if err != nil || !strings.Contains(string(raw), "báo cáo tiến độ tuần 48") || !strings.Contains(string(raw), "https://lantoa.test/unsubscribe/") {
			t.Errorf("body %q %v", raw, err)
		}
		if !strings.HasPrefix(msg.Header.Get("List-Unsubscribe"), "<https://lantoa.test/unsubscribe/") {
			t.Errorf("List-Unsubscribe %q", msg.Header.Get("List-Unsubscribe"))
		}
		m, _ := svc.Find(sys, id)
		if m.Status != notify.Sent || m.Attempts != 1 || m.SentAt.IsZero() {
			t.Errorf("message after delivery: %+v", m)
		}
		at, _ := svc.Attempts(sys, id)
		if len(at) != 1 || !at[0].OK {
			t.Errorf("attempts %+v", at)
		}
		// Nothing more is due: a second pass sends nothing again.
		if n, _ := w.RunOnce(sys); n != 0 || len(srv.got()) != 1 {
			t.Errorf("second pass sent %d", n)
		}
	})
}

func TestFailedDeliveryRetriedAndRecorded(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		srv := startSMTP(t)
		srv.failRcpt = 2
		svc, w, clk := setup(t, d, srv)
		id, err := svc.EnqueueNow(sys, reminder("xa.bato@quangngai.gov.vn"))
		if err != nil {
			t.Fatal(err)
		}
		if n, err := w.RunOnce(sys); err != nil || n != 1 {
			t.Fatalf("first pass %d %v", n, err)
		}
		m, _ := svc.Find(sys, id)
		if m.Status != notify.Pending || m.Attempts != 1 || !strings.Contains(m.LastError, "451") {
			t.Fatalf("after a temporary failure: %+v", m)
		}
		if !m.NextAttemptAt.Equal(clk.now().Add(notify.Backoff[0])) {
			t.Errorf("next attempt at %v", m.NextAttemptAt)
		}
		// Not due yet: nothing happens.
		if n, _ := w.RunOnce(sys); n != 0 {
			t.Fatalf("retried before its time")
		}
		clk.add(notify.Backoff[0])
		w.RunOnce(sys)
		clk.add(notify.Backoff[1])
		w.RunOnce(sys)
		m, _ = svc.Find(sys, id)
		if m.Status != notify.Sent || m.Attempts != 3 {
			t.Fatalf("after retries: %+v", m)
		}
		at, _ := svc.Attempts(sys, id)
		if len(at) != 3 || at[0].OK || at[1].OK || !at[2].OK || !strings.Contains(at[0].Error, "451") || at[2].Attempt != 3 {
			t.Errorf("attempts %+v", at)
		}
		if len(srv.got()) != 1 {
			t.Errorf("delivered %d times", len(srv.got()))
		}
	})
}

func TestPermanentFailureAndExhaustion(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		srv := startSMTP(t)
		srv.reject["khong.co@quangngai.gov.vn"] = true
		svc, w, clk := setup(t, d, srv)
		id, _ := svc.EnqueueNow(sys, reminder("khong.co@quangngai.gov.vn"))
		w.RunOnce(sys)
		m, _ := svc.Find(sys, id)
		if m.Status != notify.Failed || m.Attempts != 1 || !strings.Contains(m.LastError, "550") {
			t.Fatalf("550 should fail at once: %+v", m)
		}
		// A server that is down: retried MaxAttempts times, then failed.
		srv.ln.Close()
		id2, _ := svc.EnqueueNow(sys, reminder("ubnd@quangngai.gov.vn"))
		for range notify.MaxAttempts + 2 {
			w.RunOnce(sys)
			clk.add(24 * time.Hour)
		}
		m, _ = svc.Find(sys, id2)
		if m.Status != notify.Failed || m.Attempts != notify.MaxAttempts {
			t.Fatalf("exhausted: %+v", m)
		}
		at, _ := svc.Attempts(sys, id2)
		if len(at) != notify.MaxAttempts {
			t.Errorf("%d attempts recorded", len(at))
		}
		// An administrator may ask for one more try.
		if err := svc.Retry(sys, id2); err != nil {
			t.Fatal(err)
		}
		if err := svc.Retry(sys, id2); apperr.KindOf(err) != apperr.Conflict {
			t.Errorf("retry of a pending message: %v", err)
		}
	})
}

func TestClaimIsExclusiveAcrossWorkers(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		svc := notify.NewService(d)
		var mu sync.Mutex
		count := map[int64]int{}
		rec := senderFunc(func(_ context.Context, m notify.Message) error {
			mu.Lock()
			count[m.ID]++
			mu.Unlock()
			return nil
		})
		const total = 40
		for i := range total {
			m := reminder("a@b.vn")
			m.Channel, m.Recipient = notify.SMS, "09000000"+string(rune('0'+i%10))
			if _, err := svc.EnqueueNow(sys, m); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		for range 4 {
			w := notify.NewWorker(svc, map[notify.Channel]notify.Sender{notify.SMS: rec}, nil)
			wg.Go(func() {
				if _, err := w.RunOnce(sys); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if len(count) != total {
			t.Fatalf("%d of %d messages sent", len(count), total)
		}
		for id, n := range count {
			if n != 1 {
				t.Errorf("message %d sent %d times", id, n)
			}
		}
	})
}

func TestPreferencesAndUnsubscribe(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		svc := notify.NewService(d)
		var uid int64
		err := d.WriteTx(sys, func(tx *db.Tx) error {
			var err error
			uid, err = tx.InsertID(sys, `INSERT INTO users (username, display_name, email, search_key, password_hash, created_at, updated_at)
				VALUES ('gv.bato', 'GV', 'gv@bato.vn', 'gv', 'x', 1, 1) RETURNING id`)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		userCtx := authz.WithActor(context.Background(), &authz.Actor{UserID: uid, Username: "gv.bato"})
		if err := svc.SetPrefs(userCtx, []notify.Pref{{Kind: notify.ExamSchedule, Channel: notify.Email, Enabled: false}}); err != nil {
			t.Fatal(err)
		}
		if err := svc.SetPrefs(userCtx, []notify.Pref{{Kind: notify.AccountInvitation, Channel: notify.Email}}); apperr.KindOf(err) != apperr.Invalid {
			t.Errorf("a mandatory kind cannot be turned off: %v", err)
		}
		if _, err := svc.Prefs(context.Background()); apperr.KindOf(err) != apperr.Unauthenticated {
			t.Errorf("anonymous prefs: %v", err)
		}
		exam := notify.Message{Kind: notify.ExamSchedule, Channel: notify.Email, Recipient: "gv@bato.vn", UserID: uid, Subject: "Lịch thi", Body: "Thi ngày 1/12"}
		id, _ := svc.EnqueueNow(sys, exam)
		if m, _ := svc.Find(sys, id); m.Status != notify.Suppressed {
			t.Errorf("opted-out kind queued as %s", m.Status)
		}
		// Unsubscribe by link: later reminders to that address are suppressed, invitations are not.
		rid, _ := svc.EnqueueNow(sys, reminder("gv@bato.vn"))
		r, _ := svc.Find(sys, rid)
		pendingID, _ := svc.EnqueueNow(sys, notify.Message{Kind: notify.ReportReminder, Channel: notify.Email, Recipient: "gv@bato.vn", Subject: "Nhắc lần 2", Body: "x", NotBefore: time.Now().Add(time.Hour)})
		if _, err := svc.Unsubscribe(context.Background(), r.UnsubscribeToken, false); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Unsubscribe(context.Background(), r.UnsubscribeToken, false); err != nil {
			t.Errorf("repeat unsubscribe: %v", err)
		}
		if m, _ := svc.Find(sys, pendingID); m.Status != notify.Suppressed {
			t.Errorf("waiting reminder after unsubscribe: %s", m.Status)
		}
		id, _ = svc.EnqueueNow(sys, reminder("GV@bato.vn"))
		if m, _ := svc.Find(sys, id); m.Status != notify.Suppressed {
			t.Errorf("reminder after unsubscribe: %s", m.Status)
		}
		inv, _ := svc.EnqueueNow(sys, notify.Message{Kind: notify.AccountInvitation, Channel: notify.Email, Recipient: "gv@bato.vn", Subject: "Tài khoản", Body: "x"})
		if m, _ := svc.Find(sys, inv); m.Status != notify.Pending {
			t.Errorf("invitation after unsubscribe: %s", m.Status)
		}
		if _, err := svc.Unsubscribe(context.Background(), "no-such-token", false); apperr.KindOf(err) != apperr.NotFound {
			t.Errorf("bad token: %v", err)
		}
	})
}

func TestEnqueueValidatesAndDedupes(t *testing.T) {
	d := dbtest.SQLite(t, schema.All())
	svc := notify.NewService(d)
	bad := []notify.Message{
		{Kind: "spam", Channel: notify.Email, Recipient: "a@b.vn", Subject: "s", Body: "b"},
		{Kind: notify.General, Channel: "fax", Recipient: "a@b.vn", Subject: "s", Body: "b"},
		{Kind: notify.General, Channel: notify.Email, Recipient: "a@b.vn\r\nBcc: x@y.z", Subject: "s", Body: "b"},
		{Kind: notify.General, Channel: notify.Email, Recipient: "not-an-address", Subject: "s", Body: "b"},
		{Kind: notify.General, Channel: notify.Email, Recipient: "a@b.vn", Subject: "s\r\nBcc: x@y.z", Body: "b"},
		{Kind: notify.General, Channel: notify.Email, Recipient: "a@b.vn", Subject: "", Body: "b"},
		{Kind: notify.General, Channel: notify.Email, Recipient: "a@b.vn", Subject: "s", Body: strings.Repeat("x", notify.MaxBodyLen+1)},
		{Kind: notify.General, Channel: notify.SMS, Recipient: "0905", Body: "b", Link: "javascript:alert(1)"},
	}
	for i, m := range bad {
		if _, err := svc.EnqueueNow(sys, m); apperr.KindOf(err) != apperr.Invalid {
			t.Errorf("case %d: %v", i, err)
		}
	}
	m := reminder("a@b.vn")
	m.DedupeKey = "report_reminder:2026-W48:535"
	a, err := svc.EnqueueNow(sys, m)
	if err != nil {
		t.Fatal(err)
	}
	b, err := svc.EnqueueNow(sys, m)
	if err != nil || a != b {
		t.Errorf("replay queued again: %d %d %v", a, b, err)
	}
	// A message queued in a transaction that rolls back does not exist.
	m.DedupeKey = ""
	_ = d.WriteTx(sys, func(tx *db.Tx) error {
		if _, err := svc.Enqueue(sys, tx, m); err != nil {
			return err
		}
		return errors.New("the caller's change failed")
	})
	if c, _ := svc.Counts(sys); c[notify.Pending] != 1 {
		t.Errorf("pending after rollback: %v", c)
	}
}

func TestFileSender(t *testing.T) {
	d := dbtest.SQLite(t, schema.All())
	svc := notify.NewService(d)
	path := filepath.Join(t.TempDir(), "outbox", "zalo.jsonl")
	w := notify.NewWorker(svc, map[notify.Channel]notify.Sender{notify.Zalo: &notify.FileSender{Path: path}}, nil)
	if _, err := svc.EnqueueNow(sys, notify.Message{Kind: notify.ReadinessChaser, Channel: notify.Zalo, Recipient: "zalo-uid-123", Body: "Tổ công nghệ số thôn Gò Khế chưa báo cáo sẵn sàng"}); err != nil {
		t.Fatal(err)
	}
	// A message for a channel without a sender fails for good rather than looping.
	id, _ := svc.EnqueueNow(sys, notify.Message{Kind: notify.General, Channel: notify.SMS, Recipient: "0905000000", Body: "x"})
	w.RunOnce(sys)
	data, err := os.ReadFile(path)
	if err != nil || !strings.Contains(string(data), "Gò Khế") || !strings.Contains(string(data), `"recipient":"zalo-uid-123"`) {
		t.Fatalf("file: %s %v", data, err)
	}
	if m, _ := svc.Find(sys, id); m.Status != notify.Failed {
		t.Errorf("no-sender message: %s", m.Status)
	}
}

type senderFunc func(context.Context, notify.Message) error

func (f senderFunc) Send(ctx context.Context, m notify.Message) error { return f(ctx, m) }

// angle returns the address between < and > of a MAIL or RCPT argument.
func angle(arg string) string {
	i, j := strings.Index(arg, "<"), strings.Index(arg, ">")
	if i < 0 || j < i {
		return ""
	}
	return arg[i+1 : j]
}

// TestQueuedMailNotSentAgainWhenQuitFails: once the server answered 250 to the end of DATA the
// message is queued; a connection lost at QUIT must not make the worker send it a second time.
func TestQueuedMailNotSentAgainWhenQuitFails(t *testing.T) {
	d := dbtest.SQLite(t, schema.All())
	srv := startSMTP(t)
	srv.mu.Lock()
	srv.hangUp = true
	srv.mu.Unlock()
	svc, w, clk := setup(t, d, srv)
	id, _ := svc.EnqueueNow(sys, reminder("xa.bato@quangngai.gov.vn"))
	w.RunOnce(sys)
	clk.add(time.Hour)
	w.RunOnce(sys)
	if m, _ := svc.Find(sys, id); m.Status != notify.Sent || m.Attempts != 1 {
		t.Errorf("message %+v", m)
	}
	if n := len(srv.got()); n != 1 {
		t.Errorf("delivered %d times", n)
	}
}
