package outreach

import (
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/fakename"
)

// GenMember is an existing user who becomes a team member in generated data.
type GenMember struct {
	UserID int64
	// UnitCode is the village (or commune) where they work.
	UnitCode string
}

// GenSpec describes a generated data set for demos, seeds and benchmarks.
type GenSpec struct {
	// Seed makes the data: the same seed, members and size give the same rows.
	Seed    uint64
	Members []GenMember
	// Records is the number of guidance records.
	Records int64
	// Launch opens the campaign's 7-day window.
	Launch time.Time
	// CampaignID, when not zero, names an existing campaign (with its launch set) to fill instead
	// of creating one; Launch is then read from it.
	CampaignID int64
	// Province is the province of the campaign created (when CampaignID is 0); empty, the province
	// of the first member's unit.
	Province string
	// Until, when not zero, bounds the records' times (e.g. now, for a window still open); the
	// records are spread over [Launch, min(Launch+7 days, Until)).
	Until time.Time
	// Progress, when set, is called after each committed transaction with the records written so
	// far, and in the index phase with the indexes built so far.
	Progress func(done int64)
	// Phase, when set, announces a later phase of total steps (building the indexes again after
	// a large load, which can take longer than writing the rows).
	Phase func(step string, total int64)
}

// GenResult tells what Generate wrote.
type GenResult struct {
	CampaignID  int64
	Teams       int
	TeamMembers int // memberships (a person in two teams counts twice)
	Grants      int // team_member grants added
	Records     int64
	Citizens    int64 // distinct citizens
	Shared      int64 // citizens guided by more than one member
	Flagged     int64 // records flagged for review
	Elapsed     time.Duration
	// RecordsPerSec is the records written per second, including the counter tables.
	RecordsPerSec float64
}

// genDropIndexesFrom is the size from which outreach_records' secondary indexes are dropped
// during the load and built again after it (a variable for the tests).
var genDropIndexesFrom int64 = 100_000

// The generator's shape.
const (
	genTeamMin      = 5
	genTeamMax      = 8
	genRepeatPct    = 3  // % of records naming a citizen another member already guided
	genNoPhonePct   = 10 // % of citizens without a phone
	genRecordsPerTx = 100000
	genRowsPerStmt  = 400
	genCacheKiB     = 256 << 10 // SQLite page cache while generating: 256 MiB
)

// Generate writes a campaign's worth of realistic data for spec.Members (users that already
// exist): teams at district, commune and village level of 5–8 members with leaders (a person may
// be in teams at several levels; a unit with fewer than 5 members gets one smaller team), the
// team_member grants those teams imply, a campaign (launch spec.Launch, 7 days, target 7) with the
// plan's catalogue, and spec.Records guidance records spread over the window, with Vietnamese
// names, years of birth, phones, consent (every generated citizen consents: a record without
// consent is stored without the citizen, as SaveRecord does) and about 3% of citizens guided again by a second
// member. Every row the write path of SaveRecord keeps — the record with its real content hash,
// the citizen keys, the member–citizen pairs, and the unit, dimension and member counters — is
// written as that path would have left it, in multi-row INSERTs inside large transactions, so
// that Progress and a recount agree. It writes no audit row per record (the API writes one); the
// generation itself is not audited. It is deterministic for a seed.
func Generate(ctx context.Context, d *db.DB, spec GenSpec) (GenResult, error) {
	res, err := GenerateEach(ctx, d, []GenSpec{spec}, spec.Phase, spec.Progress)
	if len(res) == 0 {
		return GenResult{}, err
	}
	return res[0], err
}

// GenerateEach runs Generate for each spec in turn — one campaign each, such as one per province,
// each with its own members and its own citizens — and drops and rebuilds outreach_records'
// secondary indexes once around them all when their records together make a large load. The
// specs' own Progress and Phase are not called: progress gets the records written by all the specs
// so far, then, after phase announces the index step, the indexes built.
func GenerateEach(ctx context.Context, d *db.DB, specs []GenSpec, phase func(step string, total int64), progress func(done int64)) ([]GenResult, error) {
	var total int64
	for _, spec := range specs {
		total += spec.Records
	}
	// A large load fills outreach_records without its secondary indexes, which are built again
	// (by sorting, much faster than millions of random inserts) at the end, also on failure.
	var restore func(phase func(string, int64), progress func(int64)) error
	if total >= genDropIndexesFrom {
		var err error
		if restore, err = dropSecondaryIndexes(ctx, d, "outreach_records"); err != nil {
			return nil, err
		}
	}
	var out []GenResult
	var err error
	var before int64
	for _, spec := range specs {
		spec.Phase, spec.Progress = nil, nil
		if progress != nil {
			base := before
			spec.Progress = func(done int64) { progress(base + done) }
		}
		var res GenResult
		if res, err = generate(ctx, d, spec); err != nil {
			break
		}
		before += spec.Records
		out = append(out, res)
	}
	if restore != nil {
		err = errors.Join(err, restore(phase, progress))
	}
	return out, err
}

