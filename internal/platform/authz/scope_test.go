package authz

import (
	"reflect"
	"testing"
)

var (
	quangNgai  = &Actor{Grants: []Grant{{Role: ProvinceAdmin, UnitPath: "/51/"}}}
	haNoi      = &Actor{Grants: []Grant{{Role: ProvinceAdmin, UnitPath: "/01/"}}}
	baTo       = &Actor{Grants: []Grant{{Role: UnitAdmin, UnitPath: "/51/535/"}}}
	tinhDoan   = &Actor{Grants: []Grant{{Role: OrgAdmin, OrgPath: "/6/", UnitPath: "/51/"}}}
	learner    = &Actor{Grants: []Grant{{Role: Learner, OrgPath: "/6/12/", UnitPath: "/51/535/"}}}
	national   = &Actor{Grants: []Grant{{Role: NationalAdmin}}}
	twoGrants  = &Actor{Grants: []Grant{{Role: UnitAdmin, UnitPath: "/51/535/"}, {Role: Learner, UnitPath: "/01/001/"}}}
	noGrants   = &Actor{}
	nobody     *Actor
	everyRow   = Cond{SQL: "1=1"}
	noRow      = Cond{SQL: "1=0"}
	unitsOfQNg = Cond{SQL: "u.path LIKE ?", Args: []any{"/51/%"}}
)

func TestVisibilityConditions(t *testing.T) {
	cases := []struct {
		name string
		got  Cond
		want Cond
	}{
		{"province admin: its province's units", quangNgai.AdminScope().Units("u.path"), unitsOfQNg},
		{"district admin: its district", baTo.AdminScope().Units("u.path"), Cond{SQL: "u.path LIKE ?", Args: []any{"/51/535/%"}}},
		{"national: every unit", national.AdminScope().Units("u.path"), everyRow},
		{"command line: every unit", System.AdminScope().Units("u.path"), everyRow},
		{"org admin administers no unit", tinhDoan.AdminScope().Units("u.path"), noRow},
		{"no grant: nothing", noGrants.AdminScope().Units("u.path"), noRow},
		{"anonymous: nothing", nobody.AdminScope().Units("u.path"), noRow},
		{"org admin: its subtree's orgs", tinhDoan.AdminScope().Orgs("o.path", "o.unit_path"), Cond{SQL: "o.path LIKE ?", Args: []any{"/6/%"}}},
		{"province admin: orgs located in the province", quangNgai.AdminScope().Orgs("o.path", "o.unit_path"), Cond{SQL: "o.unit_path LIKE ?", Args: []any{"/51/%"}}},
		{"users of a district", baTo.VisibleUsers("u.id"), Cond{SQL: "EXISTS (SELECT 1 FROM role_grants g WHERE g.user_id = u.id AND (g.unit_path LIKE ?))", Args: []any{"/51/535/%"}}},
		{"users of an org", tinhDoan.VisibleUsers("u.id"), Cond{SQL: "EXISTS (SELECT 1 FROM role_grants g WHERE g.user_id = u.id AND (g.org_path LIKE ?))", Args: []any{"/6/%"}}},
		{"national sees the administrators it appoints", national.VisibleUsers("u.id"),
			Cond{SQL: "EXISTS (SELECT 1 FROM role_grants g WHERE g.user_id = u.id AND (g.role IN (?, ?)))", Args: []any{"national_admin", "province_admin"}}},
		{"command line sees every user", System.VisibleUsers("u.id"), everyRow},
		{"learner sees no users", learner.VisibleUsers("u.id"), noRow},
		{"province objects of the actor's provinces", twoGrants.VisibleProvinces("c.province_code", false), Cond{SQL: "c.province_code IN (?, ?)", Args: []any{"51", "01"}}},
		{"with national objects", learner.VisibleProvinces("c.province_code", true), Cond{SQL: "(c.province_code = '' OR c.province_code IN (?))", Args: []any{"51"}}},
		{"national reads every province's objects", national.VisibleProvinces("c.province_code", false), everyRow},
		{"anonymous: no province object", nobody.VisibleProvinces("c.province_code", false), noRow},
		{"anonymous: national objects only", nobody.VisibleProvinces("c.province_code", true), Cond{SQL: "c.province_code = ''"}},
	}
	for _, c := range cases {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s:\n got %q %v\nwant %q %v", c.name, c.got.SQL, c.got.Args, c.want.SQL, c.want.Args)
		}
	}
}

func TestMayChange(t *testing.T) {
	qngCeremony := ProvinceObject("51")
	nationalCourse := ProvinceObject("")
	baToPoint := Object{UnitPath: "/51/535/21484/"}
	tinhDoanPost := Object{OrgPath: "/6/", OrgUnitPath: "/51/"}
	cases := []struct {
		name  string
		actor *Actor
		obj   Object
		want  bool
	}{
		{"province admin changes its province's object", quangNgai, qngCeremony, true},
		{"another province's admin does not", haNoi, qngCeremony, false},
		{"a district admin does not change the province's object", baTo, qngCeremony, false},
		{"a district admin changes its point", baTo, baToPoint, true},
		{"the province admin changes the district's point", quangNgai, baToPoint, true},
		{"Hà Nội does not", haNoi, baToPoint, false},
		{"national changes no province's object", national, qngCeremony, false},
		{"national changes a national object", national, nationalCourse, true},
		{"a province admin does not change a national object", quangNgai, nationalCourse, false},
		{"the command line changes everything", System, baToPoint, true},
		{"the command line changes national objects", System, nationalCourse, true},
		{"an org admin changes its org's object", tinhDoan, tinhDoanPost, true},
		{"the province admin changes an org located in it", quangNgai, tinhDoanPost, true},
		{"Hà Nội does not change a Quảng Ngãi org's object", haNoi, tinhDoanPost, false},
		{"a learner changes nothing", learner, baToPoint, false},
		{"anonymous changes nothing", nobody, baToPoint, false},
		{"an empty object belongs to nobody", quangNgai, Object{}, false},
	}
	for _, c := range cases {
		if got := c.actor.MayChange(c.obj); got != c.want {
			t.Errorf("%s: MayChange = %v", c.name, got)
		}
	}
}

func TestProvinces(t *testing.T) {
	if got := twoGrants.Provinces(); !reflect.DeepEqual(got, []string{"51", "01"}) {
		t.Errorf("Provinces = %v", got)
	}
	if got := twoGrants.HomeProvince(); got != "" {
		t.Errorf("HomeProvince of two provinces = %q", got)
	}
	if got := learner.HomeProvince(); got != "51" {
		t.Errorf("HomeProvince = %q", got)
	}
	if !quangNgai.AdministersProvince("51") || quangNgai.AdministersProvince("01") || baTo.AdministersProvince("51") || national.AdministersProvince("51") {
		t.Error("AdministersProvince")
	}
	if !System.AdministersProvince("51") || !System.AdministersProvince("01") {
		t.Error("the command line administers every province")
	}
	if !national.InProvince("51") || haNoi.InProvince("51") || !baTo.InProvince("51") {
		t.Error("InProvince")
	}
	for path, want := range map[string]string{"/51/535/21484/": "51", "/01/": "01", "/": "", "": ""} {
		if got := ProvinceOfPath(path); got != want {
			t.Errorf("ProvinceOfPath(%q) = %q", path, got)
		}
	}
}
