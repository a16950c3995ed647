package portal

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/memo"
	"github.com/lantoa/lantoa/internal/units"
)

// FigureSource gives live headline figures for one province's portal. Each key is a translation
// key (for example "figure.training.passed") that the source's module defines in its own catalog;
// the value is the current count in the province (GSO code), never the country's. Modules
// register their source in internal/app without the portal importing them.
type FigureSource interface {
	Figures(ctx context.Context, province string) (map[string]int64, error)
}

// FigureOrder may be implemented by a FigureSource whose figures read best in a given order;
// keys it does not list follow in alphabetical order.
type FigureOrder interface {
	FigureKeys() []string
}

func ordered(first, keys []string) []string {
	out := make([]string, 0, len(keys))
	seen := map[string]bool{}
	have := map[string]bool{}
	for _, k := range keys {
		have[k] = true
	}
	for _, k := range first {
		if have[k] && !seen[k] {
			out = append(out, k)
			seen[k] = true
		}
	}
	for _, k := range keys {
		if !seen[k] {
			out = append(out, k)
		}
	}
	return out
}

// FigureFunc adapts a function to FigureSource.
type FigureFunc func(ctx context.Context, province string) (map[string]int64, error)

// Figures calls f.
func (f FigureFunc) Figures(ctx context.Context, province string) (map[string]int64, error) {
	return f(ctx, province)
}

// Figure is one headline figure.
type Figure struct {
	Key   string `json:"key"`
	Value int64  `json:"value"`
}

// FigureRegistry collects the registered sources. Its figures are cached for TTL per province, so
// that a burst of visitors on launch day costs one round of counting queries per province and TTL.
type FigureRegistry struct {
	TTL time.Duration
	Now func() time.Time

	mu      sync.Mutex
	sources []FigureSource
	memo    *memo.Cache[[]Figure]
}

// NewFigureRegistry returns a registry with a 15-second cache.
func NewFigureRegistry() *FigureRegistry {
	return &FigureRegistry{TTL: 15 * time.Second, Now: time.Now}
}

// Register adds a source; figures appear in registration order.
func (r *FigureRegistry) Register(src FigureSource) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sources = append(r.sources, src)
	r.memo = nil
}

// Collect returns every figure of province. A failing source is an error: the page shows no figure
// rather than a wrong one.
func (r *FigureRegistry) Collect(ctx context.Context, province string) ([]Figure, error) {
	if province == "" {
		return nil, apperr.InvalidField("province_code", "portal.error.province_required")
	}
	r.mu.Lock()
	if r.memo == nil {
		r.memo = &memo.Cache[[]Figure]{TTL: r.TTL, Now: func() time.Time { return r.Now() }}
	}
	m := r.memo
	sources := append([]FigureSource(nil), r.sources...)
	r.mu.Unlock()
	out, err := m.Get(ctx, province, func(ctx context.Context, _ time.Time) ([]Figure, error) { return collect(ctx, sources, province) })
	if err != nil {
		return nil, err
	}
	return append([]Figure(nil), out...), nil
}

// collect asks every source for its figures of province, in registration order.
func collect(ctx context.Context, sources []FigureSource, province string) ([]Figure, error) {
	out := []Figure{}
	for _, src := range sources {
		m, err := src.Figures(ctx, province)
		if err != nil {
			return nil, err
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if o, ok := src.(FigureOrder); ok {
			keys = ordered(o.FigureKeys(), keys)
		}
		for _, k := range keys {
			out = append(out, Figure{Key: k, Value: m[k]})
		}
	}
	return out, nil
}

// FoundationFigures counts what the foundation knows of a province: its current districts,
// communes and villages, the organisations located in it, and the active users by role whose grants
// lie in it.
type FoundationFigures struct{ DB *db.DB }

// FigureKeys implements FigureOrder: the people first, then the territory.
func (FoundationFigures) FigureKeys() []string {
	return []string{"portal.figure.users.team_member", "portal.figure.users.learner", "portal.figure.users.bridge_operator",
		"portal.figure.units.district", "portal.figure.units.commune", "portal.figure.units.village", "portal.figure.orgs"}
}

// Figures implements FigureSource.
func (f FoundationFigures) Figures(ctx context.Context, province string) (map[string]int64, error) {
	under := authz.ProvincePath(province) + "%"
	out := map[string]int64{}
	q := f.DB.Reader()
	rows, err := q.QueryContext(ctx, "SELECT level, COUNT(*) FROM units WHERE valid_to = '' AND level IN ('district', 'commune', 'village') AND path LIKE ? GROUP BY level", under)
	if err != nil {
		return nil, apperr.Wrap(err, "count units")
	}
	for rows.Next() {
		var level string
		var n int64
		if err := rows.Scan(&level, &n); err != nil {
			rows.Close()
			return nil, apperr.Wrap(err, "scan units")
		}
		out["portal.figure.units."+level] = n
	}
	rows.Close()
	// Organisations in force and people count where they are today: a merged department no longer,
	// old Kon Tum's learners in Quảng Ngãi from 1 July 2025.
	orgsNow, orgsArgs := units.UnderNow("unit_path", authz.ProvincePath(province))
	var orgs int64
	if err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM orgs WHERE valid_to = '' AND "+orgsNow, orgsArgs...).Scan(&orgs); err != nil {
		return nil, apperr.Wrap(err, "count orgs")
	}
	out["portal.figure.orgs"] = orgs
	usersNow, usersArgs := units.UnderNow("g.unit_path", authz.ProvincePath(province))
	rows, err = q.QueryContext(ctx, `SELECT g.role, COUNT(DISTINCT g.user_id) FROM role_grants g JOIN users u ON u.id = g.user_id
		WHERE u.disabled = 0 AND g.role IN ('team_member', 'learner', 'bridge_operator') AND `+usersNow+` GROUP BY g.role`, usersArgs...)
	if err != nil {
		return nil, apperr.Wrap(err, "count users")
	}
	defer rows.Close()
	for _, r := range []string{"team_member", "learner", "bridge_operator"} {
		out["portal.figure.users."+r] = 0
	}
	for rows.Next() {
		var role string
		var n int64
		if err := rows.Scan(&role, &n); err != nil {
			return nil, apperr.Wrap(err, "scan users")
		}
		out["portal.figure.users."+role] = n
	}
	return out, rows.Err()
}
