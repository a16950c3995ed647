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
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
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
// load, restarts it, and checks that every write a client saw acknowledged is there and, on
// SQLite, that the database passes its integrity check. On PostgreSQL the database survives the
// kill by construction; what is tested there is that Lan Tỏa answers a write only once it is
// committed (no acknowledgement from a queue the kill empties). CI runs a few cycles on each
// engine; bench/crash runs a hundred (LANTOA_CRASH_CYCLES).
func TestCrashKeepsAcknowledgedWrites(t *testing.T) {
	cycles := 3
	if n, err := strconv.Atoi(os.Getenv("LANTOA_CRASH_CYCLES")); err == nil && n > 0 {
		cycles = n
	}
	t.Run("sqlite", func(t *testing.T) {
		dbPath := filepath.Join(t.TempDir(), "crash.db")
		crashCycles(t, dbPath, cycles, func(kill int) {
			// Each kill, not only the last, must leave a database that checks clean (the WAL as
			// the kill left it is part of the check: IntegrityCheck opens it as the next start would).
			if verdict, err := db.IntegrityCheck(dbPath); err != nil || verdict != "ok" {
				t.Fatalf("integrity after kill %d: %q %v", kill, verdict, err)
			}
		})
	})
	t.Run("postgres", func(t *testing.T) {
		crashCycles(t, dbtest.PostgresURL(t), cycles, func(int) {})
	})
}

// crashCycles runs the kill cycles on the database dbArg, calling afterKill after each, and
// then looks for every acknowledged write.
func crashCycles(t *testing.T, dbArg string, cycles int, afterKill func(kill int)) {
	if code, _, errOut := run(t, "mật khẩu rất dài của tỉnh\n", "user", "create", "--db", dbArg, "--username", "so.tttt", "--role", "province_admin", "--unit", "51", "--password-stdin"); code != 0 {
		t.Fatal(errOut)
	}
	_, out, _ := run(t, "", "token", "create", "--db", dbArg, "--username", "so.tttt")
	token := strings.TrimSpace(out)
	var acked []string
	for cycle := range cycles {
		cmd, base := startChild(t, dbArg)
		load := startSchoolWriters(base, token, 5*time.Second, func(w, i int) string { return fmt.Sprintf("Trường thử %d-%d-%d", cycle, w, i) },
			func(error) {}) // an error is the kill: the server is gone
		time.Sleep(time.Duration(100+rand.IntN(400)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		load.stop()
		acked = append(acked, load.acked()...)
		afterKill(cycle + 1)
	}
	if len(acked) == 0 {
		t.Fatal("no write was acknowledged: the load did not run")
	}
	// Open once more (on SQLite, recovering the WAL) and look for every acknowledged write.
	d, err := db.Open(context.Background(), dbArg, db.Options{})
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
		t.Fatalf("%d of %d acknowledged writes lost after %d SIGKILLs", missing, len(acked), cycles)
	}
	t.Logf("%d cycles, %d acknowledged writes, all present", cycles, len(acked))
}

// TestBackupUnderLoadRestores takes `lantoa backup` while four clients keep writing through the
// API, restores the copy into a new file with `lantoa restore`, and compares: the copy is the
// database as of one moment (the organisations it holds are exactly the first N by id, no gap),
// each of its rows equals the live database's row of the same id, every write acknowledged
// before the backup began is in it, and the restored file passes its integrity check.
func TestBackupUnderLoadRestores(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "live.db")
	if code, _, errOut := run(t, "mật khẩu rất dài của tỉnh\n", "user", "create", "--db", dbPath, "--username", "so.tttt", "--role", "province_admin", "--unit", "51", "--password-stdin"); code != 0 {
		t.Fatal(errOut)
	}
	_, out, _ := run(t, "", "token", "create", "--db", dbPath, "--username", "so.tttt")
	token := strings.TrimSpace(out)
	cmd, base := startChild(t, dbPath)
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()

	load := startSchoolWriters(base, token, 10*time.Second, func(w, i int) string { return fmt.Sprintf("Trường sao lưu %d-%d", w, i) },
		func(err error) { t.Errorf("write during the backup: %v", err) })
	waitAcked := func(n int) {
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			got := len(load.acked())
			if got >= n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("only %d writes acknowledged in 30 s", got)
			}
		}
	}
	waitAcked(50)
	before := load.acked()
	backup := filepath.Join(dir, "backup.db")
	if code, out, errOut := run(t, "", "backup", "--db", dbPath, backup); code != 0 {
		t.Fatalf("backup under load: %d %s %s", code, out, errOut)
	}
	// The writes go on after the backup: the live database moves past the copy.
	waitAcked(len(load.acked()) + 50)
	load.stop()
	if st, err := os.Stat(backup); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("backup file mode: %v %v, want 0600 (it holds personal data)", st.Mode().Perm(), err)
	}

	restored := filepath.Join(dir, "restored.db")
	if code, out, errOut := run(t, "", "restore", "--db", restored, backup); code != 0 || !strings.Contains(out, "integrity ok") {
		t.Fatalf("restore: %d %s %s", code, out, errOut)
	}
	rows := func(path string) map[int64]string {
		d, err := db.Open(context.Background(), path, db.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		r, err := d.Reader().QueryContext(context.Background(), "SELECT id, name || '|' || path || '|' || unit_path FROM orgs")
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		m := map[int64]string{}
		for r.Next() {
			var id int64
			var v string
			if err := r.Scan(&id, &v); err != nil {
				t.Fatal(err)
			}
			m[id] = v
		}
		return m
	}
	live, copied := rows(dbPath), rows(restored)
	if len(copied) == 0 || len(copied) >= len(live) {
		t.Fatalf("backup holds %d organisations, live %d: want a copy from the middle of the load", len(copied), len(live))
	}
	names := map[string]bool{}
	for id, v := range copied {
		if live[id] != v {
			t.Errorf("organisation %d: backup %q, live %q", id, v, live[id])
		}
		if _, ok := copied[id-1]; id > 1 && !ok {
			t.Errorf("backup holds organisation %d but not %d: not one moment's copy", id, id-1)
		}
		names[strings.SplitN(v, "|", 2)[0]] = true
	}
	for _, name := range before {
		if !names[name] {
			t.Errorf("%q was acknowledged before the backup began but is not in it", name)
		}
	}
	t.Logf("backup under load: %d of %d organisations, %d acknowledged before it, restored and compared", len(copied), len(live), len(before))
}

