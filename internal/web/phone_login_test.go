package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
)

var phoneCodeRe = regexp.MustCompile(`mã đăng nhập của bạn là (\d{6})`)

// The phone sign-in over HTTP: a registered member, an unknown number and a staff member's number
// get the same page; the member's code signs in (a database session) and lands on the workspace;
// a fourth request for one number is answered 429 with Retry-After and a Vietnamese message.
func TestPhoneCodeLogin(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		e.mustUser("to.cnscd.phone", accounts.NewUser{Role: authz.TeamMember, UnitCode: e.baToCommune, Phone: "0905 123 123"})
		e.mustUser("so.tttt.phone", accounts.NewUser{Role: authz.ProvinceAdmin, UnitCode: "51", Phone: "0912888999"})
		page := func(phone string) string {
			b := e.browser()
			resp, body := b.post("/login/phone", url.Values{"phone": {phone}, "next": {"/workspace"}})
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("%s: %d %s", phone, resp.StatusCode, stripTags(body))
			}
			text := strings.ReplaceAll(stripTags(body), phone, "")
			return regexp.MustCompile(`nonce="[^"]*"`).ReplaceAllString(text, "")
		}
		member, unknown, staff := page("0905 123 123"), page("0977 000 111"), page("0912 888 999")
		if member != unknown || member != staff || !strings.Contains(member, "Nếu số điện thoại này đã đăng ký") {
			t.Errorf("the answers differ:\nmember:  %.300s\nunknown: %.300s\nstaff:   %.300s", member, unknown, staff)
		}
		var body string
		if err := d.Reader().QueryRowContext(e.sys, "SELECT body FROM notify_messages WHERE recipient = '0905123123' ORDER BY id DESC LIMIT 1").Scan(&body); err != nil {
			t.Fatal(err)
		}
		code := phoneCodeRe.FindStringSubmatch(body)
		if code == nil {
			t.Fatalf("no code in %q", body)
		}
		var n int
		if err := d.Reader().QueryRowContext(e.sys, "SELECT COUNT(*) FROM notify_messages WHERE recipient IN ('0977000111', '0912888999') AND body LIKE '%mã đăng nhập%'").Scan(&n); err != nil || n != 0 {
			t.Errorf("%d messages to the unknown and the staff number (%v)", n, err)
		}
		b := e.browser()
		resp, page2 := b.post("/login/phone/verify", url.Values{"phone": {"0905123123"}, "code": {"999999"}, "next": {"/workspace"}})
		if code[1] != "999999" && (resp.StatusCode != http.StatusUnauthorized || !strings.Contains(page2, "Mã không đúng hoặc đã hết hạn")) {
			t.Errorf("wrong code: %d %.200s", resp.StatusCode, stripTags(page2))
		}
		resp, _ = b.post("/login/phone/verify", url.Values{"phone": {"0905123123"}, "code": {code[1]}, "next": {"/workspace"}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/workspace" || b.cookie("lantoa_session") == "" {
			t.Fatalf("right code: %d → %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		if resp, _ := b.get("/workspace"); resp.StatusCode != http.StatusOK {
			t.Errorf("workspace after the code: %d", resp.StatusCode)
		}
		// The same code again, from another browser: refused.
		if resp, _ := e.browser().post("/login/phone/verify", url.Values{"phone": {"0905123123"}, "code": {code[1]}}); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("replayed code: %d", resp.StatusCode)
		}
		// Three codes per number in a quarter of an hour, for any number.
		for _, phone := range []string{"0977000111", "0977000111", "0977000111"} {
			resp, body := e.browser().post("/login/phone", url.Values{"phone": {phone}})
			if phone == "0977000111" && resp.StatusCode == http.StatusTooManyRequests {
				retry, err := strconv.Atoi(resp.Header.Get("Retry-After"))
				if err != nil || retry < 1 || retry > 900 || !strings.Contains(body, "Vui lòng thử lại sau") {
					t.Errorf("429: Retry-After %q, %.200s", resp.Header.Get("Retry-After"), stripTags(body))
				}
				return
			}
		}
		t.Error("a fourth code for one number was not refused")
	})
}

// An administrator creates an account with a phone on the form: the one-time password goes to the
// phone, and the account's page shows the number masked only; a malformed number is refused on its
// field and creates nothing.
func TestUserFormPhone(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		b := e.browser()
		b.login("unit.admin.bato", testPassword)
		f := url.Values{"username": {"tv.phone.form"}, "display_name": {"Trần Thị Hoa"}, "password": {"Mot-lan-duy-nhat-2026"}, "must_change_password": {"1"},
			"role": {"team_member"}, "unit_code": {e.baToCommune}, "phone": {"0905 111 222"}, "phone_channel": {"zalo"}}
		bad := url.Values{}
		for k, v := range f {
			bad[k] = v
		}
		bad.Set("username", "tv.phone.bad")
		bad.Set("phone", "0905 111")
		resp, body := b.post("/users", bad)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "không phải số di động Việt Nam") {
			t.Fatalf("bad phone: %d %.300s", resp.StatusCode, stripTags(body))
		}
		resp, body = b.post("/users", f)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("create: %d %.300s", resp.StatusCode, stripTags(body))
		}
		var channel, msg string
		if err := d.Reader().QueryRowContext(e.sys, "SELECT channel, body FROM notify_messages WHERE recipient = '0905111222'").Scan(&channel, &msg); err != nil {
			t.Fatal(err)
		}
		if channel != "zalo" || !strings.Contains(msg, "Mot-lan-duy-nhat-2026") || !strings.Contains(msg, "tv.phone.form") {
			t.Errorf("message %s %q", channel, msg)
		}
		userPage := resp.Header.Get("Location")
		resp, page := b.get(userPage)
		if resp.StatusCode != http.StatusOK || !strings.Contains(page, "0905***222") || strings.Contains(page, "0905111222") {
			t.Errorf("user page: %d, masked phone shown: %v, whole number shown: %v", resp.StatusCode, strings.Contains(page, "0905***222"), strings.Contains(page, "0905111222"))
		}
		// A reset sends the temporary password to the phone instead of showing it.
		resp, page = b.post(userPage+"/password", url.Values{})
		if resp.StatusCode != http.StatusOK || strings.Contains(page, "temp-password") || !strings.Contains(page, "gửi qua Zalo tới 0905***222") {
			t.Errorf("reset: %d %.400s", resp.StatusCode, stripTags(page))
		}
		var resets int
		if err := d.Reader().QueryRowContext(e.sys, "SELECT COUNT(*) FROM notify_messages WHERE recipient = '0905111222' AND body LIKE '%mật khẩu tạm%'").Scan(&resets); err != nil || resets != 1 {
			t.Errorf("%d reset messages (%v)", resets, err)
		}
	})
}

// The outbox lists phone recipients masked; e-mail addresses stay whole.
func TestOutboxMasksPhones(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		e.mustUser("to.cnscd.outbox", accounts.NewUser{Role: authz.TeamMember, UnitCode: e.baToCommune, Phone: "0905333444", MustChangePassword: true})
		b := e.browser()
		b.login("province.admin", testPassword)
		resp, page := b.get("/admin/outbox")
		if resp.StatusCode != http.StatusOK || !strings.Contains(page, "0905***444") || strings.Contains(page, "0905333444") {
			t.Errorf("outbox: %d, masked %v, whole %v", resp.StatusCode, strings.Contains(page, "0905***444"), strings.Contains(page, "0905333444"))
		}
	})
}
