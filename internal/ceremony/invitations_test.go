package ceremony_test

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/lantoa/lantoa/internal/ceremony"
	"github.com/lantoa/lantoa/internal/notify"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/platform/i18n"
	"github.com/lantoa/lantoa/internal/platform/pdfdoc/pdftest"
	"github.com/lantoa/lantoa/internal/platform/sheet"
	"github.com/lantoa/lantoa/internal/schema"
)

// xlsxOf builds an xlsx file with the given header and rows, as a person would fill the template.
func xlsxOf(t *testing.T, header []string, rows ...[]any) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := sheet.WriteXLSX(&buf, sheet.Table{Name: "Đại biểu", Header: header, Rows: rows}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

var viHeader = []string{"STT", "Họ tên", "Chức vụ", "Đơn vị/Cơ quan", "E-mail", "Điện thoại", "Kênh (email/sms/zalo)"}

// invitationFixture is a ceremony with points and an outbox: the main site's point, Ba Tơ's
// district point, and the district's administrator.
type invitationFixture struct {
	*fixture
	main, baTo ceremony.Point
	district   context.Context
}

func newInvitationFixture(t *testing.T, d *db.DB) *invitationFixture {
	f := newFixture(t, d)
	f.now = f.starts.Add(-72 * time.Hour)
	f.rebuild(ceremony.WithNotify(f.outbox(), "https://lantoa.quangngai.gov.vn"))
	if _, err := f.svc.GeneratePoints(f.sys, f.ceremID); err != nil {
		t.Fatal(err)
	}
	mains, _ := f.svc.ListPoints(f.sys, f.ceremID, ceremony.PointFilter{Level: ceremony.Main})
	districts, _ := f.svc.ListPoints(f.sys, f.ceremID, ceremony.PointFilter{Level: ceremony.District, DistrictCode: "535"})
	if len(mains) != 1 || len(districts) != 1 {
		t.Fatalf("points: %d main, %d Ba Tơ", len(mains), len(districts))
	}
	return &invitationFixture{fixture: f, main: mains[0], baTo: districts[0], district: as(unitActor(authz.UnitAdmin, f.unit("535")))}
}

func (f *invitationFixture) count(pid int64) int {
	f.t.Helper()
	list, err := f.svc.Delegates(f.sys, f.ceremID, pid)
	if err != nil {
		f.t.Fatal(err)
	}
	return len(list)
}

func lines(err error) []int {
	var out []int
	for _, d := range apperr.As(err).Details {
		out = append(out, d.Line)
	}
	return out
}

func TestImportDelegates(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := newInvitationFixture(t, d)
		good := xlsxOf(t, viHeader,
			[]any{1, "Phạm  Văn Đồng", "Chủ tịch", "UBND huyện Ba Tơ", "PVDong@BaTo.QuangNgai.gov.vn", "", ""},
			[]any{2, "Đinh Thị Hoa", "Phó Chủ tịch", "UBND huyện Ba Tơ", "", "+84 905.111.222", "zalo"},
			[]any{3, "Lê Văn Ba", "Chánh Văn phòng", "UBND huyện Ba Tơ", "", "905222333", ""},
			[]any{4, "Nguyễn Thị Bốn", "", "", "", "", ""},
		)
		res, err := f.svc.ImportDelegates(f.district, f.ceremID, f.baTo.ID, bytes.NewReader(good), nil)
		if err != nil || res.Added != 4 {
			t.Fatalf("good import: %+v %v", res, err)
		}
		list, _ := f.svc.Delegates(f.sys, f.ceremID, f.baTo.ID)
		want := []struct{ name, email, phone, channel string }{
			{"Phạm Văn Đồng", "pvdong@bato.quangngai.gov.vn", "", "email"},
			{"Đinh Thị Hoa", "", "0905111222", "zalo"},
			{"Lê Văn Ba", "", "0905222333", "sms"},
			{"Nguyễn Thị Bốn", "", "", ""},
		}
		for i, w := range want {
			g := list[i]
			if g.FullName != w.name || g.Email != w.email || g.Phone != w.phone || g.Channel != w.channel || g.Group != "district_leaders" || len(g.Token) != 32 {
				t.Errorf("delegate %d: %+v, want %+v", i, g, w)
			}
		}

		// Every bad file is refused whole: the bad lines are named and nothing is written.
		before := f.count(f.baTo.ID)
		many := make([][]any, ceremony.MaxDelegatesPerPoint+1)
		for i := range many {
			many[i] = []any{i + 1, fmt.Sprintf("Đại biểu %d", i), "", "", "", "", ""}
		}
		long := strings.Repeat("á", ceremony.MaxText+1)
		for _, c := range []struct {
			name  string
			file  []byte
			key   string
			lines []int
		}{
			{"unknown column", xlsxOf(t, append(viHeader, "Số CCCD"), []any{1, "Trần Năm", "", "", "", "", "", "0123"}), "ceremony.import.header_unknown", nil},
			{"no name column", xlsxOf(t, []string{"Chức vụ", "E-mail"}, []any{"Giám đốc", "a@b.vn"}), "ceremony.import.header_name", nil},
			{"missing name", xlsxOf(t, viHeader, []any{1, "Trần Năm", "", "", "", "", ""}, []any{2, "", "Giám đốc", "Sở Y tế", "", "", ""}), "ceremony.import.rejected", []int{3}},
			{"bad e-mail", xlsxOf(t, viHeader, []any{1, "Trần Năm", "", "", "tran nam@sở", "", ""}, []any{2, "Trần Sáu", "", "", "sau@", "", ""}), "ceremony.import.rejected", []int{2, 3}},
			{"bad phone", xlsxOf(t, viHeader, []any{1, "Trần Năm", "", "", "", "0255 3822 123", "sms"}, []any{2, "Trần Sáu", "", "", "", "=cmd|x", ""}), "ceremony.import.rejected", []int{2, 3}},
			{"bad channel", xlsxOf(t, viHeader, []any{1, "Trần Năm", "", "", "nam@quangngai.gov.vn", "", "fax"}), "ceremony.import.rejected", []int{2}},
			{"channel without contact", xlsxOf(t, viHeader, []any{1, "Trần Năm", "", "", "", "", "email"}, []any{2, "Trần Sáu", "", "", "sau@quangngai.gov.vn", "", "zalo"}), "ceremony.import.rejected", []int{2, 3}},
			{"duplicate in file", xlsxOf(t, viHeader, []any{1, "Trần Năm", "", "", "nam@quangngai.gov.vn", "", ""}, []any{2, "Trần Năm B", "", "", "NAM@quangngai.gov.vn", "", ""}, []any{3, "Trần Sáu", "", "", "", "0912000001", ""}, []any{4, "Trần Bảy", "", "", "", "+84912000001", ""}), "ceremony.import.rejected", []int{3, 5}},
			{"duplicate of existing", xlsxOf(t, viHeader, []any{1, "Ai Đó", "", "", "", "0905 111 222", ""}, []any{2, "Phạm Văn Đồng", "Chủ tịch", "UBND huyện Ba Tơ", "", "", ""}, []any{3, "Trần Tám", "", "", "", "", ""}), "ceremony.import.rejected", []int{2, 3}},
			{"too long", xlsxOf(t, viHeader, []any{1, "Trần Năm", long, "", "", "", ""}), "ceremony.import.rejected", []int{2}},
			{"too many rows", xlsxOf(t, viHeader, many...), "ceremony.import.too_many", nil},
			{"not a spreadsheet", []byte("PK\x03\x04 not really a zip archive"), "ceremony.import.format", nil},
			{"binary", []byte{0xff, 0xfe, 0x00, 0x01, 0x80, 0x81}, "ceremony.import.format", nil},
			{"empty", xlsxOf(t, viHeader), "ceremony.import.empty", nil},
		} {
			_, err := f.svc.ImportDelegates(f.district, f.ceremID, f.baTo.ID, bytes.NewReader(c.file), nil)
			e := apperr.As(err)
			if e.Kind != apperr.Invalid || e.Key != c.key {
				t.Errorf("%s: %v", c.name, err)
				continue
			}
			if got := lines(err); fmt.Sprint(got) != fmt.Sprint(c.lines) && c.lines != nil {
				t.Errorf("%s: lines %v, want %v (%+v)", c.name, got, c.lines, e.Details)
			}
			if n := f.count(f.baTo.ID); n != before {
				t.Fatalf("%s: %d delegates after a refused file, want %d", c.name, n, before)
			}
		}
		// The point's room counts what it holds already.
		room := make([][]any, ceremony.MaxDelegatesPerPoint-before+1)
		for i := range room {
			room[i] = []any{i + 1, fmt.Sprintf("Khách mời %d", i), "", "", "", "", ""}
		}
		if _, err := f.svc.ImportDelegates(f.district, f.ceremID, f.baTo.ID, bytes.NewReader(xlsxOf(t, viHeader, room...)), nil); apperr.As(err).Key != "ceremony.import.too_many_point" {
			t.Errorf("over the point's room: %v", err)
		}
		// CSV reads the same; the group may be named in the reader's words.
		csv := "Họ và tên,Chức vụ,Cơ quan,Email,Số điện thoại,Kênh,Nhóm\nVõ Văn Chín,Bí thư,Huyện đoàn Ba Tơ,chin@bato.vn,,,Đoàn thanh niên\n"
		T := func(key string, args ...any) string {
			if key == "ceremony.group.youth_union" {
				return "Đoàn thanh niên"
			}
			return key
		}
		if res, err := f.svc.ImportDelegates(f.district, f.ceremID, f.baTo.ID, strings.NewReader(csv), T); err != nil || res.Added != 1 {
			t.Fatalf("csv: %+v %v", res, err)
		}
		if list, _ := f.svc.Delegates(f.sys, f.ceremID, f.baTo.ID); list[len(list)-1].Group != "youth_union" {
			t.Errorf("csv group: %+v", list[len(list)-1])
		}
		// Another district's administrator does not reach the point: not found, nothing written.
		sonTay := as(unitActor(authz.UnitAdmin, f.unit("534")))
		if _, err := f.svc.ImportDelegates(sonTay, f.ceremID, f.baTo.ID, bytes.NewReader(xlsxOf(t, viHeader, []any{1, "Lạ Mặt", "", "", "", "", ""})), nil); kindOf(err) != apperr.NotFound {
			t.Errorf("out of scope: %v", err)
		}
		if n := f.count(f.baTo.ID); n != before+1 {
			t.Errorf("%d delegates, want %d", n, before+1)
		}
	})
}

