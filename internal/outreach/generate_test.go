package outreach_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/outreach"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/units"
)

// genWorld seeds the province, a few villages and n members (inserted directly: no password
// hashing), and returns the generator's member list.
func genWorld(t *testing.T, d *db.DB, n int) []outreach.GenMember { return genWorldTB(t, d, n) }

func genWorldTB(t testing.TB, d *db.DB, n int) []outreach.GenMember {
	t.Helper()
	ctx := authz.WithActor(context.Background(), authz.System)
	us := units.NewService(d)
	if _, err := us.SeedQuangNgai(ctx); err != nil {
		t.Fatal("seed: ", err)
	}
	list, err := us.List(ctx, units.Filter{ParentCode: "535", Limit: 20})
	if err != nil {
		t.Fatal(err)
	}
	var communes []units.Unit
	for _, c := range list {
		if !slices.ContainsFunc(communes, func(x units.Unit) bool { return x.Code == c.Code }) && len(communes) < 4 {
			communes = append(communes, c)
		}
	}
	if len(communes) < 4 {
		t.Fatalf("communes: %d", len(communes))
	}
	var places []string
	for ci, c := range communes[:3] {
		for v := range 3 + ci {
			u, err := us.CreateVillage(ctx, units.Unit{Name: fmt.Sprintf("Thôn Phát Sinh %d", v+1), ParentCode: c.Code})
			if err != nil {
				t.Fatal("village ", c.Code, v, err)
			}
			places = append(places, u.Code)
		}
	}
	places = append(places, communes[0].Code, communes[3].Code) // commune workers, one commune without villages
	var out []outreach.GenMember
	now := db.Millis(time.Now())
	err = d.WriteTx(ctx, func(tx *db.Tx) error {
		for i := range n {
			id, err := tx.InsertID(ctx, `INSERT INTO users (username, display_name, email, search_key, password_hash, must_change_password, created_at, updated_at)
				VALUES (?, ?, '', ?, '!', 0, ?, ?) RETURNING id`, fmt.Sprintf("tv.gen.%d", i), fmt.Sprintf("Thành viên %d", i), fmt.Sprintf("tv gen %d", i), now, now)
			if err != nil {
				return err
			}
			out = append(out, outreach.GenMember{UserID: id, UnitCode: places[(i*7)%len(places)]})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func queryMap(t *testing.T, d *db.DB, q string, args ...any) map[string]string {
	t.Helper()
	rows, err := d.Reader().QueryContext(context.Background(), q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	out := map[string]string{}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			parts[i] = fmt.Sprint(v)
		}
		out[parts[0]] = strings.Join(parts[1:], "|")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func sameMaps(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d rows, recount %d", what, len(got), len(want))
	}
	bad := 0
	for k, v := range want {
		if got[k] != v {
			if bad++; bad <= 5 {
				t.Errorf("%s %s: stored %q, recount %q", what, k, got[k], v)
			}
		}
	}
}

// TestGenerateMatchesRecount checks that every counter the generator writes equals a recount from
// the raw rows, as the write path keeps them, and that Progress reads the same totals.
func TestGenerateMatchesRecount(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		members := genWorld(t, d, 90)
		launch := time.Date(2023, 7, 5, 1, 0, 0, 0, time.UTC)
		// The large-load path: secondary indexes dropped during the load, built again after.
		defer outreach.SetGenDropIndexesFrom(1000)()
		indexes := func() string {
			q := "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'outreach_records' AND sql IS NOT NULL"
			if d.Engine == db.Postgres {
				q = "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'outreach_records'"
			}
			m := queryMap(t, d, q)
			return fmt.Sprint(len(m), m)
		}
		indexesBefore := indexes()
		var calls, indexCalls []int64
		var phases []string
		res, err := outreach.Generate(context.Background(), d, outreach.GenSpec{Seed: 11, Members: members, Records: 60000, Launch: launch,
			Progress: func(n int64) {
				if len(phases) > 0 {
					indexCalls = append(indexCalls, n)
				} else {
					calls = append(calls, n)
				}
			},
			Phase: func(step string, total int64) { phases = append(phases, fmt.Sprintf("%s:%d", step, total)) }})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%+v", res)
		if res.Records != 60000 || len(calls) == 0 || calls[len(calls)-1] != 60000 {
			t.Fatalf("records %d, progress calls %v", res.Records, calls)
		}
		// The index rebuild is announced as its own phase and counted index by index.
		if len(phases) != 1 || !strings.Contains(phases[0], "indexes") || len(indexCalls) == 0 ||
			fmt.Sprintf("%s:%d", phases[0][:strings.LastIndex(phases[0], ":")], indexCalls[len(indexCalls)-1]) != phases[0] {
			t.Errorf("phases %v, index progress %v", phases, indexCalls)
		}
		if res.Shared == 0 || res.Flagged == 0 || res.Citizens >= res.Records || res.Citizens < res.Records*9/10 {
			t.Errorf("citizens %d shared %d flagged %d of %d records", res.Citizens, res.Shared, res.Flagged, res.Records)
		}
		if got := indexes(); got != indexesBefore || !strings.Contains(got, "outreach_records_citizen") {
			t.Errorf("indexes after the load:\n%s\nbefore:\n%s", got, indexesBefore)
		}
		c := res.CampaignID
		// Teams: 5–8 members except in units with fewer members; leaders; several levels.
		sizes := queryMap(t, d, `SELECT t.id, t.level, COUNT(*), SUM(m.leader) FROM outreach_teams t JOIN outreach_team_members m ON m.team_id = t.id GROUP BY t.id, t.level`)
		levels := map[string]int{}
		for id, v := range sizes {
			var level string
			var n, leaders int
			fmt.Sscanf(strings.ReplaceAll(v, "|", " "), "%s %d %d", &level, &n, &leaders)
			levels[level]++
			if leaders != 1 || n > 12 {
				t.Errorf("team %s: %s", id, v)
			}
		}
		if levels["district"] == 0 || levels["commune"] == 0 || levels["village"] == 0 {
			t.Errorf("team levels %v", levels)
		}
		multi := queryMap(t, d, "SELECT user_id, COUNT(*) FROM outreach_team_members GROUP BY user_id HAVING COUNT(*) > 1")
		if len(multi) == 0 {
			t.Error("nobody is in teams at two levels")
		}
		inTeam := queryMap(t, d, "SELECT COUNT(DISTINCT user_id), 0 FROM outreach_team_members")
		if _, ok := inTeam[fmt.Sprint(len(members))]; !ok {
			t.Errorf("members in a team: %v of %d", inTeam, len(members))
		}
		// Every team membership has its grant.
		missing := queryMap(t, d, `SELECT m.user_id, t.unit_code FROM outreach_team_members m JOIN outreach_teams t ON t.id = m.team_id
			WHERE NOT EXISTS (SELECT 1 FROM role_grants g WHERE g.user_id = m.user_id AND g.role = 'team_member' AND g.unit_code = t.unit_code)`)
		if len(missing) > 0 {
			t.Errorf("memberships without grant: %v", missing)
		}

		// Counters against recounts.
		sameMaps(t, "unit records", queryMap(t, d, "SELECT unit_code, unit_path, records, flagged FROM outreach_unit_counts WHERE campaign_id = ?", c),
			queryMap(t, d, "SELECT unit_code, unit_path, COUNT(*), SUM(flagged) FROM outreach_records WHERE campaign_id = ? GROUP BY unit_code, unit_path", c))
		sameMaps(t, "unit citizens", queryMap(t, d, "SELECT unit_code, citizens FROM outreach_unit_counts WHERE campaign_id = ? AND citizens > 0", c),
			queryMap(t, d, `SELECT r.unit_code, COUNT(*) FROM outreach_records r WHERE r.campaign_id = ? AND r.id = (SELECT MIN(r2.id) FROM outreach_records r2
				WHERE r2.campaign_id = r.campaign_id AND r2.citizen_key = r.citizen_key) GROUP BY r.unit_code`, c))
		sameMaps(t, "members", queryMap(t, d, "SELECT member_id, records, citizens, last_at FROM outreach_member_counts WHERE campaign_id = ?", c),
			queryMap(t, d, "SELECT member_id, COUNT(*), COUNT(DISTINCT citizen_key), MAX(guided_at) FROM outreach_records WHERE campaign_id = ? GROUP BY member_id", c))
		homes := map[string]string{}
		for _, m := range members {
			homes[fmt.Sprint(m.UserID)] = m.UnitCode
		}
		for id, path := range queryMap(t, d, "SELECT member_id, home_path FROM outreach_member_counts WHERE campaign_id = ?", c) {
			if !strings.HasSuffix(path, "/"+homes[id]+"/") {
				t.Errorf("member %s home %s, works in %s", id, path, homes[id])
			}
		}
		sameMaps(t, "citizens", queryMap(t, d, "SELECT citizen_key, first_member_id, shared FROM outreach_citizens WHERE campaign_id = ?", c),
			queryMap(t, d, `SELECT r.citizen_key, r.member_id, CASE WHEN (SELECT COUNT(DISTINCT r2.member_id) FROM outreach_records r2 WHERE r2.campaign_id = r.campaign_id
				AND r2.citizen_key = r.citizen_key) > 1 THEN 1 ELSE 0 END FROM outreach_records r WHERE r.campaign_id = ? AND r.id = (SELECT MIN(r2.id) FROM outreach_records r2
				WHERE r2.campaign_id = r.campaign_id AND r2.citizen_key = r.citizen_key)`, c))
		wrongFlags := queryMap(t, d, `SELECT r.id, r.flagged FROM outreach_records r JOIN outreach_citizens x ON x.campaign_id = r.campaign_id AND x.citizen_key = r.citizen_key
			WHERE r.campaign_id = ? AND r.flagged <> x.shared`, c)
		if len(wrongFlags) > 0 {
			t.Errorf("%d records flagged unlike their citizen", len(wrongFlags))
		}
		sameMaps(t, "pairs", queryMap(t, d, "SELECT member_id, COUNT(*) FROM outreach_member_citizens WHERE campaign_id = ? GROUP BY member_id", c),
			queryMap(t, d, "SELECT member_id, COUNT(DISTINCT citizen_key) FROM outreach_records WHERE campaign_id = ? GROUP BY member_id", c))
		// Dimensions: recounted from the codes.
		want := map[string]int64{}
		rows, err := d.Reader().QueryContext(context.Background(), "SELECT unit_code, skills, platforms, guided_at FROM outreach_records WHERE campaign_id = ?", c)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var u, sk, pl string
			var guided int64
			if err := rows.Scan(&u, &sk, &pl, &guided); err != nil {
				t.Fatal(err)
			}
			want[u+"/"+outreach.DayDim(time.UnixMilli(guided))]++
			for _, k := range strings.Split(sk, ",") {
				want[u+"/skill:"+k]++
			}
			if pl != "" {
				for _, k := range strings.Split(pl, ",") {
					want[u+"/platform:"+k]++
				}
			}
		}
		rows.Close()
		wantS := map[string]string{}
		for k, v := range want {
			wantS[k] = fmt.Sprint(v)
		}
		sameMaps(t, "dims", queryMap(t, d, "SELECT unit_code || '/' || dim, n FROM outreach_dim_counts WHERE campaign_id = ?", c), wantS)

		// Records are valid input: in the window, real phones, content hashes of their content.
		bad := queryMap(t, d, "SELECT id, guided_at FROM outreach_records WHERE campaign_id = ? AND (guided_at < ? OR guided_at >= ?)", c, db.Millis(launch), db.Millis(launch.Add(7*24*time.Hour)))
		if len(bad) > 0 {
			t.Errorf("%d records outside the window", len(bad))
		}
		rows, err = d.Reader().QueryContext(context.Background(), "SELECT citizen_name, birth_year, phone, citizen_key, unit_code FROM outreach_records WHERE campaign_id = ? ORDER BY id LIMIT 3000", c)
		if err != nil {
			t.Fatal(err)
		}
		noPhone := 0
		for rows.Next() {
			var name, phone, key, unit string
			var year int
			if err := rows.Scan(&name, &year, &phone, &key, &unit); err != nil {
				t.Fatal(err)
			}
			in := outreach.RecordInput{ClientID: uuid(1), Citizen: outreach.Citizen{Name: name, BirthYear: year, Phone: phone}, Skills: []string{"dvc_tinh"}, GuidedAt: launch,
				Consent: &outreach.Consent{Given: true, Version: "v1"}}
			if err := in.Normalize(launch.Add(time.Hour)); err != nil || in.Citizen.Name != name || in.Citizen.Phone != phone {
				t.Fatalf("generated citizen %q %d %q refused: %v", name, year, phone, err)
			}
			if phone == "" {
				noPhone++
			}
			if outreach.CitizenKey(name, year, phone, unit) != key {
				t.Fatalf("citizen key of %q %q", name, phone)
			}
		}
		rows.Close()
		if noPhone == 0 {
			t.Error("every citizen has a phone")
		}

		// Progress agrees with the totals.
		svc := outreach.NewService(d, nil)
		defer svc.Close()
		svc.Now = func() time.Time { return launch.Add(24 * time.Hour) }
		ctx := authz.WithActor(context.Background(), &authz.Actor{UserID: 1, Grants: []authz.Grant{{Role: authz.ProvinceAdmin, UnitCode: "51", UnitPath: "/51/"}}})
		p, err := svc.Progress(ctx, "51", c)
		if err != nil {
			t.Fatal(err)
		}
		if p.Records != res.Records || p.Citizens != res.Citizens || p.Flagged != res.Flagged || p.Members != len(members) {
			t.Errorf("progress %d records %d citizens %d flagged %d members; generated %+v", p.Records, p.Citizens, p.Flagged, p.Members, res)
		}
	})
}

// TestGenerateDeterministic checks that a seed gives the same rows.
func TestGenerateDeterministic(t *testing.T) {
	digest := func(seed uint64, run string) string {
		var out string
		// Distinct names: a '#' that Go adds to a repeated subtest name would end the SQLite URL.
		t.Run(fmt.Sprintf("seed%d%s", seed, run), func(t *testing.T) {
			d := dbtest.SQLite(t, schema.All())
			members := genWorld(t, d, 40)
			res, err := outreach.Generate(context.Background(), d, outreach.GenSpec{Seed: seed, Members: members, Records: 3000, Launch: time.Date(2023, 7, 5, 1, 0, 0, 0, time.UTC)})
			if err != nil {
				t.Fatal(err)
			}
			h := sha256.New()
			for _, q := range []string{
				"SELECT id, client_id || content_hash || member_id || unit_code || citizen_name || birth_year || phone || skills || platforms || evidence || consent_version || guided_at || created_at || flagged FROM outreach_records",
				"SELECT id, name || unit_code FROM outreach_teams", "SELECT team_id || '/' || user_id, leader FROM outreach_team_members",
				"SELECT member_id, records || '/' || citizens FROM outreach_member_counts"} {
				m := queryMap(t, d, q)
				for _, k := range sortedStrings(m) {
					fmt.Fprintf(h, "%s=%s\n", k, m[k])
				}
			}
			out = hex.EncodeToString(h.Sum(nil)) + fmt.Sprint(res.Records)
		})
		return out
	}
	a, b, c := digest(5, "a"), digest(5, "b"), digest(6, "a")
	if a == "" || a != b {
		t.Errorf("same seed, different data: %s / %s", a, b)
	}
	if a == c {
		t.Error("different seeds, same data")
	}
}

func sortedStrings(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// BenchmarkGenerate measures the generator on SQLite (records/s).
func BenchmarkGenerate(b *testing.B) {
	for range b.N {
		d := dbtest.SQLite(b, schema.All())
		members := genWorldTB(b, d, 300)
		res, err := outreach.Generate(context.Background(), d, outreach.GenSpec{Seed: 1, Members: members, Records: 200000, Launch: time.Date(2023, 7, 5, 1, 0, 0, 0, time.UTC)})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(res.RecordsPerSec, "records/s")
	}
}
