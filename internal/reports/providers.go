package reports

import (
	"context"
	"slices"
	"time"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/memo"
	"github.com/lantoa/lantoa/internal/units"
)

// cached returns the value under key, at most CacheTTL old, computing it with fn when needed
// (one computation per key however many requests ask together; see platform/memo). The cache is
// per instance: each computes its own copy from the database.
func cached[T any](ctx context.Context, s *Service, key string, fn func(ctx context.Context, now time.Time) (T, error)) (T, error) {
	s.cacheOnce.Do(func() {
		s.cache = &memo.Cache[any]{TTL: CacheTTL, Now: func() time.Time { return s.Now() }}
	})
	v, err := s.cache.Get(ctx, key, func(ctx context.Context, now time.Time) (any, error) { return fn(ctx, now) })
	if err != nil {
		var zero T
		return zero, err
	}
	return v.(T), nil
}

// cachedFields returns a section's figures for a unit subtree, at most CacheTTL old.
func (s *Service) cachedFields(ctx context.Context, section, unitPath string) ([]Field, error) {
	p := s.provider(section)
	if p == nil {
		return nil, nil
	}
	return cached(ctx, s, "f|"+section+"|"+unitPath, func(ctx context.Context, now time.Time) ([]Field, error) {
		return sectionFields(ctx, p, unitPath, now)
	})
}

// cachedPeriodFields returns a section's figures for a unit subtree over a period's span, at most
// CacheTTL old.
func (s *Service) cachedPeriodFields(ctx context.Context, section, unitPath string, span Span) ([]Field, error) {
	p := s.provider(section)
	if p == nil {
		return nil, nil
	}
	key := "p|" + section + "|" + unitPath + "|" + span.From.Format(time.RFC3339) + "|" + span.To.Format(time.RFC3339)
	return cached(ctx, s, key, func(ctx context.Context, now time.Time) ([]Field, error) {
		fields, err := periodFields(ctx, p, unitPath, span, now)
		if err != nil {
			return nil, apperr.Wrap(err, "provider "+p.Section())
		}
		for i := range fields {
			fields[i].Section = p.Section()
		}
		return fields, nil
	})
}

// sectionFields asks a provider for a unit's figures and marks them with its section.
func sectionFields(ctx context.Context, p Provider, unitPath string, now time.Time) ([]Field, error) {
	fields, err := p.Fields(ctx, unitPath, now)
	if err != nil {
		return nil, apperr.Wrap(err, "provider "+p.Section())
	}
	for i := range fields {
		fields[i].Section = p.Section()
	}
	return fields, nil
}

// cachedChildFields returns a section's figures for the child at childPath of the unit at
// parentPath, under the same key as cachedFields: from the provider's figures for every child in
// one pass when it has them (ChildrenProvider), else from its Fields.
func (s *Service) cachedChildFields(ctx context.Context, section, parentPath, childPath string) ([]Field, error) {
	p := s.provider(section)
	cp, ok := p.(ChildrenProvider)
	if !ok {
		return s.cachedFields(ctx, section, childPath)
	}
	return cached(ctx, s, "f|"+section+"|"+childPath, func(ctx context.Context, now time.Time) ([]Field, error) {
		all, err := cached(ctx, s, "c|"+section+"|"+parentPath, func(ctx context.Context, now time.Time) (map[string][]Field, error) {
			all, err := cp.ChildFields(ctx, parentPath, now)
			if err != nil {
				return nil, apperr.Wrap(err, "provider "+section)
			}
			for _, fields := range all {
				for i := range fields {
					fields[i].Section = section
				}
			}
			return all, nil
		})
		if err != nil {
			return nil, err
		}
		if fields, ok := all[childPath]; ok {
			return slices.Clone(fields), nil
		}
		return sectionFields(ctx, p, childPath, now)
	})
}

// FoundationProvider reports what the foundation holds: the unit tree, the people with a role
// in it (learners excepted: the training section counts them from its own aggregates) and the
// organisations. Its counts are index range scans over small tables (units, role grants of
// officials, organisations).
type FoundationProvider struct{ DB *db.DB }