// generate writes one campaign's data (Generate's doc), leaving the indexes to its caller.
func generate(ctx context.Context, d *db.DB, spec GenSpec) (GenResult, error) {
	start := time.Now()
	var res GenResult
	if len(spec.Members) == 0 {
		return res, apperr.New(apperr.Invalid, "outreach.error.not_member")
	}
	consent := "v1"
	if spec.CampaignID != 0 {
		c, err := findCampaign(ctx, d.Reader(), spec.CampaignID)
		if err != nil {
			return res, err
		}
		spec.Launch, consent = c.LaunchAt, c.ConsentVersion
	}
	if spec.Launch.IsZero() {
		return res, fmt.Errorf("outreach: generate: no launch")
	}
	g := &generator{d: d, spec: spec, consent: consent, rng: mrand.New(mrand.NewPCG(spec.Seed, 0x6c616e746f61))} // #nosec G404 -- generated demo data must be reproducible from a seed, not unpredictable
	if err := g.loadUnits(ctx); err != nil {
		return res, err
	}
	if err := g.placeMembers(); err != nil {
		return res, err
	}
	now := db.Millis(time.Now())
	err := d.WriteTx(ctx, func(tx *db.Tx) error {
		for _, k := range DefaultSkills {
			if _, err := tx.ExecContext(ctx, `INSERT INTO outreach_skills (code, name, kind, audience, sort_order, active, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, 1, ?, ?) ON CONFLICT (code) DO NOTHING`, k.Code, k.Name, string(k.Kind), string(k.audienceOf()), k.Order, now, now); err != nil {
				return apperr.Wrap(err, "seed skills")
			}
		}
		if spec.CampaignID != 0 {
			g.campaign = spec.CampaignID
			return g.teams(ctx, tx, &res)
		}
		province := spec.Province
		if province == "" {
			province = authz.ProvinceOfPath(g.units[g.people[0].work].path)
		}
		var err error
		g.campaign, err = tx.InsertID(ctx, `INSERT INTO outreach_campaigns (province_code, name, launch_at, days, target, follow_ceremony, consent_version, consent_text, retention_days, created_at, updated_at)
			VALUES (?, ?, ?, 7, 7, 0, 'v1', ?, 365, ?, ?) RETURNING id`, province, "Ra quân 7 ngày hướng dẫn 7 người dân", db.Millis(spec.Launch), DefaultConsentText, now, now)
		if err != nil {
			return apperr.Wrap(err, "insert campaign")
		}
		return g.teams(ctx, tx, &res)
	})
	if err != nil {
		return res, err
	}
	res.CampaignID = g.campaign
	// Pass 1 plays the records without writing, to learn which citizens end up shared (every record
	// of a shared citizen is flagged, including those written before the second member came);
	// pass 2 plays the same records again and writes them.
	g.rng = mrand.New(mrand.NewPCG(spec.Seed, 0x7265636f726473)) // #nosec G404 -- reproducible generated data
	g.play(nil)
	final := g.st
	g.st = newGenState()
	g.rng = mrand.New(mrand.NewPCG(spec.Seed, 0x7265636f726473)) // #nosec G404 -- reproducible generated data
	if err := g.write(ctx, &final, &res); err != nil {
		return res, err
	}
	res.Elapsed = time.Since(start)
	if s := res.Elapsed.Seconds(); s > 0 {
		res.RecordsPerSec = float64(res.Records) / s
	}
	return res, nil
}

// genUnit is a unit in force; parent is its parent's path (a commune's parent is its district on
// the map of 2023 and its province on the map of 2025).
type genUnit struct {
	code, path, level, parent, name string
	villages                        []int // indexes of the villages under it (for a commune)
}

type genPlace struct {
	member GenMember
	work   int   // unit index
	places []int // unit indexes where their records are made
	weight float64
}

type generator struct {
	d        *db.DB
	spec     GenSpec
	rng      *mrand.Rand
	units    []genUnit
	byCode   map[string]int // code of a unit in force → index
	byPath   map[string]int
	people   []genPlace
	cum      []float64 // cumulative activity weights
	campaign int64
	consent  string // the campaign's consent version
	st       genState
}

func (g *generator) loadUnits(ctx context.Context) error {
	// Only the units in force: teams and records are made on today's map, whose codes are unique.
	rows, err := g.d.Reader().QueryContext(ctx, "SELECT code, path, level, parent_path, name FROM units WHERE valid_to = '' ORDER BY path")
	if err != nil {
		return apperr.Wrap(err, "load units")
	}
	defer rows.Close()
	g.byCode, g.byPath = map[string]int{}, map[string]int{}
	for rows.Next() {
		var u genUnit
		if err := rows.Scan(&u.code, &u.path, &u.level, &u.parent, &u.name); err != nil {
			return apperr.Wrap(err, "scan unit")
		}
		g.byCode[u.code] = len(g.units)
		g.byPath[u.path] = len(g.units)
		g.units = append(g.units, u)
	}
	if err := rows.Err(); err != nil {
		return apperr.Wrap(err, "load units")
	}
	for i, u := range g.units {
		if u.level == "village" {
			if p, ok := g.byPath[u.parent]; ok {
				g.units[p].villages = append(g.units[p].villages, i)
			}
		}
	}
	return nil
}

