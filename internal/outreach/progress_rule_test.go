package outreach

import (
	"slices"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/apperr/apperrtest"
	"github.com/lantoa/lantoa/internal/platform/authz"
)

func TestMeetsTarget(t *testing.T) {
	for _, tc := range []struct {
		citizens int64
		target   int
		want     bool
	}{
		{0, 7, false}, {6, 7, false}, {7, 7, true}, {8, 7, true}, {0, 0, true},
	} {
		if got := meetsTarget(tc.citizens, tc.target); got != tc.want {
			t.Errorf("%d citizens of %d: met %v, want %v", tc.citizens, tc.target, got, tc.want)
		}
	}
}

func TestProgressRoot(t *testing.T) {
	grant := func(role authz.Role, path string) authz.Grant { return authz.Grant{Role: role, UnitPath: path} }
	for _, tc := range []struct {
		name   string
		grants []authz.Grant
		want   string
		kind   apperr.Kind
		msg    string
	}{
		{name: "province administrator", grants: []authz.Grant{grant(authz.ProvinceAdmin, "/51/")}, want: "/51/"},
		{name: "district administrator who is also in a commune's team",
			grants: []authz.Grant{grant(authz.TeamMember, "/51/535/21001/"), grant(authz.UnitAdmin, "/51/535/")}, want: "/51/535/"},
		{name: "two districts: the first", grants: []authz.Grant{grant(authz.UnitAdmin, "/51/535/"), grant(authz.UnitAdmin, "/51/522/")}, want: "/51/535/"},
		{name: "a team member", grants: []authz.Grant{grant(authz.TeamMember, "/51/21034/")}, want: "/51/21034/"},
		{name: "national administrator", grants: []authz.Grant{grant(authz.NationalAdmin, "/")}, kind: apperr.Invalid,
			msg: "Chọn đơn vị (tỉnh, thành phố) cần xem tiến độ: thêm ?unit=MÃ."},
		{name: "a learner", grants: []authz.Grant{grant(authz.Learner, "/51/535/")}, kind: apperr.Forbidden, msg: "Bạn không có quyền thực hiện thao tác này."},
		{name: "an organisation administrator", grants: []authz.Grant{{Role: authz.OrgAdmin, UnitPath: "/51/535/", OrgPath: "/3/"}},
			kind: apperr.Forbidden, msg: "Bạn không có quyền thực hiện thao tác này."},
		{name: "nobody", kind: apperr.Forbidden, msg: "Bạn không có quyền thực hiện thao tác này."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := progressRoot(progressScope(&authz.Actor{Grants: tc.grants}))
			apperrtest.WantRefusal(t, err, tc.kind, tc.msg)
			if got != tc.want {
				t.Errorf("root %q, want %q", got, tc.want)
			}
		})
	}
}

func TestProgressView(t *testing.T) {
	for _, tc := range []struct {
		asked   View
		retired bool
		want    View
	}{
		{ViewNow, false, ViewNow}, {"", false, ViewNow}, {"then", false, ViewNow}, {ViewWas, false, ViewWas},
		{ViewNow, true, ViewWas}, {"", true, ViewWas}, {ViewWas, true, ViewWas},
	} {
		if got := progressView(tc.asked, tc.retired); got != tc.want {
			t.Errorf("view %q, retired %v: %q, want %q", tc.asked, tc.retired, got, tc.want)
		}
	}
}

func TestCampaignCounts(t *testing.T) {
	apperrtest.WantRefusal(t, campaignCounts(Campaign{Province: "51"}, "51"), 0, "")
	apperrtest.WantRefusal(t, campaignCounts(Campaign{Province: "01"}, "51"), apperr.NotFound, "Không tìm thấy đợt ra quân.")
}

