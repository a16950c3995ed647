package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/app"
	"github.com/lantoa/lantoa/internal/platform/db"
)

// run runs one lantoa command in-process and returns its exit code and output.
func run(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := app.Main(context.Background(), args, app.Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }})
	return code, out.String(), errOut.String()
}

// lockedBuffer is written by the server goroutine and read by the test.
type lineWriter struct {
	lines chan string
	buf   bytes.Buffer
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.buf.Write(p)
	for {
		line, err := w.buf.ReadString('\n')
		if err != nil {
			w.buf.WriteString(line)
			return len(p), nil
		}
		select {
		case w.lines <- strings.TrimSpace(line):
		default:
		}
	}
}

// serve starts `lantoa serve` on a free port and returns its base URL and everything it printed
// before it was ready.
func serve(t *testing.T, args ...string) (string, []string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := &lineWriter{lines: make(chan string, 100)}
	done := make(chan int, 1)
	go func() {
		done <- app.Main(ctx, append([]string{"serve", "--addr", "127.0.0.1:0", "--log-level", "error"}, args...),
			app.Env{Stdin: strings.NewReader(""), Stdout: out, Stderr: io.Discard, Getenv: func(string) string { return "" }})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Error("serve did not stop")
		}
	})
	var printed []string
	deadline := time.After(5 * time.Second)
	for {
		select {
		case line := <-out.lines:
			printed = append(printed, line)
			if m := regexp.MustCompile(`http://\S+`).FindString(line); strings.Contains(line, "serving at") && m != "" {
				return m, printed
			}
		case code := <-done:
			done <- code // for the cleanup, which waits for the exit too
			t.Fatalf("serve exited with %d: %v", code, printed)
		case <-deadline:
			t.Fatalf("serve not ready within 5 s: %v", printed)
		}
	}
}

func getJSON(t *testing.T, url, token string, out any) int {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

type itemsResp struct {
	Items []map[string]any `json:"items"`
}

func TestZeroConfigServe(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	base, printed := serve(t)
	if getJSON(t, base+"/readyz", "", nil) != 200 {
		t.Fatal("not ready")
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "lantoa.db")); err != nil {
		t.Errorf("zero-config database not at ./data/lantoa.db: %v", err)
	}
	joined := strings.Join(printed, "\n")
	pw := regexp.MustCompile(`one-time password: (\S+)`).FindStringSubmatch(joined)
	if pw == nil {
		t.Fatalf("first administrator's password not printed: %s", joined)
	}
	var units itemsResp
	getJSON(t, base+"/api/v1/units?level=commune", "", &units)
	if len(units.Items) != 173 {
		t.Errorf("communes = %d", len(units.Items))
	}
}

func TestCommandLineContract(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "lantoa.db")
	base, printed := serve(t, "--db", dbPath)
	// The first administrator's password is printed once, and not on a second start.
	if !strings.Contains(strings.Join(printed, "\n"), "one-time password") {
		t.Errorf("no one-time password printed")
	}
	code, out, errOut := run(t, "mật khẩu rất dài của tỉnh\n", "user", "create", "--db", dbPath, "--username", "so.tttt", "--role", "province_admin", "--unit", "51", "--password-stdin")
	if code != 0 {
		t.Fatalf("user create: %d %s %s", code, out, errOut)
	}
	code, out, _ = run(t, "", "token", "create", "--db", dbPath, "--username", "so.tttt")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	token := lines[len(lines)-1]
	if code != 0 || !strings.HasPrefix(token, "lt_") {
		t.Fatalf("token create: %d %q", code, out)
	}
	var users itemsResp
	if status := getJSON(t, base+"/api/v1/users", token, &users); status != 200 || len(users.Items) < 2 {
		t.Errorf("users with CLI token: %d %v", status, users.Items)
	}
	// Bad input on the command line: a short password, an unknown unit, an unknown role.
	for _, args := range [][]string{
		{"user", "create", "--db", dbPath, "--username", "x.short", "--role", "learner", "--unit", "535", "--password-stdin"},
		{"user", "create", "--db", dbPath, "--username", "x.unit", "--role", "unit_admin", "--unit", "999", "--password-stdin"},
		{"user", "create", "--db", dbPath, "--username", "x.role", "--role", "king", "--unit", "535", "--password-stdin"},
	} {
		if code, _, errOut := run(t, "ngắn\n", args...); code == 0 || !strings.Contains(errOut, "/") {
			t.Errorf("%v: exit %d, %s", args, code, errOut)
		}
	}
	// A bad CSV changes nothing and names its line.
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("code,name,level,parent_code\n99,Tỉnh Thử,province,\n991,Huyện Thử,district,99\n99x,Xã Hỏng,commune,991\n"), 0o600)
	code, _, errOut = run(t, "", "import", "units", "--db", dbPath, bad)
	if code == 0 || !strings.Contains(errOut, "line 4") {
		t.Errorf("bad import: exit %d, %s", code, errOut)
	}
	var all itemsResp
	getJSON(t, base+"/api/v1/units", "", &all)
	if len(all.Items) != 187 {
		t.Errorf("units after a failed import: %d", len(all.Items))
	}
	good := filepath.Join(dir, "good.csv")
	os.WriteFile(good, []byte("code,name,level,parent_code\n99,Tỉnh Thử,province,\n991,Huyện Thử,district,99\n"), 0o600)
	if code, out, errOut := run(t, "", "import", "units", "--db", dbPath, good); code != 0 || !strings.Contains(out, "created 2") {
		t.Errorf("good import: %d %s %s", code, out, errOut)
	}
	// An online backup while the server runs holds the same data.
	backup := filepath.Join(dir, "backup.db")
	if code, out, errOut := run(t, "", "backup", "--db", dbPath, backup); code != 0 {
		t.Fatalf("backup: %d %s %s", code, out, errOut)
	}
	if code, _, _ := run(t, "", "backup", "--db", dbPath, backup); code == 0 {
		t.Errorf("backup overwrote an existing file")
	}
	code, out, _ = run(t, "", "user", "list", "--db", backup)
	if code != 0 || !strings.Contains(out, "so.tttt") {
		t.Errorf("backup lacks users: %d %s", code, out)
	}
	if code, out, _ := run(t, "", "migrate", "--db", dbPath, "--status"); code != 0 || !strings.Contains(out, "0 pending") {
		t.Errorf("migrate --status: %d %s", code, out)
	}
}

