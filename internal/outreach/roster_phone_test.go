package outreach_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/notify"
	"github.com/lantoa/lantoa/internal/outreach"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/platform/sheet"
	"github.com/lantoa/lantoa/internal/schema"
)

// A roster with a phone column: bad numbers, a number twice, a number another account uses and a
// member who already has another number refuse the whole file with their lines; a good file sends
// the new members' one-time passwords by SMS or Zalo (not printed), prints the password of the one
// without a phone, and gives the registered member the number.
func TestRosterImportWithPhones(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		out := notify.NewService(d)
		f.acc = accounts.NewService(d, accounts.WithNotify(out, "https://lantoa.quangngai.gov.vn"))
		f.svc.Accounts = f.acc
		bato, _ := f.acc.CreateUser(f.sys, accounts.NewUser{Username: "ubnd.bt", Password: "mật khẩu đủ dài 2023", Role: authz.UnitAdmin, UnitCode: "535"})
		adm := f.as(bato)
		team, err := f.svc.CreateTeam(adm, outreach.Team{Name: "Tổ CNSCĐ thôn Gò Da", UnitCode: f.village})
		if err != nil {
			t.Fatal(err)
		}
		_, registered := f.member(f.commune)
		_, withPhone := f.member(f.commune)
		if err := f.acc.SetPhone(f.sys, withPhone.ID, "0911000222", notify.SMS, "phone"); err != nil {
			t.Fatal(err)
		}
		before := messages(t, f, out)
		header := []string{"Tài khoản", "Họ tên", "Số điện thoại", "Nhận qua"}
		bad := rosterXLSX(header,
			[]any{"moi.a", "Mới A", "0123 456 789", ""},          // line 2: not a mobile number
			[]any{"moi.b", "Mới B", "0905 123 123", "sms"},       // fine
			[]any{"moi.c", "Mới C", "+84905123123", ""},          // 4: the number of line 3
			[]any{"moi.d", "Mới D", "0911000222", ""},            // 5: another account's number
			[]any{withPhone.Username, "", "0977000333", ""},      // 6: that member has another number
			[]any{"moi.e", "Mới E", "0966000444", "fax"},         // 7: no such channel
			[]any{"moi.f", "Mới F", strings.Repeat("9", 60), ""}, // 8: oversized
		)
		_, err = f.svc.ImportRoster(adm, team.ID, bytes.NewReader(bad))
		ae := apperr.As(err)
		lines := map[int]string{}
		for _, dt := range ae.Details {
			lines[dt.Line] = dt.Field + " " + dt.Key
		}
		want := map[int]string{2: "phone accounts.error.phone", 4: "phone outreach.error.roster_phone_duplicate", 5: "phone accounts.error.phone_taken",
			6: "phone accounts.error.phone_other", 7: "channel accounts.error.phone_channel", 8: "phone accounts.error.phone"}
		if ae.Kind != apperr.Invalid || len(lines) != len(want) {
			t.Fatalf("bad roster: %v %v", err, lines)
		}
		for l, w := range want {
			if lines[l] != w {
				t.Errorf("line %d: %q, want %q", l, lines[l], w)
			}
		}
		if _, err := f.acc.FindByUsername(f.sys, "moi.b"); err == nil {
			t.Error("a refused roster created an account")
		}
		if n := len(messages(t, f, out)); n != len(before) {
			t.Errorf("a refused roster queued %d messages", n-len(before))
		}

		good := rosterXLSX(append(header, "Tổ trưởng"),
			[]any{"moi.b", "Mới B", "0905 123 123", "", "x"},
			[]any{"moi.c", "Mới C", "84398765432", "Zalo", ""},
			[]any{"moi.g", "Mới G", "", "", ""},
			[]any{registered.Username, "", "0977000333", "", ""},
			// A number the spreadsheet stored as a number, without its leading zero.
			[]any{"moi.h", "Mới H", 912345670, "", ""},
		)
		res, err := f.svc.ImportRoster(adm, team.ID, bytes.NewReader(good))
		if err != nil {
			t.Fatal(err)
		}
		if res.Created != 4 || res.Linked != 1 || res.Sent != 3 || len(res.Team.Members) != 5 {
			t.Fatalf("result %+v", res)
		}
		got := map[string]outreach.RosterRow{}
		for _, r := range res.Rows {
			got[r.Username] = r
		}
		if r := got["moi.b"]; r.Password != "" || r.SentBy != notify.SMS || r.Phone != "0905***123" {
			t.Errorf("moi.b %+v", r)
		}
		if r := got["moi.c"]; r.Password != "" || r.SentBy != notify.Zalo || r.Phone != "0398***432" {
			t.Errorf("moi.c %+v", r)
		}
		if r := got["moi.h"]; r.Password != "" || r.SentBy != notify.SMS || r.Phone != "0912***670" {
			t.Errorf("moi.h %+v", r)
		}
		if r := got["moi.g"]; r.Password == "" || r.SentBy != "" || r.Phone != "" {
			t.Errorf("moi.g %+v", r)
		}
		sent := map[string]notify.Message{}
		for _, m := range messages(t, f, out)[:3] {
			sent[m.Recipient] = m
		}
		if m := sent["0905123123"]; m.Channel != notify.SMS || !strings.Contains(m.Body, "moi.b") || !strings.Contains(m.Body, "mật khẩu dùng một lần") {
			t.Errorf("SMS %+v", m)
		}
		if m := sent["0398765432"]; m.Channel != notify.Zalo || !strings.Contains(m.Body, "moi.c") {
			t.Errorf("Zalo %+v", m)
		}
		if p, err := f.acc.PhoneOf(f.sys, registered); err != nil || p.Masked != "0977***333" {
			t.Errorf("registered member's phone %+v %v", p, err)
		}
		// The imported member signs in with a code.
		if err := f.acc.RequestPhoneCode(f.sys, "0905123123", "10.1.1.1"); err != nil {
			t.Fatal(err)
		}
		if m := messages(t, f, out)[0]; m.Recipient != "0905123123" || !strings.Contains(m.Body, "mã đăng nhập") {
			t.Errorf("code message %+v", m)
		}
	})
}