var rsvpLink = regexp.MustCompile(`/rsvp/([A-Za-z0-9_-]{32})`)

// lastRSVPToken is the RSVP token of the last invitation sent to email.
func lastRSVPToken(t *testing.T, d *db.DB, email string) string {
	t.Helper()
	msgs := invitations(t, d)[email]
	if len(msgs) == 0 {
		t.Fatalf("no invitation to %s", email)
	}
	m := rsvpLink.FindStringSubmatch(msgs[len(msgs)-1].Body)
	if m == nil {
		t.Fatalf("no link for %s", email)
	}
	return m[1]
}

// invitations are the invitation messages queued, by recipient.
func invitations(t *testing.T, d *db.DB) map[string][]notify.Message {
	out := map[string][]notify.Message{}
	for _, m := range queued(t, d, notify.CeremonyInvitation) {
		out[m.Recipient] = append(out[m.Recipient], m)
	}
	return out
}

func TestSendInvitations(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := newInvitationFixture(t, d)
		file := xlsxOf(t, viHeader,
			[]any{1, "Phạm Văn Đồng", "Chủ tịch", "UBND huyện Ba Tơ", "pvdong@quangngai.gov.vn", "0905 000 111", ""},
			[]any{2, "Đinh Thị Hoa", "Phó Chủ tịch", "UBND huyện Ba Tơ", "", "0905 111 222", "sms"},
			[]any{3, "Lê Văn Ba", "", "", "", "", ""},
		)
		if _, err := f.svc.ImportDelegates(f.district, f.ceremID, f.baTo.ID, bytes.NewReader(file), nil); err != nil {
			t.Fatal(err)
		}
		// The point's operator prepares the list but does not send; another district does not see it.
		operator := as(unitActor(authz.BridgeOperator, f.unit("535")))
		if _, err := f.svc.SendInvitations(operator, f.ceremID, f.baTo.ID, ""); kindOf(err) != apperr.Forbidden {
			t.Errorf("operator sent: %v", err)
		}
		if _, err := f.svc.SendInvitations(as(unitActor(authz.UnitAdmin, f.unit("534"))), f.ceremID, f.baTo.ID, ""); kindOf(err) != apperr.NotFound {
			t.Errorf("Sơn Tây sent: %v", err)
		}
		res, err := f.svc.SendInvitations(f.district, f.ceremID, f.baTo.ID, "")
		if err != nil || res.Sent != 2 || res.Numbered != 2 || res.NoContact != 1 {
			t.Fatalf("send: %+v %v", res, err)
		}
		// Sending again sends nobody twice: exactly one message per delegate and channel.
		if res, err := f.svc.SendInvitations(f.district, f.ceremID, f.baTo.ID, ""); err != nil || res.Sent != 0 {
			t.Fatalf("second send: %+v %v", res, err)
		}
		got := invitations(t, d)
		if len(got) != 2 || len(got["pvdong@quangngai.gov.vn"]) != 1 || len(got["0905111222"]) != 1 {
			t.Fatalf("messages: %+v", got)
		}
		mail, sms := got["pvdong@quangngai.gov.vn"][0], got["0905111222"][0]
		if mail.Channel != notify.Email || mail.Subject != "Giấy mời số 1/GM-UBND: Lễ phát động Phong trào chuyển đổi số" ||
			!strings.Contains(mail.Body, "Số: 1/GM-UBND") || !strings.Contains(mail.Body, "Kính gửi: Ông/Bà Phạm Văn Đồng, Chủ tịch, UBND huyện Ba Tơ") ||
			!rsvpLink.MatchString(mail.Body) || !strings.Contains(mail.Body, "https://lantoa.quangngai.gov.vn/rsvp/") {
			t.Errorf("e-mail: %+v", mail)
		}
		if sms.Channel != notify.SMS || !strings.Contains(sms.Body, "so 2/GM-UBND") || !rsvpLink.MatchString(sms.Body) {
			t.Errorf("sms: %+v", sms)
		}
		list, _ := f.svc.Delegates(f.sys, f.ceremID, f.baTo.ID)
		if list[0].Number() != "1/GM-UBND" || list[1].Number() != "2/GM-UBND" || list[2].Number() != "" || list[0].InvitationYear != 2023 {
			t.Errorf("numbers: %q %q %q", list[0].Number(), list[1].Number(), list[2].Number())
		}
		// Sending again to one delegate keeps the number and queues one more message.
		if res, err := f.svc.ResendInvitation(f.district, f.ceremID, list[0].ID, ""); err != nil || res.Sent != 1 || res.Numbered != 0 {
			t.Fatalf("resend: %+v %v", res, err)
		}
		if again, _, _ := f.svc.FindDelegate(f.sys, f.ceremID, list[0].ID); again.Number() != "1/GM-UBND" || again.Sends != 2 {
			t.Errorf("after resend: %q sends=%d", again.Number(), again.Sends)
		}
		if n := len(invitations(t, d)["pvdong@quangngai.gov.vn"]); n != 2 {
			t.Errorf("%d messages after resend", n)
		}
		// The sending is audited, one entry per invitation sent.
		var audited int
		if err := d.Reader().QueryRowContext(context.Background(), "SELECT COUNT(*) FROM audit_log WHERE action = 'ceremony.invitation_send'").Scan(&audited); err != nil || audited != 3 {
			t.Errorf("audited %d %v", audited, err)
		}
		// The series changes for the numbers given from now on; a withdrawn invitation's number is
		// never given again.
		if _, err := f.svc.SetInvitationSeries(f.district, f.ceremID, "GM-STTTT"); kindOf(err) != apperr.Forbidden {
			t.Errorf("district set the series: %v", err)
		}
		for _, bad := range []string{"", "gm ubnd", "GM/UBND", "GM-UBND-", strings.Repeat("A", 60), "GM-<b>"} {
			if _, err := f.svc.SetInvitationSeries(f.sys, f.ceremID, bad); kindOf(err) != apperr.Invalid {
				t.Errorf("series %q: %v", bad, err)
			}
		}
		if err := f.svc.DeleteDelegate(f.district, f.ceremID, list[1].ID); err != nil {
			t.Fatal(err)
		}
		more := xlsxOf(t, viHeader, []any{1, "Trần Văn Mới", "", "", "moi@quangngai.gov.vn", "", ""}, []any{2, "Trần Văn Hai", "", "", "hai@quangngai.gov.vn", "", ""})
		if _, err := f.svc.ImportDelegates(f.district, f.ceremID, f.baTo.ID, bytes.NewReader(more), nil); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.SendInvitations(f.district, f.ceremID, f.baTo.ID, ""); err != nil {
			t.Fatal(err)
		}
		if s, err := f.svc.SetInvitationSeries(f.sys, f.ceremID, " gm-stttt "); err != nil || s != "GM-STTTT" {
			t.Fatalf("series: %q %v", s, err)
		}
		if _, err := f.svc.AddDelegate(f.district, f.ceremID, f.baTo.ID, ceremony.Delegate{FullName: "Hồ Thị Sở", Group: "district_leaders", Email: "so@quangngai.gov.vn"}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.SendInvitations(f.district, f.ceremID, f.baTo.ID, ""); err != nil {
			t.Fatal(err)
		}
		list, _ = f.svc.Delegates(f.sys, f.ceremID, f.baTo.ID)
		var numbers []string
		for _, x := range list {
			numbers = append(numbers, x.Number())
		}
		if fmt.Sprint(numbers) != "[1/GM-UBND  3/GM-UBND 4/GM-UBND 1/GM-STTTT]" {
			t.Errorf("numbers %q", numbers)
		}
		// Once the ceremony has begun, nothing more is sent.
		f.now = f.starts
		if _, err := f.svc.ResendInvitation(f.district, f.ceremID, list[0].ID, ""); apperr.As(err).Key != "ceremony.error.invitations_closed" {
			t.Errorf("after the start: %v", err)
		}
	})
}

