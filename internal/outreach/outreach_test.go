package outreach_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/outreach"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/platform/i18n"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/units"
)

type fixture struct {
	t                testing.TB
	d                *db.DB
	svc              *outreach.Service
	acc              *accounts.Service
	sys              context.Context
	now              time.Time
	campaign         outreach.Campaign
	commune, village string
	otherCommune     string
	seq              int
}

func setup(t testing.TB, d *db.DB) *fixture {
	t.Helper()
	f := &fixture{t: t, d: d, sys: authz.WithActor(context.Background(), authz.System), now: time.Date(2023, 7, 10, 3, 0, 0, 0, time.UTC)}
	us := units.NewService(d)
	if _, err := us.SeedQuangNgai(f.sys); err != nil {
		t.Fatal(err)
	}
	f.acc = accounts.NewService(d)
	f.svc = outreach.NewService(d, f.acc)
	t.Cleanup(f.svc.Close)
	f.svc.Now = func() time.Time { return f.now }
	if err := f.svc.SeedSkills(f.sys); err != nil {
		t.Fatal(err)
	}
	bt, _ := us.List(f.sys, units.Filter{ParentCode: "535", Limit: 2})
	f.commune, f.otherCommune = bt[0].Code, bt[1].Code
	v, err := us.CreateVillage(f.sys, units.Unit{Name: "Thôn Gò Da", ParentCode: f.commune})
	if err != nil {
		t.Fatal(err)
	}
	f.village = v.Code
	f.campaign, err = f.svc.CreateCampaign(f.sys, outreach.Campaign{Name: "Ra quân 7 ngày", LaunchAt: time.Date(2023, 7, 5, 1, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// member makes a team member on unit and returns a context acting as them.
func (f *fixture) member(unit string) (context.Context, accounts.User) {
	f.t.Helper()
	f.seq++
	u, err := f.acc.CreateUser(f.sys, accounts.NewUser{Username: fmt.Sprintf("tv.%d", f.seq), DisplayName: fmt.Sprintf("Thành viên %d", f.seq),
		Password: "mật khẩu đủ dài 2023", Role: authz.TeamMember, UnitCode: unit})
	if err != nil {
		f.t.Fatal(err)
	}
	return f.as(u), u
}

func (f *fixture) as(u accounts.User) context.Context {
	ctx := authz.WithActor(context.Background(), &authz.Actor{UserID: u.ID, Username: u.Username, Grants: u.Grants, Via: "token"})
	return audit.WithWho(ctx, audit.Who{UserID: u.ID, Username: u.Username})
}

func uuid(n int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", n) }

func (f *fixture) input(n int, name, phone string) outreach.RecordInput {
	return outreach.RecordInput{ClientID: uuid(n), Citizen: outreach.Citizen{Name: name, BirthYear: 1960, Phone: phone},
		Skills: []string{"dvc_quocgia", "dvc_tinh"}, GuidedAt: f.now.Add(-time.Hour), Consent: &outreach.Consent{Given: true, Version: f.campaign.ConsentVersion}}
}

func TestRecordIdempotentByClientID(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx, _ := f.member(f.commune)
		in := f.input(1, "Đinh Văn A", "0905 123 123")
		first, err := f.svc.SaveRecord(ctx, in)
		if err != nil || !first.Created || first.Record.ID == 0 {
			t.Fatalf("first: %+v %v", first, err)
		}
		// The same content spelled differently (skill order, +84, time zone) is the same record.
		again := in
		again.Skills = []string{"dvc_tinh", "dvc_quocgia"}
		again.Citizen.Phone = "+84905123123"
		again.GuidedAt = in.GuidedAt.In(time.FixedZone("ICT", 7*3600))
		second, err := f.svc.SaveRecord(ctx, again)
		if err != nil || second.Created || second.Record.ID != first.Record.ID {
			t.Fatalf("replay: %+v %v", second, err)
		}
		changed := in
		changed.Citizen.Name = "Đinh Văn B"
		if _, err := f.svc.SaveRecord(ctx, changed); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("changed content: %v, want conflict", err)
		}
		// Another member replaying someone else's id is a conflict too, not a read.
		other, _ := f.member(f.commune)
		if _, err := f.svc.SaveRecord(other, in); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("other member: %v", err)
		}
		p, err := f.svc.Progress(f.sys, f.commune, 0)
		if err != nil || p.Records != 1 || p.Citizens != 1 {
			t.Fatalf("progress after replays: %+v %v", p.Tally, err)
		}
	})
}

func TestRecordRefusesBadInput(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx, _ := f.member(f.commune)
		us := units.NewService(d)
		farVillage, err := us.CreateVillage(f.sys, units.Unit{Name: "Thôn Xa", ParentCode: f.otherCommune})
		if err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name  string
			edit  func(*outreach.RecordInput)
			kind  apperr.Kind
			field string
		}{
			{"foreign phone", func(in *outreach.RecordInput) { in.Citizen.Phone = "+1 202 555 0101" }, apperr.Invalid, "citizen.phone"},
			{"landline-like", func(in *outreach.RecordInput) { in.Citizen.Phone = "0255381234" }, apperr.Invalid, "citizen.phone"},
			{"short phone", func(in *outreach.RecordInput) { in.Citizen.Phone = "090512312" }, apperr.Invalid, "citizen.phone"},
			{"future", func(in *outreach.RecordInput) { in.GuidedAt = f.now.Add(time.Hour) }, apperr.Invalid, "guided_at"},
			{"before window", func(in *outreach.RecordInput) { in.GuidedAt = f.campaign.LaunchAt.Add(-time.Minute) }, apperr.Invalid, "guided_at"},
			{"unknown skill", func(in *outreach.RecordInput) { in.Skills = []string{"bay_may_bay"} }, apperr.Invalid, "skills"},
			{"no skill", func(in *outreach.RecordInput) { in.Skills = nil }, apperr.Invalid, "skills"},
			{"bad uuid", func(in *outreach.RecordInput) { in.ClientID = "abc" }, apperr.Invalid, "client_id"},
			{"long name", func(in *outreach.RecordInput) { in.Citizen.Name = strings.Repeat("A", 121) }, apperr.Invalid, "citizen.name"},
			{"birth year", func(in *outreach.RecordInput) { in.Citizen.BirthYear = 2099 }, apperr.Invalid, "citizen.birth_year"},
			{"out of scope village", func(in *outreach.RecordInput) { in.VillageCode = farVillage.Code }, apperr.Forbidden, ""},
			{"consent version", func(in *outreach.RecordInput) { in.Consent = &outreach.Consent{Given: true, Version: "v0"} }, apperr.Invalid, "consent"},
		}
		for i, c := range cases {
			in := f.input(100+i, "Người Thử", "0912345678")
			c.edit(&in)
			_, err := f.svc.SaveRecord(ctx, in)
			ae := apperr.As(err)
			if err == nil || ae.Kind != c.kind || ae.Field != c.field {
				t.Errorf("%s: %v, want %v on %q", c.name, err, c.kind, c.field)
			}
		}
		// A province administrator is no team member: no records.
		if _, err := f.svc.SaveRecord(f.sys, f.input(1, "X", "")); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("admin record: %v", err)
		}
		p, _ := f.svc.Progress(f.sys, "51", 0)
		if p.Records != 0 {
			t.Errorf("refused records were counted: %d", p.Records)
		}
	})
}

