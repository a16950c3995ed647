// Package seed generates realistic data at the sizes the benchmarks name (`lantoa seed --profile
// province|national`): the real unit tree, villages, organisations, officials, community digital
// technology team members with their guidance records over the campaign days, learners by
// audience with their attempts and certificates, the launch ceremony with its bridge points and a
// reporting period.
//
// The province profile is the plan's 2023 Quảng Ngãi (province → district → commune). The
// national profile is the map in force since 1 July 2025: the real 34 provinces and 3,321
// commune-level units directly under them, with Quảng Ngãi's 2023 history rolled up — its 2023
// data is generated on the 2023 map first, then the map is switched with the shipped lineage
// (units.Service.SwitchMap), as a real deployment would, and the 2025 data of every province is
// generated on the new map.
//
// The same seed number gives the same data: every random draw comes from one PCG stream seeded
// with it, and every timestamp is relative to the launch moment. Modules write their own tables
// through their generators (outreach.Generate, training.Generate, accounts.BulkCreate); this
// package only decides who exists and where.
package seed

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	mrand "math/rand/v2"
	"time"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/ceremony"
	"github.com/lantoa/lantoa/internal/orgs"
	"github.com/lantoa/lantoa/internal/outreach"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/reports"
	"github.com/lantoa/lantoa/internal/units"
)

// Profiles are the named data sets.
const (
	Province = "province"
	National = "national"
)

// Size is how much of everything a profile makes.
type Size struct {
	VillagesPerCommune int
	Members            int
	Records            int64
	Learners           int
	// HistoryMembers and HistoryRecords are the national profile's 2023 history of the plan's
	// province, made on the 2023 map before the switch (zero for the province profile).
	HistoryMembers int
	HistoryRecords int64
}

// SizeOf returns a profile's size at a scale: 1 is the size the benchmarks name (10 million
// guidance records and a million learners for the province; 34 provinces, 3,321 communes,
// 600,000 team members in about 93,000 teams and 10 million records for the nation, with a 2023
// history of 7,500 members and a million records in Quảng Ngãi); smaller scales shrink the people
// and records, never the unit tree.
func SizeOf(profile string, scale float64) (Size, error) {
	if !(scale > 0 && scale <= 1) {
		return Size{}, fmt.Errorf("scale must be in (0, 1], got %v", scale)
	}
	var s Size
	switch profile {
	case Province:
		// Quảng Ngãi 2023: about 1,300 villages and residential groups, 7,500 team members.
		s = Size{VillagesPerCommune: 8, Members: 7500, Records: 10_000_000, Learners: 1_000_000}
	case National:
		// 34 provinces since July 2025 with 3,321 communes; over 93,000 teams. The 2023 history is
		// Quảng Ngãi's province profile at a tenth of its records, so that the national seed
		// stays within a quarter of an hour on the 2-core machine.
		s = Size{VillagesPerCommune: 10, Members: 600_000, Records: 10_000_000, Learners: 2_000_000,
			HistoryMembers: 7500, HistoryRecords: 1_000_000}
	default:
		return Size{}, fmt.Errorf("unknown profile %q (province or national)", profile)
	}
	s.Members = max(14, int(math.Round(float64(s.Members)*scale)))
	s.Records = max(50, int64(math.Round(float64(s.Records)*scale)))
	s.Learners = max(20, int(math.Round(float64(s.Learners)*scale)))
	if s.HistoryRecords > 0 {
		s.HistoryMembers = max(14, int(math.Round(float64(s.HistoryMembers)*scale)))
		s.HistoryRecords = max(50, int64(math.Round(float64(s.HistoryRecords)*scale)))
	}
	return s, nil
}

// Services are the modules the generator writes through.
type Services struct {
	DB       *db.DB
	Units    *units.Service
	Orgs     *orgs.Service
	Accounts *accounts.Service
	Ceremony *ceremony.Service
	Reports  *reports.Service
}

// Options choose what to generate.
type Options struct {
	Profile string
	Scale   float64
	Seed    uint64
	// Launch is the ceremony's launch moment: guidance records fall in the seven days after it,
	// training activity in the thirty days before Now.
	Launch time.Time
	Now    time.Time
	// Progress receives the progress bars; nil for silence.
	Progress io.Writer
	// ProvinceCode is the province whose real unit tree the profile is built around (the
	// plan's, Quảng Ngãi); in the national profile, the province whose 2023 history is rolled up.
	ProvinceCode string
}