// Senders at several points at once never get the same number: the allocation is atomic on both
// engines, and the numbers run without a gap.
func TestInvitationNumbersConcurrent(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := newInvitationFixture(t, d)
		communes, _ := f.svc.ListPoints(f.sys, f.ceremID, ceremony.PointFilter{Level: ceremony.Commune, DistrictCode: "535"})
		const perPoint = 3
		points := communes[:6]
		for i, p := range points {
			var rows [][]any
			for j := range perPoint {
				rows = append(rows, []any{j + 1, fmt.Sprintf("Đại biểu %d-%d", i, j), "", "", fmt.Sprintf("db%d.%d@quangngai.gov.vn", i, j), "", ""})
			}
			if _, err := f.svc.ImportDelegates(f.district, f.ceremID, p.ID, bytes.NewReader(xlsxOf(t, viHeader, rows...)), nil); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		errs := make(chan error, len(points))
		for _, p := range points {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := f.svc.SendInvitations(f.district, f.ceremID, p.ID, "")
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		var numbers []int
		for _, p := range points {
			list, _ := f.svc.Delegates(f.sys, f.ceremID, p.ID)
			for _, x := range list {
				if x.InvitationSeries != "GM-UBND" {
					t.Errorf("series %q", x.InvitationSeries)
				}
				numbers = append(numbers, x.InvitationNo)
			}
		}
		sort.Ints(numbers)
		for i, n := range numbers {
			if n != i+1 {
				t.Fatalf("numbers %v: duplicated or missing", numbers)
			}
		}
		if len(numbers) != len(points)*perPoint {
			t.Fatalf("%d numbers", len(numbers))
		}
	})
}