func TestDistinctCitizensAndProgress(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		a, ua := f.member(f.commune)
		b, _ := f.member(f.commune)
		f.member(f.otherCommune)
		// Member A guides seven different citizens, one of them twice.
		for i := range 7 {
			in := f.input(i+1, fmt.Sprintf("Người dân %d", i), fmt.Sprintf("09050000%02d", i))
			in.VillageCode = f.village
			in.Platforms = []string{"vneid"}
			if _, err := f.svc.SaveRecord(a, in); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := f.svc.SaveRecord(a, f.input(20, "Người dân 0", "0905000000")); err != nil {
			t.Fatal(err)
		}
		// Member B guides citizen 3 again (same phone) and one without phone.
		rb, err := f.svc.SaveRecord(b, f.input(30, "Nguyễn Thị Ba", "+84 905 000 003"))
		if err != nil || !rb.Record.Flagged {
			t.Fatalf("second member's record not flagged: %+v %v", rb.Record, err)
		}
		if _, err := f.svc.SaveRecord(b, f.input(31, "Bà Không Điện Thoại", "")); err != nil {
			t.Fatal(err)
		}
		p, err := f.svc.Progress(f.sys, "51", 0)
		if err != nil {
			t.Fatal(err)
		}
		if p.Members != 3 || p.MembersMet != 1 || p.Records != 10 || p.Citizens != 8 || p.Flagged != 2 {
			t.Fatalf("province: %+v", p.Tally)
		}
		var baTo *outreach.Tally
		for i := range p.Children {
			if p.Children[i].Unit.Code == "535" {
				baTo = &p.Children[i]
			}
		}
		if baTo == nil || baTo.Records != 10 || baTo.Members != 3 || baTo.MembersMet != 1 {
			t.Fatalf("Ba Tơ row: %+v", baTo)
		}
		if len(p.Leaders) == 0 || p.Leaders[0].ID != ua.ID || p.Leaders[0].Citizens != 7 || p.BehindCount != 2 {
			t.Fatalf("leaders %+v behind %d", p.Leaders, p.BehindCount)
		}
		counts := map[string]int64{}
		for _, c := range append(p.BySkill, p.ByPlatform...) {
			counts[c.Code] = c.N
		}
		if counts["dvc_tinh"] != 10 || counts["vneid"] != 7 {
			t.Fatalf("skill counts %v", counts)
		}
		vp, err := f.svc.Progress(f.sys, f.village, 0)
		if err != nil || vp.Records != 7 || vp.Citizens != 7 {
			t.Fatalf("village: %+v %v", vp.Tally, err)
		}
		// Flagged records of both members are listed.
		flagged, err := f.svc.ListRecords(f.sys, outreach.RecordFilter{FlaggedOnly: true})
		if err != nil || len(flagged) != 2 {
			t.Fatalf("flagged: %d %v", len(flagged), err)
		}
		// Scope: the other district's administrator cannot read Ba Tơ's progress.
		sonTay, _ := f.acc.CreateUser(f.sys, accounts.NewUser{Username: "ubnd.st", Password: "mật khẩu đủ dài 2023", Role: authz.UnitAdmin, UnitCode: "530"})
		if _, err := f.svc.Progress(f.as(sonTay), "535", 0); !apperr.Is(err, apperr.Forbidden) {
			t.Fatalf("out-of-scope progress: %v", err)
		}
		mine, err := f.svc.Mine(a)
		if err != nil || mine.Citizens != 7 || mine.Target != 7 {
			t.Fatalf("mine: %+v %v", mine, err)
		}
	})
}

