package outreach_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/outreach"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/platform/i18n"
	"github.com/lantoa/lantoa/internal/schema"
)

func (f *fixture) enterprise(n int, name, taxCode string) outreach.RecordInput {
	return outreach.RecordInput{ClientID: uuid(n), Enterprise: &outreach.Enterprise{Name: name, TaxCode: taxCode, ContactName: "Trần Thị Kế Toán", ContactPhone: "0935 111 222"},
		Skills: []string{"hoa_don_dien_tu", "thue_dien_tu"}, Platforms: []string{"chu_ky_so"}, GuidedAt: f.now.Add(-time.Hour),
		Consent: &outreach.Consent{Given: true, Version: f.campaign.ConsentVersion}}
}

// Enterprises are their own figures: distinct by tax code per campaign, apart from the records and
// citizens, and outside every member's "7 citizens".
func TestEnterpriseRecordsCountedApart(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		a, _ := f.member(f.commune)
		b, _ := f.member(f.commune)
		if _, err := f.svc.SaveRecord(a, f.input(1, "Người dân Một", "0905000001")); err != nil {
			t.Fatal(err)
		}
		in := f.enterprise(2, "  Công ty TNHH  Gốm Sa Huỳnh ", " 4300123456 ")
		in.VillageCode = f.village
		first, err := f.svc.SaveRecord(a, in)
		if err != nil || !first.Created {
			t.Fatalf("enterprise record: %+v %v", first, err)
		}
		r := first.Record
		if r.Subject != outreach.AudienceEnterprise || r.Enterprise == nil || r.Enterprise.Name != "Công ty TNHH Gốm Sa Huỳnh" ||
			r.Enterprise.TaxCode != "4300123456" || r.Enterprise.ContactPhone != "0935111222" || r.Citizen != (outreach.Citizen{}) || r.Flagged {
			t.Fatalf("stored: %+v %+v", r, r.Enterprise)
		}
		// The same enterprise again by another member, and its branch: one more record each, the
		// branch a second enterprise, nobody flagged.
		again, err := f.svc.SaveRecord(b, f.enterprise(3, "Cty Gốm Sa Huỳnh", "4300123456"))
		if err != nil || again.Record.Flagged {
			t.Fatalf("second member: %+v %v", again.Record, err)
		}
		if _, err := f.svc.SaveRecord(b, f.enterprise(4, "Chi nhánh Đức Phổ", "4300123456-001")); err != nil {
			t.Fatal(err)
		}
		p, err := f.svc.Progress(f.sys, "51", 0)
		if err != nil {
			t.Fatal(err)
		}
		if p.Records != 1 || p.Citizens != 1 || p.EnterpriseRecords != 3 || p.Enterprises != 2 || p.Flagged != 0 {
			t.Fatalf("province: records %d citizens %d enterprise records %d enterprises %d flagged %d",
				p.Records, p.Citizens, p.EnterpriseRecords, p.Enterprises, p.Flagged)
		}
		var child outreach.Tally
		for _, c := range p.Children {
			if c.EnterpriseRecords > 0 {
				child = c
			}
		}
		if child.Enterprises != 2 || child.EnterpriseRecords != 3 {
			t.Fatalf("child rolled up: %+v", child)
		}
		counted := map[string]int64{}
		for _, c := range p.BySkill {
			counted[c.Code] = c.N
		}
		if counted["hoa_don_dien_tu"] != 3 || counted["dvc_tinh"] != 1 {
			t.Fatalf("by skill: %+v", p.BySkill)
		}
		// The progress workbook carries the enterprises beside each unit's citizens.
		var buf bytes.Buffer
		if err := p.WriteXLSX(&buf, i18n.MustLoad().Translator("vi")); err != nil {
			t.Fatal(err)
		}
		units := readSheets(t, buf.Bytes())["Theo đơn vị trực thuộc"]
		if len(units) < 2 || units[0][len(units[0])-1] != "Doanh nghiệp (không trùng mã số thuế)" || units[1][len(units[1])-1] != "2" || units[1][len(units[1])-2] != "3" {
			t.Fatalf("progress workbook: %q", units)
		}
		// Member A has one citizen, whatever the enterprises: they do not make up the 7.
		me, err := f.svc.Mine(a)
		if err != nil || me.Citizens != 1 || me.Records != 1 {
			t.Fatalf("member A: %+v %v", me, err)
		}
		if me, err := f.svc.Mine(b); err != nil || me.Citizens != 0 || me.Records != 0 {
			t.Fatalf("member B: %+v %v", me, err)
		}
		// Records per day are the citizens' records, as before.
		days, err := f.svc.RecordsByDay(f.sys, "51")
		if err != nil {
			t.Fatal(err)
		}
		var total int64
		for _, n := range days {
			total += n
		}
		if total != 1 {
			t.Fatalf("records by day count enterprises: %v", days)
		}
	})
}