// ancestor returns the index of the unit at level above (or at) i, or -1.
func (g *generator) ancestor(i int, level string) int {
	for i >= 0 {
		if g.units[i].level == level {
			return i
		}
		p, ok := g.byPath[g.units[i].parent]
		if !ok {
			return -1
		}
		i = p
	}
	return -1
}

func (g *generator) placeMembers() error {
	seen := map[int64]bool{}
	total := 0.0
	for _, m := range g.spec.Members {
		if seen[m.UserID] {
			return fmt.Errorf("outreach: generate: user %d listed twice", m.UserID)
		}
		seen[m.UserID] = true
		w, ok := g.byCode[m.UnitCode]
		if !ok {
			return apperr.New(apperr.NotFound, "units.error.not_found", m.UnitCode)
		}
		p := genPlace{member: m, work: w}
		if vs := g.units[w].villages; len(vs) > 0 {
			p.places = vs
		} else {
			p.places = []int{w}
		}
		// Some members are much busier than others: activity weights from 0.2 to about 3.
		p.weight = 0.2 + g.rng.ExpFloat64()
		total += p.weight
		g.people = append(g.people, p)
	}
	g.cum = make([]float64, len(g.people))
	acc := 0.0
	for i, p := range g.people {
		acc += p.weight / total
		g.cum[i] = acc
	}
	g.cum[len(g.cum)-1] = 1
	return nil
}