func TestPersonalData(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		a, _ := f.member(f.commune)
		res, err := f.svc.SaveRecord(a, f.input(1, "Phạm Thị Lan", "0905123123"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.SaveRecord(a, f.input(2, "Trần Văn Khác", "0987654321")); err != nil {
			t.Fatal(err)
		}
		// Lists mask phones for the district administrator and the member.
		bato, _ := f.acc.CreateUser(f.sys, accounts.NewUser{Username: "ubnd.bt", Password: "mật khẩu đủ dài 2023", Role: authz.UnitAdmin, UnitCode: "535"})
		list, err := f.svc.ListRecords(f.as(bato), outreach.RecordFilter{})
		if err != nil || len(list) != 2 || list[1].Citizen.Phone != "0905***123" {
			t.Fatalf("masked list: %+v %v", list, err)
		}
		// Viewing the details is audited.
		r, err := f.svc.ViewRecord(f.as(bato), res.Record.ID)
		if err != nil || r.Citizen.Phone != "0905123123" {
			t.Fatalf("view: %+v %v", r, err)
		}
		entries, _ := audit.List(context.Background(), d.Reader(), audit.Filter{Action: "outreach.citizen.view"})
		if len(entries) != 1 || entries[0].ActorID != bato.ID {
			t.Fatalf("view audit: %+v", entries)
		}
		// Erasure on request keeps counts and records the dates.
		if _, err := f.svc.HandleSubjectRequest(f.as(bato), outreach.SubjectRequest{Kind: "erase", Phone: "+84905123123", ReceivedOn: "2023-07-09"}); err != nil {
			t.Fatal(err)
		}
		r, _ = f.svc.ViewRecord(f.sys, res.Record.ID)
		if !r.Erased || r.Citizen.Name != "" || r.Citizen.Phone != "" {
			t.Fatalf("not erased: %+v", r)
		}
		var received string
		if err := d.Reader().QueryRowContext(context.Background(), "SELECT received_on FROM outreach_subject_requests WHERE kind = 'erase'").Scan(&received); err != nil || received != "2023-07-09" {
			t.Fatalf("request row: %q %v", received, err)
		}
		if _, err := f.svc.HandleSubjectRequest(f.as(bato), outreach.SubjectRequest{Kind: "erase", Phone: "0905123123", ReceivedOn: "2023-07-09"}); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("second erase: %v", err)
		}
		p, _ := f.svc.Progress(f.sys, "51", 0)
		if p.Records != 2 || p.Citizens != 2 {
			t.Fatalf("counts after erasure: %+v", p.Tally)
		}
		// Retention: nothing before the period ends, everything after, counts kept.
		if out, err := f.svc.ApplyRetention(f.sys); err != nil || out.Records != 0 {
			t.Fatalf("early retention: %+v %v", out, err)
		}
		f.now = f.campaign.End().Add(366 * 24 * time.Hour)
		out, err := f.svc.ApplyRetention(f.sys)
		if err != nil || out.Records != 1 || len(out.Campaigns) != 1 {
			t.Fatalf("retention: %+v %v", out, err)
		}
		var named int
		_ = d.Reader().QueryRowContext(context.Background(), "SELECT COUNT(*) FROM outreach_records WHERE citizen_name <> '' OR phone <> ''").Scan(&named)
		p, _ = f.svc.Progress(f.sys, "51", f.campaign.ID)
		if named != 0 || p.Records != 2 {
			t.Fatalf("after retention: named=%d records=%d", named, p.Records)
		}
		if _, err := f.svc.ApplyRetention(f.as(bato)); !apperr.Is(err, apperr.Forbidden) {
			t.Fatalf("unit admin retention: %v", err)
		}
	})
}