func TestRSVP(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := newInvitationFixture(t, d)
		file := xlsxOf(t, viHeader,
			[]any{1, "Phạm Văn Đồng", "Chủ tịch", "UBND huyện Ba Tơ", "pvdong@quangngai.gov.vn", "", ""},
			[]any{2, "Đinh Thị Hoa", "Phó Chủ tịch", "UBND huyện Ba Tơ", "hoa@quangngai.gov.vn", "", ""},
			[]any{3, "Lê Văn Ba", "", "", "ba@quangngai.gov.vn", "", ""},
		)
		if _, err := f.svc.ImportDelegates(f.district, f.ceremID, f.baTo.ID, bytes.NewReader(file), nil); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.SendInvitations(f.district, f.ceremID, f.baTo.ID, ""); err != nil {
			t.Fatal(err)
		}
		token := func(email string) string { return lastRSVPToken(t, d, email) }
		anon := context.Background()
		dong, hoa, ba := token("pvdong@quangngai.gov.vn"), token("hoa@quangngai.gov.vn"), token("ba@quangngai.gov.vn")
		// The token is stored hashed only.
		var stored int
		if err := d.Reader().QueryRowContext(anon, "SELECT COUNT(*) FROM ceremony_delegates WHERE rsvp_hash = ? OR token = ?", dong, dong).Scan(&stored); err != nil || stored != 0 {
			t.Errorf("raw token stored: %d %v", stored, err)
		}
		// Unknown and malformed tokens are not found.
		for _, bad := range []string{"", "x", strings.Repeat("A", 32), dong + "A", "../../etc/passwd", strings.ToUpper(dong)} {
			if bad == dong {
				continue
			}
			if _, err := f.svc.Invitee(anon, bad); apperr.As(err).Key != "ceremony.rsvp.unknown" {
				t.Errorf("token %q: %v", bad, err)
			}
			if _, err := f.svc.AnswerInvitation(anon, bad, ceremony.Answer{RSVP: ceremony.RSVPAttend}); kindOf(err) != apperr.NotFound {
				t.Errorf("answer %q: %v", bad, err)
			}
		}
		inv, err := f.svc.Invitee(anon, dong)
		if err != nil || inv.D.FullName != "Phạm Văn Đồng" || inv.D.Number() != "1/GM-UBND" || inv.C.Title == "" || inv.Closed {
			t.Fatalf("invitee: %+v %v", inv, err)
		}
		// Bad answers change nothing.
		for _, a := range []ceremony.Answer{{RSVP: "maybe"}, {RSVP: ""}, {RSVP: ceremony.RSVPDeputy}, {RSVP: ceremony.RSVPDeputy, DeputyName: strings.Repeat("á", ceremony.MaxText+1)}} {
			if _, err := f.svc.AnswerInvitation(anon, hoa, a); kindOf(err) != apperr.Invalid {
				t.Errorf("answer %+v: %v", a, err)
			}
		}
		got, err := f.svc.AnswerInvitation(anon, dong, ceremony.Answer{RSVP: ceremony.RSVPAttend, DeputyName: "ignored"})
		if err != nil || got.D.RSVP != ceremony.RSVPAttend || got.D.DeputyName != "" {
			t.Fatalf("attend: %+v %v", got.D, err)
		}
		if got, err := f.svc.AnswerInvitation(anon, hoa, ceremony.Answer{RSVP: ceremony.RSVPDeputy, DeputyName: " Nguyễn  Văn Thay ", DeputyPosition: "Phó Chánh Văn phòng"}); err != nil || got.D.DeputyName != "Nguyễn Văn Thay" {
			t.Fatalf("deputy: %+v %v", got.D, err)
		}
		// The link used twice: refused politely, the first answer stays.
		if _, err := f.svc.AnswerInvitation(anon, dong, ceremony.Answer{RSVP: ceremony.RSVPDecline}); apperr.As(err).Key != "ceremony.rsvp.already" || kindOf(err) != apperr.Conflict {
			t.Errorf("twice: %v", err)
		}
		list, _ := f.svc.Delegates(f.sys, f.ceremID, f.baTo.ID)
		if list[0].RSVP != ceremony.RSVPAttend || list[1].RSVP != ceremony.RSVPDeputy || list[1].DeputyPosition != "Phó Chánh Văn phòng" || list[2].RSVP != ceremony.RSVPNone {
			t.Errorf("answers: %+v", list)
		}
		// Sending again replaces the link: the old one is unknown, the new one answers.
		if _, err := f.svc.ResendInvitation(f.district, f.ceremID, list[2].ID, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Invitee(anon, ba); kindOf(err) != apperr.NotFound {
			t.Errorf("old link after resend: %v", err)
		}
		ba2 := token("ba@quangngai.gov.vn")
		// After the ceremony has begun: refused politely, nothing changed.
		f.now = f.starts.Add(time.Hour)
		if _, err := f.svc.AnswerInvitation(anon, ba2, ceremony.Answer{RSVP: ceremony.RSVPDecline}); apperr.As(err).Key != "ceremony.rsvp.closed" {
			t.Errorf("after the ceremony: %v", err)
		}
		if inv, _ := f.svc.Invitee(anon, ba2); inv.D.RSVP != ceremony.RSVPNone || !inv.Closed {
			t.Errorf("after the ceremony: %+v", inv)
		}
		var audited int
		if err := d.Reader().QueryRowContext(anon, "SELECT COUNT(*) FROM audit_log WHERE action = 'ceremony.rsvp'").Scan(&audited); err != nil || audited != 2 {
			t.Errorf("audited %d %v", audited, err)
		}
		// The attendance export follows: each delegate's answer and deputy, phones masked.
		var buf bytes.Buffer
		if err := f.svc.AttendanceReport(f.district, f.ceremID, i18n.MustLoad().Translator("vi"), &buf); err != nil {
			t.Fatal(err)
		}
		x, err := excelize.OpenReader(&buf)
		if err != nil {
			t.Fatal(err)
		}
		sheetRows, err := x.GetRows("Đại biểu")
		if err != nil || len(sheetRows) != 4 {
			t.Fatalf("delegates sheet: %d rows %v", len(sheetRows), err)
		}
		if h := strings.Join(sheetRows[0], "|"); !strings.Contains(h, "Số giấy mời") || !strings.Contains(h, "Trả lời") || !strings.Contains(h, "Người dự thay") {
			t.Errorf("header %q", h)
		}
		if r := strings.Join(sheetRows[1], "|") + "|"; !strings.Contains(r, "Phạm Văn Đồng") || !strings.Contains(r, "1/GM-UBND") || !strings.Contains(r, "|Xác nhận tham dự|") {
			t.Errorf("row %q", r)
		}
		if r := strings.Join(sheetRows[2], "|") + "|"; !strings.Contains(r, "|Cử người dự thay|Nguyễn Văn Thay, Phó Chánh Văn phòng") {
			t.Errorf("row %q", r)
		}
		if r := strings.Join(sheetRows[3], "|") + "|"; !strings.Contains(r, "|Chưa trả lời|") {
			t.Errorf("row %q", r)
		}
		// The invitation letter opens from the link, with its number.
		pdf, dl, err := f.svc.InvitationByRSVP(anon, hoa, "https://lantoa.quangngai.gov.vn")
		if err != nil || !bytes.HasPrefix(pdf, []byte("%PDF")) || dl.Number() != "2/GM-UBND" {
			t.Errorf("letter: %d bytes %q %v", len(pdf), dl.Number(), err)
		}
		if text, ok := pdftest.Text(t, pdf); ok && (!strings.Contains(text, "Số: 2/GM-UBND") || !strings.Contains(text, "Đinh Thị Hoa")) {
			t.Errorf("letter's text: %q", text)
		}
	})
}

