package main

import (
	"context"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/outreach"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
)

// The generated province: every commune of Quảng Ngãi with villagesPerCommune villages, and the
// members of its teams spread over the communes (about 7,500 in 2023).
const villagesPerCommune = 10

type genState struct {
	d        *db.DB
	campaign int64
	villages [][]commune // per commune
	members  []int64     // user ids; member i belongs to commune i % len(communes)
	rng      *mrand.Rand
	done     int
	// counters, as the insert path would have kept them
	unit       map[string]*[3]int64 // village code → records, citizens, flagged
	unitPath   map[string]string
	dims       map[string]map[string]int64
	memberRec  map[int64]*[2]int64 // records, citizens
	memberHome map[int64]string
}

func newGen(d *db.DB, nMembers int) *genState {
	ctx := context.Background()
	cs := communes(d)
	g := &genState{d: d, rng: mrand.New(mrand.NewPCG(7, 2023)), unit: map[string]*[3]int64{}, unitPath: map[string]string{},
		dims: map[string]map[string]int64{}, memberRec: map[int64]*[2]int64{}, memberHome: map[int64]string{}}
	now := db.Millis(time.Now())
	check(d.WriteTx(ctx, func(tx *db.Tx) error {
		for _, c := range cs {
			var vs []commune
			for i := range villagesPerCommune {
				code := fmt.Sprintf("%s-t%02d", c.code, i+1)
				path := c.path + code + "/"
				if _, err := tx.ExecContext(ctx, `INSERT INTO units (code, name, level, type, parent_code, path, search_key, valid_from, valid_to, created_at, updated_at)
					VALUES (?, ?, 'village', 'thon', ?, ?, ?, '', '', ?, ?)`, code, fmt.Sprintf("Thôn %d", i+1), c.code, path, fmt.Sprintf("thon %d", i+1), now, now); err != nil {
					return err
				}
				vs = append(vs, commune{code, path})
			}
			g.villages = append(g.villages, vs)
		}
		return nil
	}))
	g.members = bulkMembers(d, nMembers, cs)
	for i, id := range g.members {
		g.memberHome[id] = cs[i%len(cs)].path
	}
	svc := outreach.NewService(d, accounts.NewService(d))
	defer svc.Close()
	check(svc.SeedSkills(sys))
	c, err := svc.CreateCampaign(sys, outreach.Campaign{Name: "Bench 7 ngày", LaunchAt: time.Now().Add(-48 * time.Hour)})
	check(err)
	g.campaign = c.ID
	return g
}

var benchSkills = []string{"dvc_quocgia", "dvc_tinh", "khong_tien_mat", "thanh_toan_truc_tuyen"}