// teams forms the teams and their grants: village teams from the members working in each
// village, commune teams from those working at the commune plus what the village teams left over
// (topped up with village team leaders), and, where a district lies above the communes (the map
// of 2023), one district team of commune team leaders; on the two-tier map of 2025 the commune
// teams are the top.
func (g *generator) teams(ctx context.Context, tx *db.Tx, res *GenResult) error {
	// Existing team_member grants, so that none is added twice.
	have := map[[2]string]bool{}
	rows, err := tx.QueryContext(ctx, "SELECT user_id, COALESCE(unit_code, '') FROM role_grants WHERE role = 'team_member'")
	if err != nil {
		return apperr.Wrap(err, "grants")
	}
	for rows.Next() {
		var id int64
		var code string
		if err := rows.Scan(&id, &code); err != nil {
			rows.Close()
			return apperr.Wrap(err, "scan grant")
		}
		have[[2]string{strconv.FormatInt(id, 10), code}] = true
	}
	rows.Close()
	now := db.Millis(time.Now())
	var grants [][]any
	grant := func(p int, unit int) {
		k := [2]string{strconv.FormatInt(g.people[p].member.UserID, 10), g.units[unit].code}
		if have[k] {
			return
		}
		have[k] = true
		grants = append(grants, []any{g.people[p].member.UserID, g.units[unit].code, g.units[unit].path, now})
	}
	// Every member holds the role where they work, first, so that it is their home.
	for i, p := range g.people {
		grant(i, p.work)
	}
	type team struct {
		unit    int
		members []int
	}
	var teams []team
	byUnit := map[int][]int{}
	for i, p := range g.people {
		byUnit[p.work] = append(byUnit[p.work], i)
	}
	units := make([]int, 0, len(byUnit))
	for u := range byUnit {
		units = append(units, u)
	}
	slices.SortFunc(units, func(a, b int) int { return strings.Compare(g.units[a].path, g.units[b].path) })
	split := func(unit int, pool []int) (formed [][]int, left []int) {
		g.rng.Shuffle(len(pool), func(i, j int) { pool[i], pool[j] = pool[j], pool[i] })
		for len(pool) >= genTeamMin {
			n := len(pool)
			if n > genTeamMax {
				n = genTeamMin + g.rng.IntN(genTeamMax-genTeamMin+1)
				if r := len(pool) - n; r > 0 && r < genTeamMin {
					n = max(genTeamMin, len(pool)-genTeamMin)
					if n > genTeamMax {
						break
					}
				}
			}
			formed = append(formed, pool[:n:n])
			pool = pool[n:]
		}
		return formed, pool
	}
	communeLeft := map[int][]int{}    // commune → members not in a village team
	villageLeaders := map[int][]int{} // commune → leaders of its village teams
	for _, u := range units {
		pool := slices.Clone(byUnit[u])
		if g.units[u].level != "village" {
			c := g.ancestor(u, "commune")
			if c < 0 {
				c = u
			}
			communeLeft[c] = append(communeLeft[c], pool...)
			continue
		}
		formed, left := split(u, pool)
		ci, ok := g.byPath[g.units[u].parent]
		if !ok {
			ci = u
		}
		for _, f := range formed {
			teams = append(teams, team{u, f})
			villageLeaders[ci] = append(villageLeaders[ci], f[0])
		}
		if len(formed) == 0 && len(left) > 0 {
			// A village with fewer than 5 members still has its team.
			teams = append(teams, team{u, left})
			villageLeaders[ci] = append(villageLeaders[ci], left[0])
			left = nil
		}
		communeLeft[ci] = append(communeLeft[ci], left...)
	}
	communes := make([]int, 0, len(communeLeft)+len(villageLeaders))
	for c := range communeLeft {
		communes = append(communes, c)
	}
	for c := range villageLeaders {
		if _, ok := communeLeft[c]; !ok {
			communes = append(communes, c)
		}
	}
	slices.SortFunc(communes, func(a, b int) int { return strings.Compare(g.units[a].path, g.units[b].path) })
	districtLeaders := map[int][]int{}
	for _, c := range communes {
		pool := slices.Clone(communeLeft[c])
		// Top up with village team leaders: they sit in both teams.
		for _, l := range villageLeaders[c] {
			if len(pool) >= genTeamMin {
				break
			}
			pool = append(pool, l)
		}
		if len(pool) == 0 {
			continue
		}
		formed, left := split(c, pool)
		if len(formed) == 0 {
			formed, left = [][]int{left}, nil
		}
		if len(left) > 0 {
			// Fewer than 5 left: they join the last team, which may then reach up to 12.
			formed[len(formed)-1] = append(formed[len(formed)-1], left...)
		}
		d := g.ancestor(c, "district")
		for _, f := range formed {
			teams = append(teams, team{c, f})
			if d >= 0 {
				districtLeaders[d] = append(districtLeaders[d], f[0])
			}
		}
	}
	districts := make([]int, 0, len(districtLeaders))
	for d := range districtLeaders {
		districts = append(districts, d)
	}
	slices.SortFunc(districts, func(a, b int) int { return strings.Compare(g.units[a].path, g.units[b].path) })
	for _, d := range districts {
		pool := slices.Clone(districtLeaders[d])
		g.rng.Shuffle(len(pool), func(i, j int) { pool[i], pool[j] = pool[j], pool[i] })
		pool = pool[:min(len(pool), genTeamMin+g.rng.IntN(genTeamMax-genTeamMin+1))]
		teams = append(teams, team{d, pool})
	}
	// Names a unit has already (a map switch moves earlier teams into today's communes with their
	// names, and a commune that kept its name had a team of this name): the next number is taken.
	taken := map[[2]string]bool{}
	trows, err := tx.QueryContext(ctx, "SELECT unit_path, name FROM outreach_teams")
	if err != nil {
		return apperr.Wrap(err, "team names")
	}
	for trows.Next() {
		var k [2]string
		if err := trows.Scan(&k[0], &k[1]); err != nil {
			trows.Close()
			return apperr.Wrap(err, "scan team name")
		}
		taken[k] = true
	}
	trows.Close()
	// Team rows, then memberships and grants.
	teamRows := make([][]any, 0, len(teams))
	count := map[int]int{}
	for _, t := range teams {
		u := g.units[t.unit]
		var name string
		for {
			count[t.unit]++
			name = "Tổ Công nghệ số cộng đồng " + u.name
			if count[t.unit] > 1 {
				name += " số " + strconv.Itoa(count[t.unit])
			}
			if !taken[[2]string{u.path, name}] {
				break
			}
		}
		taken[[2]string{u.path, name}] = true
		teamRows = append(teamRows, []any{name, u.code, u.path, u.level, now})
	}
	var ids []int64
	if err := tx.InsertRows(ctx, "outreach_teams", []string{"name", "unit_code", "unit_path", "level", "created_at"}, teamRows, "RETURNING id",
		func(r *sql.Rows) error {
			var id int64
			if err := r.Scan(&id); err != nil {
				return err
			}
			ids = append(ids, id)
			return nil
		}); err != nil {
		return apperr.Wrap(err, "insert teams")
	}
	if len(ids) != len(teams) {
		return fmt.Errorf("outreach: generate: %d team ids for %d teams", len(ids), len(teams))
	}
	var links [][]any
	for i, t := range teams {
		for j, p := range t.members {
			links = append(links, []any{ids[i], g.people[p].member.UserID, boolInt(j == 0), now})
			grant(p, t.unit)
		}
	}
	if err := tx.InsertRows(ctx, "outreach_team_members", []string{"team_id", "user_id", "leader", "added_at"}, links, "", nil); err != nil {
		return apperr.Wrap(err, "insert team members")
	}
	if err := tx.InsertRows(ctx, "role_grants", []string{"user_id", "role", "unit_code", "unit_path", "created_at"}, withRole(grants), "", nil); err != nil {
		return apperr.Wrap(err, "insert grants")
	}
	res.Teams, res.TeamMembers, res.Grants = len(teams), len(links), len(grants)
	return nil
}

func withRole(rows [][]any) [][]any {
	out := make([][]any, len(rows))
	for i, r := range rows {
		out[i] = []any{r[0], "team_member", r[1], r[2], r[3]}
	}
	return out
}

// genState is what the write path knows while records arrive: who first guided each citizen,
// whether a second member came, and which member–citizen pairs exist.
type genState struct {
	phoneFirst  []int32         // phone citizen → first member index + 1
	phoneShared []bool          // phone citizen → guided by a second member
	noPhone     map[string]*npc // citizen key → state, for citizens without a phone
	pairs       map[uint64]bool // (phone citizen, member) pairs beyond the first member's
	citizens    int64
}