func messages(t *testing.T, f *fixture, out *notify.Service) []notify.Message {
	t.Helper()
	list, err := out.List(f.sys, notify.Filter{Kind: notify.AccountInvitation})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// The template's header is the import's: a filled-in template imports as it is.
func TestRosterTemplateImports(t *testing.T) {
	for _, format := range []string{"xlsx", "csv"} {
		data, err := outreach.RosterTemplate(format)
		if err != nil {
			t.Fatal(err)
		}
		header, rows, err := sheet.ReadTable(bytes.NewReader(data), sheet.DefaultLimits)
		if err != nil || len(rows) != 3 || strings.Join(header, ",") != strings.Join(outreach.RosterColumns, ",") {
			t.Fatalf("%s template: %v %d %v", format, header, len(rows), err)
		}
	}
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		bato, _ := f.acc.CreateUser(f.sys, accounts.NewUser{Username: "ubnd.bt", Password: "mật khẩu đủ dài 2023", Role: authz.UnitAdmin, UnitCode: "535"})
		team, err := f.svc.CreateTeam(f.as(bato), outreach.Team{Name: "Tổ mẫu", UnitCode: f.village})
		if err != nil {
			t.Fatal(err)
		}
		data, _ := outreach.RosterTemplate("xlsx")
		res, err := f.svc.ImportRoster(f.as(bato), team.ID, bytes.NewReader(data))
		if err != nil || res.Created != 3 {
			t.Fatalf("template import: %+v %v", res, err)
		}
		// Without an outbox every password is printed.
		for _, r := range res.Rows {
			if r.Password == "" || r.SentBy != "" {
				t.Errorf("row %+v", r)
			}
		}
	})
}