// The national profile's history: the plan's launch on the 2023 map, and the day the two-tier
// map came into force.
var (
	HistoryLaunch = time.Date(2023, 7, 28, 8, 30, 0, 0, ceremony.VietnamTime)
	// SwitchDate is the effective date of the 2025 map (Resolution 202/2025/QH15).
	SwitchDate = "2025-07-01"
)

// mergedInto2025 are the 2023 provinces merged into the plan's province on 1 July 2025 whose
// 2023 units the national profile loads beside it, so that the lineage of every 2025 commune is
// whole (old Kon Tum's communes are the predecessors of 54 of the 96).
var mergedInto2025 = map[string][]string{"51": {"62"}}

// Result counts what was made.
type Result struct {
	Size Size
	// History is what the national profile made on the 2023 map before the switch.
	History *Result
	// Switch is the map switch of the national profile, and SwitchTook its duration.
	Switch     *units.SwitchResult
	SwitchTook time.Duration

	Provinces     int
	Districts     int
	Communes      int
	Villages      int
	Orgs          int
	Officials     int
	Members       int
	Records       int64
	Learners      int
	BridgePoints  int
	Ceremonies    int
	Campaigns     int
	Periods       int
	LaunchedAt    time.Time // the ceremonies' launch, when the seed's launch moment is past
	ReportsFilled int
	Took          time.Duration
}

// ErrNotEmpty is returned when the database already holds accounts or organisations: generated
// data goes into a new database, never mixed with real people or half over a demo.
var ErrNotEmpty = errors.New("CSDL đã có tài khoản hoặc cơ quan, tổ chức; hãy sinh dữ liệu vào một CSDL mới / the database already holds accounts or organisations; generate into a new database")

// GeneratedPassword is the password of every generated account (stored as one Argon2id hash).
const GeneratedPassword = "lantoa-seed-2023"

// Run generates a profile into an initialised database (migrated, with Quảng Ngãi's 2023 unit tree).
func Run(ctx context.Context, s Services, o Options) (Result, error) {
	started := time.Now()
	size, err := SizeOf(o.Profile, o.Scale)
	if err != nil {
		return Result{}, err
	}
	if o.ProvinceCode == "" {
		o.ProvinceCode = "51"
	}
	if o.Profile == National && o.ProvinceCode != "51" {
		// The shipped lineage of the 2025 map is Quảng Ngãi's; another province's history would
		// need its own.
		return Result{}, fmt.Errorf("the national profile rolls up Quảng Ngãi's history (51), not %s: only its 2025 lineage is shipped", o.ProvinceCode)
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if o.Launch.IsZero() {
		// Mid-campaign by default: three days into the seven, so every chart has a past and a future.
		o.Launch = o.Now.Add(-3 * 24 * time.Hour)
	}
	ctx = audit.WithWho(authz.WithActor(ctx, authz.System), audit.Who{Username: "seed"})
	g := &gen{s: s, o: o, size: size, rng: mrand.New(mrand.NewPCG(o.Seed, 0x4c616e546f61)), bar: newProgress(o.Progress), // #nosec G404 -- the same seed must give the same data
		provinceOrg: map[string]map[string]orgs.Org{}, schoolOf: map[string]orgs.Org{}, ceremonyTitle: "Lễ phát động Phong trào chuyển đổi số "}
	var people int64
	if err := s.DB.Reader().QueryRowContext(ctx, "SELECT (SELECT COUNT(*) FROM users) + (SELECT COUNT(*) FROM orgs)").Scan(&people); err != nil {
		return Result{}, fmt.Errorf("check the database is empty: %w", err)
	}
	if people > 0 {
		return Result{}, ErrNotEmpty
	}
	if o.Profile == National {
		if err := g.history(ctx); err != nil {
			return g.res, err
		}
		if err := g.switchMap(ctx); err != nil {
			return g.res, err
		}
		g.ceremonyTitle = "Lễ phát động phong trào Bình dân học vụ số "
		g.communeReports = true
	}
	steps := []func(context.Context) error{g.tree, g.organisations, g.officials, g.members, g.outreach, g.learners, g.training, g.ceremony, g.reports, g.statistics}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return g.res, err
		}
	}
	g.res.Size = size
	g.res.Took = time.Since(started)
	return g.res, nil
}