type npc struct {
	first   int32
	shared  bool
	members []int32
}

func newGenState() genState {
	return genState{noPhone: map[string]*npc{}, pairs: map[uint64]bool{}}
}

// genRecord is one record as played.
type genRecord struct {
	i                int64
	person           int
	unit             int
	phoneID          int64 // -1 without a phone
	name             string
	year             int
	phone            string
	key              string
	newCitizen       bool
	newPair          bool
	skills           []string
	platforms        []string
	guided, created  int64
	evidence         string
	clientID         string
	resultingShared  bool // the citizen is shared once this record is in (pass 1)
	clientRand       uint64
	noPhoneNameIndex uint64
}

var (
	// Mobile prefixes of Vietnamese networks (Viettel, Vinaphone, MobiFone, Vietnamobile).
	genPrefixes = []string{"032", "033", "034", "035", "036", "037", "038", "039", "086", "096", "097", "098",
		"081", "082", "083", "084", "085", "088", "091", "094", "070", "076", "077", "078", "079", "089", "090", "093", "056", "058"}
	genSkillCodes    = []string{"dvc_tinh", "dvc_quocgia", "thanh_toan_truc_tuyen", "khong_tien_mat"}
	genPlatformCodes = []string{"vneid", "so_suc_khoe", "thuong_mai_dien_tu", "vi_dien_tu"}
)

// mix is splitmix64: a citizen's attributes are a function of the seed and their number, so a
// citizen named again later has the same name, year and phone.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// genPerson returns a name and a year of birth for citizen number n (h is a hash of it).
func genPerson(h uint64) (string, int) {
	name, h := fakename.Name(h)
	// Years of birth 1940–2008, most between 1960 and 1995 (a triangle over two draws).
	year := 1940 + int(h%35) + int((h/35)%35)
	return name, year
}

// genPhone is the phone of phone citizen n: a different number for every n below 3×10⁸.
func genPhone(seed uint64, n int64) string {
	p := genPrefixes[n%int64(len(genPrefixes))]
	x := (uint64(n/int64(len(genPrefixes)))*7919 + seed%10000000) % 10000000 // #nosec G115 -- n is a non-negative record number
	return p + fmt.Sprintf("%07d", x)
}

