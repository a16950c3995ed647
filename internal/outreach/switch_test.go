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
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/units"
)

// switchFixture is the plan's 2023 Quảng Ngãi with a campaign whose window spans the map switch of
// 1 July 2025, and teams in communes that the switch merges (Xã Nghĩa Dõng 21037 and the 2023 Xã
// Nghĩa Dũng 21034, both into Xã An Phú, which took the code 21034) and splits (Xã Trà Bùi 21142).
type switchFixture struct {
	*fixture
	us *units.Service
}

func setupSwitch(t *testing.T, d *db.DB) *switchFixture {
	t.Helper()
	f := &fixture{t: t, d: d, sys: authz.WithActor(context.Background(), authz.System), now: time.Date(2025, 6, 28, 3, 0, 0, 0, time.UTC)}
	us := units.NewService(d)
	if _, err := us.SeedQuangNgai(f.sys); err != nil {
		t.Fatal(err)
	}
	f.acc = accounts.NewService(d)
	f.svc = outreach.NewService(d, f.acc)
	t.Cleanup(f.svc.Close)
	f.svc.Now = func() time.Time { return f.now }
	us.Now = func() time.Time { return f.now }
	// As internal/app wires it.
	us.OnSwitch(f.svc.FollowSwitch)
	if err := f.svc.SeedSkills(f.sys); err != nil {
		t.Fatal(err)
	}
	var err error
	f.campaign, err = f.svc.CreateCampaign(f.sys, outreach.Campaign{Name: "Bình dân học vụ số", Days: 30, LaunchAt: time.Date(2025, 6, 25, 1, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	return &switchFixture{fixture: f, us: us}
}

func (f *switchFixture) team(name, unit string) outreach.Team {
	f.t.Helper()
	t, err := f.svc.CreateTeam(f.sys, outreach.Team{Name: name, UnitCode: unit})
	if err != nil {
		f.t.Fatalf("team %s on %s: %v", name, unit, err)
	}
	return t
}

// join makes a member in team, as a commune's administrator does: an account on the team's unit,
// then AddMember.
func (f *switchFixture) join(t outreach.Team) accounts.User {
	f.t.Helper()
	f.seq++
	u, err := f.acc.CreateUser(f.sys, accounts.NewUser{Username: fmt.Sprintf("tv.%d", f.seq), DisplayName: fmt.Sprintf("Thành viên %d", f.seq),
		Password: "mật khẩu đủ dài 2025", Role: authz.TeamMember, UnitCode: t.UnitCode})
	if err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.svc.AddMember(f.sys, t.ID, u.Username, false); err != nil {
		f.t.Fatalf("add %s to %s: %v", u.Username, t.Name, err)
	}
	return f.reload(u)
}

// reload reads a user's grants as the next request would.
func (f *switchFixture) reload(u accounts.User) accounts.User {
	f.t.Helper()
	u, err := f.acc.FindByUsername(f.sys, u.Username)
	if err != nil {
		f.t.Fatal(err)
	}
	return u
}

func (f *switchFixture) switchMap() units.SwitchResult {
	f.t.Helper()
	res, err := f.us.SwitchMap(f.sys, bytes.NewReader(units.Vietnam2025CSV()), bytes.NewReader(units.QuangNgaiLineage2025CSV()), "2025-07-01")
	if err != nil {
		f.t.Fatalf("switch: %v", err)
	}
	return res
}

func (f *switchFixture) count(q string, args ...any) int {
	f.t.Helper()
	var n int
	if err := f.d.Reader().QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

func (f *switchFixture) progress(unit string, view outreach.View) outreach.Progress {
	f.t.Helper()
	p, err := f.svc.ProgressView(f.sys, unit, 0, view)
	if err != nil {
		f.t.Fatalf("progress %s %s: %v", unit, view, err)
	}
	return p
}

func childOf(p outreach.Progress, path string) (outreach.Tally, bool) {
	for _, c := range p.Children {
		if c.Unit.Path == path {
			return c, true
		}
	}
	return outreach.Tally{}, false
}

// A member of a merged commune records offline before the switch and sends after it: the records
// already sent replay (200, not stored twice), those not yet sent are stored once under the team's
// new unit, and progress counts every distinct record once, as it is now and as it was.
func TestSwitchMovesTeamsAndReplaysOfflineRecords(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setupSwitch(t, d)
		village, err := f.us.CreateVillage(f.sys, units.Unit{Name: "Thôn Gò Da", ParentCode: "21037"})
		if err != nil {
			t.Fatal(err)
		}
		dong := f.team("Tổ Công nghệ số cộng đồng", "21037") // Xã Nghĩa Dõng
		dung := f.team("Tổ Công nghệ số cộng đồng", "21034") // Xã Nghĩa Dũng (2023)
		thon := f.team("Tổ Công nghệ số cộng đồng Thôn Gò Da", village.Code)
		traBui := f.team("Tổ Công nghệ số cộng đồng", "21142") // split in 2025
		m1, m2, m3, m4 := f.join(dong), f.join(thon), f.join(dung), f.join(traBui)
		m5 := f.join(dong) // in two teams that meet on Xã An Phú
		if _, err := f.svc.AddMember(f.sys, dung.ID, m5.Username, true); err != nil {
			t.Fatal(err)
		}
		m5 = f.reload(m5)

		type sent struct {
			who accounts.User
			in  outreach.RecordInput
		}
		rec := func(n int, who accounts.User, villageCode string) sent {
			in := f.input(n, fmt.Sprintf("Công dân %d", n), fmt.Sprintf("09051230%02d", n))
			in.VillageCode = villageCode
			return sent{who, in}
		}
		// Made on the phones before the switch; the first five reach the server before it.
		before := []sent{rec(1, m1, ""), rec(2, m1, ""), rec(3, m2, village.Code), rec(4, m3, ""), rec(5, m4, ""), rec(6, m5, "")}
		offline := []sent{rec(7, m1, ""), rec(8, m2, village.Code)}
		for _, s := range before {
			if r, err := f.svc.SaveRecord(f.as(s.who), s.in); err != nil || !r.Created {
				t.Fatalf("record %s before the switch: %+v %v", s.in.ClientID, r, err)
			}
		}
		was := f.progress("51", outreach.ViewNow)
		if was.Records != 6 || was.Members != 5 {
			t.Fatalf("before the switch: %+v", was.Tally)
		}

		res := f.switchMap()
		if len(res.Splits) != 1 {
			t.Fatalf("splits = %v", res.Splits)
		}
		f.now = time.Date(2025, 7, 3, 2, 0, 0, 0, time.UTC)

		// The teams of the merged communes and of the village are in Xã An Phú; the second team of
		// the same name took its old commune's name; Trà Bùi's team waits for the split's assignment.
		for _, tm := range []outreach.Team{dong, dung, thon} {
			got, err := f.svc.FindTeam(f.sys, tm.ID)
			if err != nil || got.UnitPath != "/51/21034/" || got.UnitCode != "21034" || got.Level != "commune" || got.UnitRetired || got.Count == 0 {
				t.Errorf("team %q after the switch = %+v %v", tm.Name, got, err)
			}
		}
		if got, _ := f.svc.FindTeam(f.sys, dung.ID); got.Name != "Tổ Công nghệ số cộng đồng (Xã Nghĩa Dũng)" {
			t.Errorf("renamed team = %q", got.Name)
		}
		if got, _ := f.svc.FindTeam(f.sys, traBui.ID); got.UnitPath != "/51/525/21142/" || !got.UnitRetired {
			t.Errorf("split unit's team = %+v", got)
		}
		if _, err := f.svc.AddMember(f.sys, traBui.ID, m1.Username, false); !apperr.Is(err, apperr.Conflict) {
			t.Errorf("member added to a split unit's team: %v", err)
		}
		// Grants moved with the teams; m5's two grants met on one unit and are one.
		for _, u := range []accounts.User{m1, m2, m3, m5} {
			u = f.reload(u)
			var paths []string
			for _, g := range u.Grants {
				if g.Role == authz.TeamMember {
					paths = append(paths, g.UnitPath+"="+g.UnitCode)
				}
			}
			if len(paths) != 1 || paths[0] != "/51/21034/=21034" {
				t.Errorf("%s's team_member grants = %v", u.Username, paths)
			}
		}
		if n := f.count("SELECT COUNT(*) FROM audit_log WHERE action = 'outreach.team.move'"); n != 3 {
			t.Errorf("team moves audited = %d, want 3", n)
		}

		// The phones send everything again (the queue is not sure what arrived) and then the rest.
		for _, s := range before {
			r, err := f.svc.SaveRecord(f.as(f.reload(s.who)), s.in)
			if err != nil || r.Created {
				t.Fatalf("replay %s after the switch: %+v %v", s.in.ClientID, r, err)
			}
		}
		for _, s := range offline {
			r, err := f.svc.SaveRecord(f.as(f.reload(s.who)), s.in)
			if err != nil || !r.Created {
				t.Fatalf("offline record %s after the switch: %+v %v", s.in.ClientID, r, err)
			}
			if r.Record.UnitPath != "/51/21034/" || r.Record.UnitCode != "21034" {
				t.Errorf("offline record %s stored at %s (%s), want Xã An Phú", s.in.ClientID, r.Record.UnitPath, r.Record.UnitCode)
			}
			if again, err := f.svc.SaveRecord(f.as(f.reload(s.who)), s.in); err != nil || again.Created || again.Record.ID != r.Record.ID {
				t.Fatalf("second send of %s: %+v %v", s.in.ClientID, again, err)
			}
		}
		distinct := f.count("SELECT COUNT(*) FROM outreach_records")
		if distinct != len(before)+len(offline) {
			t.Fatalf("records stored = %d, want %d", distinct, len(before)+len(offline))
		}

		// As it is now: Xã An Phú holds every record of its five 2023 communes and its own; Trà
		// Bùi's record counts in no unit and shows in the split line of its successors and the province.
		anPhu := f.progress("21034", outreach.ViewNow)
		if anPhu.Records != 7 || anPhu.Citizens != 7 || anPhu.Members != 4 || anPhu.Unit.Path != "/51/21034/" || len(anPhu.FromSplit) != 0 {
			t.Errorf("Xã An Phú now = %+v split %v", anPhu.Tally, anPhu.FromSplit)
		}
		province := f.progress("51", outreach.ViewNow)
		if len(province.FromSplit) != 1 || province.FromSplit[0].Unit.Path != "/51/525/21142/" || province.FromSplit[0].Records != 1 || province.FromSplit[0].Members != 1 {
			t.Fatalf("province split line = %+v", province.FromSplit)
		}
		if province.Records+province.FromSplit[0].Records != int64(distinct) || province.Members != 4 {
			t.Errorf("province now = %+v + split %d, want %d records", province.Tally, province.FromSplit[0].Records, distinct)
		}
		var sum int64
		for _, c := range province.Children {
			if c.Unit.ValidTo != "" || c.Unit.Level != "commune" {
				t.Errorf("child now %+v", c.Unit)
			}
			sum += c.Records
		}
		if len(province.Children) != 96 || sum != province.Records {
			t.Errorf("children now: %d, records %d of %d", len(province.Children), sum, province.Records)
		}
		if c, _ := childOf(province, "/51/21034/"); c.Records != 7 || c.Members != 4 {
			t.Errorf("An Phú among the province's children = %+v", c)
		}
		// The province's administrator lists An Phú's records as it is now: the 2023 ones too.
		list, err := f.svc.ListRecords(f.sys, outreach.RecordFilter{UnitCode: "21034"})
		if err != nil || len(list) != 7 {
			t.Errorf("records listed under An Phú = %d %v", len(list), err)
		}
		if list, err := f.svc.ListRecords(f.sys, outreach.RecordFilter{UnitCode: "21037"}); err != nil || len(list) != 4 {
			t.Errorf("records listed under the retired Nghĩa Dõng = %d %v", len(list), err)
		}
		caDam := f.progress("21136", outreach.ViewNow)
		if caDam.Records != 0 || len(caDam.FromSplit) != 1 || caDam.FromSplit[0].Unit.Name != "Xã Trà Bùi" || caDam.FromSplit[0].Records != 1 {
			t.Errorf("Xã Cà Đam now = %+v split %+v", caDam.Tally, caDam.FromSplit)
		}
		days, err := f.svc.RecordsByDay(f.sys, "21034")
		var daySum int64
		for _, n := range days {
			daySum += n
		}
		if err != nil || daySum != 7 {
			t.Errorf("An Phú by day = %v %v", days, err)
		}

		// As it was: every record where it was made; the province's children are every version
		// that hung under it, and they add up to every record.
		old := f.progress("51", outreach.ViewWas)
		if old.View != outreach.ViewWas || old.Records != int64(distinct) || len(old.FromSplit) != 0 {
			t.Errorf("province was = %+v", old.Tally)
		}
		sum = 0
		for _, c := range old.Children {
			sum += c.Records
		}
		if len(old.Children) != 13+96 || sum != int64(distinct) {
			t.Errorf("children was: %d, records %d", len(old.Children), sum)
		}
		if c, ok := childOf(old, "/51/522/"); !ok || c.Records != 5 || c.Unit.ValidTo != "2025-06-30" {
			t.Errorf("Thành phố Quảng Ngãi as it was = %+v", c)
		}
		if c, _ := childOf(old, "/51/21034/"); c.Records != 2 {
			t.Errorf("An Phú as it was = %+v (the two records sent after the switch)", c)
		}
		tp := f.progress("522", outreach.ViewWas)
		if c, ok := childOf(tp, "/51/522/21037/"); !ok || c.Records != 4 || c.Unit.Code != "21037" {
			t.Errorf("Xã Nghĩa Dõng under 522 as it was = %+v", c)
		}
		// A retired unit is read as it was whatever the view asked; its reused code is reached by path.
		dongNow := f.progress("21037", outreach.ViewNow)
		if dongNow.View != outreach.ViewWas || dongNow.Records != 4 || dongNow.Unit.ValidTo != "2025-06-30" {
			t.Errorf("Xã Nghĩa Dõng asked now = %+v view %s", dongNow.Tally, dongNow.View)
		}
		if c, ok := childOf(dongNow, "/51/522/21037/"+village.Code+"/"); !ok || c.Records != 1 {
			t.Errorf("Thôn Gò Da as it was = %+v", c)
		}
		nghiaDung := f.progress("/51/522/21034/", outreach.ViewNow)
		if nghiaDung.Unit.Name != "Xã Nghĩa Dũng" || nghiaDung.Records != 1 {
			t.Errorf("2023 Xã Nghĩa Dũng by path = %+v", nghiaDung.Tally)
		}
	})
}

// Nothing about teams assumes a district: on the map of 2025 a commune hangs directly under its
// province, and teams, rosters and progress work there as they did under a district. Retired
// units take no new team, and bad views are refused.
func TestTeamsOnTwoTierMap(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setupSwitch(t, d)
		f.switchMap()
		f.now = time.Date(2025, 7, 3, 2, 0, 0, 0, time.UTC)
		team := f.team("Tổ Công nghệ số cộng đồng xã An Phú", "21034")
		if team.UnitPath != "/51/21034/" || team.Level != "commune" || team.UnitName != "Xã An Phú" {
			t.Fatalf("team = %+v", team)
		}
		if _, err := f.svc.CreateTeam(f.sys, outreach.Team{Name: "Tổ cũ", UnitCode: "21037"}); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("team on a retired commune: %v", err)
		}
		if _, err := f.svc.CreateTeam(f.sys, outreach.Team{Name: "Tổ cũ", UnitCode: "/51/522/21034/"}); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("team on the 2023 version of a reused code: %v", err)
		}
		roster := "Tài khoản,Họ tên,Tổ trưởng\nanphu.1,Nguyễn Văn Một,x\nanphu.2,Trần Thị Hai,\n"
		res, err := f.svc.ImportRoster(f.sys, team.ID, strings.NewReader(roster))
		if err != nil || res.Created != 2 {
			t.Fatalf("roster: %+v %v", res, err)
		}
		u, err := f.acc.FindByUsername(f.sys, "anphu.1")
		if err != nil || len(u.Grants) != 1 || u.Grants[0].UnitPath != "/51/21034/" {
			t.Fatalf("roster member's grant = %+v %v", u.Grants, err)
		}
		r, err := f.svc.SaveRecord(f.as(u), f.input(1, "Phạm Văn Ba", "0905111222"))
		if err != nil || r.Record.UnitPath != "/51/21034/" {
			t.Fatalf("record in a commune under the province: %+v %v", r, err)
		}
		p := f.progress("51", outreach.ViewNow)
		if c, _ := childOf(p, "/51/21034/"); c.Records != 1 || c.Members != 2 || c.MembersMet != 0 {
			t.Errorf("An Phú under the province = %+v", c)
		}
		if len(p.Leaders) == 0 || p.Leaders[0].UnitCode != "21034" {
			t.Errorf("leaders = %+v", p.Leaders)
		}
		tallies, err := f.svc.TeamTallies(f.sys, "21034")
		if err != nil || tallies[team.ID].Members != 2 || tallies[team.ID].Records != 1 {
			t.Errorf("team tallies = %+v %v", tallies, err)
		}
		teams, err := f.svc.ListTeams(f.sys, "51")
		if err != nil || len(teams) != 1 || teams[0].UnitName != "Xã An Phú" {
			t.Errorf("teams of the province = %+v %v", teams, err)
		}
		if _, err := outreach.ParseView("then"); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("view then: %v", err)
		}
		if _, err := f.svc.ProgressView(f.sys, "/51/999/", 0, outreach.ViewWas); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("unknown path: %v", err)
		}
	})
}