func TestRosterImport(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		bato, _ := f.acc.CreateUser(f.sys, accounts.NewUser{Username: "ubnd.bt", Password: "mật khẩu đủ dài 2023", Role: authz.UnitAdmin, UnitCode: "535"})
		adm := f.as(bato)
		team, err := f.svc.CreateTeam(adm, outreach.Team{Name: "Tổ CNSCĐ thôn Gò Da", UnitCode: f.village})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.CreateTeam(f.as(bato), outreach.Team{Name: "Tổ ngoài", UnitCode: "530"}); !apperr.Is(err, apperr.Forbidden) {
			t.Fatalf("team outside scope: %v", err)
		}
		_, existing := f.member(f.commune)
		bad := "Tài khoản,Họ tên,Tổ trưởng\nnguyen.a,Nguyễn A,x\nBAD NAME!,Sai,\nnguyen.a,Trùng,\nmoi.b,,\nle.c,Lê C,có lẽ\n"
		_, err = f.svc.ImportRoster(adm, team.ID, strings.NewReader(bad))
		ae := apperr.As(err)
		if ae.Kind != apperr.Invalid || len(ae.Details) != 4 || ae.Details[0].Line != 3 {
			t.Fatalf("bad roster: %v %+v", err, ae.Details)
		}
		if tm, _ := f.svc.FindTeam(adm, team.ID); len(tm.Members) != 0 {
			t.Fatalf("a bad file imported %d members", len(tm.Members))
		}
		good := "tai_khoan,ho_ten,to_truong\nnguyen.a,Nguyễn Văn A,x\n" + existing.Username + ",,\n"
		res, err := f.svc.ImportRoster(adm, team.ID, strings.NewReader(good))
		if err != nil || res.Created != 1 || res.Linked != 1 || len(res.Team.Members) != 2 || !res.Team.Members[0].Leader || res.Rows[0].Password == "" {
			t.Fatalf("good roster: %+v %v", res, err)
		}
		created, err := f.acc.FindByUsername(f.sys, "nguyen.a")
		if err != nil || !created.MustChangePassword || created.Grants[0].UnitCode != f.village {
			t.Fatalf("created member: %+v %v", created, err)
		}
		// The imported member may record in the village.
		in := f.input(9, "Người dân", "0977000111")
		in.VillageCode = f.village
		if _, err := f.svc.SaveRecord(f.as(created), in); err != nil {
			t.Fatalf("imported member record: %v", err)
		}
	})
}

func TestStartFromLaunch(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		c, err := f.svc.CreateCampaign(f.sys, outreach.Campaign{Name: "Theo lễ phát động", FollowCeremony: true})
		if err != nil {
			t.Fatal(err)
		}
		at := time.Date(2023, 7, 9, 1, 30, 0, 0, time.UTC)
		if err := d.WriteTx(f.sys, func(tx *db.Tx) error { return f.svc.StartFromLaunch(f.sys, tx, "51", at) }); err != nil {
			t.Fatal(err)
		}
		got, _ := f.svc.FindCampaign(f.sys, c.ID)
		if !got.LaunchAt.Equal(at) {
			t.Fatalf("launch %v", got.LaunchAt)
		}
		old, _ := f.svc.FindCampaign(f.sys, f.campaign.ID)
		if !old.LaunchAt.Equal(f.campaign.LaunchAt) {
			t.Fatalf("a campaign not following the ceremony moved: %v", old.LaunchAt)
		}
	})
}

