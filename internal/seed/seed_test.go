package seed

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/ceremony"
	"github.com/lantoa/lantoa/internal/orgs"
	"github.com/lantoa/lantoa/internal/outreach"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/platform/events"
	"github.com/lantoa/lantoa/internal/reports"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/training"
	"github.com/lantoa/lantoa/internal/units"
)

var launch = time.Date(2023, 7, 28, 8, 30, 0, 0, time.FixedZone("ICT", 7*3600))

func services(t *testing.T, d *db.DB) Services {
	t.Helper()
	ctx := context.Background()
	u := units.NewService(d)
	if _, err := u.SeedQuangNgai(ctx); err != nil {
		t.Fatal(err)
	}
	acc := accounts.NewService(d)
	out := outreach.NewService(d, acc)
	t.Cleanup(out.Close)
	if err := out.SeedSkills(ctx); err != nil {
		t.Fatal(err)
	}
	cer := ceremony.NewService(d, u, events.New(d, nil))
	rs := reports.NewService(d, u)
	rs.Register(reports.OutreachProvider{Svc: out}, &reports.TrainingProvider{Svc: training.NewService(d)}, reports.CeremonyProvider{Svc: cer})
	return Services{DB: d, Units: u, Orgs: orgs.NewService(d), Accounts: acc, Ceremony: cer, Reports: rs}
}

// digest summarises what a run made, for comparing two runs.
func digest(t *testing.T, d *db.DB) string {
	t.Helper()
	h := sha256.New()
	for _, q := range []string{
		"SELECT username || '|' || display_name FROM users ORDER BY username",
		"SELECT code || '|' || name || '|' || level FROM units ORDER BY code",
		"SELECT COUNT(*) FROM outreach_records",
		"SELECT COUNT(*) FROM role_grants",
	} {
		rows, err := d.Reader().QueryContext(context.Background(), q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintln(h, s)
		}
		rows.Close()
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

func count(t *testing.T, d *db.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := d.Reader().QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func TestProvinceProfile(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		var bar bytes.Buffer
		res, err := Run(context.Background(), services(t, d), Options{Profile: Province, Scale: 0.0005, Seed: 7, Launch: launch,
			Now: launch.Add(72 * time.Hour), Progress: &bar})
		if err != nil {
			t.Fatal(err)
		}
		if got := count(t, d, "SELECT COUNT(*) FROM units WHERE level = 'commune' AND valid_to = ''"); got != 173 {
			t.Errorf("communes = %d, want 173", got)
		}
		if res.Villages != 173*8 || count(t, d, "SELECT COUNT(*) FROM units WHERE level = 'village'") != 173*8 {
			t.Errorf("villages = %d", res.Villages)
		}
		if got := count(t, d, "SELECT COUNT(*) FROM outreach_records"); int64(got) != res.Size.Records {
			t.Errorf("records = %d, want %d", got, res.Size.Records)
		}
		if got := count(t, d, "SELECT COUNT(*) FROM role_grants WHERE role = ?", string(authz.Learner)); got != res.Size.Learners {
			t.Errorf("learner grants = %d, want %d", got, res.Size.Learners)
		}
		if got := count(t, d, "SELECT COUNT(*) FROM users WHERE username LIKE 'tocnscd.%'"); got != res.Size.Members {
			t.Errorf("members = %d, want %d", got, res.Size.Members)
		}
		if res.BridgePoints != 187 {
			t.Errorf("bridge points = %d, want 187", res.BridgePoints)
		}
		// The launch is three days past: the ceremony ran and its button was pressed at that moment.
		if !res.LaunchedAt.Equal(launch) || count(t, d, "SELECT COUNT(*) FROM ceremonies WHERE launch_at = ?", db.Millis(launch)) != 1 {
			t.Errorf("ceremony launched at %v, want %v", res.LaunchedAt, launch)
		}
		if res.ReportsFilled == 0 || count(t, d, "SELECT COUNT(*) FROM reports WHERE state = 'submitted'") != res.ReportsFilled {
			t.Errorf("reports submitted = %d", res.ReportsFilled)
		}
		// Every learner's and member's grant sits inside the tree.
		if n := count(t, d, "SELECT COUNT(*) FROM role_grants g WHERE g.unit_path <> '' AND NOT EXISTS (SELECT 1 FROM units u WHERE g.unit_path LIKE u.path || '%' AND u.level = 'province')"); n != 0 {
			t.Errorf("%d grants outside every province", n)
		}
		for _, step := range []string{"unit tree", "organisations", "officials", "guidance records", "learners", "training", "bridge points", "district reports"} {
			if !strings.Contains(bar.String(), step) {
				t.Errorf("progress output lacks step %q:\n%s", step, bar.String())
			}
		}
		if _, err := Run(context.Background(), services(t, d), Options{Profile: Province, Scale: 0.0005, Seed: 7}); err != ErrNotEmpty {
			t.Errorf("second run: err = %v, want ErrNotEmpty", err)
		}
	})
}

// A database with any account or organisation — a real administrator, the demo data — is refused
// before anything is written.
func TestRefusesDatabaseWithPeople(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		svc := services(t, d)
		sys := authz.WithActor(context.Background(), authz.System)
		if _, err := svc.Accounts.CreateUser(sys, accounts.NewUser{Username: "quan.tri.that", Password: "mật khẩu rất dài của tỉnh", Role: authz.ProvinceAdmin, UnitCode: "51"}); err != nil {
			t.Fatal(err)
		}
		if _, err := Run(context.Background(), svc, Options{Profile: Province, Scale: 0.0005, Seed: 7}); err != ErrNotEmpty {
			t.Fatalf("err = %v, want ErrNotEmpty", err)
		}
		if n := count(t, d, "SELECT COUNT(*) FROM users"); n != 1 {
			t.Errorf("%d users after a refused run, want the 1 that was there", n)
		}
		if n := count(t, d, "SELECT COUNT(*) FROM units WHERE level = 'village'"); n != 0 {
			t.Errorf("%d villages written by a refused run", n)
		}
	})
}