// generate adds records up to total, with the rows the insert path writes (record, citizen key,
// member–citizen pair), in multi-row inserts, then rewrites the counter tables from the counts
// kept in memory. About 3% of records are a citizen already guided by another member (flagged).
func (g *genState) generate(total int) time.Duration {
	ctx := context.Background()
	start := time.Now()
	const perStmt = 300
	const perTx = 30000
	launch := time.Now().Add(-48 * time.Hour).UnixMilli()
	for g.done < total {
		end := min(total, g.done+perTx)
		check(g.d.WriteTx(ctx, func(tx *db.Tx) error {
			for lo := g.done; lo < end; lo += perStmt {
				hi := min(end, lo+perStmt)
				var rec, cit, mc strings.Builder
				rec.WriteString(`INSERT INTO outreach_records (client_id, content_hash, campaign_id, member_id, unit_code, unit_path, citizen_name, birth_year, phone,
					citizen_key, skills, platforms, evidence, location, consent_version, guided_at, created_at, flagged) VALUES `)
				cit.WriteString("INSERT INTO outreach_citizens (campaign_id, citizen_key, first_member_id, shared) VALUES ")
				mc.WriteString("INSERT INTO outreach_member_citizens (campaign_id, member_id, citizen_key) VALUES ")
				var ra, ca, ma []any
				nc := 0
				for i := lo; i < hi; i++ {
					mi := g.rng.IntN(len(g.members))
					member := g.members[mi]
					vs := g.villages[mi%len(g.villages)]
					v := vs[g.rng.IntN(len(vs))]
					idx := i
					if i > 100 && g.rng.IntN(100) < 3 {
						idx = g.rng.IntN(i)
					}
					key := fmt.Sprintf("%032x", idx)
					newCitizen := idx == i
					ns := 1 + g.rng.IntN(3)
					skills := slices.Clone(benchSkills[:ns])
					platforms := ""
					if g.rng.IntN(2) == 0 {
						platforms = "vneid"
					}
					flag := 0
					if !newCitizen {
						flag = 1
					}
					if i > lo {
						rec.WriteString(", ")
					}
					rec.WriteString("(?, 'h', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', '', 'v1', ?, ?, ?)")
					ra = append(ra, fmt.Sprintf("00000000-0000-4000-8000-%012d", i), g.campaign, member, v.code, v.path, fmt.Sprintf("Người dân %d", idx),
						1940+idx%60, fmt.Sprintf("09%08d", idx%100000000), key, strings.Join(skills, ","), platforms, launch+int64(i%150000000), launch+int64(i%150000000), flag)
					if newCitizen {
						if nc > 0 {
							cit.WriteString(", ")
						}
						cit.WriteString("(?, ?, ?, 0)")
						ca = append(ca, g.campaign, key, member)
						nc++
					}
					if i > lo {
						mc.WriteString(", ")
					}
					mc.WriteString("(?, ?, ?)")
					ma = append(ma, g.campaign, member, key)
					// counters
					u := g.unit[v.code]
					if u == nil {
						u = &[3]int64{}
						g.unit[v.code], g.unitPath[v.code] = u, v.path
						g.dims[v.code] = map[string]int64{}
					}
					u[0]++
					if newCitizen {
						u[1]++
					} else {
						u[2]++
					}
					for _, s := range skills {
						g.dims[v.code]["skill:"+s]++
					}
					if platforms != "" {
						g.dims[v.code]["platform:vneid"]++
					}
					m := g.memberRec[member]
					if m == nil {
						m = &[2]int64{}
						g.memberRec[member] = m
					}
					m[0]++
					m[1]++
				}
				if _, err := tx.ExecContext(ctx, rec.String(), ra...); err != nil {
					return err
				}
				if nc > 0 {
					if _, err := tx.ExecContext(ctx, cit.String(), ca...); err != nil {
						return err
					}
				}
				if _, err := tx.ExecContext(ctx, mc.String()+" ON CONFLICT DO NOTHING", ma...); err != nil {
					return err
				}
			}
			return nil
		}))
		g.done = end
		if g.done%300000 == 0 || g.done == total {
			el := time.Since(start)
			fmt.Fprintf(os.Stderr, "  generated %d records (%.0f/s)\n", g.done, float64(g.done)/el.Seconds())
		}
	}
	// The counter tables, rewritten from the counts.
	check(g.d.WriteTx(ctx, func(tx *db.Tx) error {
		for _, q := range []string{"DELETE FROM outreach_unit_counts WHERE campaign_id = ?", "DELETE FROM outreach_dim_counts WHERE campaign_id = ?", "DELETE FROM outreach_member_counts WHERE campaign_id = ?"} {
			if _, err := tx.ExecContext(ctx, q, g.campaign); err != nil {
				return err
			}
		}
		for code, u := range g.unit {
			if _, err := tx.ExecContext(ctx, "INSERT INTO outreach_unit_counts (campaign_id, unit_code, unit_path, records, citizens, flagged) VALUES (?, ?, ?, ?, ?, ?)",
				g.campaign, code, g.unitPath[code], u[0], u[1], u[2]); err != nil {
				return err
			}
			for dim, n := range g.dims[code] {
				if _, err := tx.ExecContext(ctx, "INSERT INTO outreach_dim_counts (campaign_id, unit_code, unit_path, dim, n) VALUES (?, ?, ?, ?, ?)",
					g.campaign, code, g.unitPath[code], dim, n); err != nil {
					return err
				}
			}
		}
		for id, m := range g.memberRec {
			if _, err := tx.ExecContext(ctx, "INSERT INTO outreach_member_counts (campaign_id, member_id, home_path, records, citizens, last_at) VALUES (?, ?, ?, ?, ?, ?)",
				g.campaign, id, g.memberHome[id], m[0], m[1], launch); err != nil {
				return err
			}
		}
		return nil
	}))
	if g.d.Engine == db.Postgres {
		_, err := g.d.SQL().ExecContext(ctx, "ANALYZE")
		check(err)
	} else {
		check(g.d.WriteTx(ctx, func(tx *db.Tx) error { _, err := tx.ExecContext(ctx, "ANALYZE"); return err }))
	}
	return time.Since(start)
}

