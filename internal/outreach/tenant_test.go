package outreach_test

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/outreach"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/units"
)

func kind(err error) apperr.Kind { return apperr.As(err).Kind }

// want fails unless err is of kind k; hidden also asks that a "not found" hides an object out of
// scope (audited as a denial).
func want(t *testing.T, what string, err error, k apperr.Kind) {
	t.Helper()
	if kind(err) != k || (k == apperr.NotFound && !apperr.Denial(err)) {
		t.Errorf("%s: %v, want %v", what, err, k)
	}
}

// Campaigns, the catalogue, records, teams, progress and the handling of citizens' data belong to
// their province: Hà Nội's administrator runs Hà Nội's and reaches none of Quảng Ngãi's; the
// national administrator reads the figures and teams of both, changes neither and reads no
// citizen's record.
func TestOutreachProvinces(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		us := units.NewService(d)
		if _, err := us.Import(f.sys, bytes.NewReader(units.ProvinceCSV(units.Vietnam2023CSV(), "01"))); err != nil {
			t.Fatal(err)
		}
		hnCommunes, _ := us.List(f.sys, units.Filter{ParentCode: "001", Limit: 1})
		hnCommune := hnCommunes[0].Code
		user := func(name string, n accounts.NewUser) (context.Context, accounts.User) {
			n.Username, n.Password = name, "mật khẩu đủ dài 2023"
			u, err := f.acc.CreateUser(f.sys, n)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			return f.as(u), u
		}
		hn, _ := user("so.tttt.hanoi", accounts.NewUser{Role: authz.ProvinceAdmin, UnitCode: "01"})
		qn, _ := user("so.tttt", accounts.NewUser{Role: authz.ProvinceAdmin, UnitCode: "51"})
		nat, _ := user("quoc.gia", accounts.NewUser{Role: authz.NationalAdmin})
		hnMember, _ := f.member(hnCommune)
		qnMember, _ := f.member(f.commune)

		// Campaigns: each province its own.
		launch := time.Date(2023, 7, 5, 1, 0, 0, 0, time.UTC)
		for _, c := range []struct {
			who      context.Context
			name     string
			province string
			want     apperr.Kind
		}{{hn, "Hà Nội for Quảng Ngãi", "51", apperr.Forbidden}, {hn, "Hà Nội for an unknown code", "99", apperr.Invalid},
			{hn, "Hà Nội for a district", "001", apperr.Invalid}, {nat, "national", "", apperr.Forbidden}, {nat, "national for Hà Nội", "01", apperr.Forbidden},
			{f.sys, "the command line without a province", "", apperr.Invalid}, {qnMember, "a member", "", apperr.Forbidden}} {
			if _, err := f.svc.CreateCampaign(c.who, outreach.Campaign{Province: c.province, Name: "Đợt thử", LaunchAt: launch}); kind(err) != c.want {
				t.Errorf("%s: %v, want %v", c.name, err, c.want)
			}
		}
		hnCamp, err := f.svc.CreateCampaign(hn, outreach.Campaign{Name: "Ra quân Hà Nội", LaunchAt: launch})
		if err != nil || hnCamp.Province != "01" {
			t.Fatalf("Hà Nội's campaign: %v %+v", err, hnCamp)
		}
		qnCamp := f.campaign
		if qnCamp.Province != "51" {
			t.Fatalf("Quảng Ngãi's campaign: %+v", qnCamp)
		}
		ids := func(ctx context.Context) []int64 {
			list, err := f.svc.Campaigns(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var out []int64
			for _, c := range list {
				out = append(out, c.ID)
			}
			slices.Sort(out)
			return out
		}
		if got := ids(hn); !slices.Equal(got, []int64{hnCamp.ID}) {
			t.Errorf("Hà Nội lists %v", got)
		}
		if got := ids(hnMember); !slices.Equal(got, []int64{hnCamp.ID}) {
			t.Errorf("Hà Nội's member lists %v", got)
		}
		if got := ids(qn); !slices.Equal(got, []int64{qnCamp.ID}) {
			t.Errorf("Quảng Ngãi lists %v", got)
		}
		if got := ids(nat); !slices.Equal(got, []int64{qnCamp.ID, hnCamp.ID}) {
			t.Errorf("national lists %v", got)
		}
		_, err = f.svc.FindCampaign(hn, qnCamp.ID)
		want(t, "Hà Nội reading Quảng Ngãi's campaign", err, apperr.NotFound)
		_, err = f.svc.SetLaunch(hn, qnCamp.ID, launch.Add(time.Hour))
		want(t, "Hà Nội moving Quảng Ngãi's launch", err, apperr.NotFound)
		_, err = f.svc.SetLaunch(nat, qnCamp.ID, launch.Add(time.Hour))
		want(t, "national moving Quảng Ngãi's launch", err, apperr.Forbidden)
		if c, _, _ := f.svc.Current(f.sys, "01"); c.ID != hnCamp.ID {
			t.Errorf("Hà Nội's current campaign: %d", c.ID)
		}
		if c, _, _ := f.svc.Current(f.sys, "51"); c.ID != qnCamp.ID {
			t.Errorf("Quảng Ngãi's current campaign: %d", c.ID)
		}

		// The catalogue: national entries for the national administrator, additions per province.
		extra := outreach.Skill{Code: "so_tay_ha_noi", Name: "Sổ tay điện tử Hà Nội", Kind: outreach.KindPlatform, Order: 30, Active: true}
		if k, err := f.svc.SaveSkill(hn, extra); err != nil || k.Province != "01" {
			t.Fatalf("Hà Nội's entry: %v %+v", err, k)
		}
		_, err = f.svc.SaveSkill(qn, extra)
		want(t, "Quảng Ngãi taking Hà Nội's code", err, apperr.Invalid)
		_, err = f.svc.SaveSkill(qn, outreach.Skill{Code: "vneid", Name: "Đổi tên", Kind: outreach.KindPlatform, Active: false})
		want(t, "Quảng Ngãi changing a national entry", err, apperr.Forbidden)
		_, err = f.svc.SaveSkill(hn, outreach.Skill{Province: "51", Code: "qn_rieng", Name: "Mục của tỉnh khác", Kind: outreach.KindSkill, Active: true})
		want(t, "Hà Nội adding to Quảng Ngãi's catalogue", err, apperr.Forbidden)
		if k, err := f.svc.SaveSkill(nat, outreach.Skill{Code: "vneid", Name: "Ứng dụng VNeID", Kind: outreach.KindPlatform, Order: 10, Active: true}); err != nil || k.Province != "" {
			t.Errorf("national entry: %v %+v", err, k)
		}
		codes := func(province string) []string {
			list, err := f.svc.Skills(context.Background(), province, false)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, k := range list {
				out = append(out, k.Code)
			}
			return out
		}
		if !slices.Contains(codes("01"), extra.Code) || slices.Contains(codes("51"), extra.Code) || !slices.Contains(codes("51"), "vneid") {
			t.Errorf("catalogues: Hà Nội %v, Quảng Ngãi %v", codes("01"), codes("51"))
		}

		// Records: each member in their province's campaign, with their province's catalogue.
		in := f.input(1, "Nguyễn Thị Hà", "0912000111")
		in.Platforms = []string{extra.Code}
		hnRec, err := f.svc.SaveRecord(hnMember, in)
		if err != nil || hnRec.Record.CampaignID != hnCamp.ID {
			t.Fatalf("Hà Nội's record: %v %+v", err, hnRec.Record)
		}
		in = f.input(2, "Đinh Văn Quảng", "0905000222")
		in.Platforms = []string{extra.Code}
		_, err = f.svc.SaveRecord(qnMember, in)
		want(t, "Quảng Ngãi's member using Hà Nội's entry", err, apperr.Invalid)
		in.Platforms = nil
		qnRec, err := f.svc.SaveRecord(qnMember, in)
		if err != nil || qnRec.Record.CampaignID != qnCamp.ID {
			t.Fatalf("Quảng Ngãi's record: %v %+v", err, qnRec.Record)
		}
		in = f.input(3, "Nguyễn Văn Nhầm", "")
		in.CampaignID = qnCamp.ID
		_, err = f.svc.SaveRecord(hnMember, in)
		want(t, "Hà Nội's member in Quảng Ngãi's campaign", err, apperr.Invalid)
		if m, err := f.svc.Mine(hnMember); err != nil || m.Campaign.ID != hnCamp.ID || m.Records != 1 {
			t.Errorf("Hà Nội's member's progress: %v %+v", err, m)
		}

		// Progress: the national administrator reads both; each province its own.
		if p, err := f.svc.Progress(hn, "01", 0); err != nil || p.Records != 1 || p.Campaign.ID != hnCamp.ID {
			t.Errorf("Hà Nội's progress: %v %+v", err, p.Tally)
		}
		_, err = f.svc.Progress(hn, "535", 0)
		want(t, "Hà Nội reading Ba Tơ's progress", err, apperr.Forbidden)
		for code, camp := range map[string]int64{"01": hnCamp.ID, "51": qnCamp.ID} {
			if p, err := f.svc.Progress(nat, code, 0); err != nil || p.Records != 1 || p.Campaign.ID != camp {
				t.Errorf("national progress of %s: %v %+v", code, err, p.Tally)
			}
		}
		_, err = f.svc.Progress(nat, "", 0)
		want(t, "national progress without a unit", err, apperr.Invalid)
		_, err = f.svc.Progress(nat, "01", qnCamp.ID)
		if kind(err) != apperr.NotFound {
			t.Errorf("Hà Nội's progress in Quảng Ngãi's campaign: %v", err)
		}
		_, err = f.svc.Progress(hn, "01", qnCamp.ID)
		want(t, "Hà Nội naming Quảng Ngãi's campaign", err, apperr.NotFound)

		// Records: a province's own, unmasked for its administrator; none for the national one.
		list, err := f.svc.ListRecords(hn, outreach.RecordFilter{})
		if err != nil || len(list) != 1 || list[0].ID != hnRec.Record.ID || list[0].Citizen.Phone != "0912000111" {
			t.Errorf("Hà Nội's records: %v %+v", err, list)
		}
		_, err = f.svc.ListRecords(hn, outreach.RecordFilter{UnitCode: "535"})
		want(t, "Hà Nội listing Ba Tơ's records", err, apperr.Forbidden)
		_, err = f.svc.ViewRecord(hn, qnRec.Record.ID)
		want(t, "Hà Nội viewing a Quảng Ngãi citizen", err, apperr.NotFound)
		_, err = f.svc.ListRecords(nat, outreach.RecordFilter{})
		want(t, "national listing records", err, apperr.Forbidden)
		_, err = f.svc.ViewRecord(nat, qnRec.Record.ID)
		want(t, "national viewing a citizen", err, apperr.NotFound)
		_, err = f.svc.HandleSubjectRequest(hn, outreach.SubjectRequest{Kind: "erase", Phone: "0905000222", ReceivedOn: "2023-07-09"})
		if kind(err) != apperr.NotFound {
			t.Errorf("Hà Nội erasing a Quảng Ngãi citizen: %v", err)
		}
		_, err = f.svc.HandleSubjectRequest(nat, outreach.SubjectRequest{Kind: "export", Phone: "0905000222", ReceivedOn: "2023-07-09"})
		want(t, "national exporting a citizen", err, apperr.Forbidden)

		// Teams: Hà Nội's administrator on Hà Nội's units only.
		_, err = f.svc.CreateTeam(hn, outreach.Team{Name: "Tổ lạ", UnitCode: f.commune})
		want(t, "Hà Nội's team in Ba Tơ", err, apperr.Forbidden)
		qnTeam, err := f.svc.CreateTeam(qn, outreach.Team{Name: "Tổ Ba Tơ", UnitCode: f.commune})
		if err != nil {
			t.Fatal(err)
		}
		hnTeam, err := f.svc.CreateTeam(hn, outreach.Team{Name: "Tổ Ba Đình", UnitCode: hnCommune})
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.FindTeam(hn, qnTeam.ID)
		want(t, "Hà Nội reading Ba Tơ's team", err, apperr.NotFound)
		_, err = f.svc.AddMember(nat, hnTeam.ID, "so.tttt.hanoi", false)
		want(t, "national adding a member", err, apperr.Forbidden)
		if teams, err := f.svc.ListTeams(hn, ""); err != nil || len(teams) != 1 || teams[0].ID != hnTeam.ID {
			t.Errorf("Hà Nội's teams: %v %+v", err, teams)
		}
		if teams, err := f.svc.ListTeams(nat, ""); err != nil || len(teams) != 2 {
			t.Errorf("national teams: %v %+v", err, teams)
		}

		// The purge: a province's administrator purges their province only.
		f.now = launch.Add(400 * 24 * time.Hour)
		_, err = f.svc.Purge(nat, f.now, false)
		want(t, "national purge", err, apperr.Forbidden)
		if res, err := f.svc.Purge(hn, f.now, false); err != nil || res.Records != 1 {
			t.Fatalf("Hà Nội's purge: %v %+v", err, res)
		}
		if r, err := f.svc.ViewRecord(qn, qnRec.Record.ID); err != nil || r.Citizen.Name != "Đinh Văn Quảng" {
			t.Fatalf("Hà Nội's purge reached Quảng Ngãi: %v %+v", err, r.Citizen)
		}
		// Retention: over the administrator's province's campaigns only.
		_, err = f.svc.ApplyRetention(nat)
		want(t, "national retention", err, apperr.Forbidden)
		res, err := f.svc.ApplyRetention(hn)
		if err != nil || !slices.Equal(res.Campaigns, []int64{hnCamp.ID}) {
			t.Fatalf("Hà Nội's retention: %v %+v", err, res)
		}
		if c, _ := f.svc.FindCampaign(qn, qnCamp.ID); !c.RetainedAt.IsZero() {
			t.Fatal("Hà Nội's retention marked Quảng Ngãi's campaign")
		}
		if r, _ := f.svc.ViewRecord(qn, qnRec.Record.ID); r.Citizen.Name != "Đinh Văn Quảng" {
			t.Fatal("Hà Nội's retention erased a Quảng Ngãi record")
		}
		// The command line purges every province.
		if res, err := f.svc.Purge(f.sys, f.now, false); err != nil || res.Records != 1 {
			t.Fatalf("command-line purge: %v %+v", err, res)
		}
	})
}
