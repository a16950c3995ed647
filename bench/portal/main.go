// Command portal measures the figures of issue 7 (public portal and notifications):
//
//  1. the public home page (GET /, anonymous: live figures and latest news) and the feed
//     (GET /feed.xml) over HTTP on 127.0.0.1, with 50 published posts, beside a baseline measured
//     in the same run: the home page with the figures cache switched off (TTL 0, every request
//     counts units, organisations and users afresh);
//  2. outbox delivery: messages per second from the outbox to an in-process SMTP server on
//     127.0.0.1 (claim, SMTP dialogue, attempt record, status), with 1 and with 4 workers over one
//     database, beside a baseline in the same run: the same SMTP sends made directly, without the
//     outbox.
//
// Run it from the module root:
//
//	go run ./bench/portal -engine sqlite
//	LANTOA_BENCH_POSTGRES_URL='postgres://postgres@127.0.0.1:5432/test?sslmode=disable' go run ./bench/portal -engine postgres
//
// Every figure is the median of -runs runs (min–max).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lantoa/lantoa/bench/internal/benchkit"
	"github.com/lantoa/lantoa/internal/app"
	"github.com/lantoa/lantoa/internal/notify"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/portal"
	"github.com/lantoa/lantoa/internal/schema"
)

func main() {
	engine := flag.String("engine", "sqlite", "sqlite or postgres (LANTOA_BENCH_POSTGRES_URL)")
	requests := flag.Int("requests", 2000, "HTTP requests per page and run")
	conc := flag.Int("c", 8, "concurrent HTTP clients")
	messages := flag.Int("messages", 300, "messages per outbox run")
	runs := flag.Int("runs", 3, "runs per figure")
	flag.Parse()
	ctx := authz.WithActor(context.Background(), authz.System)
	d := openDB(ctx, *engine)
	defer d.Close()

	// The server as serve builds it, and a second one over the same database whose headline
	// figures are counted afresh on every request: the baseline of the figures' cache.
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	cached, err := app.Build(ctx, app.BuildConfig{DB: d, Logger: quiet})
	if err != nil {
		log.Fatal(err)
	}
	defer cached.Close()
	uncached, err := app.Build(ctx, app.BuildConfig{DB: d, Logger: quiet, FreshFigures: true})
	if err != nil {
		log.Fatal(err)
	}
	defer uncached.Close()
	ps := cached.Portal
	for i := range 50 {
		if _, err := ps.CreatePost(ctx, portal.PostInput{Province: "51", Title: fmt.Sprintf("Tin số %d về Phong trào chuyển đổi số", i),
			BodyHTML: strings.Repeat("<p>Các tổ công nghệ số cộng đồng hướng dẫn người dân cài đặt VNeID, thanh toán không dùng tiền mặt.</p>", 8)}); err != nil {
			log.Fatal(err)
		}
	}
	withCache, noCache := httptest.NewServer(cached.Web), httptest.NewServer(uncached.Web)
	defer withCache.Close()
	defer noCache.Close()

	fmt.Printf("## Portal and outbox (engine %s, %d requests × %d clients, %d messages, median of %d runs)\n\n", *engine, *requests, *conc, *messages, *runs)
	fmt.Println("| Measure | Median | Min–max |")
	fmt.Println("| --- | --- | --- |")
	row := func(name string, unit string, xs []float64) {
		med, lo, hi := benchkit.UpperMedian(xs)
		fmt.Printf("| %s | %.0f %s | %.0f–%.0f |\n", name, med, unit, lo, hi)
	}
	for _, c := range []struct {
		name string
		url  string
	}{
		{"GET / (figures cached 15 s), requests/s", withCache.URL + "/"},
		{"baseline: GET / with figures counted every request, requests/s", noCache.URL + "/"},
		{"GET /feed.xml (30 entries), requests/s", withCache.URL + "/feed.xml"},
	} {
		var xs []float64
		for range *runs {
			xs = append(xs, load(c.url, *requests, *conc))
		}
		row(c.name, "req/s", xs)
	}
	size := pageSize(withCache.URL + "/")
	fmt.Printf("| GET / page size | %d bytes | — |\n", size)

	smtp := startSMTP()
	sender := &notify.SMTPSender{Addr: smtp, From: "Lan Tỏa <no-reply@quangngai.gov.vn>", BaseURL: "https://lantoa.test"}
	for _, workers := range []int{1, 4} {
		var xs []float64
		for range *runs {
			xs = append(xs, outbox(ctx, d, sender, *messages, workers))
		}
		row(fmt.Sprintf("outbox → SMTP, %d worker(s), messages/s", workers), "msg/s", xs)
	}
	var xs []float64
	for range *runs {
		start := time.Now()
		for i := range *messages {
			m := notify.Message{ID: int64(i), Kind: notify.ReportReminder, Channel: notify.Email, Recipient: fmt.Sprintf("xa%d@quangngai.gov.vn", i),
				Subject: "Nhắc nộp báo cáo", Body: "Đề nghị nộp báo cáo tuần.", UnsubscribeToken: "t"}
			if err := sender.Send(ctx, m); err != nil {
				log.Fatal(err)
			}
		}
		xs = append(xs, float64(*messages)/time.Since(start).Seconds())
	}
	row("baseline: direct SMTP sends without the outbox, messages/s", "msg/s", xs)
	fmt.Println()
	fmt.Println("Page views write nothing; each outbox run was checked: every message the SMTP server accepted is recorded as sent (stderr).")
}

