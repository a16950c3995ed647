package outreach

import (
	"slices"
	"strings"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
)

// The rules of a unit's progress live here, apart from progress' reads, so that they can be tested
// on plain values (progress_rule_test.go): which unit an actor reads when they name none, which
// view a unit is read in, which campaign counts in it, which child a count rolls up to, and what
// the members' standing makes of the page. Who counts as a member and the leaders and members
// behind are members.go's (standing, keepBest).

// meetsTarget tells whether a member who guided citizens met the campaign's target: the target
// counts distinct citizens, not records.
func meetsTarget(citizens int64, target int) bool { return citizens >= int64(target) }

// progressRoot is the unit whose progress an actor reads when they name none: the widest unit of
// their scope (a province's administrator's province, a member's team's area). One who reads every
// province must name one.
func progressRoot(scope authz.Scope) (string, error) {
	if scope.All() {
		return "", apperr.InvalidField("unit", "outreach.error.unit_required")
	}
	root := ""
	for _, path := range scope.UnitRoots() {
		if root == "" || len(path) < len(root) {
			root = path
		}
	}
	if root == "" {
		return "", apperr.New(apperr.Forbidden, "error.forbidden")
	}
	return root, nil
}

// progressView is the view a unit is read in: as asked ("now" for anything but "was"), except
// that a unit that left the map has no "now" of its own: its counts are read where they were made,
// and today they count in its successor.
func progressView(asked View, retired bool) View {
	if asked == ViewWas || retired {
		return ViewWas
	}
	return ViewNow
}

// campaignCounts refuses a campaign chosen by id that is another province's: it has no progress in
// the unit (of province).
func campaignCounts(c Campaign, province string) error {
	if c.Province != province {
		return apperr.New(apperr.NotFound, "outreach.error.campaign_not_found")
	}
	return nil
}

// childRollup finds the child a count rolls up to, among the children of parent listed in a
// progress answer.
type childRollup struct {
	parent string
	at     map[string]int // child path → index in Progress.Children
}

// of returns the index of the child whose subtree holds path, or -1 for the parent itself, a path
// outside it, or a child not listed (a retired one, as it is now).
func (r childRollup) of(path string) int {
	rest, ok := strings.CutPrefix(path, r.parent)
	if !ok {
		return -1
	}
	seg, _, _ := strings.Cut(rest, "/")
	return r.seg(seg)
}

// seg returns the index of the child named by its path segment below the parent ("21034"), or -1.
func (r childRollup) seg(seg string) int {
	if seg == "" {
		return -1
	}
	// The key is built in the index expression so that the lookup allocates nothing: this runs
	// once per counter row.
	if i, ok := r.at[r.parent+seg+"/"]; ok {
		return i
	}
	return -1
}

// addCounts adds a unit counter row, counted at path, to the unit and to the child it rolls up to.
func (p *Progress) addCounts(r childRollup, path string, records, citizens, flagged int64) {
	p.Records, p.Citizens, p.Flagged = p.Records+records, p.Citizens+citizens, p.Flagged+flagged
	if i := r.of(path); i >= 0 {
		c := &p.Children[i]
		c.Records, c.Citizens, c.Flagged = c.Records+records, c.Citizens+citizens, c.Flagged+flagged
	}
}

// addEnterprises adds a unit counter row's enterprises like addCounts its citizens.
func (p *Progress) addEnterprises(r childRollup, path string, records, enterprises int64) {
	p.EnterpriseRecords, p.Enterprises = p.EnterpriseRecords+records, p.Enterprises+enterprises
	if i := r.of(path); i >= 0 {
		c := &p.Children[i]
		c.EnterpriseRecords, c.Enterprises = c.EnterpriseRecords+records, c.Enterprises+enterprises
	}
}

// addDim files a dimension counter ("skill:vneid", "platform:so_suc_khoe", "visit:guided") under
// its list, named from the catalogue; other dimensions (the days) are not the page's.
func (p *Progress) addDim(dim string, n int64, skills map[string]Skill) {
	kind, code, _ := strings.Cut(dim, ":")
	c := Count{Code: code, Name: skills[code].Name, N: n}
	switch kind {
	case "skill":
		p.BySkill = append(p.BySkill, c)
	case "platform":
		p.ByPlatform = append(p.ByPlatform, c)
	case "visit":
		p.Visits = append(p.Visits, c)
	}
}

// sortCounts puts each list's largest count first.
func sortCounts(lists ...[]Count) {
	for _, l := range lists {
		slices.SortFunc(l, func(a, b Count) int { return int(b.N - a.N) })
	}
}

// named returns the ids of the members the page names: the leaders, then those behind.
func (st memberStanding) named() []int64 {
	ids := make([]int64, 0, len(st.leaders)+len(st.behind))
	for _, m := range st.leaders {
		ids = append(ids, m.id)
	}
	for _, m := range st.behind {
		ids = append(ids, m.id)
	}
	return ids
}

// addStanding puts the members' standing on the page: how many and how many met the target, in
// the unit and in each child listed; the leaders and those behind, with their names.
func (p *Progress) addStanding(r childRollup, st memberStanding, names map[int64][2]string) {
	target := p.Campaign.Target
	p.Members, p.MembersMet = st.members, st.met
	for seg, n := range st.byChild {
		if i := r.seg(seg); i >= 0 {
			p.Children[i].Members += n[0]
			p.Children[i].MembersMet += n[1]
		}
	}
	p.Leaders = make([]MemberProgress, 0, len(st.leaders))
	for _, m := range st.leaders {
		p.Leaders = append(p.Leaders, progressOf(m, names, target))
	}
	p.Behind = make([]MemberProgress, 0, len(st.behind))
	for _, m := range st.behind {
		p.Behind = append(p.Behind, progressOf(m, names, target))
	}
	p.BehindCount = p.Members - p.MembersMet
}

// tallyMembers counts the members and those who met the target.
func tallyMembers(rows []memberRow, target int) (members, met int) {
	for _, m := range rows {
		members++
		if meetsTarget(m.citizens, target) {
			met++
		}
	}
	return members, met
}
