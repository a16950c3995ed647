package app_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// `lantoa user link-sso | sso-links | unlink-sso`: an administrator links a staff account by
// subject or e-mail, lists the links, removes them; bad input is refused with the reason, and a
// broken providers' file stops the command (and serve) before anything is written.
func TestUserLinkSSOFromTheCommandLine(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "lantoa.db")
	conf := filepath.Join(dir, "sso.json")
	if err := os.WriteFile(conf, []byte(`{"providers": [{"id": "tinh", "name": "Cổng định danh tỉnh", "issuer": "https://sso.example.vn/",
		"client_id": "lantoa", "client_secret_env": "LANTOA_SSO_SECRET", "roles": ["province_admin", "unit_admin"]}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := run(t, "mật khẩu đủ dài để thử\n", "user", "create", "--db", path, "--username", "ubnd.bato", "--role", "unit_admin",
		"--unit", "535", "--password-stdin"); code != 0 {
		t.Fatalf("user create: %d %s %s", code, out, errOut)
	}
	link := func(args ...string) (int, string, string) {
		return run(t, "", append([]string{"user", "link-sso", "--db", path, "--sso-config", conf, "--username", "ubnd.bato"}, args...)...)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--provider", "khac", "--subject", "s"}, "Không có nhà cung cấp định danh này"},
		{[]string{"--provider", "tinh"}, "đúng một trong hai"},
		{[]string{"--provider", "tinh", "--subject", "s", "--email", "a@b.vn"}, "đúng một trong hai"},
		{[]string{"--provider", "tinh", "--email", "khong-phai-thu"}, "không hợp lệ"},
	} {
		if code, _, errOut := link(c.args...); code == 0 || !strings.Contains(errOut, c.want) {
			t.Errorf("link-sso %v: exit %d, %q", c.args, code, errOut)
		}
	}
	if code, out, errOut := link("--provider", "tinh", "--email", "Lan.NT@quangngai.gov.vn"); code != 0 || !strings.Contains(out, "lan.nt@quangngai.gov.vn") {
		t.Fatalf("link-sso by e-mail: %d %s %s", code, out, errOut)
	}
	if code, out, errOut := link("--provider", "tinh", "--subject", "8f14e45f"); code != 0 || !strings.Contains(out, "subject 8f14e45f") {
		t.Fatalf("link-sso by subject: %d %s %s", code, out, errOut)
	}
	if code, _, errOut := link("--provider", "tinh", "--subject", "8f14e45f"); code == 0 || !strings.Contains(errOut, "đã được liên kết") {
		t.Errorf("the same subject twice: %d %q", code, errOut)
	}
	code, out, _ := run(t, "", "user", "sso-links", "--db", path, "--username", "ubnd.bato")
	if code != 0 || !strings.Contains(out, "lan.nt@quangngai.gov.vn") || !strings.Contains(out, "8f14e45f") {
		t.Fatalf("sso-links: %d %s", code, out)
	}
	if code, out, errOut := run(t, "", "user", "unlink-sso", "--db", path, "--sso-config", conf, "--username", "ubnd.bato", "--provider", "tinh"); code != 0 ||
		!strings.Contains(out, "removed 2 link(s)") {
		t.Fatalf("unlink-sso: %d %s %s", code, out, errOut)
	}
	if _, out, _ := run(t, "", "user", "sso-links", "--db", path, "--username", "ubnd.bato"); strings.Contains(out, "tinh") {
		t.Errorf("links left after unlink-sso: %s", out)
	}
	if code, _, _ := run(t, "", "user", "link-sso", "--db", path, "--sso-config", conf); code == 0 {
		t.Error("link-sso without --username succeeded")
	}
	// A broken file: refused before anything is opened.
	if err := os.WriteFile(conf, []byte(`{"providers": [{"id": "tinh", "issuer": "https://x/", "client_id": "c", "secret": "s"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := link("--provider", "tinh", "--subject", "s2"); code == 0 || !strings.Contains(errOut, "--sso-config") {
		t.Errorf("a broken providers' file: %d %q", code, errOut)
	}
	if code, _, errOut := run(t, "", "serve", "--db", filepath.Join(dir, "other.db"), "--addr", "127.0.0.1:0", "--sso-config", conf); code == 0 ||
		!strings.Contains(errOut, "--sso-config") {
		t.Errorf("serve with a broken providers' file: %d %q", code, errOut)
	}
}
