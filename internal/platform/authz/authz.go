// Package authz describes who is acting and over what part of the country: an Actor holds role
// grants, each scoped to a subtree of the unit tree or of the organisation tree. A province is the
// tenant boundary: every grant but a national one lies inside one province, and so does every
// object a province owns.
//
// Two things are decided here and nowhere else, so that every module answers them alike:
//   - what a listing may return: the visibility conditions of scope.go (units by path,
//     organisations by path and located-in unit, users by their grants, province-owned objects by
//     their province), which domain stores put into their SQL;
//   - whether the actor may change an object: MayChange, given where the object sits.
package authz

import (
	"context"
	"slices"
	"strings"
)

// Role is what a grant lets its holder do.
type Role string

// The roles of Lan Tỏa.
const (
	NationalAdmin  Role = "national_admin"  // national steering committee or ministry: reads every province, changes none
	ProvinceAdmin  Role = "province_admin"  // Sở TT&TT: runs everything in its province
	UnitAdmin      Role = "unit_admin"      // UBND of a district or commune
	OrgAdmin       Role = "org_admin"       // coordinator of a department, union, school…
	TeamMember     Role = "team_member"     // member of a Tổ Công nghệ số cộng đồng
	BridgeOperator Role = "bridge_operator" // operator of a điểm cầu
	Learner        Role = "learner"         // takes digital-skills courses
)

// Roles lists every role, most powerful first.
var Roles = []Role{NationalAdmin, ProvinceAdmin, UnitAdmin, OrgAdmin, TeamMember, BridgeOperator, Learner}

// Valid tells whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// OrgScoped tells whether a grant of r names an organisation rather than a unit.
func (r Role) OrgScoped() bool { return r == OrgAdmin }

// UnitScoped tells whether a grant of r must name a unit.
func (r Role) UnitScoped() bool {
	return r == ProvinceAdmin || r == UnitAdmin || r == TeamMember || r == BridgeOperator
}

// Unscoped tells whether a grant of r names neither a unit nor an organisation: it covers the
// whole country.
func (r Role) Unscoped() bool { return r == NationalAdmin }

// Grant is one role over one subtree. UnitPath is the materialised path of the unit ("/51/535/");
// for an organisation grant it is the path of the unit the organisation is located in, so that the
// unit's administrators also see the organisation's people and the grant lies in a province. A
// national grant has neither path.
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

// System is the actor of command-line administration: it may do anything, in every province.
var System = &Actor{Username: "system", Via: "cli", Grants: []Grant{{Role: NationalAdmin}, {Role: ProvinceAdmin, UnitPath: "/"}}}

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

// IsNational tells whether the actor is a national administrator (or the command line): it reads
// every province and changes national objects (national courses and report periods).
func (a *Actor) IsNational() bool { return a.Has(NationalAdmin) }

// IsAdmin tells whether the actor administers anything (users, units or organisations), or is a
// national administrator.
func (a *Actor) IsAdmin() bool {
	return a.Has(NationalAdmin) || a.Has(ProvinceAdmin) || a.Has(UnitAdmin) || a.Has(OrgAdmin)
}

// ProvinceOfPath returns the code of the province a unit path lies in: "/51/535/" → "51". The
// root "/" and "" lie in no province.
func ProvinceOfPath(path string) string {
	code, _, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	return code
}

// ProvincePath returns the unit path of a province: "51" → "/51/"; "" (national) → "/".
func ProvincePath(code string) string {
	if code == "" {
		return "/"
	}
	return "/" + code + "/"
}

