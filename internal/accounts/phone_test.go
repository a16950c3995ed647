package accounts_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/notify"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
)

type phoneFixture struct {
	t   *testing.T
	d   *db.DB
	s   *accounts.Service
	out *notify.Service
	sys context.Context
	now time.Time
}

func newPhoneFixture(t *testing.T, d *db.DB) *phoneFixture {
	_, sys := setup(t, d)
	f := &phoneFixture{t: t, d: d, out: notify.NewService(d), sys: sys, now: time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)}
	f.s = accounts.NewService(d, accounts.WithNotify(f.out, "https://lantoa.quangngai.gov.vn"))
	f.s.Now = func() time.Time { return f.now }
	f.out.Now = f.s.Now
	return f
}

func (f *phoneFixture) messages() []notify.Message {
	f.t.Helper()
	list, err := f.out.List(f.sys, notify.Filter{Kind: notify.AccountInvitation})
	if err != nil {
		f.t.Fatal(err)
	}
	return list
}

var codeRe = regexp.MustCompile(`mã đăng nhập của bạn là (\d{6})`)

// lastCode is the code in the newest message to phone, "" when the newest message there is not a code.
func (f *phoneFixture) lastCode(phone string) string {
	f.t.Helper()
	for _, m := range f.messages() {
		if m.Recipient == phone {
			if c := codeRe.FindStringSubmatch(m.Body); c != nil {
				return c[1]
			}
			return ""
		}
	}
	return ""
}

func (f *phoneFixture) member(username, phone string, role authz.Role, ch notify.Channel) accounts.User {
	f.t.Helper()
	n := accounts.NewUser{Username: username, DisplayName: "Người " + username, Password: pw, Role: role, UnitCode: "535", Phone: phone,
		PhoneChannel: ch, MustChangePassword: true}
	if role == authz.ProvinceAdmin {
		n.UnitCode = "51"
	}
	u, err := f.s.CreateUser(f.sys, n)
	if err != nil {
		f.t.Fatal(err)
	}
	return u
}

func (f *phoneFixture) audits(action string) []audit.Entry {
	f.t.Helper()
	list, err := audit.List(f.sys, f.d.Reader(), audit.Filter{Action: action, Limit: 100})
	if err != nil {
		f.t.Fatal(err)
	}
	return list
}

// An account created with a phone gets its one-time password by SMS (or Zalo), in the creating
// transaction; the number is stored in its national form, once: a second account cannot take it.
func TestCreateUserWithPhoneQueuesPassword(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := newPhoneFixture(t, d)
		u := f.member("to.cnscd.an", "+84 905.123.123", authz.TeamMember, "")
		list := f.messages()
		if len(list) != 1 {
			t.Fatalf("%d messages, want 1", len(list))
		}
		m := list[0]
		if m.Channel != notify.SMS || m.Recipient != "0905123123" || m.UserID != u.ID || !strings.Contains(m.Body, pw) ||
			!strings.Contains(m.Body, "to.cnscd.an") || !strings.Contains(m.Body, "https://lantoa.quangngai.gov.vn/login") {
			t.Errorf("SMS invitation %+v", m)
		}
		if vi, en := strings.Index(m.Body, "mật khẩu dùng một lần"), strings.Index(m.Body, "one-time password"); vi < 0 || en < vi {
			t.Errorf("Vietnamese first, then English: %q", m.Body)
		}
		z := f.member("hv.binh", "0398765432", authz.Learner, notify.Zalo)
		if m := f.messages()[0]; m.Channel != notify.Zalo || m.UserID != z.ID || m.Recipient != "0398765432" || m.TemplateData["otp"] != pw {
			t.Errorf("Zalo invitation %+v", m)
		}
		if m := list[0]; m.TemplateData != nil {
			t.Errorf("an SMS carries template data %v", m.TemplateData)
		}
		p, err := f.s.PhoneOf(f.sys, u)
		if err != nil || p.Masked != "0905***123" || p.Channel != notify.SMS {
			t.Errorf("PhoneOf = %+v, %v", p, err)
		}
		// The same number, written differently, is taken.
		_, err = f.s.CreateUser(f.sys, accounts.NewUser{Username: "to.cnscd.binh", Password: pw, Role: authz.TeamMember, UnitCode: "535", Phone: "0905 123 123"})
		if ae := apperr.As(err); ae.Kind != apperr.Conflict || ae.Field != "phone" {
			t.Errorf("taken phone: %#v", err)
		}
		if _, err := f.s.FindByUsername(f.sys, "to.cnscd.binh"); err == nil {
			t.Error("the account with a taken phone was created")
		}
		for _, bad := range []string{"0123456789", "0905 123 12", "số điện thoại", "+1 202 555 0100"} {
			_, err = f.s.CreateUser(f.sys, accounts.NewUser{Username: "to.cnscd.chi", Password: pw, Role: authz.TeamMember, UnitCode: "535", Phone: bad})
			if ae := apperr.As(err); ae.Kind != apperr.Invalid || ae.Field != "phone" {
				t.Errorf("phone %q: %#v", bad, err)
			}
		}
		_, err = f.s.CreateUser(f.sys, accounts.NewUser{Username: "to.cnscd.chi", Password: pw, Role: authz.TeamMember, UnitCode: "535", Phone: "0912000111", PhoneChannel: "fax"})
		if ae := apperr.As(err); ae.Kind != apperr.Invalid || ae.Field != "phone_channel" {
			t.Errorf("channel fax: %#v", err)
		}
		if n := len(f.messages()); n != 2 {
			t.Errorf("%d messages after refused creations, want 2", n)
		}
	})
}

