package pubservices

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/units"
)

// MaySee tells whether the actor reads the statistics of the unit at path: its administrators
// (province or unit, of the unit or above) and national administrators.
func MaySee(a *authz.Actor, path string) bool {
	return a.IsNational() || a.AdministersUnit(path)
}

// Report returns the statistics of the unit with code and of each of its children in force, with
// the before/after summary around the province's launch. A unit outside the actor's scope is not
// found.
func (s *Service) Report(ctx context.Context, code string) (Report, error) {
	a := authz.ActorFrom(ctx)
	u, err := s.Units.Find(ctx, code)
	if err != nil {
		return Report{}, apperr.New(apperr.NotFound, "units.error.not_found", code)
	}
	if !MaySee(a, u.Path) {
		// Hidden, so that the refusal is audited as a probe outside the actor's scope.
		return Report{}, apperr.Hidden("units.error.not_found", code)
	}
	launch, err := s.launch(ctx, authz.ProvinceOfPath(u.Path))
	if err != nil {
		return Report{}, err
	}
	data, err := s.subtree(ctx, u.Path)
	if err != nil {
		return Report{}, err
	}
	rep := Report{UnitStats: statsOf(u, data, launch)}
	children, err := s.Units.List(ctx, units.Filter{ParentPath: u.Path})
	if err != nil {
		return Report{}, err
	}
	for _, c := range children {
		if st := statsOf(c, data, launch); len(st.Months) > 0 {
			rep.Children = append(rep.Children, st)
		}
	}
	return rep, nil
}

// ProvinceSummary is the summary of the unit at path for the dashboards, read without an actor's
// scope (the reports module checks who reads the dashboard).
func (s *Service) ProvinceSummary(ctx context.Context, path string) (Summary, bool, error) {
	launch, err := s.launch(ctx, authz.ProvinceOfPath(path))
	if err != nil {
		return Summary{}, false, err
	}
	data, err := s.subtree(ctx, path)
	if err != nil {
		return Summary{}, false, err
	}
	st := statsOf(units.Unit{Path: path}, data, launch)
	return st.Summary, len(st.Months) > 0, nil
}

func (s *Service) launch(ctx context.Context, province string) (time.Time, error) {
	if s.Launch == nil || province == "" {
		return time.Time{}, nil
	}
	return s.Launch(ctx, province)
}

// monthly is the imported rows of a subtree: path → month → figures.
type monthly map[string]map[string]Figures

func (s *Service) subtree(ctx context.Context, path string) (monthly, error) {
	rows, err := s.DB.Reader().QueryContext(ctx, `SELECT unit_path, month, received, online, fully_online, paid_online
		FROM public_service_stats WHERE unit_path LIKE ?`, path+"%")
	if err != nil {
		return nil, apperr.Wrap(err, "read public service stats")
	}
	defer rows.Close()
	out := monthly{}
	for rows.Next() {
		var p, m string
		var f Figures
		if err := rows.Scan(&p, &m, &f.Received, &f.Online, &f.FullyOnline, &f.PaidOnline); err != nil {
			return nil, err
		}
		if out[p] == nil {
			out[p] = map[string]Figures{}
		}
		out[p][m] = f
	}
	return out, rows.Err()
}

// figure is a unit's month: its own line when imported, otherwise the lines of the units below it
// that no unit between them reported for, so that a district imported beside its communes is not
// counted twice.
func (d monthly) figure(path, month string) (Figures, bool) {
	if f, ok := d[path][month]; ok {
		return f, true
	}
	var sum Figures
	found := false
	for p, ms := range d {
		f, ok := ms[month]
		if !ok || p == path || !strings.HasPrefix(p, path) {
			continue
		}
		covered := false
		// The units between: every ancestor path of p strictly below path.
		for i := len(path); i < len(p)-1; i++ {
			if _, ok := d[p[:i+1]][month]; ok && p[i] == '/' {
				covered = true
				break
			}
		}
		if !covered {
			sum.add(f)
			found = true
		}
	}
	return sum, found
}

func statsOf(u units.Unit, d monthly, launch time.Time) UnitStats {
	months := map[string]bool{}
	for p, ms := range d {
		if strings.HasPrefix(p, u.Path) {
			for m := range ms {
				months[m] = true
			}
		}
	}
	keys := make([]string, 0, len(months))
	for m := range months {
		keys = append(keys, m)
	}
	sort.Strings(keys)
	st := UnitStats{Unit: u, Months: []Month{}}
	launchMonth := ""
	if !launch.IsZero() {
		l := launch
		st.Summary.LaunchAt = &l
		launchMonth = launch.In(vietnam).Format("2006-01")
	}
	for _, m := range keys {
		f, ok := d.figure(u.Path, m)
		if !ok {
			continue
		}
		row := Month{Month: m, Figures: f, Shares: f.Shares()}
		if launchMonth != "" {
			switch {
			case m < launchMonth:
				row.Phase = "before"
				st.Summary.Before.Months++
				st.Summary.Before.add(f)
			case m > launchMonth:
				row.Phase = "after"
				st.Summary.After.Months++
				st.Summary.After.add(f)
			default:
				row.Phase = "launch"
			}
		}
		st.Months = append(st.Months, row)
	}
	b, a := &st.Summary.Before, &st.Summary.After
	b.Shares, a.Shares = b.Figures.Shares(), a.Figures.Shares()
	st.Summary.Change = Shares{OnlineShare: diff(a.OnlineShare, b.OnlineShare), FullyOnlineShare: diff(a.FullyOnlineShare, b.FullyOnlineShare),
		PaidOnlineShare: diff(a.PaidOnlineShare, b.PaidOnlineShare)}
	return st
}

func diff(after, before *float64) *float64 {
	if after == nil || before == nil {
		return nil
	}
	v := *after - *before
	return &v
}
