package app_test

import (
	"net"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestServeBusyPortKeepsFirstAdminPassword: on a fresh database whose port is taken, serve stops
// before it creates the first administrator (whose one-time password, printed once and stored
// hashed, would otherwise be lost) and says why in both languages; the next start, on a free
// port, creates the account and prints its password.
func TestServeBusyPortKeepsFirstAdminPassword(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "fresh.db")
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	addr := busy.Addr().String()
	code, out, errOut := run(t, "", "serve", "--addr", addr, "--db", dbPath, "--log-level", "error")
	if code == 0 {
		t.Fatalf("serve on a busy port exited 0: %s %s", out, errOut)
	}
	if strings.Contains(out, "one-time password") {
		t.Fatalf("serve printed a password it then lost: %s", out)
	}
	if !strings.Contains(errOut, addr) || !strings.Contains(errOut, "cổng đang bận") || !strings.Contains(errOut, "port busy") {
		t.Errorf("busy port message: %q", errOut)
	}
	_, list, _ := run(t, "", "user", "list", "--db", dbPath)
	if strings.Contains(list, "admin") {
		t.Fatalf("the first administrator was created although the start failed: %s", list)
	}

	_, printed := serve(t, "--db", dbPath)
	joined := strings.Join(printed, "\n")
	if !regexp.MustCompile(`one-time password: \S+`).MatchString(joined) {
		t.Fatalf("the next start does not print the first administrator's password: %s", joined)
	}
	if _, list, _ := run(t, "", "user", "list", "--db", dbPath); !strings.Contains(list, "admin") {
		t.Errorf("no first administrator after a normal start: %s", list)
	}
}