// A code signs in once, within its lifetime, and only its number's account.
func TestPhoneCodeSignsInOnce(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := newPhoneFixture(t, d)
		u := f.member("to.cnscd.an", "0905123123", authz.TeamMember, "")
		f.member("hv.binh", "0398765432", authz.Learner, notify.Zalo)
		if err := f.s.RequestPhoneCode(f.sys, "+84905123123", "10.0.0.1"); err != nil {
			t.Fatal(err)
		}
		code := f.lastCode("0905123123")
		if code == "" {
			t.Fatal("no code queued")
		}
		m := f.messages()[0]
		if m.Channel != notify.SMS || m.UserID != u.ID || m.Kind != notify.AccountInvitation {
			t.Errorf("code message %+v", m)
		}
		wrong := "000000"
		if code == wrong {
			wrong = "111111"
		}
		if _, err := f.s.VerifyPhoneCode(f.sys, "0905123123", wrong, "10.0.0.1"); !apperr.Is(err, apperr.Unauthenticated) {
			t.Fatalf("wrong code: %v", err)
		}
		// Another number's code does not open this account.
		if err := f.s.RequestPhoneCode(f.sys, "0398765432", "10.0.0.1"); err != nil {
			t.Fatal(err)
		}
		if z := f.messages()[0]; z.Channel != notify.Zalo || z.Recipient != "0398765432" || z.TemplateData["otp"] != f.lastCode("0398765432") {
			t.Errorf("Zalo code %+v (template data %v)", z, z.TemplateData)
		}
		if zc := f.lastCode("0398765432"); zc != code {
			if _, err := f.s.VerifyPhoneCode(f.sys, "0905123123", zc, "10.0.0.1"); err == nil {
				t.Error("another number's code signed in")
			}
		}
		got, err := f.s.VerifyPhoneCode(f.sys, "0905 123 123", code, "10.0.0.1")
		if err != nil || got.ID != u.ID {
			t.Fatalf("right code: %+v, %v", got, err)
		}
		if _, err := f.s.VerifyPhoneCode(f.sys, "0905123123", code, "10.0.0.1"); !apperr.Is(err, apperr.Unauthenticated) {
			t.Errorf("replayed code: %v", err)
		}
		// The one-time password sent with the invitation is spent: the code sign-in replaced it.
		if got.MustChangePassword {
			t.Error("still asked to change the one-time password")
		}
		if _, err := f.s.Authenticate(f.sys, "to.cnscd.an", pw, "10.0.0.1"); err == nil {
			t.Error("the one-time password still opens the account after a code sign-in")
		}
		// Expiry.
		if err := f.s.RequestPhoneCode(f.sys, "0905123123", "10.0.0.1"); err != nil {
			t.Fatal(err)
		}
		code = f.lastCode("0905123123")
		f.now = f.now.Add(accounts.PhoneCodeTTL + time.Second)
		if _, err := f.s.VerifyPhoneCode(f.sys, "0905123123", code, "10.0.0.1"); !apperr.Is(err, apperr.Unauthenticated) {
			t.Errorf("expired code: %v", err)
		}
		if _, err := f.s.VerifyPhoneCode(f.sys, "0905123123", "12345", "10.0.0.1"); apperr.As(err).Field != "code" {
			t.Errorf("five digits: %v", err)
		}
		if n := len(f.audits("phone_code.issue")); n != 3 {
			t.Errorf("%d issue entries, want 3", n)
		}
		if n := len(f.audits("phone_code.verify")); n != 1 {
			t.Errorf("%d verify entries, want 1", n)
		}
		for _, e := range f.audits("phone_code.refuse") {
			if strings.Contains(e.ObjectID+e.Detail, "0905123123") {
				t.Errorf("the audit log keeps the whole number: %+v", e)
			}
		}
	})
}