func TestEnterpriseReplay(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		a, _ := f.member(f.commune)
		in := f.enterprise(1, "HKD Nguyễn Văn Tạp Hóa", "4300999888")
		first, err := f.svc.SaveRecord(a, in)
		if err != nil || !first.Created {
			t.Fatal(first, err)
		}
		// The phone retries with the tax code spelled with dots and the contact's phone as +84.
		retry := f.enterprise(1, "HKD Nguyễn Văn Tạp Hóa", "4300.999.888")
		retry.Enterprise.ContactPhone = "+84935111222"
		second, err := f.svc.SaveRecord(a, retry)
		if err != nil || second.Created || second.Record.ID != first.Record.ID {
			t.Fatalf("replay: %+v %v", second, err)
		}
		changed := f.enterprise(1, "HKD Nguyễn Văn Tạp Hóa", "4300999887")
		if _, err := f.svc.SaveRecord(a, changed); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("changed tax code under the same id: %v", err)
		}
		p, err := f.svc.Progress(f.sys, "51", 0)
		if err != nil || p.EnterpriseRecords != 1 || p.Enterprises != 1 {
			t.Fatalf("after replays: %+v %v", p.Tally, err)
		}
	})
}

func TestEnterpriseRefusesBadInput(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx, _ := f.member(f.commune)
		cases := []struct {
			name  string
			edit  func(*outreach.RecordInput)
			field string
			text  string
		}{
			{"nine digits", func(in *outreach.RecordInput) { in.Enterprise.TaxCode = "430012345" }, "enterprise.tax_code", "10 chữ số"},
			{"letters", func(in *outreach.RecordInput) { in.Enterprise.TaxCode = "43001234AB" }, "enterprise.tax_code", "Mã số thuế"},
			{"short branch", func(in *outreach.RecordInput) { in.Enterprise.TaxCode = "4300123456-01" }, "enterprise.tax_code", "chi nhánh"},
			{"empty tax code", func(in *outreach.RecordInput) { in.Enterprise.TaxCode = "" }, "enterprise.tax_code", "Mã số thuế"},
			{"no name", func(in *outreach.RecordInput) { in.Enterprise.Name = "  " }, "enterprise.name", "Tên doanh nghiệp"},
			{"long name", func(in *outreach.RecordInput) { in.Enterprise.Name = strings.Repeat("Đ", 201) }, "enterprise.name", "200"},
			{"contact phone", func(in *outreach.RecordInput) { in.Enterprise.ContactPhone = "12345" }, "enterprise.contact_phone", ""},
			{"both", func(in *outreach.RecordInput) { in.Citizen = outreach.Citizen{Name: "Người dân", BirthYear: 1970} }, "citizen", "không được cả hai"},
			{"citizen skill", func(in *outreach.RecordInput) { in.Skills = []string{"hoa_don_dien_tu", "dvc_tinh"} }, "skills", "không dùng cho phiếu doanh nghiệp"},
			{"citizen platform", func(in *outreach.RecordInput) { in.Platforms = []string{"vneid"} }, "platforms", "VNeID"},
		}
		tr := i18n.MustLoad().Translator("vi")
		for i, c := range cases {
			in := f.enterprise(100+i, "Công ty Cổ phần Thử", "4300123456")
			c.edit(&in)
			_, err := f.svc.SaveRecord(ctx, in)
			ae := apperr.As(err)
			if err == nil || ae.Kind != apperr.Invalid || ae.Field != c.field {
				t.Errorf("%s: %v, want invalid %q", c.name, err, c.field)
				continue
			}
			if msg := tr(ae.Key, ae.Args...); !strings.Contains(msg, c.text) {
				t.Errorf("%s: message %q lacks %q", c.name, msg, c.text)
			}
		}
		// And the other way round: an enterprise skill on a citizen's record.
		in := f.input(200, "Người dân", "0905000009")
		in.Skills = []string{"dvc_tinh", "chu_ky_so"}
		if _, err := f.svc.SaveRecord(ctx, in); apperr.As(err).Field != "skills" {
			t.Errorf("enterprise skill on a citizen: %v", err)
		}
		p, _ := f.svc.Progress(f.sys, "51", 0)
		if p.Records != 0 || p.EnterpriseRecords != 0 {
			t.Errorf("refused records were counted: %+v", p.Tally)
		}
	})
}