func TestEveryCommandHasHelp(t *testing.T) {
	for _, cmd := range [][]string{{"serve"}, {"migrate"}, {"seed"}, {"import", "units"}, {"user", "create"}, {"user", "list"}, {"token", "create"}, {"backup"}, {"version"}} {
		code, out, errOut := run(t, "", append(cmd, "--help")...)
		if code != 0 || !strings.Contains(out+errOut, "lantoa") {
			t.Errorf("%v --help: exit %d, %q", cmd, code, out+errOut)
		}
	}
	if code, _, _ := run(t, "", "frobnicate"); code != 2 {
		t.Errorf("unknown command exit %d", code)
	}
	if code, out, _ := run(t, "", "version"); code != 0 || !strings.HasPrefix(out, "lantoa ") {
		t.Errorf("version: %q", out)
	}
}

func TestSeedDemo(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "x.db")
	code, out, errOut := run(t, "", "seed", "--db", dbPath, "--demo")
	if code != 0 || !strings.Contains(out, "units: 187") || !strings.Contains(out, "demo users created: 15") {
		t.Fatalf("seed --demo: %d %s %s", code, out, errOut)
	}
	// Idempotent: a second run creates nothing.
	if _, out, _ := run(t, "", "seed", "--db", dbPath, "--demo"); !strings.Contains(out, "demo users created: 0") {
		t.Errorf("second seed: %s", out)
	}
	_, out, _ = run(t, "", "user", "list", "--db", dbPath)
	for _, role := range []string{"province_admin", "unit_admin", "org_admin", "team_member", "bridge_operator", "learner"} {
		if !strings.Contains(out, role+"@") {
			t.Errorf("demo has no %s", role)
		}
	}
}

func TestRestoreRefusesLiveDatabaseAndRestoresStopped(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "live.db")
	if code, out, errOut := run(t, "", "seed", "--db", dbPath, "--demo"); code != 0 {
		t.Fatalf("seed: %s %s", out, errOut)
	}
	backup := filepath.Join(dir, "b.db")
	if code, _, errOut := run(t, "", "backup", "--db", dbPath, backup); code != 0 {
		t.Fatalf("backup: %s", errOut)
	}
	// A second server on the same file is refused, and so is a restore over the live database.
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- app.Serve(ctx, app.Env{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(string) string { return "" }},
			app.Config{Addr: "127.0.0.1:0", DB: dbPath, LogLevel: "error", SQLiteSync: "FULL"}, ready)
	}()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("serve: %v", err)
	}
	if code, _, errOut := run(t, "", "restore", "--db", dbPath, "--force", backup); code == 0 || !strings.Contains(errOut, "stop lantoa serve") {
		t.Errorf("restore over a live database: exit %d %s", code, errOut)
	}
	if code, _, errOut := run(t, "", "serve", "--db", dbPath, "--addr", "127.0.0.1:0"); code == 0 || !strings.Contains(errOut, "in use") {
		t.Errorf("second server: exit %d %s", code, errOut)
	}
	cancel()
	<-done
	// A command other than serve (a seed or an import still writing) holds the file open: the
	// restore must not swap the file and delete its WAL under it.
	other, err := db.Open(context.Background(), dbPath, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := run(t, "", "restore", "--db", dbPath, "--force", backup); code == 0 || !strings.Contains(errOut, "another lantoa command") {
		t.Errorf("restore under another open handle: exit %d %s", code, errOut)
	}
	other.Close()
	// Stopped: a change after the backup is undone by the restore, and stale WAL files go.
	run(t, "mật khẩu rất dài của tỉnh\n", "user", "create", "--db", dbPath, "--username", "after.backup", "--role", "learner", "--unit", "535", "--password-stdin")
	os.WriteFile(dbPath+"-wal", []byte("stale"), 0o600)
	if code, _, _ := run(t, "", "restore", "--db", dbPath, backup); code == 0 {
		t.Errorf("restore replaced an existing file without --force")
	}
	if code, out, errOut := run(t, "", "restore", "--db", dbPath, "--force", backup); code != 0 || !strings.Contains(out, "integrity ok") {
		t.Fatalf("restore: %d %s %s", code, out, errOut)
	}
	_, out, _ := run(t, "", "user", "list", "--db", dbPath)
	if strings.Contains(out, "after.backup") || !strings.Contains(out, "so.tttt") {
		t.Errorf("restored users:\n%s", out)
	}
	// A corrupt backup is refused before anything is touched.
	bad := filepath.Join(dir, "bad.db")
	os.WriteFile(bad, bytes.Repeat([]byte("x"), 8192), 0o600)
	if code, _, _ := run(t, "", "restore", "--db", dbPath, "--force", bad); code == 0 {
		t.Errorf("corrupt backup restored")
	}
}
