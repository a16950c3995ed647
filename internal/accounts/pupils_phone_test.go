package accounts_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/notify"
	"github.com/lantoa/lantoa/internal/orgs"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/platform/sheet"
	"github.com/lantoa/lantoa/internal/schema"
)

// A pupil roster with the pupils' own phones: bad numbers, a number twice and a number another
// account uses refuse the roster with their lines; a good one sends the passwords of pupils with a
// phone by SMS or Zalo, in the accounts' transaction, and the printed list says so instead of
// showing them.
func TestPupilRosterWithPhones(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := newPhoneFixture(t, d)
		school, err := orgs.NewService(d).Create(f.sys, orgs.Org{Name: "Trường THPT Ba Tơ", Kind: orgs.School, UnitCode: "535"})
		if err != nil {
			t.Fatal(err)
		}
		admin, err := f.s.CreateUser(f.sys, accounts.NewUser{Username: "bgh.thpt.bato", Password: pw, Role: authz.OrgAdmin, OrgID: school.ID})
		if err != nil {
			t.Fatal(err)
		}
		ctx := authz.WithActor(f.sys, &authz.Actor{UserID: admin.ID, Username: admin.Username, Grants: admin.Grants})
		f.member("to.cnscd.an", "0905123123", authz.TeamMember, "")
		year := f.now.Year() - 17
		var b bytes.Buffer
		if err := sheet.WriteXLSX(&b, sheet.Table{Name: "HS", Header: accounts.PupilColumns, Rows: [][]any{
			{"Trần Văn Minh", year, "11B", "", "", "", "0912 000 111", "sms"},
			{"Lê Thị Hoa", year, "11B", "", "", "", "0123456789", ""},        // line 3: not mobile
			{"Phạm Văn Nam", year, "11B", "", "", "", "+84912000111", ""},    // 4: same as line 2
			{"Võ Thị Mai", year, "11B", "", "", "", "0905123123", ""},        // 5: a team member's
			{"Đặng Văn Tú", year, "11B", "", "", "", "0933000444", "bồ câu"}, // 6: no such channel
		}}); err != nil {
			t.Fatal(err)
		}
		_, err = f.s.CheckPupilRoster(ctx, school.ID, bytes.NewReader(b.Bytes()))
		ae := apperr.As(err)
		var got []string
		for _, dt := range ae.Details {
			got = append(got, fmt.Sprintf("%d %s %s", dt.Line, dt.Field, dt.Key))
		}
		want := "3 so_dien_thoai accounts.error.phone|4 so_dien_thoai accounts.pupils.phone_duplicate|5 so_dien_thoai accounts.error.phone_taken|6 nhan_qua accounts.error.phone_channel"
		if ae.Kind != apperr.Invalid || strings.Join(got, "|") != want {
			t.Fatalf("bad roster: %v\n got %s\nwant %s", err, strings.Join(got, "|"), want)
		}

		csv := fmt.Sprintf("ho_ten,ngay_sinh,lop,so_dien_thoai,nhan_qua\nTrần Văn Minh,%d,11B,0912 000 111,\nLê Thị Hoa,%d,11B,0987 000 222,Zalo\nPhạm Văn Nam,%d,11B,,\n", year, year, year)
		ro, err := f.s.CheckPupilRoster(ctx, school.ID, strings.NewReader(csv))
		if err != nil {
			t.Fatal(err)
		}
		before := len(f.messages())
		creds, err := f.s.CreatePupils(ctx, ro, nil)
		if err != nil {
			t.Fatal(err)
		}
		if creds[0].Password != "" || creds[0].SentBy != notify.SMS || creds[0].Phone != "0912***111" ||
			creds[1].Password != "" || creds[1].SentBy != notify.Zalo || creds[2].Password == "" || creds[2].SentBy != "" {
			t.Errorf("credentials %+v", creds)
		}
		msgs := f.messages()
		if len(msgs)-before != 2 {
			t.Fatalf("%d messages, want 2", len(msgs)-before)
		}
		byPhone := map[string]notify.Message{}
		for _, m := range msgs[:2] {
			byPhone[m.Recipient] = m
		}
		if m := byPhone["0912000111"]; m.Channel != notify.SMS || !strings.Contains(m.Body, creds[0].Username) || !strings.Contains(m.Body, "mật khẩu dùng một lần") {
			t.Errorf("SMS %+v", m)
		}
		if m := byPhone["0987000222"]; m.Channel != notify.Zalo {
			t.Errorf("Zalo %+v", m)
		}
		var list bytes.Buffer
		if err := accounts.CredentialsXLSX(&list, "Trường THPT Ba Tơ", creds); err != nil {
			t.Fatal(err)
		}
		_, rows, err := sheet.ReadTable(&list, sheet.DefaultLimits)
		if err != nil || len(rows) != 3 || rows[0].Fields[4] != "Đã gửi qua SMS tới 0912***111" || rows[1].Fields[4] != "Đã gửi qua Zalo tới 0987***222" ||
			rows[2].Fields[4] != creds[2].Password {
			t.Errorf("printed list %+v %v", rows, err)
		}
		// The pupil signs in with a code.
		if err := f.s.RequestPhoneCode(f.sys, "0912000111", "10.2.2.2"); err != nil {
			t.Fatal(err)
		}
		u, err := f.s.VerifyPhoneCode(f.sys, "0912000111", f.lastCode("0912000111"), "10.2.2.2")
		if err != nil || u.Username != creds[0].Username {
			t.Errorf("pupil code sign-in: %+v %v", u, err)
		}
	})
}