func TestNormalizePhone(t *testing.T) {
	for in, want := range map[string]string{"0905123123": "0905123123", "+84 905 123 123": "0905123123", "84905123123": "0905123123", "090.512.3123": "0905123123",
		"0355-111-222": "0355111222", "0205123123": "", "+1 905 123 1234": "", "09051231234": "", "abc": "", "": ""} {
		got, ok := outreach.NormalizePhone(in)
		if (want == "") == ok || (ok && got != want) {
			t.Errorf("NormalizePhone(%q) = %q %v, want %q", in, got, ok, want)
		}
	}
	if m := outreach.MaskPhone("0905123123"); m != "0905***123" {
		t.Errorf("mask %q", m)
	}
}

// TestRecordWithoutConsent: a citizen who did not consent is not recorded (no name, year of birth
// or phone is stored), but the guidance is, and counts; consent without its version is refused.
func TestRecordWithoutConsent(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx, _ := f.member(f.commune)
		absent := f.input(1, "Lê Văn Không", "0905111222")
		absent.Consent = nil
		refused := f.input(2, "Lê Thị Từ Chối", "0905111333")
		refused.Consent = &outreach.Consent{Given: false, Version: f.campaign.ConsentVersion}
		unnamed := f.input(3, "", "")
		unnamed.Citizen.BirthYear, unnamed.Consent = 0, nil
		var ids []int64
		for _, in := range []outreach.RecordInput{absent, refused, unnamed} {
			res, err := f.svc.SaveRecord(ctx, in)
			if err != nil || !res.Created {
				t.Fatalf("%s: %+v %v", in.ClientID, res, err)
			}
			if res.Record.Citizen != (outreach.Citizen{}) || res.Record.ConsentVersion != "" {
				t.Errorf("%s kept the citizen: %+v", in.ClientID, res.Record)
			}
			ids = append(ids, res.Record.ID)
		}
		var kept int
		if err := d.Reader().QueryRowContext(context.Background(),
			"SELECT COUNT(*) FROM outreach_records WHERE citizen_name <> '' OR phone <> '' OR birth_year <> 0").Scan(&kept); err != nil || kept != 0 {
			t.Fatalf("personal data stored without consent: %d rows %v", kept, err)
		}
		// The phone replays what it sent: the same record, once.
		again, err := f.svc.SaveRecord(ctx, absent)
		if err != nil || again.Created || again.Record.ID != ids[0] {
			t.Fatalf("replay: %+v %v", again, err)
		}
		// Each record without consent is one citizen of its own: the guidance counts.
		p, err := f.svc.Progress(f.sys, f.commune, 0)
		if err != nil || p.Records != 3 || p.Citizens != 3 {
			t.Fatalf("progress: %+v %v", p.Tally, err)
		}
		// With consent the citizen is named, and the version is that of the campaign.
		named, err := f.svc.SaveRecord(ctx, f.input(4, "Lê Văn Đồng Ý", "0905111444"))
		if err != nil || named.Record.Citizen.Name != "Lê Văn Đồng Ý" || named.Record.ConsentVersion != f.campaign.ConsentVersion {
			t.Fatalf("consented: %+v %v", named.Record, err)
		}
		for _, c := range []struct {
			name  string
			edit  func(*outreach.RecordInput)
			field string
		}{
			{"consent without version", func(in *outreach.RecordInput) { in.Consent.Version = " " }, "consent"},
			{"consent without name", func(in *outreach.RecordInput) { in.Citizen.Name = "" }, "citizen.name"},
			{"consent without year", func(in *outreach.RecordInput) { in.Citizen.BirthYear = 0 }, "citizen.birth_year"},
			// What is sent without consent is still checked, so that a client's bug shows.
			{"bad phone without consent", func(in *outreach.RecordInput) { in.Consent, in.Citizen.Phone = nil, "12345" }, "citizen.phone"},
		} {
			in := f.input(10, "Người Thử", "0905111555")
			c.edit(&in)
			if _, err := f.svc.SaveRecord(ctx, in); apperr.As(err).Field != c.field {
				t.Errorf("%s: %v, want 422 on %q", c.name, err, c.field)
			}
		}
		// The records' workbook says why a name is missing rather than leaving a blank.
		var buf bytes.Buffer
		if err := f.svc.ExportRecords(f.sys, outreach.RecordFilter{}, i18n.MustLoad().Translator("vi"), &buf); err != nil {
			t.Fatal(err)
		}
		unnamedRows := 0
		for _, r := range readSheets(t, buf.Bytes())["Phiếu"][1:] {
			if len(r) > 3 && r[3] == "Người dân không ghi danh (chưa đồng ý)" {
				unnamedRows++
			}
		}
		if unnamedRows != 3 {
			t.Errorf("%d rows of the export say the citizen was not recorded, want 3", unnamedRows)
		}
	})
}