// The window is the campaign's "7 days": from the launch, Days days long, days counted in Vietnam.
func TestCampaignWindow(t *testing.T) {
	launch := time.Date(2023, 7, 28, 1, 0, 0, 0, time.UTC) // 08:00 in Vietnam
	c := Campaign{LaunchAt: launch, Days: 7}
	if end := c.End(); !end.Equal(launch.Add(7 * 24 * time.Hour)) {
		t.Errorf("end %v", end)
	}
	if !(Campaign{Days: 7}).End().IsZero() {
		t.Error("a campaign without a launch ends")
	}
	for _, tc := range []struct {
		name string
		c    Campaign
		at   time.Time
		want bool
	}{
		{"before the launch", c, launch.Add(-time.Nanosecond), false},
		{"at the launch", c, launch, true},
		{"on the seventh day", c, launch.Add(6*24*time.Hour + 23*time.Hour), true},
		{"at the end", c, launch.Add(7 * 24 * time.Hour), false},
		{"without a launch", Campaign{Days: 7}, launch, false},
	} {
		if got := tc.c.Contains(tc.at); got != tc.want {
			t.Errorf("%s: contains %v, want %v", tc.name, got, tc.want)
		}
	}
	for at, want := range map[time.Time]string{
		time.Date(2023, 7, 27, 16, 59, 59, 0, time.UTC): "day:2023-07-27",
		time.Date(2023, 7, 27, 17, 0, 0, 0, time.UTC):   "day:2023-07-28", // midnight in Vietnam
		launch: "day:2023-07-28",
	} {
		if got := DayDim(at); got != want {
			t.Errorf("%v counts on %s, want %s", at, got, want)
		}
	}
}

func TestTallyPercent(t *testing.T) {
	for _, tc := range []struct{ members, met, want int }{
		{0, 0, 0}, {3, 0, 0}, {3, 1, 33}, {3, 2, 66}, {3, 3, 100}, {7, 1, 14},
	} {
		if got := (Tally{Members: tc.members, MembersMet: tc.met}).Percent(); got != tc.want {
			t.Errorf("%d of %d: %d%%, want %d%%", tc.met, tc.members, got, tc.want)
		}
	}
}

// The children of Quảng Ngãi on the map of 2025: a commune in force and a district kept as it
// was; /51/999/ is a child not listed (retired, as it is now).
func quangNgaiChildren() (childRollup, []Tally) {
	children := []Tally{{Unit: UnitRef{Code: "21034", Path: "/51/21034/"}}, {Unit: UnitRef{Code: "522", Path: "/51/522/"}}}
	return childRollup{parent: "/51/", at: map[string]int{"/51/21034/": 0, "/51/522/": 1}}, children
}

func TestChildRollup(t *testing.T) {
	r, _ := quangNgaiChildren()
	for path, want := range map[string]int{
		"/51/21034/":         0,
		"/51/21034/2103401/": 0,
		"/51/522/":           1,
		"/51/522/21037/":     1,
		"/51/":               -1, // the unit itself
		"/51/999/":           -1,
		"/51/999/21099/":     -1,
		"/510/":              -1,
		"/01/21034/":         -1,
		"/":                  -1,
	} {
		if got := r.of(path); got != want {
			t.Errorf("%s rolls up to child %d, want %d", path, got, want)
		}
	}
	for seg, want := range map[string]int{"21034": 0, "522": 1, "": -1, "999": -1} {
		if got := r.seg(seg); got != want {
			t.Errorf("segment %q is child %d, want %d", seg, got, want)
		}
	}
}

func TestAddCounts(t *testing.T) {
	r, children := quangNgaiChildren()
	p := Progress{Children: children}
	for _, row := range []struct {
		path              string
		rec, cit, flagged int64
	}{
		{"/51/21034/", 10, 7, 1},
		{"/51/21034/2103401/", 5, 5, 0},
		{"/51/522/21037/", 3, 2, 0},
		{"/51/", 1, 1, 0},           // the province's own team
		{"/51/999/21099/", 4, 4, 2}, // a retired child: the unit's, no child's
	} {
		p.addCounts(r, row.path, row.rec, row.cit, row.flagged)
	}
	want := []Tally{
		{Unit: children[0].Unit, Records: 15, Citizens: 12, Flagged: 1},
		{Unit: children[1].Unit, Records: 3, Citizens: 2},
	}
	if p.Records != 23 || p.Citizens != 19 || p.Flagged != 3 || !slices.Equal(p.Children, want) {
		t.Errorf("unit %d/%d/%d, children %+v, want 23/19/3 and %+v", p.Records, p.Citizens, p.Flagged, p.Children, want)
	}
}