// Five wrong tries kill a code; ten failures on a number throttle it, like passwords.
func TestPhoneCodeWrongAttempts(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := newPhoneFixture(t, d)
		f.member("to.cnscd.an", "0905123123", authz.TeamMember, "")
		if err := f.s.RequestPhoneCode(f.sys, "0905123123", "10.0.0.1"); err != nil {
			t.Fatal(err)
		}
		code := f.lastCode("0905123123")
		wrong := func(i int) string {
			w := []byte(code)
			w[0] = '0' + (w[0]-'0'+byte(1+i%9))%10
			return string(w)
		}
		for i := range 5 {
			if _, err := f.s.VerifyPhoneCode(f.sys, "0905123123", wrong(i), "10.0.0.2"); !apperr.Is(err, apperr.Unauthenticated) {
				t.Fatalf("wrong try %d: %v", i, err)
			}
		}
		if _, err := f.s.VerifyPhoneCode(f.sys, "0905123123", code, "10.0.0.2"); !apperr.Is(err, apperr.Unauthenticated) {
			t.Errorf("the right code after five wrong tries: %v", err)
		}
		// Five more failures (against no live code) reach the number's limit of ten.
		for i := range 4 {
			if _, err := f.s.VerifyPhoneCode(f.sys, "0905123123", wrong(i), "10.0.0.3"); !apperr.Is(err, apperr.Unauthenticated) {
				t.Fatalf("failure %d: %v", i, err)
			}
		}
		_, err := f.s.VerifyPhoneCode(f.sys, "0905123123", code, "10.0.0.4")
		if !apperr.Is(err, apperr.TooMany) || accounts.RetryAfter(err) <= 0 || accounts.RetryAfter(err) > 15*time.Minute {
			t.Errorf("eleventh try: %v (retry after %v)", err, accounts.RetryAfter(err))
		}
	})
}