// history makes the plan's province's 2023 data on the 2023 map: the province profile's steps
// at the history's size, but for learners and training (the one generated course is made once,
// on the 2025 map, for every province's learners). Its accounts and villages carry "2023" in
// their names and codes: the 2025 villages and officials of a commune whose code was reused are
// other people and places than those of the 2023 commune of that code. The 2023 units of the
// provinces merged into it are loaded first, so that the switch has their lineage whole.
func (g *gen) history(ctx context.Context) error {
	for _, code := range mergedInto2025[g.o.ProvinceCode] {
		if _, err := g.s.Units.Import(ctx, bytes.NewReader(units.ProvinceCSV(units.Vietnam2023CSV(), code))); err != nil {
			return fmt.Errorf("2023 units of province %s: %w", code, err)
		}
	}
	h := &gen{s: g.s, o: g.o, rng: g.rng, bar: g.bar, scope: g.o.ProvinceCode, tag: "2023",
		size:        Size{VillagesPerCommune: g.size.VillagesPerCommune, Members: g.size.HistoryMembers, Records: g.size.HistoryRecords},
		provinceOrg: g.provinceOrg, schoolOf: map[string]orgs.Org{}, ceremonyTitle: g.ceremonyTitle}
	// The plan's launch; the campaign's seven days and the reports' month are over.
	h.o.Launch, h.o.Now = HistoryLaunch, HistoryLaunch.Add(30*24*time.Hour)
	for _, step := range []func(context.Context) error{h.tree, h.organisations, h.officials, h.members, h.outreach, h.ceremony, h.reports} {
		if err := step(ctx); err != nil {
			return fmt.Errorf("2023 history: %w", err)
		}
	}
	g.hash = h.hash
	// A 2025 school of a commune that kept its code and name is the same school.
	for _, c := range h.communes {
		g.schoolOf[c.Code] = h.schoolOf[c.Code]
	}
	h.res.Size = h.size
	g.res.History = &h.res
	return nil
}

// switchMap brings in the 2025 map with the shipped lineage, as `lantoa import units --effective
// 2025-07-01 --lineage …` does: the other 33 provinces and their communes are created, Quảng
// Ngãi's 2023 units retired and rolled up.
func (g *gen) switchMap(ctx context.Context) error {
	g.bar.start("Chuyển sang bản đồ 2025 / map switch", 1)
	started := time.Now()
	res, err := g.s.Units.SwitchMap(ctx, bytes.NewReader(units.Vietnam2025CSV()), bytes.NewReader(units.QuangNgaiLineage2025CSV()), SwitchDate)
	if err != nil {
		return fmt.Errorf("switch to the 2025 map: %w", err)
	}
	g.res.SwitchTook = time.Since(started)
	g.res.Switch = &res
	g.bar.add(1)
	g.bar.finish()
	return nil
}

// statistics refreshes PostgreSQL's planner statistics. Its planner chooses plans by them, and
// a load of millions of rows leaves them describing nearly empty tables until autovacuum gets
// round to it: measured on the national profile, the dashboard's count of communes with an
// administrator took 2 s before ANALYZE and 17 ms after. SQLite's queries here are planned
// without statistics (no sqlite_stat1), so a mass load does not change its plans.
func (g *gen) statistics(ctx context.Context) error {
	if g.s.DB.Engine != db.Postgres {
		return nil
	}
	g.bar.start("Thống kê cho bộ lập kế hoạch / planner statistics", 1)
	if _, err := g.s.DB.SQL().ExecContext(ctx, "ANALYZE"); err != nil {
		return fmt.Errorf("analyze: %w", err)
	}
	g.bar.add(1)
	g.bar.finish()
	return nil
}

