package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/lantoa/lantoa/internal/app"
	"github.com/lantoa/lantoa/internal/demo"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/sheet"
)

// outboxCode waits for the development sender to write a sign-in code for phone to the outbox
// file, as an SMS gateway would deliver it, and returns it.
func outboxCode(t *testing.T, file, phone string) string {
	t.Helper()
	re := regexp.MustCompile(`mã đăng nhập của bạn là (\d{6})`)
	deadline := time.Now().Add(ActionTimeout)
	for time.Now().Before(deadline) {
		if data, err := os.ReadFile(file); err == nil {
			code := ""
			sc := bufio.NewScanner(bytes.NewReader(data))
			for sc.Scan() {
				var m struct {
					Channel, Recipient, Body string
				}
				if json.Unmarshal(sc.Bytes(), &m) == nil && m.Recipient == phone && m.Channel == "sms" {
					if c := re.FindStringSubmatch(m.Body); c != nil {
						code = c[1]
					}
				}
			}
			if code != "" {
				return code
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no sign-in code for %s in %s", phone, file)
	return ""
}

// TestPhoneCodeSignIn: Ba Tơ's administrator imports a team roster with a phone column on the
// team's page at 360 px; the new member's one-time password is shown as sent by SMS, not printed.
// The member then signs in on a phone with «Đăng nhập bằng mã gửi qua điện thoại»: types the
// number, reads the code the outbox delivered (the development file sender), types it and lands on
// their workspace. Every page fits 360 px and passes axe.
func TestPhoneCodeSignIn(t *testing.T) {
	outbox := filepath.Join(t.TempDir(), "outbox.jsonl")
	srv := StartServer(t, WithDemo(), WithConfig(func(c *app.Config) { c.Notify.OutboxFile = outbox }))
	ctx := authz.WithActor(context.Background(), authz.System)
	d, err := db.Open(ctx, srv.DB, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var teamID int64
	err = d.Reader().QueryRowContext(ctx, "SELECT id FROM outreach_teams WHERE unit_path LIKE '/51/535/%' ORDER BY id LIMIT 1").Scan(&teamID)
	d.Close()
	if err != nil {
		t.Fatalf("a Ba Tơ team in the demo: %v", err)
	}
	var roster bytes.Buffer
	if err := sheet.WriteXLSX(&roster, sheet.Table{Name: "Tổ", Header: []string{"tai_khoan", "ho_ten", "so_dien_thoai", "nhan_qua"}, Rows: [][]any{
		{"dinh.van.nam", "Đinh Văn Nam", "0905 246 810", "sms"},
		{"ho.thi.na", "Hồ Thị Na", "", ""},
	}}); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "to-cnscd.xlsx")
	if err := os.WriteFile(file, roster.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}

	admin := NewBrowser(t)
	Do(t, admin, chromedp.EmulateViewport(360, 780, chromedp.EmulateMobile))
	Login(t, admin, srv.URL, "ubnd.bato", demo.Password)
	if status := Open(t, admin, srv.URL+"/outreach/teams/"+strconv.FormatInt(teamID, 10)); status != 200 {
		t.Fatalf("team page: %d", status)
	}
	Do(t, admin, chromedp.SetUploadFiles("#m-file", []string{file}))
	if status := Follow(t, admin, `form[action$="/roster"] button[type=submit]`); status != 200 {
		t.Fatalf("roster import: %d %q", status, Text(t, admin, "main"))
	}
	rows := Text(t, admin, "#imported")
	if !strings.Contains(rows, "0905***810") || !strings.Contains(rows, "Đã gửi mật khẩu qua SMS") || strings.Contains(rows, "0905246810") {
		t.Errorf("imported rows: %q", rows)
	}
	NoSidewaysScroll(t, admin, "the imported roster at 360px")
	reportViolations(t, "imported roster at 360px", auditPage(t, admin))
	Screenshot(t, admin, "01-roster-360")

	phone := NewBrowser(t)
	Do(t, phone, chromedp.EmulateViewport(360, 780, chromedp.EmulateMobile))
	if status := Open(t, phone, srv.URL+"/login"); status != 200 {
		t.Fatalf("login page: %d", status)
	}
	NoSidewaysScroll(t, phone, "the sign-in page at 360px")
	Screenshot(t, phone, "02-login-360")
	if status := Follow(t, phone, "#login-phone"); status != 200 {
		t.Fatalf("phone sign-in page: %d", status)
	}
	NoSidewaysScroll(t, phone, "the phone sign-in at 360px")
	reportViolations(t, "phone sign-in at 360px", auditPage(t, phone))
	Screenshot(t, phone, "02b-phone-360")
	Type(t, phone, "#phone", "0905 246 810")
	if status := Follow(t, phone, "#phone-send"); status != 200 {
		t.Fatalf("send code: %d %q", status, Text(t, phone, "main"))
	}
	if got := Text(t, phone, "main"); !strings.Contains(got, "Nếu số điện thoại này đã đăng ký") {
		t.Errorf("after sending: %q", got)
	}
	NoSidewaysScroll(t, phone, "the code page at 360px")
	reportViolations(t, "code page at 360px", auditPage(t, phone))
	Screenshot(t, phone, "03-code-360")
	code := outboxCode(t, outbox, "0905246810")
	// A wrong code first: refused, and the page asks again.
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	Type(t, phone, "#code", wrong)
	if status := Follow(t, phone, "#code-submit"); status != 401 {
		t.Errorf("wrong code: %d", status)
	}
	if got := Text(t, phone, "main"); !strings.Contains(got, "Mã không đúng hoặc đã hết hạn") {
		t.Errorf("wrong code page: %q", got)
	}
	Type(t, phone, "#code", code)
	if status := Follow(t, phone, "#code-submit"); status != 200 {
		t.Fatalf("sign in with the code: %d %q", status, Text(t, phone, "main"))
	}
	if got := Eval[string](t, phone, `location.pathname`); got != "/workspace" {
		t.Fatalf("signed in at %s, want the workspace", got)
	}
	if n := Eval[int](t, phone, `document.querySelectorAll("[data-testid=who]").length`); n != 1 {
		t.Fatalf("not signed in: %q", Text(t, phone, "main"))
	}
	if Eval[int](t, phone, `document.querySelectorAll("#ws-team").length`) != 1 {
		t.Errorf("the member's workspace has no team section: %q", Text(t, phone, "main"))
	}
	NoSidewaysScroll(t, phone, "the member's workspace at 360px")
	Screenshot(t, phone, "04-workspace-360")

	wide := NewBrowser(t)
	Do(t, wide, chromedp.EmulateViewport(1280, 900))
	Open(t, wide, srv.URL+"/login/phone")
	reportViolations(t, "phone sign-in at 1280px", auditPage(t, wide))
	Screenshot(t, wide, "05-phone-1280")
}