// play generates the records in order; emit (nil in pass 1) receives each one.
func (g *generator) play(emit func(r *genRecord) error) error {
	st := &g.st
	if st.noPhone == nil {
		*st = newGenState()
	}
	total := g.spec.Records
	launch := db.Millis(g.spec.Launch)
	span := int64(7 * 24 * time.Hour / time.Millisecond)
	if !g.spec.Until.IsZero() {
		if u := db.Millis(g.spec.Until) - launch; u < span {
			span = max(u, 1)
		}
	}
	days := max(1, (span+int64(24*time.Hour/time.Millisecond)-1)/int64(24*time.Hour/time.Millisecond))
	dayMs := int64(24 * time.Hour / time.Millisecond)
	workMs := int64(14 * time.Hour / time.Millisecond)
	var r genRecord
	for i := range total {
		r = genRecord{i: i}
		u := g.rng.Float64()
		r.person = sort.SearchFloat64s(g.cum, u)
		if r.person >= len(g.people) {
			r.person = len(g.people) - 1
		}
		p := &g.people[r.person]
		r.unit = p.places[g.rng.IntN(len(p.places))]
		// The time: record i falls on day i×days/total, within the working hours (14 from the
		// launch's time of day, fewer when the window is shorter), so times grow with i and client
		// ids with them.
		day := i * days / total
		work := min(workMs, span-day*dayMs)
		within := (i*days - day*total) * work / total
		r.guided = min(launch+day*dayMs+within+g.rng.Int64N(60000), launch+span-1)
		r.created = r.guided + g.rng.Int64N(int64(30*time.Minute/time.Millisecond))
		if g.rng.IntN(10) == 0 { // sent later, once back in coverage
			r.created += g.rng.Int64N(int64(6 * time.Hour / time.Millisecond))
		}
		r.clientRand = g.rng.Uint64()
		repeat := st.citizens > 0 && len(st.phoneFirst) > 0 && g.rng.IntN(100) < genRepeatPct
		var npHash uint64
		if repeat {
			r.phoneID = g.rng.Int64N(int64(len(st.phoneFirst)))
		} else if g.rng.IntN(100) < genNoPhonePct {
			r.phoneID = -1
			npHash = g.rng.Uint64()
		} else {
			r.phoneID = int64(len(st.phoneFirst))
		}
		ns := 1 + g.rng.IntN(3)
		skillPick := g.rng.Perm(len(genSkillCodes))[:ns]
		np := 0
		if x := g.rng.IntN(10); x >= 4 {
			np = 1
			if x >= 8 {
				np = 2
			}
		}
		platPick := g.rng.Perm(len(genPlatformCodes))[:np]
		ev := g.rng.IntN(100)
		evN := g.rng.IntN(10000)
		// Citizen and state.
		me := int32(r.person) + 1 // #nosec G115 -- person indexes are below the member count, far under 2^31
		if r.phoneID >= 0 {
			if emit != nil { // pass 1 needs only the citizen's number
				r.name, r.year = genPerson(mix(g.spec.Seed ^ uint64(r.phoneID)<<1))
				r.phone = genPhone(g.spec.Seed, r.phoneID)
				r.key = CitizenKey("", 0, r.phone, "")
			}
			if r.phoneID == int64(len(st.phoneFirst)) {
				st.phoneFirst = append(st.phoneFirst, me)
				st.phoneShared = append(st.phoneShared, false)
				r.newCitizen, r.newPair = true, true
			} else {
				first := st.phoneFirst[r.phoneID]
				if first != me {
					st.phoneShared[r.phoneID] = true
					pk := uint64(r.phoneID)<<24 | uint64(me) // #nosec G115 -- non-negative ids packed into a map key
					if !st.pairs[pk] {
						st.pairs[pk], r.newPair = true, true
					}
				}
				r.resultingShared = st.phoneShared[r.phoneID]
			}
		} else {
			r.name, r.year = genPerson(mix(npHash))
			r.key = CitizenKey(r.name, r.year, "", g.units[r.unit].code)
			c := st.noPhone[r.key]
			switch {
			case c == nil:
				st.noPhone[r.key] = &npc{first: me, members: []int32{me}}
				r.newCitizen, r.newPair = true, true
			default:
				if c.first != me {
					c.shared = true
				}
				if !slices.Contains(c.members, me) {
					c.members = append(c.members, me)
					r.newPair = true
				}
				r.resultingShared = c.shared
			}
		}
		if r.newCitizen {
			st.citizens++
		}
		if emit == nil {
			continue
		}
		r.skills = make([]string, ns)
		for k, x := range skillPick {
			r.skills[k] = genSkillCodes[x]
		}
		slices.Sort(r.skills)
		r.platforms = make([]string, np)
		for k, x := range platPick {
			r.platforms[k] = genPlatformCodes[x]
		}
		slices.Sort(r.platforms)
		switch {
		case ev < 8:
			r.evidence = fmt.Sprintf("H%02d.%02d-%s-%04d", 40+evN%20, evN%90+10, time.UnixMilli(r.guided).In(vietnam).Format("060102"), evN)
		case ev < 14:
			r.evidence = fmt.Sprintf("FT%s%08d", time.UnixMilli(r.guided).In(vietnam).Format("06002"), evN*7919%100000000)
		}
		// A time-ordered UUID (version 7 layout): the phone makes it, the time leads it.
		var b [16]byte
		binary.BigEndian.PutUint64(b[0:8], uint64(r.created)<<16|(r.clientRand>>48)) // #nosec G115 -- a creation time in ms since 1970, positive
		binary.BigEndian.PutUint64(b[8:16], mix(r.clientRand^uint64(i)))
		b[6] = b[6]&0x0f | 0x70
		b[8] = b[8]&0x3f | 0x80
		h := hex.EncodeToString(b[:])
		r.clientID = h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
		if err := emit(&r); err != nil {
			return err
		}
	}
	return nil
}