type gen struct {
	s    Services
	o    Options
	size Size
	rng  *mrand.Rand
	bar  *progress
	res  Result
	now  int64
	hash string
	// scope, when set, is the one province whose units the generator fills (the history);
	// empty, every province in force.
	scope string
	// tag marks the history's accounts and villages ("ubnd.2023.21034", "21034-2023-01").
	tag string
	// ceremonyTitle opens each province's ceremony title; communeReports has the communes, not
	// the districts, report to their province (the 2025 map has no district).
	ceremonyTitle  string
	communeReports bool

	provinces []units.Unit
	districts []units.Unit
	communes  []units.Unit
	villages  map[string][]units.Unit // commune code → villages (units in force only: one version per code)

	schoolOf    map[string]orgs.Org // commune code → its lower-secondary school
	provinceOrg map[string]map[string]orgs.Org
	newOrgs     map[string]bool // provinces whose organisations this generator made
	memberIDs   []int64
	memberHome  []units.Unit // village per member
	plans       []learnerPlan
	learnerIDs  []int64
}

// tagged inserts the history's tag into an account name: "ubnd." + code, or "ubnd.2023." + code.
func (g *gen) tagged(prefix string) string {
	if g.tag == "" {
		return prefix
	}
	return prefix + g.tag + "."
}

// inScope keeps the units of the generator's province.
func (g *gen) inScope(us []units.Unit) []units.Unit {
	if g.scope == "" {
		return us
	}
	var out []units.Unit
	for _, u := range us {
		if authz.ProvinceOfPath(u.Path) == g.scope {
			out = append(out, u)
		}
	}
	return out
}

// listAll pages through units.List, which returns at most units.MaxList units at a time (the
// national profile has 33,210 villages).
func listAll(ctx context.Context, us *units.Service, f units.Filter) ([]units.Unit, error) {
	var out []units.Unit
	for {
		f.Offset, f.Limit = len(out), units.MaxList
		page, err := us.List(ctx, f)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(page) < units.MaxList {
			return out, nil
		}
	}
}

// tree adds every commune's villages: the unit tree itself is the real one, loaded before (the
// 2023 map) or brought in by the switch (the 2025 map).
func (g *gen) tree(ctx context.Context) error {
	g.bar.start("Cây đơn vị / unit tree", 2)
	g.bar.add(1)
	var err error
	if g.provinces, err = g.s.Units.List(ctx, units.Filter{Level: units.Province, Limit: 1000}); err != nil {
		return err
	}
	if g.districts, err = g.s.Units.List(ctx, units.Filter{Level: units.District, Limit: 100000}); err != nil {
		return err
	}
	if g.communes, err = listAll(ctx, g.s.Units, units.Filter{Level: units.Commune}); err != nil {
		return err
	}
	g.provinces, g.districts, g.communes = g.inScope(g.provinces), g.inScope(g.districts), g.inScope(g.communes)
	var csv bytes.Buffer
	csv.WriteString("code,name,level,parent_code\n")
	code := "%s-%02d"
	if g.tag != "" {
		code = "%s-" + g.tag + "-%02d"
	}
	for _, c := range g.communes {
		for v := range g.size.VillagesPerCommune {
			name := fmt.Sprintf("Thôn %d", v+1)
			if c.Type == "phuong" || c.Type == "thi_tran" {
				name = fmt.Sprintf("Tổ dân phố %d", v+1)
			}
			fmt.Fprintf(&csv, code+",%s,village,%s\n", c.Code, v+1, name, c.Code)
		}
	}
	if _, err := g.s.Units.Import(ctx, bytes.NewReader(csv.Bytes())); err != nil {
		return fmt.Errorf("villages: %w", err)
	}
	vs, err := listAll(ctx, g.s.Units, units.Filter{Level: units.Village})
	if err != nil {
		return err
	}
	vs = g.inScope(vs)
	g.villages = map[string][]units.Unit{}
	for _, v := range vs {
		g.villages[v.ParentCode] = append(g.villages[v.ParentCode], v)
	}
	g.bar.add(1)
	g.bar.finish()
	g.res.Provinces, g.res.Districts, g.res.Communes, g.res.Villages = len(g.provinces), len(g.districts), len(g.communes), len(vs)
	return nil
}

