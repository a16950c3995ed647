// Package authz describes who is acting and over what part of the province: an Actor holds role
// grants, each scoped to a subtree of the unit tree or of the organisation tree. Domain stores take
// the actor from the context and put its scope into their queries, so a list can only return rows
// the actor may see, whichever page or API route asked.
package authz

import (
	"context"
	"strings"
)

// Role is what a grant lets its holder do.
type Role string

// The roles of Lan Tỏa.
const (
	ProvinceAdmin  Role = "province_admin"  // Sở TT&TT: runs everything in the province
	UnitAdmin      Role = "unit_admin"      // UBND of a district or commune
	OrgAdmin       Role = "org_admin"       // coordinator of a department, union, school…
	TeamMember     Role = "team_member"     // member of a Tổ Công nghệ số cộng đồng
	BridgeOperator Role = "bridge_operator" // operator of a điểm cầu
	Learner        Role = "learner"         // takes digital-skills courses
)

// Roles lists every role, most powerful first.
var Roles = []Role{ProvinceAdmin, UnitAdmin, OrgAdmin, TeamMember, BridgeOperator, Learner}

// Valid tells whether r is a known role.
func (r Role) Valid() bool {
	for _, x := range Roles {
		if x == r {
			return true
		}
	}
	return false
}

// OrgScoped tells whether a grant of r names an organisation rather than a unit.
func (r Role) OrgScoped() bool { return r == OrgAdmin }

// UnitScoped tells whether a grant of r must name a unit.
func (r Role) UnitScoped() bool {
	return r == ProvinceAdmin || r == UnitAdmin || r == TeamMember || r == BridgeOperator
}

// Grant is one role over one subtree. UnitPath is the materialised path of the unit ("/51/535/");
// for an organisation grant it is the path of the unit the organisation is located in, if any, so
// that the unit's administrators also see the organisation's people.
type Grant struct {
	ID       int64  `json:"id"`
	Role     Role   `json:"role"`
	UnitCode string `json:"unit_code,omitempty"`
	UnitPath string `json:"-"`
	OrgID    int64  `json:"org_id,omitempty"`
	OrgPath  string `json:"-"`
}

// Actor is the authenticated user of a request.
type Actor struct {
	UserID   int64
	Username string
	Name     string
	Grants   []Grant
	// Via tells how the actor authenticated: "session", "token" or "cli".
	Via string
}

// System is the actor of command-line administration: it may do anything.
var System = &Actor{Username: "system", Via: "cli", Grants: []Grant{{Role: ProvinceAdmin, UnitPath: "/"}}}

// Has tells whether the actor holds role anywhere.
func (a *Actor) Has(role Role) bool {
	if a == nil {
		return false
	}
	for _, g := range a.Grants {
		if g.Role == role {
			return true
		}
	}
	return false
}

// IsProvinceAdmin tells whether the actor administers the whole province.
func (a *Actor) IsProvinceAdmin() bool { return a.Has(ProvinceAdmin) }

// IsAdmin tells whether the actor administers anything (users, units or organisations).
func (a *Actor) IsAdmin() bool {
	return a.Has(ProvinceAdmin) || a.Has(UnitAdmin) || a.Has(OrgAdmin)
}

// UnitPaths returns the unit subtrees in which the actor holds one of roles.
func (a *Actor) UnitPaths(roles ...Role) []string {
	if a == nil {
		return nil
	}
	var out []string
	for _, g := range a.Grants {
		if g.UnitPath != "" && !g.Role.OrgScoped() && contains(roles, g.Role) {
			out = append(out, g.UnitPath)
		}
	}
	return compact(out)
}

// OrgPaths returns the organisation subtrees in which the actor holds one of roles.
func (a *Actor) OrgPaths(roles ...Role) []string {
	if a == nil {
		return nil
	}
	var out []string
	for _, g := range a.Grants {
		if g.OrgPath != "" && contains(roles, g.Role) {
			out = append(out, g.OrgPath)
		}
	}
	return compact(out)
}

// AdminUnitPaths are the unit subtrees the actor administers (province or unit administrator).
func (a *Actor) AdminUnitPaths() []string { return a.UnitPaths(ProvinceAdmin, UnitAdmin) }

// AdminOrgPaths are the organisation subtrees the actor administers.
func (a *Actor) AdminOrgPaths() []string { return a.OrgPaths(OrgAdmin) }

// AdministersUnit tells whether the unit at path lies in a subtree the actor administers.
func (a *Actor) AdministersUnit(path string) bool { return Under(path, a.AdminUnitPaths()) }

// AdministersOrg tells whether an organisation (its path, and the path of the unit it is located
// in) lies in the actor's administration: directly through an org grant, or through the unit.
func (a *Actor) AdministersOrg(orgPath, orgUnitPath string) bool {
	if a.IsProvinceAdmin() {
		return true
	}
	if Under(orgPath, a.AdminOrgPaths()) {
		return true
	}
	return orgUnitPath != "" && Under(orgUnitPath, a.AdminUnitPaths())
}

// MayGrant tells whether the actor may hand out g. Only a province administrator creates another
// province administrator; a unit administrator hands out unit-level roles inside their subtree and
// organisation roles for organisations located there; an organisation administrator hands out
// roles inside their organisation subtree.
func (a *Actor) MayGrant(g Grant) bool {
	if a == nil {
		return false
	}
	if a.IsProvinceAdmin() {
		return true
	}
	switch {
	case g.Role == ProvinceAdmin:
		return false
	case g.OrgPath != "":
		return a.AdministersOrg(g.OrgPath, g.UnitPath)
	case g.UnitPath != "":
		return Under(g.UnitPath, a.UnitPaths(UnitAdmin))
	}
	return false
}

// Under tells whether path lies in one of the subtrees roots ("/" is everything).
func Under(path string, roots []string) bool {
	for _, r := range roots {
		if r != "" && strings.HasPrefix(path, r) {
			return true
		}
	}
	return false
}

func contains(roles []Role, r Role) bool {
	for _, x := range roles {
		if x == r {
			return true
		}
	}
	return false
}

// compact drops duplicates and paths already covered by a shorter one.
func compact(paths []string) []string {
	var out []string
	for _, p := range paths {
		covered := false
		for _, q := range paths {
			if q != p && strings.HasPrefix(p, q) {
				covered = true
				break
			}
		}
		if !covered && !containsStr(out, p) {
			out = append(out, p)
		}
	}
	return out
}

func containsStr(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

type actorKey struct{}

// WithActor returns a context carrying the actor.
func WithActor(ctx context.Context, a *Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor of ctx, or nil for an anonymous visitor.
func ActorFrom(ctx context.Context) *Actor {
	a, _ := ctx.Value(actorKey{}).(*Actor)
	return a
}