// write is pass 2: the records, the citizen keys and member–citizen pairs in multi-row inserts,
// then the counters from the counts kept on the way.
func (g *generator) write(ctx context.Context, final *genState, res *GenResult) error {
	type unitCount struct{ records, citizens, flagged int64 }
	type memberCount struct{ records, citizens, last int64 }
	units := map[int]*unitCount{}
	dims := map[int]map[string]int64{}
	members := map[int]*memberCount{}
	shared := func(r *genRecord) bool {
		if r.phoneID >= 0 {
			return final.phoneShared[r.phoneID]
		}
		return final.noPhone[r.key].shared
	}
	recCols := []string{"client_id", "content_hash", "campaign_id", "member_id", "unit_code", "unit_path", "citizen_name", "birth_year", "phone",
		"citizen_key", "skills", "platforms", "evidence", "location", "consent_version", "guided_at", "created_at", "flagged"}
	var recs, cits, pairs []any
	var nRec, nCit, nPair int
	stmts := map[string]string{}
	var cacheWas int64
	// One transaction per genRecordsPerTx records, its rows built in memory first and written in
	// statements of genRowsPerStmt rows.
	commit := func() error {
		if nRec == 0 {
			return nil
		}
		err := g.d.WriteTx(ctx, func(tx *db.Tx) error {
			if tx.Engine() == db.SQLite {
				// Foreign keys checked at commit: a multi-row statement then needs no statement
				// journal (which costs more than the inserts themselves).
				if _, err := tx.ExecContext(ctx, "PRAGMA defer_foreign_keys = ON"); err != nil {
					return apperr.Wrap(err, "defer foreign keys")
				}
				if cacheWas == 0 {
					// A page cache that holds the indexes being filled (restored at the end).
					if err := tx.QueryRowContext(ctx, "PRAGMA cache_size").Scan(&cacheWas); err != nil {
						return apperr.Wrap(err, "cache size")
					}
					if _, err := tx.ExecContext(ctx, "PRAGMA cache_size = -"+strconv.Itoa(genCacheKiB)); err != nil {
						return apperr.Wrap(err, "cache size")
					}
				}
			}
			// On SQLite the records go first into a temporary table without constraints, then
			// into outreach_records in one INSERT … SELECT: a multi-row INSERT into a table with
			// foreign keys needs a statement journal, which costs more than the insert itself.
			recTable := "outreach_records"
			if tx.Engine() == db.SQLite {
				recTable = "temp.outreach_gen_records"
				if _, err := tx.ExecContext(ctx, "CREATE TEMP TABLE IF NOT EXISTS outreach_gen_records ("+strings.Join(recCols, ", ")+")"); err != nil {
					return apperr.Wrap(err, "staging table")
				}
			}
			for _, t := range []struct {
				table string
				cols  []string
				n     int
				args  []any
			}{{recTable, recCols, nRec, recs},
				{"outreach_citizens", []string{"campaign_id", "citizen_key", "first_member_id", "shared"}, nCit, cits},
				{"outreach_member_citizens", []string{"campaign_id", "member_id", "citizen_key"}, nPair, pairs}} {
				w := len(t.cols)
				for lo := 0; lo < t.n; lo += genRowsPerStmt {
					hi := min(t.n, lo+genRowsPerStmt)
					if err := execRows(ctx, tx, stmts, t.table, t.cols, hi-lo, t.args[lo*w:hi*w]); err != nil {
						return err
					}
				}
			}
			if recTable != "outreach_records" {
				cols := strings.Join(recCols, ", ")
				if _, err := tx.ExecContext(ctx, "INSERT INTO outreach_records ("+cols+") SELECT "+cols+" FROM temp.outreach_gen_records ORDER BY rowid"); err != nil {
					return apperr.Wrap(err, "insert records")
				}
				if _, err := tx.ExecContext(ctx, "DELETE FROM temp.outreach_gen_records"); err != nil {
					return apperr.Wrap(err, "staging table")
				}
			}
			return nil
		})
		recs, cits, pairs = recs[:0], cits[:0], pairs[:0]
		nRec, nCit, nPair = 0, 0, 0
		return err
	}
	err := g.play(func(r *genRecord) error {
		p := &g.people[r.person]
		u := &g.units[r.unit]
		flag := shared(r)
		in := RecordInput{ClientID: r.clientID, Citizen: Citizen{Name: r.name, BirthYear: r.year, Phone: r.phone}, Skills: r.skills, Platforms: r.platforms,
			GuidedAt: time.UnixMilli(r.guided).UTC(), VillageCode: u.code, Evidence: r.evidence}
		cv := g.consent
		in.Consent = &Consent{Given: true, Version: cv}
		if g.units[p.work].code == u.code && u.level != "village" {
			in.VillageCode = "" // recorded at the member's own commune: the phone sends no village
		}
		recs = append(recs, r.clientID, in.Hash(), g.campaign, p.member.UserID, u.code, u.path, r.name, r.year, r.phone, r.key,
			strings.Join(r.skills, ","), strings.Join(r.platforms, ","), r.evidence, "", cv, r.guided, r.created, boolInt(flag))
		nRec++
		if r.newCitizen {
			cits = append(cits, g.campaign, r.key, p.member.UserID, boolInt(flag))
			nCit++
		}
		if r.newPair {
			pairs = append(pairs, g.campaign, p.member.UserID, r.key)
			nPair++
		}
		uc := units[r.unit]
		if uc == nil {
			uc = &unitCount{}
			units[r.unit], dims[r.unit] = uc, map[string]int64{}
		}
		uc.records++
		if r.newCitizen {
			uc.citizens++
			res.Citizens++
			if flag {
				res.Shared++
			}
		}
		if flag {
			uc.flagged++
			res.Flagged++
		}
		for _, s := range r.skills {
			dims[r.unit]["skill:"+s]++
		}
		for _, s := range r.platforms {
			dims[r.unit]["platform:"+s]++
		}
		dims[r.unit][DayDim(time.UnixMilli(r.guided))]++
		mc := members[r.person]
		if mc == nil {
			mc = &memberCount{}
			members[r.person] = mc
		}
		mc.records++
		if r.newPair {
			mc.citizens++
		}
		mc.last = max(mc.last, r.guided)
		res.Records++
		if nRec >= genRecordsPerTx {
			if err := commit(); err != nil {
				return err
			}
			if g.spec.Progress != nil {
				g.spec.Progress(res.Records)
			}
		}
		return nil
	})
	if err == nil {
		err = commit()
	}
	if err != nil {
		return err
	}
	if g.spec.Progress != nil && res.Records%genRecordsPerTx != 0 {
		g.spec.Progress(res.Records)
	}
	// The counters.
	return g.d.WriteTx(ctx, func(tx *db.Tx) error {
		if cacheWas != 0 {
			if _, err := tx.ExecContext(ctx, "PRAGMA cache_size = "+strconv.FormatInt(cacheWas, 10)); err != nil {
				return apperr.Wrap(err, "cache size")
			}
		}
		var ur, dr, mr [][]any
		for _, i := range sortedKeys(units) {
			c := units[i]
			u := g.units[i]
			ur = append(ur, []any{g.campaign, u.code, u.path, c.records, c.citizens, c.flagged})
			for _, dim := range sortedKeys(dims[i]) {
				dr = append(dr, []any{g.campaign, u.code, u.path, dim, dims[i][dim]})
			}
		}
		for _, i := range sortedKeys(members) {
			c := members[i]
			mr = append(mr, []any{g.campaign, g.people[i].member.UserID, g.units[g.people[i].work].path, c.records, c.citizens, c.last})
		}
		if err := tx.InsertRows(ctx, "outreach_unit_counts", []string{"campaign_id", "unit_code", "unit_path", "records", "citizens", "flagged"}, ur, "", nil); err != nil {
			return apperr.Wrap(err, "unit counts")
		}
		if err := tx.InsertRows(ctx, "outreach_dim_counts", []string{"campaign_id", "unit_code", "unit_path", "dim", "n"}, dr, "", nil); err != nil {
			return apperr.Wrap(err, "dimension counts")
		}
		if err := tx.InsertRows(ctx, "outreach_member_counts", []string{"campaign_id", "member_id", "home_path", "records", "citizens", "last_at"}, mr, "", nil); err != nil {
			return apperr.Wrap(err, "member counts")
		}
		return nil
	})
}