// Codes are throttled per number and per address, and a registered number, an unknown one and a
// staff member's all get the same answers; only the registered member's gets a message.
func TestPhoneCodeThrottleAndSameAnswer(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := newPhoneFixture(t, d)
		f.member("to.cnscd.an", "0905123123", authz.TeamMember, "")
		f.member("so.tttt", "0912888999", authz.ProvinceAdmin, "")
		before := len(f.messages())
		answers := map[string][]string{}
		for _, phone := range []string{"0905123123", "0977000111", "0912888999"} {
			for i := range 4 {
				err := f.s.RequestPhoneCode(f.sys, phone, "10.0.1."+phone[len(phone)-1:])
				ans := "ok"
				if err != nil {
					ans = apperr.As(err).Kind.String() + " " + apperr.As(err).Key
					if i == 3 && (accounts.RetryAfter(err) <= 0 || accounts.RetryAfter(err) > 15*time.Minute) {
						t.Errorf("%s: retry after %v", phone, accounts.RetryAfter(err))
					}
				}
				answers[phone] = append(answers[phone], ans)
			}
		}
		want := "ok ok ok too_many_requests accounts.error.phone_code_throttled"
		for phone, a := range answers {
			if got := strings.Join(a, " "); got != want {
				t.Errorf("%s answered %q, want %q", phone, got, want)
			}
		}
		if n := len(f.messages()) - before; n != 3 {
			t.Errorf("%d codes sent, want 3 (the member's only)", n)
		}
		if f.lastCode("0912888999") != "" {
			t.Error("a staff member got a code")
		}
		// The staff member cannot sign in with a code either.
		if _, err := f.s.VerifyPhoneCode(f.sys, "0912888999", "123456", "10.0.1.9"); !apperr.Is(err, apperr.Unauthenticated) {
			t.Errorf("staff verify: %v", err)
		}
		refused := map[string]int{}
		for _, e := range f.audits("phone_code.refuse") {
			refused[e.Detail]++
		}
		if refused["staff"] != 3 || refused["unknown"] != 3 {
			t.Errorf("refusals audited: %v", refused)
		}
		// A window later the number may ask again.
		f.now = f.now.Add(16 * time.Minute)
		if err := f.s.RequestPhoneCode(f.sys, "0905123123", "10.0.1.3"); err != nil {
			t.Errorf("after the window: %v", err)
		}
		// One address asking for many numbers is stopped at ten.
		var last error
		for i := range 11 {
			last = f.s.RequestPhoneCode(f.sys, "09770002"+string(rune('0'+i/10))+string(rune('0'+i%10)), "10.0.2.1")
			if i < 10 && last != nil {
				t.Fatalf("request %d: %v", i, last)
			}
		}
		if !apperr.Is(last, apperr.TooMany) {
			t.Errorf("eleventh number from one address: %v", last)
		}
		if err := f.s.RequestPhoneCode(f.sys, "09770002xx", "10.0.2.2"); apperr.As(err).Field != "phone" {
			t.Errorf("malformed number: %v", err)
		}
	})
}

// An account disabled, or made an administrator, after its code went out cannot use the code.
func TestPhoneCodeRechecksTheAccount(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := newPhoneFixture(t, d)
		u := f.member("to.cnscd.an", "0905123123", authz.TeamMember, "")
		if err := f.s.RequestPhoneCode(f.sys, "0905123123", "10.0.0.1"); err != nil {
			t.Fatal(err)
		}
		code := f.lastCode("0905123123")
		if _, err := f.s.AddGrant(f.sys, u.ID, authz.UnitAdmin, "535", 0); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.VerifyPhoneCode(f.sys, "0905123123", code, "10.0.0.1"); !apperr.Is(err, apperr.Unauthenticated) {
			t.Errorf("code of a member made administrator: %v", err)
		}
	})
}

// Requests for one number at the same moment, from many addresses, still get three codes between
// them: the limits are counted one request after the other, on both engines.
func TestPhoneCodeLimitUnderConcurrency(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := newPhoneFixture(t, d)
		f.member("to.cnscd.an", "0905123123", authz.TeamMember, "")
		var wg sync.WaitGroup
		var mu sync.Mutex
		results := map[string]int{}
		for i := range 12 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := f.s.RequestPhoneCode(f.sys, "0905123123", fmt.Sprintf("10.9.0.%d", i))
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					results[apperr.As(err).Key]++
				} else {
					results["ok"]++
				}
			}()
		}
		wg.Wait()
		if results["ok"] != 3 || results["accounts.error.phone_code_throttled"] != 9 {
			t.Errorf("12 requests at once: %v, want 3 codes and 9 refusals", results)
		}
	})
}
