package training

import (
	"cmp"
	"context"
	"math"
	"slices"

	"github.com/lantoa/lantoa/internal/platform/authz"
)

// The figures against the headcounts (headcounts.go): each row's headcount and shares, the
// leaderboard ranked by share.

// share is part against whole in percent, to one decimal; nil without a whole.
func share(part, whole int) *float64 {
	if whole <= 0 {
		return nil
	}
	v := math.Round(float64(part)*1000/float64(whole)) / 10
	return &v
}

// sharesOf are the shares of a row with a known headcount n (known false: none).
func sharesOf(passed, started, n int, known bool) Shares {
	if !known {
		return Shares{}
	}
	return Shares{Headcount: &n, CompletedShare: share(passed, n), PassedShare: share(passed, started)}
}

// SharesOf are the shares of passed and started against a known headcount n: a sum of rows
// that have one (reports' province totals).
func SharesOf(passed, started, n int) Shares { return sharesOf(passed, started, n, true) }

// readsWhole tells whether the actor's figures of a unit row count all its people, so that its
// headcount applies: a national administrator, or an administrator of the unit or above it. A
// commune administrator reading its district's row (its own people only) or an organisation
// administrator reading units (their staff only) gets no share. Organisation rows are the
// actor's own (orgRowsSQL).
func readsWhole(a *authz.Actor, byOrg bool, path string) bool {
	return byOrg || a.IsNational() || a.AdminScope().HasUnit(path)
}

// attachShares fills the rows' headcounts and shares for course c.
func (s *Service) attachShares(ctx context.Context, a *authz.Actor, c Course, byOrg bool, rows []FigureRow) error {
	kind := HeadcountUnit
	if byOrg {
		kind = HeadcountOrg
	}
	var paths []string
	for _, r := range rows {
		if !r.Earlier && readsWhole(a, byOrg, r.Path) {
			paths = append(paths, r.Path)
		}
	}
	list, err := s.headcountsUnder(ctx, kind, paths, courseGroups(c.Audience))
	if err != nil {
		return err
	}
	for i, r := range rows {
		if r.Earlier || !readsWhole(a, byOrg, r.Path) {
			continue
		}
		n, known := sumUnder(list, r.Path, r.Direct)
		rows[i].Shares = sharesOf(r.Passed, r.Started, n, known)
	}
	return nil
}

// scopeShares are the shares of the actor's whole scope: the headcounts under the units they
// administer (a province's, for its administrator), else under their organisations; every
// province's (or the course's province's) for a national administrator.
func (s *Service) scopeShares(ctx context.Context, a *authz.Actor, c Course, passed, started int) (Shares, error) {
	kind, roots := HeadcountUnit, a.AdminUnitPaths()
	switch {
	case a.IsNational():
		roots = []string{authz.ProvincePath(c.Province)}
	case len(roots) == 0:
		kind, roots = HeadcountOrg, a.AdminOrgPaths()
	case c.Province != "":
		// Only the course's province's learners count.
		var in []string
		for _, r := range roots {
			if authz.ProvinceOfPath(r) == c.Province {
				in = append(in, r)
			}
		}
		roots = in
	}
	list, err := s.headcountsUnder(ctx, kind, roots, courseGroups(c.Audience))
	if err != nil || len(list) == 0 {
		return Shares{}, err
	}
	n := 0
	for _, x := range list {
		n += x.n
	}
	return sharesOf(passed, started, n, true), nil
}

// rankByShare orders a leaderboard: the rows with a headcount first, by completed share, then
// those without, by passed (then enrolled, name); and keeps the first limit.
func rankByShare(rows []FigureRow, limit int) []FigureRow {
	slices.SortStableFunc(rows, func(x, y FigureRow) int {
		xs, ys := x.CompletedShare != nil, y.CompletedShare != nil
		switch {
		case xs && !ys:
			return -1
		case !xs && ys:
			return 1
		case xs && ys && *x.CompletedShare != *y.CompletedShare:
			return cmp.Compare(*y.CompletedShare, *x.CompletedShare)
		}
		if c := cmp.Compare(y.Passed, x.Passed); c != 0 {
			return c
		}
		return cmp.Compare(y.Enrolled, x.Enrolled)
	})
	if limit > 0 && len(rows) > limit {
		rows = rows[:limit]
	}
	return rows
}