func openDB(ctx context.Context, engine string) *db.DB {
	var d *db.DB
	var err error
	switch engine {
	case "sqlite":
		dir, _ := os.MkdirTemp("", "lantoa-bench-portal")
		d, err = db.Open(ctx, filepath.Join(dir, "bench.db"), db.Options{})
	case "postgres":
		url := os.Getenv("LANTOA_BENCH_POSTGRES_URL")
		if url == "" {
			log.Fatal("set LANTOA_BENCH_POSTGRES_URL")
		}
		d, err = db.Open(ctx, url, db.Options{})
		if err == nil {
			// A clean schema for the run.
			for _, q := range []string{"DROP SCHEMA IF EXISTS bench_portal CASCADE", "CREATE SCHEMA bench_portal"} {
				if _, err = d.SQL().ExecContext(ctx, q); err != nil {
					log.Fatal(err)
				}
			}
			d.Close()
			var source string
			if source, err = benchkit.WithSearchPath(url, "bench_portal"); err == nil {
				d, err = db.Open(ctx, source, db.Options{})
			}
		}
	default:
		log.Fatalf("unknown engine %s", engine)
	}
	if err != nil {
		log.Fatal(err)
	}
	if _, err := d.Migrate(ctx, schema.All()); err != nil {
		log.Fatal(err)
	}
	return d
}

func load(url string, n, conc int) float64 {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conc}}
	var wg sync.WaitGroup
	jobs := make(chan struct{}, n)
	for range n {
		jobs <- struct{}{}
	}
	close(jobs)
	start := time.Now()
	for range conc {
		wg.Go(func() {
			for range jobs {
				resp, err := client.Get(url)
				if err != nil {
					log.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					log.Fatalf("%s: %d", url, resp.StatusCode)
				}
			}
		})
	}
	wg.Wait()
	return float64(n) / time.Since(start).Seconds()
}

func pageSize(url string) int {
	resp, err := http.Get(url)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return len(b)
}

func outbox(ctx context.Context, d *db.DB, sender notify.Sender, n, workers int) float64 {
	svc := notify.NewService(d)
	for i := range n {
		if _, err := svc.EnqueueNow(ctx, notify.Message{Kind: notify.ReportReminder, Channel: notify.Email, Recipient: fmt.Sprintf("xa%d@quangngai.gov.vn", i),
			Subject: "Nhắc nộp báo cáo", Body: "Đề nghị nộp báo cáo tuần."}); err != nil {
			log.Fatal(err)
		}
	}
	c0, _ := svc.Counts(ctx)
	sent0, accepted0 := int64(c0[notify.Sent]), smtpAccepted.Load()
	start := time.Now()
	var wg sync.WaitGroup
	for range workers {
		w := notify.NewWorker(svc, map[notify.Channel]notify.Sender{notify.Email: sender}, slog.New(slog.NewTextHandler(io.Discard, nil)))
		wg.Go(func() {
			if _, err := w.RunOnce(ctx); err != nil {
				log.Fatal(err)
			}
		})
	}
	wg.Wait()
	el := time.Since(start)
	c, _ := svc.Counts(ctx)
	if c[notify.Pending] != 0 || c[notify.Sending] != 0 {
		log.Fatalf("undelivered: %v", c)
	}
	// Every message the SMTP server accepted in this run must be recorded as sent, and no more:
	// the outbox acknowledges a delivery by its status.
	accepted := smtpAccepted.Load() - accepted0
	if err := benchkit.Check(os.Stderr, fmt.Sprintf("outbox run, %d worker(s): messages the SMTP server accepted, recorded as sent", workers),
		accepted, int64(c[notify.Sent])-sent0); err != nil {
		log.Fatal(err)
	}
	if accepted != int64(n) {
		log.Fatalf("%d messages enqueued, %d accepted by SMTP", n, accepted)
	}
	return float64(n) / el.Seconds()
}

// smtpAccepted counts the messages the bench SMTP server has accepted (250 after DATA).
var smtpAccepted atomic.Int64

// startSMTP runs a minimal SMTP server on 127.0.0.1 that accepts every message.
func startSMTP() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				tp := textproto.NewConn(c)
				_ = tp.PrintfLine("220 bench ESMTP")
				for {
					line, err := tp.ReadLine()
					if err != nil {
						return
					}
					switch strings.ToUpper(strings.SplitN(line, " ", 2)[0]) {
					case "EHLO", "HELO":
						_ = tp.PrintfLine("250-bench\r\n250 8BITMIME")
					case "DATA":
						_ = tp.PrintfLine("354 go ahead")
						if _, err := tp.ReadDotBytes(); err != nil {
							return
						}
						smtpAccepted.Add(1)
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
	return ln.Addr().String()
}