// TestInvitationsFollowTheStatus: a cancelled ceremony sends no invitations and its RSVP links
// answer that it was cancelled, changing nothing; it may still take delegates (it may be
// reinstated, and then sends and answers again). An archived ceremony takes no delegates and
// sends nothing; a link of one archived after its cancellation still says it was cancelled.
func TestInvitationsFollowTheStatus(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := newInvitationFixture(t, d)
		anon := context.Background()
		file := func(rows ...[]any) *bytes.Reader { return bytes.NewReader(xlsxOf(t, viHeader, rows...)) }
		if _, err := f.svc.ImportDelegates(f.district, f.ceremID, f.baTo.ID, file([]any{1, "Phạm Văn Đồng", "Chủ tịch", "UBND huyện Ba Tơ", "pvdong@quangngai.gov.vn", "", ""},
			[]any{2, "Đinh Thị Hoa", "Phó Chủ tịch", "UBND huyện Ba Tơ", "hoa@quangngai.gov.vn", "", ""}), nil); err != nil {
			t.Fatal(err)
		}
		if res, err := f.svc.SendInvitations(f.district, f.ceremID, f.baTo.ID, ""); err != nil || res.Sent != 2 {
			t.Fatalf("send: %+v %v", res, err)
		}
		token := func(email string) string { return lastRSVPToken(t, d, email) }
		dong, hoa := token("pvdong@quangngai.gov.vn"), token("hoa@quangngai.gov.vn")
		if _, err := f.svc.AnswerInvitation(anon, dong, ceremony.Answer{RSVP: ceremony.RSVPAttend}); err != nil {
			t.Fatal(err)
		}
		sent := func() int {
			n := 0
			for _, msgs := range invitations(t, d) {
				n += len(msgs)
			}
			return n
		}

		if _, err := f.svc.SetStatus(f.sys, f.ceremID, ceremony.Cancelled); err != nil {
			t.Fatal(err)
		}
		// Cancelled: a delegate may still be added, but nothing goes out, not even again.
		if res, err := f.svc.ImportDelegates(f.district, f.ceremID, f.baTo.ID, file([]any{1, "Lê Văn Ba", "", "", "ba@quangngai.gov.vn", "", ""}), nil); err != nil || res.Added != 1 {
			t.Fatalf("import into a cancelled ceremony: %+v %v", res, err)
		}
		list, _ := f.svc.Delegates(f.sys, f.ceremID, f.baTo.ID)
		if _, err := f.svc.SendInvitations(f.district, f.ceremID, f.baTo.ID, ""); kindOf(err) != apperr.Conflict || apperr.As(err).Key != "ceremony.error.invitations_cancelled" {
			t.Errorf("send for a cancelled ceremony: %v", err)
		}
		if _, err := f.svc.ResendInvitation(f.district, f.ceremID, list[1].ID, ""); apperr.As(err).Key != "ceremony.error.invitations_cancelled" {
			t.Errorf("resend for a cancelled ceremony: %v", err)
		}
		if n := sent(); n != 2 {
			t.Errorf("messages after the cancellation: %d", n)
		}
		// Its links: the page says it was cancelled; an answer, new or again, changes nothing.
		if inv, err := f.svc.Invitee(anon, hoa); err != nil || !inv.Cancelled || !inv.Closed {
			t.Errorf("invitee of a cancelled ceremony: %+v %v", inv, err)
		}
		for tok, ans := range map[string]ceremony.RSVP{hoa: ceremony.RSVPAttend, dong: ceremony.RSVPDecline} {
			if _, err := f.svc.AnswerInvitation(anon, tok, ceremony.Answer{RSVP: ans}); kindOf(err) != apperr.Conflict || apperr.As(err).Key != "ceremony.rsvp.cancelled" {
				t.Errorf("answer %s to a cancelled ceremony: %v", ans, err)
			}
		}
		list, _ = f.svc.Delegates(f.sys, f.ceremID, f.baTo.ID)
		if list[0].RSVP != ceremony.RSVPAttend || list[1].RSVP != ceremony.RSVPNone || list[2].InvitationNo != 0 {
			t.Errorf("after the cancellation: %+v", list)
		}

		// Reinstated: the invitations go out and the links answer again.
		if _, err := f.svc.SetStatus(f.sys, f.ceremID, ceremony.Scheduled); err != nil {
			t.Fatal(err)
		}
		if inv, err := f.svc.Invitee(anon, hoa); err != nil || inv.Cancelled || inv.Closed {
			t.Errorf("invitee once reinstated: %+v %v", inv, err)
		}
		if res, err := f.svc.SendInvitations(f.district, f.ceremID, f.baTo.ID, ""); err != nil || res.Sent != 1 || res.Numbered != 1 {
			t.Errorf("send once reinstated: %+v %v", res, err)
		}
		if _, err := f.svc.AnswerInvitation(anon, hoa, ceremony.Answer{RSVP: ceremony.RSVPDecline}); err != nil {
			t.Errorf("answer once reinstated: %v", err)
		}

		// Cancelled again, then archived: read-only, and its links still say it was cancelled.
		for _, to := range []ceremony.Status{ceremony.Cancelled, ceremony.Archived} {
			if _, err := f.svc.SetStatus(f.sys, f.ceremID, to); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := f.svc.ImportDelegates(f.district, f.ceremID, f.baTo.ID, file([]any{1, "Trần Thị Bốn", "", "", "bon@quangngai.gov.vn", "", ""}), nil); kindOf(err) != apperr.Conflict || apperr.As(err).Key != "ceremony.error.archived" {
			t.Errorf("import into an archived ceremony: %v", err)
		}
		if _, err := f.svc.SendInvitations(f.district, f.ceremID, f.baTo.ID, ""); apperr.As(err).Key != "ceremony.error.invitations_archived" {
			t.Errorf("send for an archived ceremony: %v", err)
		}
		// Nor one delegate at a time: added, corrected or withdrawn.
		archived := func(what string, err error) {
			t.Helper()
			if kindOf(err) != apperr.Conflict || apperr.As(err).Key != "ceremony.error.archived" {
				t.Errorf("%s in an archived ceremony: %v", what, err)
			}
		}
		_, err := f.svc.AddDelegate(f.district, f.ceremID, f.baTo.ID, ceremony.Delegate{FullName: "Trần Thị Bốn", Group: "district_leaders"})
		archived("add", err)
		list, _ = f.svc.Delegates(f.sys, f.ceremID, f.baTo.ID)
		if len(list) == 0 {
			t.Fatal("no delegates")
		}
		first := list[0]
		renamed := first
		renamed.FullName = "Tên khác"
		_, err = f.svc.UpdateDelegate(f.district, f.ceremID, first.ID, renamed)
		archived("update", err)
		archived("delete", f.svc.DeleteDelegate(f.district, f.ceremID, first.ID))
		if n := f.count(f.baTo.ID); n != 3 {
			t.Errorf("delegates after the archived import: %d", n)
		}
		if after, _ := f.svc.Delegates(f.sys, f.ceremID, f.baTo.ID); after[0].FullName != first.FullName {
			t.Errorf("delegate renamed in an archived ceremony: %q", after[0].FullName)
		}
		if inv, err := f.svc.Invitee(anon, dong); err != nil || !inv.Cancelled {
			t.Errorf("invitee of a ceremony archived after its cancellation: %+v %v", inv, err)
		}
		if _, err := f.svc.AnswerInvitation(anon, dong, ceremony.Answer{RSVP: ceremony.RSVPDecline}); apperr.As(err).Key != "ceremony.rsvp.cancelled" {
			t.Errorf("answer to an archived ceremony: %v", err)
		}
		if n := sent(); n != 3 {
			t.Errorf("messages in all: %d", n)
		}
	})
}