// NewFoundationProvider returns the built-in foundation provider.
func NewFoundationProvider(d *db.DB) *FoundationProvider { return &FoundationProvider{DB: d} }

// Section is "foundation".
func (p *FoundationProvider) Section() string { return "foundation" }

// Fields counts communes, villages, organisations and officials by role in the subtree, and
// how many communes have an administrator account (target: every commune).
func (p *FoundationProvider) Fields(ctx context.Context, unitPath string, asOf time.Time) ([]Field, error) {
	q := p.DB.Reader()
	like := unitPath + "%"
	var communes, villages, orgCount, communesWithAdmin int64
	err := q.QueryRowContext(ctx, `SELECT
		COALESCE(SUM(CASE WHEN level = 'commune' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN level = 'village' THEN 1 ELSE 0 END), 0)
		FROM units WHERE path LIKE ? AND valid_to = ''`, like).Scan(&communes, &villages)
	if err != nil {
		return nil, err
	}
	// Organisations and roles count where their unit counts today ("as it is now"): an
	// organisation of a 2023 commune merged into a 2025 one counts in the 2025 commune.
	orgsUnder, orgsArgs := units.UnderNow("unit_path", unitPath)
	if err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM orgs WHERE "+orgsUnder+" AND created_at <= ?", append(orgsArgs, db.Millis(asOf))...).Scan(&orgCount); err != nil {
		return nil, err
	}
	err = q.QueryRowContext(ctx, `SELECT COUNT(*) FROM units u WHERE u.path LIKE ? AND u.level = 'commune' AND u.valid_to = ''
		AND EXISTS (SELECT 1 FROM role_grants g WHERE g.unit_path = u.path AND g.role = 'unit_admin' AND g.created_at <= ?
			AND NOT EXISTS (SELECT 1 FROM users us WHERE us.id = g.user_id AND us.disabled <> 0))`,
		like, db.Millis(asOf)).Scan(&communesWithAdmin)
	if err != nil {
		return nil, err
	}
	byRole := map[string]float64{}
	// Disabled users are left out by an anti-join on their small partial index (users_disabled): a
	// join with users hashed every user of a national database for each unit. The grants are read
	// in UnderNow's two parts (see units.UnderNowParts).
	below, belowArgs, rolledIn, rolledArgs := units.UnderNowParts("g.unit_path", unitPath)
	const officials = ` AND g.role IN ('unit_admin', 'team_member', 'bridge_operator') AND g.created_at <= ?
		AND NOT EXISTS (SELECT 1 FROM users us WHERE us.id = g.user_id AND us.disabled <> 0)`
	args := append(append(append(belowArgs, db.Millis(asOf)), rolledArgs...), db.Millis(asOf))
	rows, err := q.QueryContext(ctx, `SELECT x.role, COUNT(DISTINCT x.user_id) FROM (
		SELECT g.role, g.user_id FROM role_grants g WHERE `+below+officials+`
		UNION ALL SELECT g.role, g.user_id FROM role_grants g WHERE `+rolledIn+officials+`) x GROUP BY x.role`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var role string
		var n float64
		if err := rows.Scan(&role, &n); err != nil {
			return nil, err
		}
		byRole[role] = n
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return foundationFields(communes, villages, communesWithAdmin, orgCount, byRole), nil
}

// foundationFields are the foundation's figures of a unit.
func foundationFields(communes, villages, communesWithAdmin, orgCount int64, byRole map[string]float64) []Field {
	return []Field{
		{Key: "communes", LabelKey: "reports.field.communes", Value: float64(communes), Unit: "reports.measure.units"},
		{Key: "villages", LabelKey: "reports.field.villages", Value: float64(villages), Unit: "reports.measure.units"},
		{Key: "communes_with_admin", LabelKey: "reports.field.communes_with_admin", Value: float64(communesWithAdmin), Target: float64(communes), Unit: "reports.measure.units"},
		{Key: "orgs", LabelKey: "reports.field.orgs", Value: float64(orgCount), Unit: "reports.measure.orgs"},
		{Key: "unit_admins", LabelKey: "reports.field.unit_admins", Value: byRole["unit_admin"], Unit: "reports.measure.people"},
		{Key: "team_member_accounts", LabelKey: "reports.field.team_member_accounts", Value: byRole["team_member"], Unit: "reports.measure.people"},
		{Key: "bridge_operators", LabelKey: "reports.field.bridge_operators", Value: byRole["bridge_operator"], Unit: "reports.measure.people"},
	}
}

