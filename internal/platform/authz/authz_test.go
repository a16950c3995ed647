package authz

import "testing"

func TestMayGrant(t *testing.T) {
	province := &Actor{Grants: []Grant{{Role: ProvinceAdmin, UnitPath: "/51/"}}}
	baTo := &Actor{Grants: []Grant{{Role: UnitAdmin, UnitPath: "/51/535/"}}}
	tinhDoan := &Actor{Grants: []Grant{{Role: OrgAdmin, OrgPath: "/6/", UnitPath: "/51/"}}}
	member := &Actor{Grants: []Grant{{Role: TeamMember, UnitPath: "/51/535/21484/"}}}
	cases := []struct {
		name  string
		actor *Actor
		grant Grant
		want  bool
	}{
		{"province makes province admin", province, Grant{Role: ProvinceAdmin, UnitPath: "/51/"}, true},
		{"province cannot make another province's admin", province, Grant{Role: ProvinceAdmin, UnitPath: "/01/"}, false},
		{"province cannot give roles in another province", province, Grant{Role: UnitAdmin, UnitPath: "/01/001/"}, false},
		{"province cannot give another province's org", province, Grant{Role: OrgAdmin, OrgPath: "/40/", UnitPath: "/01/"}, false},
		{"province cannot make a national admin", province, Grant{Role: NationalAdmin}, false},
		{"national makes a national admin", &Actor{Grants: []Grant{{Role: NationalAdmin}}}, Grant{Role: NationalAdmin}, true},
		{"national makes any province's admin", &Actor{Grants: []Grant{{Role: NationalAdmin}}}, Grant{Role: ProvinceAdmin, UnitPath: "/01/"}, true},
		{"national gives nothing inside a province", &Actor{Grants: []Grant{{Role: NationalAdmin}}}, Grant{Role: UnitAdmin, UnitPath: "/01/001/"}, false},
		{"the command line gives anything", System, Grant{Role: UnitAdmin, UnitPath: "/01/001/"}, true},
		{"district cannot make province admin", baTo, Grant{Role: ProvinceAdmin, UnitPath: "/51/"}, false},
		{"district makes commune admin inside", baTo, Grant{Role: UnitAdmin, UnitPath: "/51/535/21484/"}, true},
		{"district makes its own level", baTo, Grant{Role: UnitAdmin, UnitPath: "/51/535/"}, true},
		{"district cannot reach a neighbour", baTo, Grant{Role: UnitAdmin, UnitPath: "/51/530/"}, false},
		{"district cannot reach a prefix-alike code", baTo, Grant{Role: UnitAdmin, UnitPath: "/51/5351/"}, false},
		{"district coordinator for a school located inside", baTo, Grant{Role: OrgAdmin, OrgPath: "/9/", UnitPath: "/51/535/"}, true},
		{"district cannot give a provincial org", baTo, Grant{Role: OrgAdmin, OrgPath: "/6/", UnitPath: "/51/"}, false},
		{"union gives roles in its subtree", tinhDoan, Grant{Role: Learner, OrgPath: "/6/12/", UnitPath: "/51/535/"}, true},
		{"union cannot give unit roles", tinhDoan, Grant{Role: TeamMember, UnitPath: "/51/535/21484/"}, false},
		{"member gives nothing", member, Grant{Role: Learner, UnitPath: "/51/535/21484/"}, false},
		{"nobody", nil, Grant{Role: Learner, UnitPath: "/51/"}, false},
	}
	for _, c := range cases {
		if got := c.actor.MayGrant(c.grant); got != c.want {
			t.Errorf("%s: MayGrant = %v", c.name, got)
		}
	}
}

func TestCompactPaths(t *testing.T) {
	a := &Actor{Grants: []Grant{{Role: UnitAdmin, UnitPath: "/51/535/"}, {Role: UnitAdmin, UnitPath: "/51/535/21484/"}, {Role: UnitAdmin, UnitPath: "/51/530/"}}}
	if got := a.AdminUnitPaths(); len(got) != 2 {
		t.Errorf("paths = %v", got)
	}
}