// Provinces returns the codes of the provinces in which the actor holds any grant, in the order of
// the grants. A national administrator holds none (it reads them all: see IsNational).
func (a *Actor) Provinces() []string {
	if a == nil {
		return nil
	}
	var out []string
	for _, g := range a.Grants {
		if p := ProvinceOfPath(g.UnitPath); p != "" && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// InProvince tells whether the actor takes part in the province: holds a grant in it, or reads
// every province.
func (a *Actor) InProvince(code string) bool {
	return a.IsNational() || (code != "" && slices.Contains(a.Provinces(), code))
}

// AdministersProvince tells whether the actor is the province administrator of code (the command
// line administers every province).
func (a *Actor) AdministersProvince(code string) bool {
	return code != "" && Under(ProvincePath(code), a.UnitPaths(ProvinceAdmin))
}

// AdminProvinces returns the codes of the provinces the actor administers as province
// administrator.
func (a *Actor) AdminProvinces() []string {
	var out []string
	for _, p := range a.UnitPaths(ProvinceAdmin) {
		if c := ProvinceOfPath(p); c != "" {
			out = append(out, c)
		}
	}
	return out
}

// HomeProvince is the one province the actor works in, for pages and forms that need a default:
// "" when the actor has no grant in a province or grants in several.
func (a *Actor) HomeProvince() string {
	if p := a.Provinces(); len(p) == 1 {
		return p[0]
	}
	return ""
}

// UnitPaths returns the unit subtrees in which the actor holds one of roles.
func (a *Actor) UnitPaths(roles ...Role) []string {
	if a == nil {
		return nil
	}
	var out []string
	for _, g := range a.Grants {
		if g.UnitPath != "" && !g.Role.OrgScoped() && slices.Contains(roles, g.Role) {
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
		if g.OrgPath != "" && slices.Contains(roles, g.Role) {
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
	return Under(orgPath, a.AdminOrgPaths()) || (orgUnitPath != "" && a.AdministersUnit(orgUnitPath))
}

// Object says where something an actor wants to change sits in the trees.
type Object struct {
	// UnitPath is the path of the unit the object hangs on. A province-wide object (a ceremony, a
	// campaign, a report period, a course, a post) hangs on its province, "/51/"; a national
	// object (a national course or report period) on the root, "/".
	UnitPath string
	// OrgPath and OrgUnitPath place an object that belongs to an organisation: the organisation's
	// path and the path of the unit it is located in.
	OrgPath     string
	OrgUnitPath string
}

// ProvinceObject is the Object of something a province owns; code "" is a national object.
func ProvinceObject(code string) Object { return Object{UnitPath: ProvincePath(code)} }

// MayChange tells whether the actor may change obj: a national object only a national
// administrator; anything else whoever administers its unit (a province administrator its whole
// province, a unit administrator a subtree) or, for an organisation's object, the organisation.
// A national administrator changes no province's object.
func (a *Actor) MayChange(obj Object) bool {
	if a == nil {
		return false
	}
	if obj.UnitPath == "/" && obj.OrgPath == "" {
		return a.IsNational()
	}
	if obj.UnitPath != "" && a.AdministersUnit(obj.UnitPath) {
		return true
	}
	return obj.OrgPath != "" && a.AdministersOrg(obj.OrgPath, obj.OrgUnitPath)
}

// MayGrant tells whether the actor may hand out g. A national administrator is made only by
// another (or the command line), and makes province administrators of any province but hands out
// nothing inside a province. A province administrator hands out anything in their own province,
// including another province administrator of it; a unit administrator hands out unit-level roles
// inside their subtree and organisation roles for organisations located there; an organisation
// administrator hands out roles inside their organisation subtree.
func (a *Actor) MayGrant(g Grant) bool {
	if a == nil {
		return false
	}
	switch {
	case g.Role == NationalAdmin:
		return a.IsNational()
	case g.Role == ProvinceAdmin:
		return g.UnitPath != "" && (a.IsNational() || Under(g.UnitPath, a.UnitPaths(ProvinceAdmin)))
	case g.OrgPath != "":
		return a.AdministersOrg(g.OrgPath, g.UnitPath)
	case g.UnitPath != "":
		return a.AdministersUnit(g.UnitPath)
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
		if !covered && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
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