// The generator builds its teams from the tree in force: on the two-tier map of 2025 the commune
// teams hang directly under the province and no district team is made, and progress as it is now
// counts every generated record once, in the communes under the province.
func TestGenerateOnTwoTierMap(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setupSwitch(t, d)
		f.switchMap()
		var places []string
		for _, c := range []string{"21034", "21136", "21157"} {
			for v := range 2 {
				u, err := f.us.CreateVillage(f.sys, units.Unit{Name: fmt.Sprintf("Thôn Mới %d", v+1), ParentCode: c})
				if err != nil {
					t.Fatal(err)
				}
				places = append(places, u.Code)
			}
			places = append(places, c)
		}
		var members []outreach.GenMember
		now := db.Millis(time.Now())
		err := d.WriteTx(f.sys, func(tx *db.Tx) error {
			for i := range 60 {
				id, err := tx.InsertID(f.sys, `INSERT INTO users (username, display_name, email, search_key, password_hash, must_change_password, created_at, updated_at)
					VALUES (?, ?, '', ?, '!', 0, ?, ?) RETURNING id`, fmt.Sprintf("tv.hai.%d", i), fmt.Sprintf("Thành viên %d", i), fmt.Sprintf("tv hai %d", i), now, now)
				if err != nil {
					return err
				}
				members = append(members, outreach.GenMember{UserID: id, UnitCode: places[i%len(places)]})
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		const records = 3000
		res, err := outreach.Generate(context.Background(), d, outreach.GenSpec{Seed: 7, Members: members, Records: records, CampaignID: f.campaign.ID})
		if err != nil || res.Teams == 0 {
			t.Fatalf("generate: %+v %v", res, err)
		}
		if n := f.count("SELECT COUNT(*) FROM outreach_teams WHERE level NOT IN ('commune', 'village')"); n != 0 {
			t.Errorf("%d teams above the communes", n)
		}
		if n := f.count("SELECT COUNT(*) FROM outreach_teams t WHERE t.level = 'commune' AND t.unit_path NOT IN ('/51/21034/', '/51/21136/', '/51/21157/')"); n != 0 {
			t.Errorf("%d commune teams off the communes under the province", n)
		}
		f.now = time.Date(2025, 7, 20, 0, 0, 0, 0, time.UTC)
		p := f.progress("51", outreach.ViewNow)
		var sum int64
		for _, c := range p.Children {
			sum += c.Records
		}
		if p.Records != records || sum != records || p.Members != 60 {
			t.Errorf("province now: %+v, children sum %d", p.Tally, sum)
		}
		// Members are placed round-robin over 9 places, the first three of them in Xã An Phú.
		if c, ok := childOf(p, "/51/21034/"); !ok || c.Records == 0 || c.Members != 21 {
			t.Errorf("An Phú: %+v", c)
		}
	})
}

// CountTeams counts every team, where the listing stops at 5,000 (a province of the national
// profile has 5,208), and, asked for, only the teams with a member.
func TestCountTeamsIsNotTheListing(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setupSwitch(t, d)
		staffed := f.team("Tổ Công nghệ số cộng đồng", "21034")
		f.join(staffed)
		err := d.WriteTx(f.sys, func(tx *db.Tx) error {
			for from := 0; from < 5001; from += 500 {
				q := "INSERT INTO outreach_teams (name, unit_code, unit_path, level, created_at) VALUES "
				var args []any
				for i := from; i < min(from+500, 5001); i++ {
					if i > from {
						q += ", "
					}
					q += "(?, '535', '/51/535/', 'district', 0)"
					args = append(args, fmt.Sprintf("Tổ số %d", i))
				}
				if _, err := tx.ExecContext(f.sys, q, args...); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if list, _ := f.svc.ListTeams(f.sys, "51"); len(list) != 5000 {
			t.Fatalf("the listing shows %d teams", len(list))
		}
		if n, err := f.svc.CountTeams(f.sys, "51", false); err != nil || n != 5002 {
			t.Errorf("teams of the province: %d %v, want 5002", n, err)
		}
		if n, err := f.svc.CountTeams(f.sys, "51", true); err != nil || n != 1 {
			t.Errorf("teams with a member: %d %v, want 1", n, err)
		}
		if n, err := f.svc.CountTeams(f.sys, "535", false); err != nil || n != 5001 {
			t.Errorf("teams of Ba Tơ: %d %v, want 5001", n, err)
		}
	})
}
