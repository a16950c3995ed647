package app_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/app"
	"github.com/lantoa/lantoa/internal/platform/db"
)

// TestMain lets the test binary act as the server in a child process, so the crash test can kill
// a real process with SIGKILL without building the binary first.
func TestMain(m *testing.M) {
	if args := os.Getenv("LANTOA_TEST_CHILD_ARGS"); args != "" {
		os.Exit(app.Main(context.Background(), strings.Split(args, "\x1f"), app.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}))
	}
	os.Exit(m.Run())
}

// startChild runs `lantoa serve` in a child process and returns its base URL.
func startChild(t *testing.T, dbPath string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "LANTOA_TEST_CHILD_ARGS="+strings.Join([]string{"serve", "--addr", "127.0.0.1:0", "--db", dbPath, "--log-level", "error"}, "\x1f"))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := regexp.MustCompile(`serving at (http://\S+)`).FindStringSubmatch(sc.Text()); m != nil {
				urls <- m[1]
			}
		}
	}()
	select {
	case u := <-urls:
		return cmd, u
	case <-time.After(15 * time.Second):
		cmd.Process.Kill()
		t.Fatal("child server not ready")
	}
	return nil, ""
}

// TestCrashKeepsAcknowledgedWrites kills the server with SIGKILL at a random moment under a write
// load, restarts it, and checks that every write a client saw acknowledged is there and that the
// database passes its integrity check. CI runs a few cycles; bench/crash runs a hundred
// (LANTOA_CRASH_CYCLES).
func TestCrashKeepsAcknowledgedWrites(t *testing.T) {
	cycles := 3
	if n, err := strconv.Atoi(os.Getenv("LANTOA_CRASH_CYCLES")); err == nil && n > 0 {
		cycles = n
	}
	dbPath := filepath.Join(t.TempDir(), "crash.db")
	if code, _, errOut := run(t, "mật khẩu rất dài của tỉnh\n", "user", "create", "--db", dbPath, "--username", "so.tttt", "--role", "province_admin", "--unit", "51", "--password-stdin"); code != 0 {
		t.Fatal(errOut)
	}
	_, out, _ := run(t, "", "token", "create", "--db", dbPath, "--username", "so.tttt")
	token := strings.TrimSpace(out)
	var acked []string
	total := 0
	for cycle := range cycles {
		cmd, base := startChild(t, dbPath)
		var mu sync.Mutex
		stop := make(chan struct{})
		var wg sync.WaitGroup
		client := &http.Client{Timeout: 5 * time.Second}
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					name := fmt.Sprintf("Trường thử %d-%d-%d", cycle, w, i)
					body := fmt.Sprintf(`{"name":%q,"kind":"school","unit_code":"535"}`, name)
					req, _ := http.NewRequest("POST", base+"/api/v1/orgs", strings.NewReader(body))
					req.Header.Set("Authorization", "Bearer "+token)
					req.Header.Set("Content-Type", "application/json")
					resp, err := client.Do(req)
					if err != nil {
						return // the server is gone
					}
					resp.Body.Close()
					if resp.StatusCode == http.StatusCreated {
						mu.Lock()
						acked = append(acked, name)
						mu.Unlock()
					}
				}
			}()
		}
		time.Sleep(time.Duration(100+rand.IntN(400)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		close(stop)
		wg.Wait()
		total = len(acked)
		// Each kill, not only the last, must leave a database that checks clean (the WAL as the
		// kill left it is part of the check: IntegrityCheck opens it as the next start would).
		if verdict, err := db.IntegrityCheck(dbPath); err != nil || verdict != "ok" {
			t.Fatalf("integrity after kill %d: %q %v", cycle+1, verdict, err)
		}
	}
	if total == 0 {
		t.Fatal("no write was acknowledged: the load did not run")
	}
	if verdict, err := db.IntegrityCheck(dbPath); err != nil || verdict != "ok" {
		t.Fatalf("integrity after %d kills: %q %v", cycles, verdict, err)
	}
	// Restart once more (recovering the WAL) and look for every acknowledged write.
	d, err := db.Open(context.Background(), dbPath, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	have := map[string]bool{}
	rows, err := d.Reader().QueryContext(context.Background(), "SELECT name FROM orgs")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		rows.Scan(&n)
		have[n] = true
	}
	rows.Close()
	missing := 0
	for _, n := range acked {
		if !have[n] {
			missing++
		}
	}
	if missing > 0 {
		t.Fatalf("%d of %d acknowledged writes lost after %d SIGKILLs", missing, total, cycles)
	}
	t.Logf("%d cycles, %d acknowledged writes, all present, integrity ok", cycles, total)
}