// timeProgress times Service.Progress at province level q times after a warm-up.
func timeProgress(d *db.DB, q int, unit string) (p50, p95, worst time.Duration, p outreach.Progress) {
	svc := outreach.NewService(d, accounts.NewService(d))
	defer svc.Close()
	ctx := authz.WithActor(context.Background(), &authz.Actor{UserID: 1, Username: "so.tttt", Grants: []authz.Grant{{Role: authz.ProvinceAdmin, UnitCode: "51", UnitPath: "/51/"}}})
	var err error
	for range 3 {
		p, err = svc.Progress(ctx, unit, 0)
		check(err)
	}
	ds := make([]time.Duration, 0, q)
	for range q {
		t0 := time.Now()
		p, err = svc.Progress(ctx, unit, 0)
		check(err)
		ds = append(ds, time.Since(t0))
	}
	slices.Sort(ds)
	return pct(ds, 0.5), pct(ds, 0.95), ds[len(ds)-1], p
}

// timeScan is the baseline: the same headline figures counted from the raw records.
func timeScan(d *db.DB, campaign int64) time.Duration {
	var ds []time.Duration
	for range 3 {
		t0 := time.Now()
		var n, c int64
		check(d.Reader().QueryRowContext(context.Background(),
			"SELECT COUNT(*), COUNT(DISTINCT citizen_key) FROM outreach_records WHERE campaign_id = ? AND unit_path LIKE ?", campaign, "/51/%").Scan(&n, &c))
		ds = append(ds, time.Since(t0))
	}
	slices.Sort(ds)
	return ds[1]
}

func progress(w io.Writer, o options) {
	d, closeDB := openFresh(o, "OFF")
	defer closeDB()
	g := newGen(d, 7500)
	fmt.Fprintf(w, "### Province-level progress (%s)\n\n", o.engine)
	fmt.Fprintf(w, "Generated province: 173 communes × %d villages, %d members, one campaign; about 3%% of records name a citizen another member already guided. "+
		"Generator: `bench/outreach/generate.go` (multi-row inserts of the rows the API writes: record, citizen key, member–citizen pair; counters rewritten from the counts). "+
		"%d timed queries of `Service.Progress(\"51\")` per size after 3 warm-ups; baseline: `COUNT(*), COUNT(DISTINCT citizen_key)` over the raw records, median of 3.\n\n",
		villagesPerCommune, len(g.members), o.queries)
	fmt.Fprintln(w, "| Records | generated in | progress p50 | p95 | max | baseline scan (median) | records / distinct citizens / members met |")
	fmt.Fprintln(w, "| --- | --- | --- | --- | --- | --- | --- |")
	for _, size := range []int{o.records / 10, o.records} {
		gen := g.generate(size)
		p50, p95, worst, p := timeProgress(d, o.queries, "51")
		scan := timeScan(d, g.campaign)
		fmt.Fprintf(w, "| %d | %v | %v | %v | %v | %v | %d / %d / %d of %d |\n", size, gen.Round(time.Second), p50.Round(10*time.Microsecond), p95.Round(10*time.Microsecond),
			worst.Round(10*time.Microsecond), scan.Round(time.Millisecond), p.Records, p.Citizens, p.MembersMet, p.Members)
	}
	fmt.Fprintln(w)
}
