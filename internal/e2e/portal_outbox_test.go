package e2e

import (
	"context"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/app"
	"github.com/lantoa/lantoa/internal/notify"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
)

// TestServeDeliversOutbox runs the real server configured with an SMTP server and checks that the
// outbox worker `serve` starts delivers a report reminder queued in the database, with the site's
// unsubscribe link, and that the server still stops cleanly (the worker ends with it).
func TestServeDeliversOutbox(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var mu sync.Mutex
	var got []string
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				tp := textproto.NewConn(c)
				_ = tp.PrintfLine("220 e2e ESMTP")
				for {
					line, err := tp.ReadLine()
					if err != nil {
						return
					}
					switch strings.ToUpper(strings.SplitN(line, " ", 2)[0]) {
					case "EHLO", "HELO":
						_ = tp.PrintfLine("250 e2e")
					case "DATA":
						_ = tp.PrintfLine("354 go ahead")
						data, err := tp.ReadDotBytes()
						if err != nil {
							return
						}
						mu.Lock()
						got = append(got, string(data))
						mu.Unlock()
						_ = tp.PrintfLine("250 queued")
					case "QUIT":
						_ = tp.PrintfLine("221 bye")
						return
					default:
						_ = tp.PrintfLine("250 ok")
					}
				}
			}()
		}
	}()
	srv := StartServer(t, WithConfig(func(c *app.Config) {
		c.Notify.SMTPAddr = ln.Addr().String()
		c.Notify.SMTPFrom = "Lan Tỏa <no-reply@quangngai.gov.vn>"
		c.Notify.BaseURL = "https://lantoa.quangngai.gov.vn"
	}))
	ctx := authz.WithActor(context.Background(), authz.System)
	d, err := db.Open(ctx, srv.DB, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	svc := notify.NewService(d)
	id, err := svc.EnqueueNow(ctx, notify.Message{Kind: notify.ReportReminder, Channel: notify.Email, Recipient: "ubnd.bato@quangngai.gov.vn",
		Subject: "Nhắc nộp báo cáo", Body: "Đề nghị nộp báo cáo kết quả triển khai."})
	if err != nil {
		t.Fatal(err)
	}
	// The worker polls every few seconds (another process's commit cannot wake it).
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if m, _ := svc.Find(ctx, id); m.Status == notify.Sent {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	m, _ := svc.Find(ctx, id)
	if m.Status != notify.Sent {
		t.Fatalf("message not delivered by the server's worker: %+v", m)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || !strings.Contains(got[0], "List-Unsubscribe: <https://lantoa.quangngai.gov.vn/unsubscribe/") {
		t.Errorf("received %q", got)
	}
}