// provinceOrgs are the organisations of section IV of the plan that every province has.
var provinceOrgs = []struct {
	key, name string
	kind      orgs.Kind
}{
	{"sotttt", "Sở Thông tin và Truyền thông", orgs.Department},
	{"sogddt", "Sở Giáo dục và Đào tạo", orgs.Department},
	{"sonv", "Sở Nội vụ", orgs.Department},
	{"tinhdoan", "Tỉnh đoàn", orgs.Union},
	{"hlhpn", "Hội Liên hiệp Phụ nữ tỉnh", orgs.Union},
	{"daihoc", "Trường Đại học", orgs.University},
}

// schoolsInForce returns the schools in force by unit path and name.
func (g *gen) schoolsInForce(ctx context.Context) (map[string]orgs.Org, error) {
	rows, err := g.s.DB.Reader().QueryContext(ctx, "SELECT id, name, COALESCE(unit_code, ''), unit_path, path FROM orgs WHERE kind = 'school' AND valid_to = ''")
	if err != nil {
		return nil, fmt.Errorf("schools in force: %w", err)
	}
	defer rows.Close()
	out := map[string]orgs.Org{}
	for rows.Next() {
		o := orgs.Org{Kind: orgs.School}
		if err := rows.Scan(&o.ID, &o.Name, &o.UnitCode, &o.UnitPath, &o.Path); err != nil {
			return nil, fmt.Errorf("schools in force: %w", err)
		}
		out[o.UnitPath+"|"+o.Name] = o
	}
	return out, rows.Err()
}

// organisations makes each province's departments, unions and university, and a lower-secondary
// school in every commune under its Department of Education. A province that has them from its
// history keeps them; so does a 2025 commune of the same code and name as a 2023 one its school.
func (g *gen) organisations(ctx context.Context) error {
	g.bar.start("Cơ quan, tổ chức / organisations", int64(len(g.provinces)*len(provinceOrgs)+len(g.communes)))
	g.newOrgs = map[string]bool{}
	for _, p := range g.provinces {
		if _, ok := g.provinceOrg[p.Code]; ok {
			g.bar.add(int64(len(provinceOrgs)))
			continue
		}
		m := map[string]orgs.Org{}
		for _, po := range provinceOrgs {
			name := po.name + " " + trimPrefix(p.Name)
			o, err := g.s.Orgs.Create(ctx, orgs.Org{Name: name, Kind: po.kind, UnitCode: p.Code})
			if err != nil {
				return fmt.Errorf("org %s: %w", name, err)
			}
			m[po.key] = o
			g.bar.add(1)
		}
		g.provinceOrg[p.Code] = m
		g.newOrgs[p.Code] = true
		g.res.Orgs += len(provinceOrgs)
	}
	// Schools already in a unit in force: the history's, which the map switch moved with their
	// communes (a 2023 school of a merged commune now lies in the 2025 commune).
	inForce, err := g.schoolsInForce(ctx)
	if err != nil {
		return err
	}
	byProvince := map[string][]orgs.Org{}
	for _, c := range g.communes {
		p := authz.ProvinceOfPath(c.Path)
		name := "Trường THCS " + trimPrefix(c.Name)
		if old, ok := g.schoolOf[c.Code]; ok && old.Name == name {
			continue // the same school
		}
		if o, ok := inForce[c.Path+"|"+name]; ok {
			g.schoolOf[c.Code] = o // a school of the history of that name, moved here by the switch
			continue
		}
		for _, o := range byProvince[p] {
			if o.Name == name { // two communes of one name in a province: say which district, or which commune
				if c.ParentCode != p {
					name += " (" + c.ParentCode + ")"
				} else {
					name += " (" + c.Code + ")"
				}
			}
		}
		byProvince[p] = append(byProvince[p], orgs.Org{Name: name, Kind: orgs.School, UnitCode: c.Code, UnitPath: c.Path})
	}
	now := db.Millis(g.o.Now)
	for _, p := range g.provinces {
		made, err := orgs.BulkCreate(ctx, g.s.DB, g.provinceOrg[p.Code]["sogddt"], byProvince[p.Code], now)
		if err != nil {
			return fmt.Errorf("schools of %s: %w", p.Code, err)
		}
		for _, o := range made {
			g.schoolOf[o.UnitCode] = o
		}
		g.bar.add(int64(len(made)))
		g.res.Orgs += len(made)
	}
	g.bar.finish()
	return nil
}

