package notifytest

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
	"runtime"
	"sync"
	"testing"
	"time"
)

// Mailpit (github.com/axllent/mailpit) is a real SMTP server for the e-mail tests, built from the
// version pinned in tools/mailpit/go.mod (its own module, so that its dependencies stay out of
// the product's). LANTOA_TEST_MAILPIT names a binary built already (.ci/run builds one);
// otherwise it is built once into the user's cache directory. Without it the tests skip, and under
// CI=true they fail.
type Mailpit struct {
	// SMTP and HTTP are the loopback addresses of its SMTP server and of its API.
	SMTP, HTTP string
	bin, dir   string
	args       []string
	cmd        *exec.Cmd
}

// MailAddress is one address of a message in Mailpit's API.
type MailAddress struct {
	Name, Address string
}

// Mail is a message as Mailpit's API gives it (the list gives no Text; /api/v1/message/{id} does).
type Mail struct {
	ID      string
	From    MailAddress
	To      []MailAddress
	Subject string
	Text    string
}

var (
	mailpitOnce sync.Once
	mailpitPath string
	mailpitErr  error
)

// MailpitBinary is the Mailpit binary, built on first use; the test skips without it (fails
// under CI=true).
func MailpitBinary(t testing.TB) string {
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

// toolDir is tools/mailpit, found from this file's place in the repository, whichever package's
// test runs.
func toolDir() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", fmt.Errorf("no caller information")
	}
	return filepath.Abs(filepath.Join(filepath.Dir(file), "..", "..", "..", "tools", "mailpit"))
}

func findMailpit() (string, error) {
	if p := os.Getenv("LANTOA_TEST_MAILPIT"); p != "" {
		if _, err := os.Stat(p); err != nil { // #nosec G703 -- the tester names the program to run
			return "", fmt.Errorf("LANTOA_TEST_MAILPIT: %w", err)
		}
		return p, nil
	}
	dir, err := toolDir()
	if err != nil {
		return "", err
	}
	mod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return "", err
	}
	v := mailpitVersion.FindSubmatch(mod)
	if v == nil {
		return "", fmt.Errorf("no mailpit version in %s/go.mod", dir)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	out := filepath.Join(cache, "lantoa", "mailpit-"+string(v[1]))
	bin := filepath.Join(out, "mailpit")
	if _, err := os.Stat(bin); err == nil { // #nosec G703 -- the user's own cache directory
		return bin, nil
	}
	if err := os.MkdirAll(out, 0o750); err != nil { // #nosec G703 -- the user's own cache directory
		return "", err
	}
	tmp, err := os.CreateTemp(out, "mailpit-build-*")
	if err != nil {
		return "", err
	}
	tmp.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", tmp.Name(), "github.com/axllent/mailpit")
	cmd.Dir = dir
	// The build must use tools/mailpit's go.mod, whatever the caller's GOFLAGS say.
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off", "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		os.Remove(tmp.Name()) // #nosec G703 -- the temporary file made just above
		return "", fmt.Errorf("go build github.com/axllent/mailpit: %v\n%s", err, b)
	}
	// Renamed into place whole, so that a concurrent or interrupted build never leaves half a binary.
	return bin, os.Rename(tmp.Name(), bin) // #nosec G703 -- both in the user's own cache directory
}

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// StartMailpit runs Mailpit on free loopback ports until the test ends. It accepts any SMTP
// login; args are more of Mailpit's flags (e.g. --smtp-allowed-recipients).
func StartMailpit(t testing.TB, args ...string) *Mailpit {
	t.Helper()
	mp := &Mailpit{bin: MailpitBinary(t), SMTP: freeAddr(t), HTTP: freeAddr(t), dir: t.TempDir(), args: args}
	mp.Start(t)
	t.Cleanup(mp.Stop)
	return mp
}

// Start starts Mailpit again after Stop, on the same addresses and database.
func (mp *Mailpit) Start(t testing.TB) {
	t.Helper()
	args := append([]string{"--smtp", mp.SMTP, "--listen", mp.HTTP, "--database", filepath.Join(mp.dir, "mailpit.db"),
		"--disable-version-check", "--quiet", "--smtp-auth-accept-any", "--smtp-auth-allow-insecure"}, mp.args...)
	mp.cmd = exec.Command(mp.bin, args...)
	var out lockedBuffer
	mp.cmd.Stdout, mp.cmd.Stderr = &out, &out
	if err := mp.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if resp, err := http.Get("http://" + mp.HTTP + "/api/v1/info"); err == nil {
			resp.Body.Close()
			if c, err := net.Dial("tcp", mp.SMTP); err == nil {
				c.Close()
				return
			}
		}
		if time.Now().After(deadline) {
			mp.Stop()
			t.Fatalf("mailpit did not start: %s", out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop kills Mailpit, as an outage would.
func (mp *Mailpit) Stop() {
	if mp.cmd != nil && mp.cmd.Process != nil {
		_ = mp.cmd.Process.Kill()
		_ = mp.cmd.Wait()
		mp.cmd = nil
	}
}

// Get decodes the JSON answer of Mailpit's API at path into v.
func (mp *Mailpit) Get(t testing.TB, path string, v any) {
	t.Helper()
	resp, err := http.Get("http://" + mp.HTTP + path)
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

// Messages lists the messages Mailpit holds, newest first (without their text).
func (mp *Mailpit) Messages(t testing.TB) []Mail {
	t.Helper()
	var list struct{ Messages []Mail }
	mp.Get(t, "/api/v1/messages", &list)
	return list.Messages
}

// lockedBuffer is a buffer the process's output goroutines write while the test may read it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