// ChildFields is Fields for every child in force of the unit at parentPath, from four reads over
// the parent's subtree grouped by child in Go, instead of four statements per child.
func (p *FoundationProvider) ChildFields(ctx context.Context, parentPath string, asOf time.Time) (map[string][]Field, error) {
	q := p.DB.Reader()
	type tally struct {
		communes, villages, withAdmin, orgs int64
		roles                               map[string]map[int64]bool
	}
	children := map[string]*tally{}
	rows, err := q.QueryContext(ctx, "SELECT path, level FROM units WHERE path LIKE ? AND valid_to = '' ORDER BY path", parentPath+"%")
	if err != nil {
		return nil, err
	}
	var communes []string
	for rows.Next() {
		var path, level string
		if err := rows.Scan(&path, &level); err != nil {
			rows.Close()
			return nil, err
		}
		c := units.ChildPath(parentPath, path)
		if c == "" {
			continue
		}
		if path == c {
			children[c] = &tally{roles: map[string]map[int64]bool{}}
		}
		t := children[c]
		if t == nil {
			continue // below a child that is not in force: no child of the dashboard
		}
		switch units.Level(level) {
		case units.Commune:
			t.communes++
			communes = append(communes, path)
		case units.Village:
			t.villages++
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	// Communes with an enabled administrator by then.
	admins := map[string]bool{}
	rows, err = q.QueryContext(ctx, `SELECT DISTINCT g.unit_path FROM role_grants g WHERE g.role = 'unit_admin' AND g.unit_path LIKE ? AND g.created_at <= ?
		AND NOT EXISTS (SELECT 1 FROM users us WHERE us.id = g.user_id AND us.disabled <> 0)`, parentPath+"%", db.Millis(asOf))
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var path string
		if err := rows.Scan(&path); err != nil {
			rows.Close()
			return nil, err
		}
		admins[path] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, c := range communes {
		if admins[c] {
			children[units.ChildPath(parentPath, c)].withAdmin++
		}
	}

	// Organisations and roles where their unit counts today, as Fields counts them.
	orgsUnder, orgsArgs := units.UnderNow("unit_path", parentPath)
	rows, err = q.QueryContext(ctx, "SELECT "+units.PathNow("unit_path")+" FROM orgs WHERE "+orgsUnder+" AND created_at <= ?", append(orgsArgs, db.Millis(asOf))...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var path string
		if err := rows.Scan(&path); err != nil {
			rows.Close()
			return nil, err
		}
		if t := children[units.ChildPath(parentPath, path)]; t != nil {
			t.orgs++
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	grantsUnder, grantsArgs := units.UnderNow("g.unit_path", parentPath)
	rows, err = q.QueryContext(ctx, `SELECT `+units.PathNow("g.unit_path")+`, g.role, g.user_id FROM role_grants g
		WHERE `+grantsUnder+` AND g.role IN ('unit_admin', 'team_member', 'bridge_operator') AND g.created_at <= ?
		AND NOT EXISTS (SELECT 1 FROM users us WHERE us.id = g.user_id AND us.disabled <> 0)`, append(grantsArgs, db.Millis(asOf))...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var path, role string
		var user int64
		if err := rows.Scan(&path, &role, &user); err != nil {
			rows.Close()
			return nil, err
		}
		t := children[units.ChildPath(parentPath, path)]
		if t == nil {
			continue
		}
		if t.roles[role] == nil {
			t.roles[role] = map[int64]bool{}
		}
		t.roles[role][user] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make(map[string][]Field, len(children))
	for path, t := range children {
		out[path] = foundationFields(t.communes, t.villages, t.withAdmin, t.orgs, map[string]float64{
			"unit_admin": float64(len(t.roles["unit_admin"])), "team_member": float64(len(t.roles["team_member"])), "bridge_operator": float64(len(t.roles["bridge_operator"]))})
	}
	return out, nil
}

// dayOffset shifts Unix milliseconds to Vietnam time before dividing into days.
const dayOffset = 7 * 3600 * 1000

// dayMillis is one day in milliseconds.
const dayMillis = 86400000

// Series is how many official accounts (unit administrators, team members, bridge operators)
// existed at the end of each day.
func (p *FoundationProvider) Series(ctx context.Context, unitPath string, from, to time.Time) ([]Series, error) {
	q := p.DB.Reader()
	var base float64
	// The grants under the unit today, read in UnderNow's two parts (see units.UnderNowParts).
	below, belowArgs, rolledIn, rolledArgs := units.UnderNowParts("unit_path", unitPath)
	const officials = ` AND role IN ('unit_admin', 'team_member', 'bridge_operator')`
	grants := "SELECT created_at FROM role_grants WHERE " + below + officials + " UNION ALL SELECT created_at FROM role_grants WHERE " + rolledIn + officials
	args := append(append([]any{}, belowArgs...), rolledArgs...)
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM (`+grants+`) g WHERE g.created_at < ?`,
		append(args, db.Millis(from))...).Scan(&base); err != nil {
		return nil, err
	}
	rows, err := q.QueryContext(ctx, `SELECT x.d, COUNT(*) FROM (SELECT (g.created_at + ?) / ? AS d FROM (`+grants+`) g
		WHERE g.created_at >= ? AND g.created_at <= ?) x GROUP BY x.d`,
		append(append([]any{dayOffset, dayMillis}, args...), db.Millis(from), db.Millis(to))...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	perDay := map[int64]float64{}
	for rows.Next() {
		var d int64
		var n float64
		if err := rows.Scan(&d, &n); err != nil {
			return nil, err
		}
		perDay[d] = n
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return []Series{{Key: "official_accounts", LabelKey: "reports.field.official_accounts", Points: Cumulate(base, perDay, from, to)}}, nil
}

// Cumulate turns per-day counts (keyed by Vietnam-time day number since the Unix epoch) into a
// running total over every day from from to to.
func Cumulate(base float64, perDay map[int64]float64, from, to time.Time) []Point {
	var out []Point
	total := base
	first := (db.Millis(from) + dayOffset) / dayMillis
	last := (db.Millis(to) + dayOffset) / dayMillis
	for d := first; d <= last && len(out) < 400; d++ {
		total += perDay[d]
		out = append(out, Point{Day: time.UnixMilli(d*dayMillis - dayOffset).In(VietnamTime).Format("2006-01-02"), Value: total})
	}
	return out
}

// OrgFields counts the organisation subtree's organisations and the people with a role in it.
func (p *FoundationProvider) OrgFields(ctx context.Context, orgPath string, asOf time.Time) ([]Field, error) {
	q := p.DB.Reader()
	like := orgPath + "%"
	var orgCount, coordinators, learners float64
	if err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM orgs WHERE path LIKE ?", like).Scan(&orgCount); err != nil {
		return nil, err
	}
	if err := q.QueryRowContext(ctx, `SELECT
		COUNT(DISTINCT CASE WHEN g.role = 'org_admin' THEN g.user_id END),
		COUNT(DISTINCT CASE WHEN g.role = 'learner' THEN g.user_id END)
		FROM role_grants g WHERE g.org_path LIKE ? AND g.created_at <= ?`, like, db.Millis(asOf)).Scan(&coordinators, &learners); err != nil {
		return nil, err
	}
	return []Field{
		{Key: "orgs", LabelKey: "reports.field.orgs", Value: orgCount, Unit: "reports.measure.orgs"},
		{Key: "org_admins", LabelKey: "reports.field.org_admins", Value: coordinators, Unit: "reports.measure.people"},
		{Key: "learner_accounts", LabelKey: "reports.field.learner_accounts", Value: learners, Unit: "reports.measure.people"},
	}, nil
}
