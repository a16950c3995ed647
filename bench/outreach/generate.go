package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/lantoa/lantoa/bench/internal/benchkit"
	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/outreach"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
)

// The generated province: every commune of Quảng Ngãi with villagesPerCommune villages, and the
// members of its teams spread over the villages and communes (about 7,500 in 2023).
const villagesPerCommune = 10

// genProvince builds a fresh province of nMembers members and fills one campaign with records
// records through outreach.Generate (the one generator: teams, records and counters as the write
// path keeps them). It returns the generator's result.
func genProvince(d *db.DB, nMembers int, records int) outreach.GenResult {
	ctx := context.Background()
	cs := communes(d)
	var places []string
	now := db.Millis(time.Now())
	check(d.WriteTx(ctx, func(tx *db.Tx) error {
		var rows [][]any
		for _, c := range cs {
			for i := range villagesPerCommune {
				code := fmt.Sprintf("%s-t%02d", c.code, i+1)
				rows = append(rows, []any{code, fmt.Sprintf("Thôn %d", i+1), c.code, c.path + code + "/", fmt.Sprintf("thon %d", i+1), now, now})
				places = append(places, code)
			}
			places = append(places, c.code) // some members work at the commune
		}
		return tx.InsertRows(ctx, "units", []string{"code", "name", "level", "type", "parent_code", "path", "search_key", "valid_from", "valid_to", "created_at", "updated_at"},
			withVillage(rows), "", nil)
	}))
	members := bulkUsers(d, nMembers)
	spec := outreach.GenSpec{Seed: 2023, Records: int64(records), Launch: time.Now().Add(-48 * time.Hour), Until: time.Now()}
	for i, id := range members {
		spec.Members = append(spec.Members, outreach.GenMember{UserID: id, UnitCode: places[(i*7919)%len(places)]})
	}
	spec.Progress = func(done int64) { fmt.Fprintf(os.Stderr, "\r  generated %d/%d records", done, records) }
	res, err := outreach.Generate(ctx, d, spec)
	check(err)
	fmt.Fprintf(os.Stderr, "\r  generated %d records in %v (%.0f/s), %d teams\n", res.Records, res.Elapsed.Round(time.Second), res.RecordsPerSec, res.Teams)
	if d.Engine == db.Postgres {
		_, err := d.SQL().ExecContext(ctx, "ANALYZE")
		check(err)
	} else {
		check(d.WriteTx(ctx, func(tx *db.Tx) error { _, err := tx.ExecContext(ctx, "ANALYZE"); return err }))
	}
	return res
}

func withVillage(rows [][]any) [][]any {
	out := make([][]any, len(rows))
	for i, r := range rows {
		out[i] = []any{r[0], r[1], "village", "thon", r[2], r[3], r[4], "", "", r[5], r[6]}
	}
	return out
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
	return benchkit.NearestRank(ds, 0.5), benchkit.NearestRank(ds, 0.95), ds[len(ds)-1], p
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
	m, _, _ := benchkit.UpperMedian(ds)
	return m
}

func progress(w io.Writer, o options) {
	if o.seeded != "" {
		progressSeeded(w, o)
		return
	}
	fmt.Fprintf(w, "### Province-level progress (%s)\n\n", o.engine)
	fmt.Fprintf(w, "Generated province: 173 communes × %d villages, 7500 members in teams at district, commune and village level, one campaign; about 3%% of records name a citizen another member already guided. "+
		"Generator: `outreach.Generate` (`internal/outreach/generate.go`: the rows and counters the API writes, in multi-row inserts), on a fresh database per size. "+
		"%d timed queries of `Service.Progress(\"51\")` per size after 3 warm-ups; baseline: `COUNT(*), COUNT(DISTINCT citizen_key)` over the raw records, median of 3.\n\n",
		villagesPerCommune, o.queries)
	fmt.Fprintln(w, "| Records | generated in (records/s) | progress p50 | p95 | max | baseline scan (median) | records / distinct citizens / members met |")
	fmt.Fprintln(w, "| --- | --- | --- | --- | --- | --- | --- |")
	for _, size := range []int{o.records / 10, o.records} {
		d, closeDB := openFresh(o, "OFF")
		res := genProvince(d, 7500, size)
		p50, p95, worst, p := timeProgress(d, o.queries, "51")
		scan := timeScan(d, res.CampaignID)
		fmt.Fprintf(w, "| %d | %v (%.0f/s) | %v | %v | %v | %v | %d / %d / %d of %d |\n", size, res.Elapsed.Round(time.Second), res.RecordsPerSec, p50.Round(10*time.Microsecond), p95.Round(10*time.Microsecond),
			worst.Round(10*time.Microsecond), scan.Round(time.Millisecond), p.Records, p.Citizens, p.MembersMet, p.Members)
		if os.Getenv("BENCH_KEEP_DB") != "" {
			fmt.Fprintf(os.Stderr, "  kept %s\n", d.Source)
		} else {
			closeDB()
		}
	}
	fmt.Fprintln(w)
}

// progressSeeded times the province's progress on a database made by `lantoa seed --profile
// province` (the same generator behind every benchmark of generated data).
func progressSeeded(w io.Writer, o options) {
	d, err := db.Open(context.Background(), o.seeded, db.Options{})
	check(err)
	defer d.Close()
	// Quảng Ngãi's campaign: on the national profile each province has its own.
	var campaign, records int64
	check(d.Reader().QueryRowContext(context.Background(), "SELECT MAX(id) FROM outreach_campaigns WHERE province_code = '51'").Scan(&campaign))
	check(d.Reader().QueryRowContext(context.Background(), "SELECT COUNT(*) FROM outreach_records").Scan(&records))
	fmt.Fprintf(w, "### Province-level progress on a seeded database (%s)\n\n", o.engine)
	fmt.Fprintf(w, "%d timed queries of `Service.Progress(\"51\")` after 3 warm-ups, on `lantoa seed --profile province` data; baseline: `COUNT(*), COUNT(DISTINCT citizen_key)` over the raw records, median of 3.\n\n", o.queries)
	fmt.Fprintln(w, "| Records | progress p50 | p95 | max | baseline scan (median) | records / distinct citizens / members met |")
	fmt.Fprintln(w, "| --- | --- | --- | --- | --- | --- |")
	p50, p95, worst, p := timeProgress(d, o.queries, "51")
	scan := timeScan(d, campaign)
	// What the progress says must be what the records say: the campaign's records under the
	// province, counted raw.
	var raw int64
	check(d.Reader().QueryRowContext(context.Background(), "SELECT COUNT(*) FROM outreach_records WHERE campaign_id = ? AND unit_path LIKE ?", campaign, "/51/%").Scan(&raw))
	if p.Campaign.ID != campaign || p.Records != raw {
		fail(fmt.Sprintf("progress of 51 read campaign %d with %d records; the raw records of campaign %d number %d", p.Campaign.ID, p.Records, campaign, raw))
	}
	fmt.Fprintf(w, "| %d | %v | %v | %v | %v | %d / %d / %d of %d |\n\n", records, p50.Round(10*time.Microsecond), p95.Round(10*time.Microsecond),
		worst.Round(10*time.Microsecond), scan.Round(time.Millisecond), p.Records, p.Citizens, p.MembersMet, p.Members)
}