func trimPrefix(name string) string {
	for _, p := range []string{"Thành phố ", "Thị trấn ", "Thị xã ", "Phường ", "Huyện ", "Tỉnh ", "Xã ", "Đặc khu "} {
		if len(name) > len(p) && name[:len(p)] == p {
			return name[len(p):]
		}
	}
	return name
}

// officials makes a province administrator, a People's Committee administrator and a bridge-point
// operator for every district and commune, and a coordinator for every organisation. A province
// whose organisations came from its history has its administrator and coordinators already.
func (g *gen) officials(ctx context.Context) error {
	var err error
	if g.hash == "" {
		if g.hash, err = accounts.HashPassword(ctx, GeneratedPassword); err != nil {
			return err
		}
	}
	g.now = db.Millis(g.o.Now)
	var us []accounts.BulkUser
	add := func(username string, role authz.Role, u units.Unit, o orgs.Org) {
		gr := authz.Grant{Role: role, UnitCode: u.Code, UnitPath: u.Path}
		if o.ID != 0 {
			gr = authz.Grant{Role: role, OrgID: o.ID, OrgPath: o.Path, UnitPath: o.UnitPath}
		}
		us = append(us, accounts.BulkUser{Username: username, DisplayName: personName(g.rng), Grants: []authz.Grant{gr}})
	}
	for _, p := range g.provinces {
		if !g.newOrgs[p.Code] {
			continue
		}
		name := "seed.admin"
		if p.Code != g.o.ProvinceCode {
			name = "seed.admin." + p.Code
		}
		add(name, authz.ProvinceAdmin, p, orgs.Org{})
		for _, po := range provinceOrgs {
			add("seed."+po.key+"."+p.Code, authz.OrgAdmin, units.Unit{}, g.provinceOrg[p.Code][po.key])
		}
	}
	for _, list := range [][]units.Unit{g.districts, g.communes} {
		for _, u := range list {
			add(g.tagged("ubnd.")+u.Code, authz.UnitAdmin, u, orgs.Org{})
			add(g.tagged("diemcau.")+u.Code, authz.BridgeOperator, u, orgs.Org{})
		}
	}
	for _, c := range g.communes {
		if sc := g.schoolOf[c.Code]; sc.UnitPath == c.Path {
			add(g.tagged("thcs.")+c.Code, authz.OrgAdmin, units.Unit{}, sc)
		}
	}
	g.bar.start("Cán bộ / officials", int64(len(us)))
	if _, err := accounts.BulkCreate(ctx, g.s.DB, us, g.hash, g.now, func(n int) { g.bar.add(int64(n)) }); err != nil {
		return err
	}
	g.bar.finish()
	g.res.Officials = len(us)
	return nil
}

// members makes the team members, spread over the villages of every commune in proportion, each
// with a team_member grant on their commune.
func (g *gen) members(ctx context.Context) error {
	n := g.size.Members
	var villages []units.Unit
	communeOf := map[string]units.Unit{}
	for _, c := range g.communes {
		for _, v := range g.villages[c.Code] {
			villages = append(villages, v)
			communeOf[v.Code] = c
		}
	}
	if len(villages) == 0 {
		return fmt.Errorf("no villages to place team members in")
	}
	us := make([]accounts.BulkUser, n)
	g.memberHome = make([]units.Unit, n)
	for i := range n {
		v := villages[(i*7919)%len(villages)] // a stride coprime with most sizes spreads members evenly
		if n < len(villages) {
			v = villages[g.rng.IntN(len(villages))]
		}
		c := communeOf[v.Code]
		us[i] = accounts.BulkUser{Username: fmt.Sprintf(g.tagged("tocnscd.")+"%06d", i+1), DisplayName: personName(g.rng),
			Grants: []authz.Grant{{Role: authz.TeamMember, UnitCode: c.Code, UnitPath: c.Path}}}
		g.memberHome[i] = v
	}
	g.bar.start("Thành viên Tổ CNSCĐ / members", int64(n))
	ids, err := accounts.BulkCreate(ctx, g.s.DB, us, g.hash, g.now, func(k int) { g.bar.add(int64(k)) })
	if err != nil {
		return err
	}
	g.bar.finish()
	g.memberIDs = ids
	g.res.Members = n
	return nil
}