func TestAddDim(t *testing.T) {
	skills := map[string]Skill{"vneid": {Name: "VNeID"}, "dvc_quocgia": {Name: "Dịch vụ công"}}
	var p Progress
	for _, d := range []struct {
		dim string
		n   int64
	}{
		{"skill:dvc_quocgia", 3}, {"platform:vneid", 5}, {"skill:moi", 9}, {"visit:guided", 4}, {"visit:absent", 6},
		{"day:2023-07-28", 100}, {"bogus", 1},
	} {
		p.addDim(d.dim, d.n, skills)
	}
	sortCounts(p.BySkill, p.ByPlatform, p.Visits)
	wantSkill := []Count{{Code: "moi", N: 9}, {Code: "dvc_quocgia", Name: "Dịch vụ công", N: 3}}
	wantPlatform := []Count{{Code: "vneid", Name: "VNeID", N: 5}}
	wantVisits := []Count{{Code: "absent", N: 6}, {Code: "guided", N: 4}}
	if !slices.Equal(p.BySkill, wantSkill) || !slices.Equal(p.ByPlatform, wantPlatform) || !slices.Equal(p.Visits, wantVisits) {
		t.Errorf("skills %+v\nplatforms %+v\nvisits %+v", p.BySkill, p.ByPlatform, p.Visits)
	}
}

func TestAddStanding(t *testing.T) {
	r, children := quangNgaiChildren()
	p := Progress{Children: children, Campaign: Campaign{Target: 7}}
	leader := memberRow{id: 1, path: "/51/21034/", records: 12, citizens: 9}
	behind := memberRow{id: 2, path: "/51/522/21037/", records: 1, citizens: 1}
	st := memberStanding{members: 7, met: 3,
		byChild: map[string][2]int{"": {1, 0}, "21034": {3, 2}, "522": {1, 0}, "999": {2, 1}},
		leaders: []memberRow{leader}, behind: []memberRow{behind}}
	if ids := st.named(); !slices.Equal(ids, []int64{1, 2}) {
		t.Errorf("named %v, want the leaders then those behind", ids)
	}
	p.addStanding(r, st, map[int64][2]string{1: {"tv.1", "Nguyễn Văn A"}, 2: {"tv.2", "Trần Thị B"}})
	if p.Members != 7 || p.MembersMet != 3 || p.BehindCount != 4 {
		t.Errorf("unit %d members, %d met, %d behind; want 7, 3, 4", p.Members, p.MembersMet, p.BehindCount)
	}
	if c := p.Children; c[0].Members != 3 || c[0].MembersMet != 2 || c[1].Members != 1 || c[1].MembersMet != 0 {
		t.Errorf("children %+v", c)
	}
	wantLeader := MemberProgress{ID: 1, Username: "tv.1", Name: "Nguyễn Văn A", UnitCode: "21034", Records: 12, Citizens: 9, Target: 7, Met: true}
	wantBehind := MemberProgress{ID: 2, Username: "tv.2", Name: "Trần Thị B", UnitCode: "21037", Records: 1, Citizens: 1, Target: 7}
	if !slices.Equal(p.Leaders, []MemberProgress{wantLeader}) || !slices.Equal(p.Behind, []MemberProgress{wantBehind}) {
		t.Errorf("leaders %+v\nbehind %+v", p.Leaders, p.Behind)
	}
	var none Progress
	none.addStanding(r, memberStanding{byChild: map[string][2]int{}}, nil)
	if none.Leaders == nil || none.Behind == nil {
		t.Error("a unit without members lists no leaders as null")
	}
}

func TestTallyMembers(t *testing.T) {
	rows := []memberRow{{id: 1, citizens: 7}, {id: 2, citizens: 6}, {id: 3, citizens: 70}}
	for _, tc := range []struct {
		rows         []memberRow
		target       int
		members, met int
	}{
		{nil, 7, 0, 0}, {rows, 7, 3, 2}, {rows, 100, 3, 0}, {rows, 0, 3, 3},
	} {
		if members, met := tallyMembers(tc.rows, tc.target); members != tc.members || met != tc.met {
			t.Errorf("target %d: %d members, %d met; want %d, %d", tc.target, members, met, tc.members, tc.met)
		}
	}
}
