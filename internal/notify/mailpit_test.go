package notify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/notify"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
)

// The e-mail tests run against Mailpit (github.com/axllent/mailpit), a real SMTP server, built from
// the version pinned in tools/mailpit/go.mod (its own module, so that its dependencies stay out of
// the product's). LANTOA_TEST_MAILPIT names a binary built already (.ci/run builds one); otherwise
// the test builds it once into the user's cache directory. Without it the tests skip, and under
// CI=true they fail.

var (
	mailpitOnce sync.Once
	mailpitPath string
	mailpitErr  error
)

func mailpitBinary(t *testing.T) string {
	t.Helper()
	mailpitOnce.Do(func() { mailpitPath, mailpitErr = findMailpit() })
	if mailpitErr != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("mailpit is required under CI=true: %v", mailpitErr)
		}
		t.Skipf("mailpit not available, skipping the SMTP tests against a real server (set LANTOA_TEST_MAILPIT or let the test build it): %v", mailpitErr)
	}
	return mailpitPath
}

var mailpitVersion = regexp.MustCompile(`(?m)^\s*github\.com/axllent/mailpit (v[0-9][^\s]*)`)

func findMailpit() (string, error) {
	if p := os.Getenv("LANTOA_TEST_MAILPIT"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("LANTOA_TEST_MAILPIT: %w", err)
		}
		return p, nil
	}
	toolDir, err := filepath.Abs(filepath.Join("..", "..", "tools", "mailpit"))
	if err != nil {
		return "", err
	}
	mod, err := os.ReadFile(filepath.Join(toolDir, "go.mod"))
	if err != nil {
		return "", err
	}
	v := mailpitVersion.FindSubmatch(mod)
	if v == nil {
		return "", fmt.Errorf("no mailpit version in %s/go.mod", toolDir)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "lantoa", "mailpit-"+string(v[1]))
	bin := filepath.Join(dir, "mailpit")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(dir, "mailpit-build-*")
	if err != nil {
		return "", err
	}
	tmp.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", tmp.Name(), "github.com/axllent/mailpit")
	cmd.Dir = toolDir
	// The build must use tools/mailpit's go.mod, whatever the caller's GOFLAGS say.
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("go build github.com/axllent/mailpit: %v\n%s", err, out)
	}
	// Renamed into place whole, so that a concurrent or interrupted build never leaves half a binary.
	return bin, os.Rename(tmp.Name(), bin)
}

type mailpit struct {
	bin        string
	smtp, http string
	dir        string
	cmd        *exec.Cmd
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startMailpit runs Mailpit on free loopback ports. It accepts any SMTP login, and refuses (550)
// recipients outside quangngai.gov.vn, as a province's mail server refuses unknown mailboxes.
func startMailpit(t *testing.T) *mailpit {
	mp := &mailpit{bin: mailpitBinary(t), smtp: freePort(t), http: freePort(t), dir: t.TempDir()}
	mp.start(t)
	t.Cleanup(mp.stop)
	return mp
}

func (mp *mailpit) start(t *testing.T) {
	t.Helper()
	mp.cmd = exec.Command(mp.bin, "--smtp", mp.smtp, "--listen", mp.http, "--database", filepath.Join(mp.dir, "mailpit.db"),
		"--disable-version-check", "--quiet", "--smtp-auth-accept-any", "--smtp-auth-allow-insecure",
		"--smtp-allowed-recipients", `@quangngai\.gov\.vn$`)
	var out bytes.Buffer
	mp.cmd.Stdout, mp.cmd.Stderr = &out, &out
	if err := mp.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + mp.http + "/api/v1/info")
		if err == nil {
			resp.Body.Close()
			if c, err := net.Dial("tcp", mp.smtp); err == nil {
				c.Close()
				return
			}
		}
		if time.Now().After(deadline) {
			mp.stop()
			t.Fatalf("mailpit did not start: %s", out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (mp *mailpit) stop() {
	if mp.cmd != nil && mp.cmd.Process != nil {
		_ = mp.cmd.Process.Kill()
		_ = mp.cmd.Wait()
		mp.cmd = nil
	}
}

type mailpitAddress struct {
	Name, Address string
}

type mailpitMessage struct {
	ID      string
	From    mailpitAddress
	To      []mailpitAddress
	Subject string
	Text    string
}

func (mp *mailpit) get(t *testing.T, path string, v any) {
	t.Helper()
	resp, err := http.Get("http://" + mp.http + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", path, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

func (mp *mailpit) messages(t *testing.T) []mailpitMessage {
	var list struct {
		Total    int
		Messages []mailpitMessage
	}
	mp.get(t, "/api/v1/messages", &list)
	return list.Messages
}

func TestEmailThroughMailpit(t *testing.T) {
	mp := startMailpit(t)
	d := dbtest.SQLite(t, schema.All())
	clk := &clock{t: time.Date(2026, 11, 20, 1, 0, 0, 0, time.UTC)}
	svc := notify.NewService(d)
	svc.Now = clk.now
	sender := &notify.SMTPSender{Addr: mp.smtp, From: "Lan Tỏa <no-reply@quangngai.gov.vn>", Username: "lantoa", Password: "mật-khẩu-thử",
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
	list := mp.messages(t)
	if len(list) != 1 {
		t.Fatalf("mailpit holds %d messages", len(list))
	}
	var full mailpitMessage
	mp.get(t, "/api/v1/message/"+list[0].ID, &full)
	if full.Subject != "Nhắc nộp báo cáo tuần 48" || full.From.Address != "no-reply@quangngai.gov.vn" || full.From.Name != "Lan Tỏa" ||
		len(full.To) != 1 || full.To[0].Address != "ubnd.bato@quangngai.gov.vn" {
		t.Errorf("message %+v", full)
	}
	if !strings.Contains(full.Text, "Đề nghị nộp báo cáo tiến độ tuần 48 trước 17 giờ thứ Sáu.") || !strings.Contains(full.Text, "https://lantoa.test/reports/48") ||
		!strings.Contains(full.Text, "https://lantoa.test/unsubscribe/") {
		t.Errorf("text %q", full.Text)
	}
	var headers map[string][]string
	mp.get(t, "/api/v1/message/"+list[0].ID+"/headers", &headers)
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
	mp.stop()
	later, _ := svc.EnqueueNow(sys, reminder("xa.bato@quangngai.gov.vn"))
	w.RunOnce(sys)
	if m, _ := svc.Find(sys, later); m.Status != notify.Pending || m.LastReason != notify.ReasonUnreachable {
		t.Fatalf("while down: %+v", m)
	}
	mp.start(t)
	clk.add(notify.Backoff[0])
	w.RunOnce(sys)
	if m, _ := svc.Find(sys, later); m.Status != notify.Sent || m.Attempts != 2 {
		t.Errorf("after the outage: %+v", m)
	}
	n := 0
	for _, m := range mp.messages(t) {
		if m.To[0].Address == "xa.bato@quangngai.gov.vn" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("delivered %d times", n)
	}
}