// A backup of a database that is not there is refused, and creates nothing: a wrong --db in a
// nightly job must fail loudly rather than write empty backups.
func TestBackupOfMissingDatabaseRefused(t *testing.T) {
	dir := t.TempDir()
	missing, out := filepath.Join(dir, "khong-co.db"), filepath.Join(dir, "b.db")
	code, _, errOut := run(t, "", "backup", "--db", missing, out)
	if code == 0 || !strings.Contains(errOut, "database not found") {
		t.Errorf("backup of a missing database: exit %d, %q", code, errOut)
	}
	for _, p := range []string{missing, out} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s was created", p)
		}
	}
}

// postSchool is the write load of the crash and backup tests: one school created through the
// API, the status it was answered with.
func postSchool(client *http.Client, base, token, name string) (int, error) {
	req, _ := http.NewRequest("POST", base+"/api/v1/orgs", strings.NewReader(fmt.Sprintf(`{"name":%q,"kind":"school","unit_code":"535"}`, name)))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// schoolWriters is the write load of the crash and backup tests: four clients creating schools
// through the API until stopped, keeping the names the server acknowledged.
type schoolWriters struct {
	mu    sync.Mutex
	names []string
	done  chan struct{}
	wg    sync.WaitGroup
}

// startSchoolWriters starts the load on base; name gives writer w's i-th school, and onErr hears
// a request that got no answer (after which that writer stops).
func startSchoolWriters(base, token string, timeout time.Duration, name func(w, i int) string, onErr func(error)) *schoolWriters {
	l := &schoolWriters{done: make(chan struct{})}
	client := &http.Client{Timeout: timeout}
	for w := range 4 {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for i := 0; ; i++ {
				select {
				case <-l.done:
					return
				default:
				}
				n := name(w, i)
				status, err := postSchool(client, base, token, n)
				if err != nil {
					onErr(err)
					return
				}
				if status == http.StatusCreated {
					l.mu.Lock()
					l.names = append(l.names, n)
					l.mu.Unlock()
				}
			}
		}()
	}
	return l
}

// acked is a copy of the names acknowledged so far.
func (l *schoolWriters) acked() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.names...)
}

// stop ends the load and waits for the writers.
func (l *schoolWriters) stop() {
	close(l.done)
	l.wg.Wait()
}