// Without consent the enterprise is kept (it is not a natural person) and its contact person is
// not: their name and phone are dropped as a citizen's are.
func TestEnterpriseContactNeedsConsent(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx, _ := f.member(f.commune)
		in := f.enterprise(1, "Hợp tác xã Nông sản Mộ Đức", "4300777666")
		in.Consent = nil
		res, err := f.svc.SaveRecord(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		got, err := f.svc.ViewRecord(f.sys, res.Record.ID)
		if err != nil {
			t.Fatal(err)
		}
		e := got.Enterprise
		if e == nil || e.Name != "Hợp tác xã Nông sản Mộ Đức" || e.TaxCode != "4300777666" || e.ContactName != "" || e.ContactPhone != "" || got.ConsentVersion != "" {
			t.Fatalf("without consent: %+v %+v", got, e)
		}
		with, err := f.svc.SaveRecord(ctx, f.enterprise(2, "Hợp tác xã Nông sản Mộ Đức", "4300777666"))
		if err != nil {
			t.Fatal(err)
		}
		got, _ = f.svc.ViewRecord(f.sys, with.Record.ID)
		if got.Enterprise.ContactName != "Trần Thị Kế Toán" || got.Enterprise.ContactPhone != "0935111222" {
			t.Fatalf("with consent: %+v", got.Enterprise)
		}
		// The contact person may ask for their data to be erased, by their phone: the contact goes,
		// the enterprise and its count stay.
		erased, err := f.svc.HandleSubjectRequest(f.sys, outreach.SubjectRequest{Kind: "erase", Phone: "0935 111 222", ReceivedOn: "2023-07-09"})
		if err != nil || len(erased.Records) != 1 || erased.Records[0].ID != with.Record.ID {
			t.Fatalf("contact's erasure: %+v %v", erased, err)
		}
		got, _ = f.svc.ViewRecord(f.sys, with.Record.ID)
		if got.Enterprise.ContactName != "" || got.Enterprise.ContactPhone != "" || got.Enterprise.TaxCode != "4300777666" || !got.Erased {
			t.Fatalf("after erasure: %+v", got.Enterprise)
		}
		if p, err := f.svc.Progress(f.sys, "51", 0); err != nil || p.EnterpriseRecords != 2 || p.Enterprises != 1 {
			t.Fatalf("counts after erasure: %+v %v", p.Tally, err)
		}
		if _, err := f.svc.SaveRecord(ctx, f.enterprise(3, "Hợp tác xã Nông sản Mộ Đức", "4300777666")); err != nil {
			t.Fatal(err)
		}
		// The records' list masks the contact's phone for a role that may not see phones.
		list, err := f.svc.ListRecords(ctx, outreach.RecordFilter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range list {
			if r.Enterprise != nil && r.Enterprise.ContactPhone != "" && !strings.Contains(r.Enterprise.ContactPhone, "*") {
				t.Fatalf("contact phone unmasked for the member's list: %+v", r.Enterprise)
			}
		}
		// The export carries the enterprise columns.
		var buf bytes.Buffer
		if err := f.svc.ExportRecords(f.sys, outreach.RecordFilter{UnitCode: "51"}, i18n.MustLoad().Translator("vi"), &buf); err != nil {
			t.Fatal(err)
		}
		var rows [][]string
		for _, r := range readSheets(t, buf.Bytes()) {
			rows = r
		}
		head := strings.Join(rows[0], "|")
		for _, want := range []string{"Đối tượng", "Mã số thuế", "Tên doanh nghiệp"} {
			if !strings.Contains(head, want) {
				t.Fatalf("header lacks %q: %s", want, head)
			}
		}
		if line := strings.Join(rows[1], "|"); !strings.Contains(line, "Doanh nghiệp|Hợp tác xã Nông sản Mộ Đức|4300777666|Trần Thị Kế Toán|0935111222") {
			t.Fatalf("row: %s", line)
		}
	})
}