func TestSameSeedSameData(t *testing.T) {
	var digests []string
	for range 2 {
		d := dbtest.SQLite(t, schema.All())
		if _, err := Run(context.Background(), services(t, d), Options{Profile: Province, Scale: 0.0002, Seed: 11, Launch: launch,
			Now: launch.Add(72 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
		digests = append(digests, digest(t, d))
	}
	if digests[0] != digests[1] {
		t.Error("two runs with the same seed made different data")
	}
	d := dbtest.SQLite(t, schema.All())
	if _, err := Run(context.Background(), services(t, d), Options{Profile: Province, Scale: 0.0002, Seed: 12, Launch: launch,
		Now: launch.Add(72 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if digest(t, d) == digests[0] {
		t.Error("another seed made the same data")
	}
}

func TestNationalProfileReduced(t *testing.T) {
	if testing.Short() {
		t.Skip("national tree takes a few seconds")
	}
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		svcs := services(t, d)
		res, err := Run(context.Background(), svcs, Options{Profile: National, Scale: 0.0001, Seed: 3, Launch: launch2025,
			Now: launch2025.Add(72 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		checkNational2025(t, d, svcs, res)
		checkProvinceIsolation(t, d, svcs, res)
	})
}

// launch2025 is Quảng Ngãi's launch of "Bình dân học vụ số" in the provincial hall.
var launch2025 = time.Date(2025, 7, 28, 8, 0, 0, 0, time.FixedZone("ICT", 7*3600))

// checkNational2025: the national profile is the real 2025 map — 34 provinces, 3,321 communes
// directly under them, no district in force — and Quảng Ngãi's 2023 history, made on the 2023
// map, counts in today's units through the switch's roll-up.
func checkNational2025(t *testing.T, d *db.DB, s Services, res Result) {
	t.Helper()
	if res.Provinces != 34 || res.Communes != 3321 || res.Districts != 0 || res.Villages != 3321*res.Size.VillagesPerCommune {
		t.Errorf("2025 map: %d provinces, %d districts, %d communes, %d villages; want 34, 0, 3321, %d", res.Provinces, res.Districts, res.Communes,
			res.Villages, 3321*res.Size.VillagesPerCommune)
	}
	if n := count(t, d, "SELECT COUNT(*) FROM units WHERE valid_to = '' AND level = 'district'"); n != 0 {
		t.Errorf("%d districts in force on the 2025 map", n)
	}
	if n := count(t, d, "SELECT COUNT(*) FROM units WHERE valid_to = '' AND level = 'commune' AND parent_path = '/51/'"); n != 96 {
		t.Errorf("communes directly under Quảng Ngãi = %d, want 96", n)
	}
	// Every province is a real one of the 2025 list: its code and name as shipped.
	names := map[string]string{}
	for _, line := range strings.Split(string(units.Vietnam2025CSV()), "\n") {
		if f := strings.Split(line, ","); len(f) == 4 && f[2] == "province" {
			names[f[0]] = f[1]
		}
	}
	provinces, _ := s.Units.List(context.Background(), units.Filter{Level: units.Province})
	for _, p := range provinces {
		if names[p.Code] != p.Name {
			t.Errorf("province %s %q is not the 2025 list's %q", p.Code, p.Name, names[p.Code])
		}
	}
	if len(provinces) != 34 {
		t.Errorf("provinces in force = %d", len(provinces))
	}
	h := res.History
	if h == nil {
		t.Fatal("no 2023 history")
	}
	if h.Provinces != 1 || h.Districts != 13 || h.Communes != 173 || h.Ceremonies != 1 || h.BridgePoints != 187 || h.Periods != 1 || h.ReportsFilled == 0 {
		t.Errorf("2023 history = %+v", *h)
	}
	// The switch had old Kon Tum's units to retire too: nothing of the lineage is kept as lineage only.
	if sw := res.Switch; sw == nil || sw.Lineage != 277 || sw.LineageOnly != 0 || sw.Created != 33+3321 || len(sw.Splits) != 1 {
		t.Errorf("switch = %+v", res.Switch)
	}
	if got := count(t, d, "SELECT COUNT(*) FROM unit_rollup WHERE path = '/62/'"); got != 1 {
		t.Errorf("old Kon Tum has %d roll-up rows, want 1 (into Quảng Ngãi)", got)
	}
	// The history's records lie on the 2023 paths, as they were made; all but the split commune's
	// count today in a unit in force of Quảng Ngãi's 2025 map.
	hist := count(t, d, "SELECT COUNT(*) FROM outreach_records r JOIN units u ON u.path = r.unit_path WHERE u.valid_to <> ''")
	if int64(hist) != h.Size.Records {
		t.Errorf("records on retired units = %d, want the history's %d", hist, h.Size.Records)
	}
	split := count(t, d, "SELECT COUNT(*) FROM outreach_records WHERE unit_path LIKE '/51/525/21142/%'")
	// (PathNow's subquery names unit_rollup "r": the records are "o" here.)
	now := count(t, d, "SELECT COUNT(*) FROM outreach_records o JOIN units u ON u.path = "+units.PathNow("o.unit_path")+
		" WHERE u.valid_to = '' AND u.path LIKE '/51/%' AND o.unit_path LIKE '/51/5%'")
	if now+split != hist {
		t.Errorf("2023 records counted today in Quảng Ngãi's 2025 units = %d (+%d of the split commune), want %d", now, split, hist)
	}
	if got := count(t, d, "SELECT COUNT(*) FROM outreach_records"); int64(got) != res.Size.Records+h.Size.Records {
		t.Errorf("records = %d, want %d + %d", got, res.Size.Records, h.Size.Records)
	}
	// 2025: one ceremony per province, Quảng Ngãi's with 1 + 96 bridge points; the communes
	// report directly to the province.
	if res.BridgePoints != 34+3321 {
		t.Errorf("2025 bridge points = %d, want %d", res.BridgePoints, 34+3321)
	}
	var qn int64
	if err := d.Reader().QueryRowContext(context.Background(), "SELECT id FROM ceremonies WHERE province_code = '51' ORDER BY id DESC LIMIT 1").Scan(&qn); err != nil {
		t.Fatal(err)
	}
	if n := count(t, d, "SELECT COUNT(*) FROM bridge_points WHERE ceremony_id = ?", qn); n != 97 {
		t.Errorf("Quảng Ngãi's 2025 ceremony has %d bridge points, want 97", n)
	}
	if n := count(t, d, `SELECT COUNT(*) FROM report_assignments a JOIN report_periods p ON p.id = a.period_id
		WHERE p.province_code = '51' AND p.title = ? AND a.unit_path LIKE '/51/%' AND a.unit_path NOT LIKE '/51/%/%/'`, CommunePeriodTitle); n != 96 {
		t.Errorf("Quảng Ngãi's 2025 period assigns %d units directly under the province, want 96", n)
	}
	if n := count(t, d, "SELECT COUNT(*) FROM report_periods WHERE title = ? AND reporting_level = 'commune'", CommunePeriodTitle); n != 34 {
		t.Errorf("%d 2025 periods with the communes reporting, want 34", n)
	}
	if n := count(t, d, `SELECT COUNT(*) FROM reports r JOIN report_periods p ON p.id = r.period_id JOIN units u ON u.path = r.unit_path
		WHERE p.title = ? AND r.state = 'submitted' AND u.level = 'commune' AND u.valid_to = ''`, CommunePeriodTitle); n != res.ReportsFilled || n != 3*34 {
		t.Errorf("2025 commune reports submitted = %d (result %d), want 3 in each province", n, res.ReportsFilled)
	}
}

// checkProvinceIsolation: on the national profile every province holds its own ceremony, campaign
// and report period, and one province's administrator sees its own and reaches nobody else's.
func checkProvinceIsolation(t *testing.T, d *db.DB, s Services, res Result) {
	t.Helper()
	// At this scale some provinces have no team member, and so no campaign. Quảng Ngãi also has
	// its 2023 ceremony, campaign and period.
	if res.Ceremonies != 34 || res.Periods != 34 || res.Campaigns < 2 ||
		count(t, d, "SELECT COUNT(*) FROM outreach_campaigns") != res.Campaigns+res.History.Campaigns ||
		// The history's campaign was made first; the 2025 ones are one per province at most.
		count(t, d, "SELECT COUNT(DISTINCT province_code) FROM outreach_campaigns WHERE id > (SELECT MIN(id) FROM outreach_campaigns)") != res.Campaigns {
		t.Errorf("ceremonies %d, periods %d, campaigns %d (+%d of 2023; %d rows, %d provinces): want one each per province", res.Ceremonies, res.Periods, res.Campaigns,
			res.History.Campaigns, count(t, d, "SELECT COUNT(*) FROM outreach_campaigns"), count(t, d, "SELECT COUNT(DISTINCT province_code) FROM outreach_campaigns"))
	}
	if n := count(t, d, "SELECT COUNT(*) FROM outreach_records r JOIN outreach_campaigns c ON c.id = r.campaign_id WHERE r.unit_path NOT LIKE '/' || c.province_code || '/%'"); n != 0 {
		t.Errorf("%d records filed under another province's campaign", n)
	}
	if n := count(t, d, "SELECT COUNT(*) FROM bridge_points p JOIN ceremonies c ON c.id = p.ceremony_id WHERE p.unit_path NOT LIKE '/' || c.province_code || '/%'"); n != 0 {
		t.Errorf("%d bridge points of another province's tree", n)
	}
	out := outreach.NewService(d, s.Accounts)
	t.Cleanup(out.Close)
	as := func(username string) context.Context {
		u, err := s.Accounts.FindByUsername(context.Background(), username)
		if err != nil {
			t.Fatal(err)
		}
		return authz.WithActor(context.Background(), &authz.Actor{UserID: u.ID, Username: u.Username, Grants: u.Grants, Via: "session"})
	}
	haNoi, quangNgai := as("seed.admin.01"), as("seed.admin")
	var qnCeremony int64
	for _, c := range []struct {
		ctx      context.Context
		province string
		years    int // Quảng Ngãi has its 2023 history beside 2025
	}{{haNoi, "01", 1}, {quangNgai, "51", 2}} {
		cs, err := s.Ceremony.List(c.ctx)
		if err != nil || len(cs) != c.years {
			t.Errorf("%s's ceremonies: %v %+v", c.province, err, cs)
		}
		for _, cr := range cs {
			if cr.Province != c.province {
				t.Errorf("%s sees ceremony %d of %s", c.province, cr.ID, cr.Province)
			} else if c.province == "51" {
				qnCeremony = cr.ID
			}
		}
		ps, err := s.Reports.ListPeriods(c.ctx)
		if err != nil || len(ps) != c.years {
			t.Errorf("%s's periods: %v %+v", c.province, err, ps)
		}
		for _, p := range ps {
			if p.Province != c.province {
				t.Errorf("%s sees period %d of %s", c.province, p.ID, p.Province)
			}
		}
		camps, err := out.Campaigns(c.ctx)
		for _, cp := range camps {
			if cp.Province != c.province {
				t.Errorf("%s sees campaign %d of %s", c.province, cp.ID, cp.Province)
			}
		}
		if err != nil || len(camps) > c.years {
			t.Errorf("%s's campaigns: %v %d", c.province, err, len(camps))
		}
		users, err := s.Accounts.ListUsers(c.ctx, accounts.Filter{Limit: 1000})
		if err != nil || len(users) == 0 {
			t.Errorf("%s's users: %v %d", c.province, err, len(users))
		}
		for _, u := range users {
			for _, g := range u.Grants {
				if authz.ProvinceOfPath(g.UnitPath) != c.province {
					t.Errorf("%s's administrator lists %s of %s", c.province, u.Username, g.UnitPath)
				}
			}
		}
	}
	if _, err := s.Ceremony.Find(haNoi, qnCeremony); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("Hà Nội reading Quảng Ngãi's ceremony: %v", err)
	}
	if _, err := s.Ceremony.Launch(haNoi, qnCeremony); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("Hà Nội launching Quảng Ngãi's ceremony: %v", err)
	}
	if _, err := out.Progress(haNoi, "51", 0); err == nil {
		t.Errorf("Hà Nội read Quảng Ngãi's progress")
	}
	qnPeriods, _ := s.Reports.ListPeriods(quangNgai)
	for _, p := range qnPeriods {
		if _, err := s.Reports.PeriodStatus(haNoi, p.ID); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("Hà Nội reading Quảng Ngãi's period %d: %v", p.ID, err)
		}
	}
}

func TestSizeOf(t *testing.T) {
	for _, c := range []struct {
		profile string
		scale   float64
		ok      bool
	}{{Province, 1, true}, {National, 0.5, true}, {Province, 0, false}, {Province, 1.5, false}, {"country", 1, false}} {
		if _, err := SizeOf(c.profile, c.scale); (err == nil) != c.ok {
			t.Errorf("SizeOf(%q, %v): err = %v", c.profile, c.scale, err)
		}
	}
	s, _ := SizeOf(Province, 1)
	if s.Records != 10_000_000 || s.Learners != 1_000_000 || s.Members != 7500 {
		t.Errorf("province at full size = %+v", s)
	}
}

// Generators report a running total; the bar must show that total, not the sum of the totals
// (which once drew 100 % while most of the records were still to be written).
func TestProgressSetTakesRunningTotal(t *testing.T) {
	var out bytes.Buffer
	p := newProgress(&out)
	p.start("records", 1000)
	for _, done := range []int64{100, 200, 300} {
		p.set(done)
	}
	if p.done != 300 {
		t.Fatalf("done = %d after running totals 100, 200, 300; want 300", p.done)
	}
	if strings.Contains(out.String(), "100%") {
		t.Errorf("bar reached 100%% early:\n%s", out.String())
	}
	p.set(5000)
	if p.done != 1000 {
		t.Errorf("done = %d, want capped at the total 1000", p.done)
	}
}