func sortedKeys[K int | string, V any](m map[K]V) []K {
	ks := make([]K, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// dropSecondaryIndexes drops the non-unique indexes of table (their definitions read from the
// catalogue, so they come back exactly as the migrations made them) and returns the function that
// creates them again, one transaction per index so its progress can be reported.
func dropSecondaryIndexes(ctx context.Context, d *db.DB, table string) (func(phase func(string, int64), progress func(int64)) error, error) {
	q := "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%'"
	if d.Engine == db.Postgres {
		q = "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = ? AND indexdef NOT LIKE 'CREATE UNIQUE%'"
	}
	rows, err := d.Reader().QueryContext(ctx, q, table)
	if err != nil {
		return nil, apperr.Wrap(err, "list indexes")
	}
	var names, defs []string
	for rows.Next() {
		var n, def string
		if err := rows.Scan(&n, &def); err != nil {
			rows.Close()
			return nil, apperr.Wrap(err, "scan index")
		}
		names, defs = append(names, n), append(defs, def)
	}
	rows.Close()
	if err := d.WriteTx(ctx, func(tx *db.Tx) error {
		for _, n := range names {
			if _, err := tx.ExecContext(ctx, "DROP INDEX "+n); err != nil {
				return apperr.Wrap(err, "drop index "+n)
			}
		}
		return nil
	}); err != nil {
		return nil, err
	}
	return func(phase func(string, int64), progress func(int64)) error {
		ctx := context.WithoutCancel(ctx)
		if phase == nil {
			progress = nil // without a phase announced, Progress counts records only
		} else {
			phase("Chỉ mục / indexes of "+table, int64(len(defs)))
		}
		for i, def := range defs {
			err := d.WriteTx(ctx, func(tx *db.Tx) error {
				if tx.Engine() == db.SQLite {
					// Building a b-tree of millions of keys rewrites its upper pages over and over;
					// with the usual 16 MB cache they spill to the WAL each time (20 GB of WAL for
					// 10 M records). A cache that holds the index being built writes each page once.
					if _, err := tx.ExecContext(ctx, "PRAGMA cache_size = -524288"); err != nil {
						return apperr.Wrap(err, "index cache")
					}
					defer tx.ExecContext(ctx, "PRAGMA cache_size = -16000")
				}
				if _, err := tx.ExecContext(ctx, def); err != nil {
					return apperr.Wrap(err, "create index")
				}
				return nil
			})
			if err != nil {
				return err
			}
			if progress != nil {
				progress(int64(i + 1))
			}
		}
		return nil
	}, nil
}

// execRows runs one multi-row INSERT of n rows whose values are flattened in args; the text of
// each statement size is built once (with the engine's own placeholders) and kept in stmts.
func execRows(ctx context.Context, tx *db.Tx, stmts map[string]string, table string, cols []string, n int, args []any) error {
	key := table + "/" + strconv.Itoa(n)
	q, ok := stmts[key]
	if !ok {
		var b strings.Builder
		// On SQLite, OR ROLLBACK: a conflict ends the whole transaction (the generator stops
		// anyway), so a multi-row statement needs no statement journal, which would cost more
		// than the inserts themselves.
		if tx.Engine() == db.SQLite {
			b.WriteString("INSERT OR ROLLBACK INTO ")
		} else {
			b.WriteString("INSERT INTO ")
		}
		b.WriteString(table + " (" + strings.Join(cols, ", ") + ") VALUES ")
		k := 0
		for i := range n {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('(')
			for j := range cols {
				if j > 0 {
					b.WriteString(", ")
				}
				k++
				if tx.Engine() == db.Postgres {
					b.WriteString("$" + strconv.Itoa(k))
				} else {
					b.WriteByte('?')
				}
			}
			b.WriteByte(')')
		}
		q = b.String()
		stmts[key] = q
	}
	_, err := tx.ExecContext(ctx, q, args...)
	return apperr.Wrap(err, "insert "+table)
}