// The seeded catalogue has the enterprises' entries as theirs, and saving an entry keeps the
// audience chosen; an unknown audience is refused.
func TestSkillAudience(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		list, err := f.svc.Skills(f.sys, "51", false)
		if err != nil {
			t.Fatal(err)
		}
		audience := map[string]outreach.Audience{}
		for _, k := range list {
			audience[k.Code] = k.Audience
		}
		if audience["hoa_don_dien_tu"] != outreach.AudienceEnterprise || audience["chu_ky_so"] != outreach.AudienceEnterprise || audience["vneid"] != outreach.AudienceCitizen {
			t.Fatalf("seeded audiences: %v", audience)
		}
		k, err := f.svc.SaveSkill(f.sys, outreach.Skill{Province: "51", Code: "bhxh_dien_tu", Name: "BHXH điện tử cho doanh nghiệp", Kind: outreach.KindSkill, Audience: outreach.AudienceEnterprise, Order: 30, Active: true})
		if err != nil || k.Audience != outreach.AudienceEnterprise {
			t.Fatalf("save: %+v %v", k, err)
		}
		// Renamed without an audience, it stays the enterprises'.
		k, err = f.svc.SaveSkill(f.sys, outreach.Skill{Province: "51", Code: "bhxh_dien_tu", Name: "BHXH điện tử (doanh nghiệp)", Kind: outreach.KindSkill, Order: 30, Active: true})
		if err != nil || k.Audience != outreach.AudienceEnterprise {
			t.Fatalf("renamed: %+v %v", k, err)
		}
		if k, err := f.svc.SaveSkill(f.sys, outreach.Skill{Province: "51", Code: "zalo_mini", Name: "Zalo mini app", Kind: outreach.KindPlatform, Active: true}); err != nil || k.Audience != outreach.AudienceCitizen {
			t.Fatalf("a new entry without an audience: %+v %v", k, err)
		}
		ctx, _ := f.member(f.commune)
		in := f.enterprise(1, "Công ty Thử", "4300123456")
		in.Skills = []string{"bhxh_dien_tu"}
		if _, err := f.svc.SaveRecord(ctx, in); err != nil {
			t.Fatalf("the province's enterprise skill: %v", err)
		}
		if _, err := f.svc.SaveSkill(f.sys, outreach.Skill{Province: "51", Code: "la_lung", Name: "Lạ", Kind: outreach.KindSkill, Audience: "press"}); apperr.As(err).Field != "audience" {
			t.Fatalf("unknown audience: %v", err)
		}
	})
}
