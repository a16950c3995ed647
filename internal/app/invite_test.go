package app_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

type sentLine struct {
	Kind, Recipient, Subject, Body, Link string
}

// waitSent waits until the development sender has written a message to recipient.
func waitSent(t *testing.T, file, recipient string) sentLine {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if f, err := os.Open(file); err == nil {
			sc := bufio.NewScanner(f)
			sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
			for sc.Scan() {
				var l sentLine
				if json.Unmarshal(sc.Bytes(), &l) == nil && l.Recipient == recipient {
					f.Close()
					return l
				}
			}
			f.Close()
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no message to %s in %s", recipient, file)
	return sentLine{}
}

// An account created from the command line or through the API with an e-mail address gets an
// invitation through the outbox (queued by the command, delivered by the server's worker) with the
// sign-in address under --base-url and without the password.
func TestAccountInvitations(t *testing.T) {
	dir := t.TempDir()
	dbPath, outbox := filepath.Join(dir, "lantoa.db"), filepath.Join(dir, "sent.jsonl")
	const secret = "mật khẩu rất dài của tỉnh"
	code, out, errOut := run(t, secret+"\n", "user", "create", "--db", dbPath, "--username", "so.tttt", "--email", "so.tttt@quangngai.gov.vn",
		"--role", "province_admin", "--unit", "51", "--password-stdin", "--base-url", "https://lantoa.test")
	if code != 0 || !strings.Contains(out, "invitation queued") {
		t.Fatalf("user create: %d %s %s", code, out, errOut)
	}
	base, _ := serve(t, "--db", dbPath, "--outbox-file", outbox, "--base-url", "https://lantoa.test")
	m := waitSent(t, outbox, "so.tttt@quangngai.gov.vn")
	if m.Kind != "account_invitation" || m.Link != "https://lantoa.test/login" || !strings.Contains(m.Body, "so.tttt") || strings.Contains(m.Body, secret) {
		t.Errorf("invitation from the command line: %+v", m)
	}

	code, out, _ = run(t, "", "token", "create", "--db", dbPath, "--username", "so.tttt")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	token := lines[len(lines)-1]
	if code != 0 || !strings.HasPrefix(token, "lt_") {
		t.Fatalf("token create: %d %q", code, out)
	}
	body := `{"username":"ubnd.bato","display_name":"UBND huyện Ba Tơ","email":"ubnd@bato.quangngai.gov.vn","password":"Mat-khau-mot-lan-4821","role":"unit_admin","unit_code":"535"}`
	req, _ := http.NewRequest("POST", base+"/api/v1/users", bytes.NewReader([]byte(body)))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /api/v1/users: %d", resp.StatusCode)
	}
	m = waitSent(t, outbox, "ubnd@bato.quangngai.gov.vn")
	if m.Link != "https://lantoa.test/login" || !strings.Contains(m.Body, "Tên đăng nhập: ubnd.bato") || strings.Contains(m.Body, "Mat-khau-mot-lan-4821") {
		t.Errorf("invitation from the API: %+v", m)
	}
}
