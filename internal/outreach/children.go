package outreach

import (
	"context"
	"slices"
	"strings"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/units"
)

// ChildFigures is what a dashboard shows of one child unit: its progress as it is now, its teams,
// and the citizens it guided by skill and platform.
type ChildFigures struct {
	Tally
	Teams      int
	BySkill    []Count
	ByPlatform []Count
}

// ChildFigures returns the figures of every child in force of the unit, keyed by the child's
// path: for each child what ProgressView(child, ViewNow) and ListTeams(child) answer, read in one
// pass over each counter table instead of once per child (a province of the two-tier map has 96).
func (s *Service) ChildFigures(ctx context.Context, unitCode string, campaignID int64) (map[string]ChildFigures, error) {
	p, err := s.progress(ctx, unitCode, campaignID, ViewNow, false)
	if err != nil {
		return nil, err
	}
	if p.View != ViewNow {
		// A retired unit has no children in force.
		return map[string]ChildFigures{}, nil
	}
	out := make(map[string]ChildFigures, len(p.Children))
	for _, c := range p.Children {
		out[c.Unit.Path] = ChildFigures{Tally: c}
	}
	parent := p.Unit.Path
	splits, err := s.splitUnits(ctx)
	if err != nil {
		return nil, err
	}
	skills, _, err := s.catalog(ctx)
	if err != nil {
		return nil, err
	}
	cond, args, at := countsIn(ViewNow, parent, splits)
	rows, err := s.DB.Reader().QueryContext(ctx, "SELECT "+at+", c.dim, c.n FROM outreach_dim_counts c WHERE c.campaign_id = ? AND "+cond+
		" AND (c.dim LIKE 'skill:%' OR c.dim LIKE 'platform:%')", append([]any{p.Campaign.ID}, args...)...)
	if err != nil {
		return nil, apperr.Wrap(err, "dimension counts by child")
	}
	dims := map[string]map[string]int64{} // child path → dim → n
	for rows.Next() {
		var path, dim string
		var n int64
		if err := rows.Scan(&path, &dim, &n); err != nil {
			rows.Close()
			return nil, apperr.Wrap(err, "scan dimension")
		}
		c := units.ChildPath(parent, path)
		if _, ok := out[c]; !ok {
			continue
		}
		if dims[c] == nil {
			dims[c] = map[string]int64{}
		}
		dims[c][dim] += n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, apperr.Wrap(err, "dimension counts by child")
	}
	for c, byDim := range dims {
		f := out[c]
		for dim, n := range byDim {
			kind, code, _ := strings.Cut(dim, ":")
			cnt := Count{Code: code, Name: skills[code].Name, N: n}
			if kind == "skill" {
				f.BySkill = append(f.BySkill, cnt)
			} else {
				f.ByPlatform = append(f.ByPlatform, cnt)
			}
		}
		for _, l := range [][]Count{f.BySkill, f.ByPlatform} {
			slices.SortFunc(l, func(a, b Count) int { return int(b.N - a.N) })
		}
		out[c] = f
	}

	// Teams lie where they were made or moved to, as ListTeams lists them.
	rows, err = s.DB.Reader().QueryContext(ctx, "SELECT t.unit_path FROM outreach_teams t WHERE t.unit_path LIKE ?", parent+"%")
	if err != nil {
		return nil, apperr.Wrap(err, "teams by child")
	}
	defer rows.Close()
	for rows.Next() {
		var path string
		if err := rows.Scan(&path); err != nil {
			return nil, apperr.Wrap(err, "scan team")
		}
		c := units.ChildPath(parent, path)
		if f, ok := out[c]; ok {
			f.Teams++
			out[c] = f
		}
	}
	return out, apperr.Wrap(rows.Err(), "teams by child")
}