// outreach hands the members to outreach's generator: each province's teams, its own campaign
// (the "7 citizens in 7 days" of its launch) and its records, the records shared among the
// provinces in proportion to their members. A province without members (a tiny scale) has no
// campaign.
func (g *gen) outreach(ctx context.Context) error {
	byProvince := map[string][]outreach.GenMember{}
	var order []string
	for i, id := range g.memberIDs {
		p := authz.ProvinceOfPath(g.memberHome[i].Path)
		if _, ok := byProvince[p]; !ok {
			order = append(order, p)
		}
		byProvince[p] = append(byProvince[p], outreach.GenMember{UserID: id, UnitCode: g.memberHome[i].Code})
	}
	var specs []outreach.GenSpec
	var given int64
	for k, p := range order {
		ms := byProvince[p]
		n := g.size.Records * int64(len(ms)) / int64(len(g.memberIDs))
		if k == len(order)-1 {
			n = g.size.Records - given // the rounding's remainder goes to the last province
		}
		given += n // a province too small for a record at this scale still gets its campaign and teams
		specs = append(specs, outreach.GenSpec{Seed: g.rng.Uint64(), Members: ms, Records: n, Province: p, Launch: g.o.Launch})
	}
	g.bar.start("Hồ sơ hướng dẫn / guidance records", g.size.Records)
	if _, err := outreach.GenerateEach(ctx, g.s.DB, specs, func(step string, total int64) { g.bar.finish(); g.bar.start(step, total) }, g.bar.set); err != nil {
		return fmt.Errorf("outreach: %w", err)
	}
	g.bar.finish()
	g.res.Records = g.size.Records
	g.res.Campaigns = len(specs)
	return nil
}

// audienceShares is how the province's learners split by audience (pupils and citizens first,
// as the plan's mobilisation targets them).
var audienceShares = []struct {
	audience string
	percent  int
}{
	{"pupils", 35}, {"citizens", 25}, {"youth", 15}, {"officials", 10}, {"students", 10}, {"teachers", 5},
}

type learnerPlan struct {
	commune  units.Unit
	org      orgs.Org
	audience string
}

func (g *gen) drawLearner() learnerPlan {
	c := g.communes[g.rng.IntN(len(g.communes))]
	provinceOf := c.Path[1:3]
	n := g.rng.IntN(100)
	aud := audienceShares[len(audienceShares)-1].audience
	for _, a := range audienceShares {
		if n < a.percent {
			aud = a.audience
			break
		}
		n -= a.percent
	}
	p := learnerPlan{commune: c, audience: aud}
	po := g.provinceOrg[provinceOf]
	switch aud {
	case "pupils", "teachers":
		p.org = g.schoolOf[c.Code]
	case "youth":
		p.org = po["tinhdoan"]
	case "students":
		p.org = po["daihoc"]
	case "officials":
		p.org = po["sonv"]
	}
	return p
}

// learners makes the learner accounts: with their school, union, university or department when the
// audience has one, else with their commune.
func (g *gen) learners(ctx context.Context) error {
	n := g.size.Learners
	g.bar.start("Học viên / learners", int64(n))
	g.plans = make([]learnerPlan, 0, n)
	const chunk = 100000
	for start := 0; start < n; start += chunk {
		us := make([]accounts.BulkUser, 0, min(chunk, n-start))
		for i := start; i < min(start+chunk, n); i++ {
			p := g.drawLearner()
			g.plans = append(g.plans, p)
			gr := authz.Grant{Role: authz.Learner, UnitCode: p.commune.Code, UnitPath: p.commune.Path}
			if p.org.ID != 0 {
				gr = authz.Grant{Role: authz.Learner, OrgID: p.org.ID, OrgPath: p.org.Path, UnitPath: p.org.UnitPath}
			}
			us = append(us, accounts.BulkUser{Username: fmt.Sprintf(g.tagged("hocvien.")+"%07d", i+1), DisplayName: personName(g.rng), Grants: []authz.Grant{gr}})
		}
		ids, err := accounts.BulkCreate(ctx, g.s.DB, us, g.hash, g.now, func(k int) { g.bar.add(int64(k)) })
		if err != nil {
			return err
		}
		g.learnerIDs = append(g.learnerIDs, ids...)
	}
	g.bar.finish()
	g.res.Learners = n
	return nil
}
