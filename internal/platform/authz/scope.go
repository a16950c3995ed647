package authz

import "strings"

// Cond is a condition for a listing's WHERE clause, written with "?" placeholders, and its
// arguments. It is never empty: "1=1" when nothing is excluded, "1=0" when everything is.
type Cond struct {
	SQL  string
	Args []any
}

var (
	everything = Cond{SQL: "1=1"}
	nothing    = Cond{SQL: "1=0"}
)

// Empty tells whether the condition excludes every row, so a listing may answer at once.
func (c Cond) Empty() bool { return c.SQL == nothing.SQL }

// Unlimited tells whether the condition excludes nothing.
func (c Cond) Unlimited() bool { return c.SQL == everything.SQL }

// And appends the condition to a list of conditions and its arguments to args, leaving out one
// that excludes nothing.
func (c Cond) And(conds []string, args []any) ([]string, []any) {
	if c.Unlimited() {
		return conds, args
	}
	return append(conds, c.SQL), append(args, c.Args...)
}

// Scope is a part of the two trees: every province, or some unit subtrees and organisation
// subtrees. It is what an actor may read in a listing.
type Scope struct {
	all   bool
	units []string
	orgs  []string
}

// ScopeOf is the part of the trees in which the actor holds one of roles; for a national
// administrator (and the command line), every province.
func (a *Actor) ScopeOf(roles ...Role) Scope {
	if a.IsNational() {
		return Scope{all: true}
	}
	return Scope{units: a.UnitPaths(roles...), orgs: a.OrgPaths(roles...)}
}

// AdminScope is the part of the trees the actor administers; a national administrator reads
// every province.
func (a *Actor) AdminScope() Scope { return a.ScopeOf(ProvinceAdmin, UnitAdmin, OrgAdmin) }

// All tells whether the scope is every province.
func (s Scope) All() bool { return s.all }

// Empty tells whether the scope holds nothing.
func (s Scope) Empty() bool { return !s.all && len(s.units) == 0 && len(s.orgs) == 0 }

// UnitRoots returns the unit subtrees of the scope (nil for every province).
func (s Scope) UnitRoots() []string { return s.units }

// HasUnit tells whether the unit at path lies in the scope.
func (s Scope) HasUnit(path string) bool { return s.all || Under(path, s.units) }

// HasOrg tells whether an organisation (its path and the path of the unit it is located in) lies in
// the scope.
func (s Scope) HasOrg(orgPath, orgUnitPath string) bool {
	return s.all || Under(orgPath, s.orgs) || (orgUnitPath != "" && Under(orgUnitPath, s.units))
}

// Units is the condition "the unit path in col lies in the scope", for rows hung on a unit:
// units, bridge points, teams, guidance records, reports, audit entries.
func (s Scope) Units(col string) Cond {
	if s.all {
		return everything
	}
	return prefixes(nil, nil, col, s.units)
}

// Orgs is the condition for rows of organisations (or rows hung on one): the organisation's path in
// pathCol lies in an organisation subtree of the scope, or the unit it is located in
// (unitPathCol) lies in a unit subtree.
func (s Scope) Orgs(pathCol, unitPathCol string) Cond {
	if s.all {
		return everything
	}
	ors, args := prefixList(nil, nil, pathCol, s.orgs)
	ors, args = prefixList(ors, args, unitPathCol, s.units)
	return orCond(ors, args)
}

// VisibleUsers is the condition "the user whose id is in idCol is one the actor administers": one
// of the user's grants lies in a subtree the actor administers. A national administrator sees the
// national and province administrators (whom it appoints), not the people of the provinces; the
// command line sees everyone.
func (a *Actor) VisibleUsers(idCol string) Cond {
	if a.AdministersUnit("/") {
		return everything
	}
	var ors []string
	var args []any
	if a.IsNational() {
		ors = append(ors, "g.role IN (?, ?)")
		args = append(args, string(NationalAdmin), string(ProvinceAdmin))
	}
	ors, args = prefixList(ors, args, "g.unit_path", a.AdminUnitPaths())
	ors, args = prefixList(ors, args, "g.org_path", a.AdminOrgPaths())
	if len(ors) == 0 {
		return nothing
	}
	return Cond{SQL: "EXISTS (SELECT 1 FROM role_grants g WHERE g.user_id = " + idCol + " AND (" + strings.Join(ors, " OR ") + "))", Args: args}
}

// SeesUser tells whether the actor administers a user with these grants (VisibleUsers for one
// user already loaded).
func (a *Actor) SeesUser(grants []Grant) bool {
	if a.AdministersUnit("/") {
		return true
	}
	for _, g := range grants {
		if a.IsNational() && (g.Role == NationalAdmin || g.Role == ProvinceAdmin) {
			return true
		}
		if (g.UnitPath != "" && a.AdministersUnit(g.UnitPath)) || (g.OrgPath != "" && Under(g.OrgPath, a.AdminOrgPaths())) {
			return true
		}
	}
	return false
}

// VisibleProvinces is the condition for objects a province owns (ceremonies, campaigns, report
// periods, courses, posts), whose province code is in col: the provinces the actor takes part in
// (every one for a national administrator). With national set, national objects (empty code) are
// visible to everyone too.
func (a *Actor) VisibleProvinces(col string, national bool) Cond {
	if a.IsNational() {
		return everything
	}
	codes := a.Provinces()
	var ors []string
	var args []any
	if national {
		ors = append(ors, col+" = ''")
	}
	if len(codes) > 0 {
		ors = append(ors, col+" IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(codes)), ", ")+")")
		for _, c := range codes {
			args = append(args, c)
		}
	}
	return orCond(ors, args)
}

// SeesProvince tells whether the actor may read an object of province code ("" is national and
// visible to everyone when national is set): VisibleProvinces for one object already loaded.
func (a *Actor) SeesProvince(code string, national bool) bool {
	if code == "" {
		return national || a.IsNational()
	}
	return a.InProvince(code)
}

func prefixes(ors []string, args []any, col string, roots []string) Cond {
	ors, args = prefixList(ors, args, col, roots)
	return orCond(ors, args)
}

func prefixList(ors []string, args []any, col string, roots []string) ([]string, []any) {
	for _, r := range roots {
		if r == "/" {
			return append(ors, "1=1"), args
		}
		ors = append(ors, col+" LIKE ?")
		args = append(args, r+"%")
	}
	return ors, args
}

func orCond(ors []string, args []any) Cond {
	for _, o := range ors {
		if o == "1=1" {
			return everything
		}
	}
	switch len(ors) {
	case 0:
		return nothing
	case 1:
		return Cond{SQL: ors[0], Args: args}
	}
	return Cond{SQL: "(" + strings.Join(ors, " OR ") + ")", Args: args}
}
