// Command switch times the map switch of a province holding many guidance records: `lantoa
// import units --effective 2025-07-01 --lineage …` on the plan's 2023 Quảng Ngãi, the one
// command that moves a database to the 2025 map. The switch writes units, lineage and roll-up
// rows and moves what lives on (the hooks modules register, e.g. teams); it does not rewrite
// records, so its duration should not grow with them. This driver checks that claim at several
// sizes and, on the largest, times counting a unit's records "as it is now" (rolled up) against
// "as it was" (the plain path).
//
//	go run ./bench/switch -dir /tmp/lantoa-switch -sizes 0,1000000,10000000 -runs 3 -out switch.md
//
// For each size a source database is generated once into DIR (kept for re-runs: delete it to
// regenerate): the 2023 tree, 10 villages per commune, 7,500 team members and the records of one
// campaign through outreach.Generate. Each run copies the source and runs the command on the copy
// with the lantoa binary (built from this tree unless -lantoa names one); the baseline, on the
// same copy before the switch, re-imports the 2023 map the database already holds (the same
// process start, migration check and one transaction over the units, changing nothing).
package main

import (
	"bytes"
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lantoa/lantoa/bench/internal/benchkit"
	"github.com/lantoa/lantoa/internal/outreach"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/units"
)

const (
	villagesPerCommune = 10
	members            = 7500
)

var launch = time.Date(2023, 7, 28, 8, 30, 0, 0, time.FixedZone("ICT", 7*3600))

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "switch: "+format+"\n", args...)
	os.Exit(1)
}

func check(err error) {
	if err != nil {
		fail("%v", err)
	}
}

func main() {
	dir := flag.String("dir", filepath.Join(os.TempDir(), "lantoa-switch"), "where the source databases are generated and kept")
	sizesFlag := flag.String("sizes", "0,1000000,10000000", "record counts, comma-separated")
	runs := flag.Int("runs", 3, "switches per size (each on a fresh copy)")
	queries := flag.Int("queries", 20, "timed counts per query on the largest size")
	bin := flag.String("lantoa", "", "lantoa binary (default: built from this tree into DIR)")
	out := flag.String("out", "", "write the Markdown report here too")
	generateOnly := flag.Bool("generate-only", false, "generate the missing source databases and stop (to time later, on a quiet machine)")
	flag.Parse()
	var sizes []int64
	for _, s := range strings.Split(*sizesFlag, ",") {
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil || n < 0 {
			fail("-sizes: %q", s)
		}
		sizes = append(sizes, n)
	}
	check(os.MkdirAll(*dir, 0o755))
	if *generateOnly {
		for _, n := range sizes {
			if src := filepath.Join(*dir, fmt.Sprintf("src-%d.db", n)); !exists(src) {
				fmt.Fprintf(os.Stderr, "%d records generated in %v\n", n, generate(src, n).Round(time.Second))
			}
		}
		return
	}
	if *bin == "" {
		*bin = filepath.Join(*dir, "lantoa")
		root, err := benchkit.ModuleRoot()
		check(err)
		cmd := exec.Command("go", "build", "-o", *bin, "./cmd/lantoa")
		cmd.Dir, cmd.Stderr = root, os.Stderr
		check(cmd.Run())
	}
	var w bytes.Buffer
	fmt.Fprintf(&w, "### Map switch of Quảng Ngãi by records held (SQLite, %d runs per size, load at start %s)\n\n", *runs, benchkit.LoadAvg())
	fmt.Fprintln(&w, "| Records | generated in | switch (`lantoa import units`) median (min–max) | baseline: re-import of the 2023 map, median | switch ÷ baseline | units only, no module hook (one run, in process) | verified after the switch |")
	fmt.Fprintln(&w, "| --- | --- | --- | --- | --- | --- | --- |")
	var last string
	for _, n := range sizes {
		src := filepath.Join(*dir, fmt.Sprintf("src-%d.db", n))
		took := "kept from an earlier run"
		if !exists(src) {
			took = generate(src, n).Round(time.Second).String()
		}
		// First, on a fresh copy, in this process, with no module hook registered: the units' own
		// part of the switch (units, lineage, roll-up rows), the rest of the command's being the
		// hooks'. The copies of the timed runs follow; the last one is kept, switched.
		work := filepath.Join(*dir, "work.db")
		copyDB(src, work)
		timeCmd(*bin, "migrate", "--db", work)
		bare := unitsOnly(work)
		var sw, base []time.Duration
		var verified string
		for r := range *runs {
			copyDB(src, work)
			// Migrations a newer binary brings run here, untimed, not in the first timed command.
			timeCmd(*bin, "migrate", "--db", work)
			base = append(base, timeCmd(*bin, "import", "units", "--db", work, "embedded:quang-ngai-2023-units.csv"))
			sw = append(sw, timeCmd(*bin, "import", "units", "--db", work, "--effective", "2025-07-01",
				"--lineage", "embedded:quang-ngai-2025-lineage.csv", "embedded:vietnam-units-2025.csv"))
			verified = verify(work, n)
			fmt.Fprintf(os.Stderr, "  %d records, run %d: switch %v, baseline %v\n", n, r+1, sw[r].Round(time.Millisecond), base[r].Round(time.Millisecond))
		}
		ms, lo, hi := benchkit.UpperMedian(sw)
		mb, _, _ := benchkit.UpperMedian(base)
		fmt.Fprintf(&w, "| %d | %s | **%s** (%s–%s) | %s | %.2f | %s | %s |\n", n, took, benchkit.Ms(ms), benchkit.Ms(lo), benchkit.Ms(hi), benchkit.Ms(mb),
			float64(ms)/float64(mb), benchkit.Ms(bare), verified)

		last = filepath.Join(*dir, fmt.Sprintf("switched-%d.db", n))
		check(os.Rename(filepath.Join(*dir, "work.db"), last))
		removeSidecars(filepath.Join(*dir, "work.db"))
	}
	fmt.Fprintln(&w)
	if last != "" && *queries > 0 {
		nowWas(&w, last, *queries)
	}
	os.Stdout.Write(w.Bytes())
	if *out != "" {
		check(os.WriteFile(*out, w.Bytes(), 0o644))
	}
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// generate makes a source database: the plan's 2023 tree with villages, members and n records.
func generate(path string, n int64) time.Duration {
	started := time.Now()
	ctx := context.Background()
	sys := authz.WithActor(ctx, authz.System)
	d, err := db.Open(ctx, path, db.Options{Synchronous: "OFF"})
	check(err)
	_, err = d.Migrate(ctx, schema.All())
	check(err)
	us := units.NewService(d)
	_, err = us.SeedQuangNgai(sys)
	check(err)
	out := outreach.NewService(d, nil)
	check(out.SeedSkills(ctx))
	out.Close()
	communes, err := us.List(ctx, units.Filter{Level: units.Commune, Limit: 1000})
	check(err)
	var csv strings.Builder
	csv.WriteString("code,name,level,parent_code\n")
	var places []string
	for _, c := range communes {
		for v := range villagesPerCommune {
			code := fmt.Sprintf("%s-%02d", c.Code, v+1)
			fmt.Fprintf(&csv, "%s,Thôn %d,village,%s\n", code, v+1, c.Code)
			places = append(places, code)
		}
		places = append(places, c.Code) // some members work at the commune
	}
	_, err = us.Import(sys, strings.NewReader(csv.String()))
	check(err)
	ids := bulkUsers(d, members)
	spec := outreach.GenSpec{Seed: 2023, Records: n, Launch: launch, Province: "51"}
	for i, id := range ids {
		spec.Members = append(spec.Members, outreach.GenMember{UserID: id, UnitCode: places[(i*7919)%len(places)]})
	}
	spec.Progress = func(done int64) { fmt.Fprintf(os.Stderr, "\r  generating %d/%d records", done, n) }
	_, err = outreach.Generate(ctx, d, spec)
	check(err)
	fmt.Fprintln(os.Stderr)
	check(d.WriteTx(ctx, func(tx *db.Tx) error { _, err := tx.ExecContext(ctx, "ANALYZE"); return err }))
	_, err = d.SQL().ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
	check(err)
	check(d.Close())
	return time.Since(started)
}

// bulkUsers inserts n users straight into the table (Argon2id hashes nobody verifies here would
// take minutes).
func bulkUsers(d *db.DB, n int) []int64 {
	ctx := context.Background()
	ids := make([]int64, 0, n)
	now := db.Millis(time.Now())
	rows := make([][]any, n)
	for i := range n {
		rows[i] = []any{fmt.Sprintf("tv.switch.%d", i), fmt.Sprintf("Thành viên %d", i), "", fmt.Sprintf("tv switch %d", i), "bench-no-login", 0, now, now}
	}
	check(d.WriteTx(ctx, func(tx *db.Tx) error {
		return tx.InsertRows(ctx, "users", []string{"username", "display_name", "email", "search_key", "password_hash", "must_change_password", "created_at", "updated_at"},
			rows, "RETURNING id", func(r *sql.Rows) error {
				var id int64
				if err := r.Scan(&id); err != nil {
					return err
				}
				ids = append(ids, id)
				return nil
			})
	}))
	return ids
}

func removeSidecars(path string) {
	for _, s := range []string{"-wal", "-shm"} {
		_ = os.Remove(path + s)
	}
}

// copyDB copies a closed, checkpointed SQLite file.
func copyDB(src, dst string) {
	removeSidecars(dst)
	in, err := os.Open(src)
	check(err)
	defer in.Close()
	out, err := os.Create(dst)
	check(err)
	_, err = io.Copy(out, in)
	check(err)
	check(out.Sync())
	check(out.Close())
}

// timeCmd runs the lantoa binary and returns its wall time; a failure stops the benchmark.
func timeCmd(bin string, args ...string) time.Duration {
	cmd := exec.Command(bin, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	t0 := time.Now()
	err := cmd.Run()
	took := time.Since(t0)
	if err != nil {
		fail("%s %v: %v\n%s", bin, args, err, out.String())
	}
	return took
}

// unitsOnly times units.Service.SwitchMap in this process, where no module registered a hook.
func unitsOnly(path string) time.Duration {
	ctx := authz.WithActor(context.Background(), authz.System)
	d, err := db.Open(ctx, path, db.Options{})
	check(err)
	defer d.Close()
	t0 := time.Now()
	_, err = units.NewService(d).SwitchMap(ctx, bytes.NewReader(units.Vietnam2025CSV()), bytes.NewReader(units.QuangNgaiLineage2025CSV()), "2025-07-01")
	check(err)
	return time.Since(t0)
}

// verify reads the switched copy back: the 2025 map is in force, every record is still where it
// was made (on a retired 2023 unit) and counts today in a unit in force of the province unless
// its commune was split.
func verify(path string, n int64) string {
	ctx := context.Background()
	d, err := db.Open(ctx, path, db.Options{})
	check(err)
	defer d.Close()
	q := func(query string, args ...any) int64 {
		var v int64
		check(d.Reader().QueryRowContext(ctx, query, args...).Scan(&v))
		return v
	}
	communes := q("SELECT COUNT(*) FROM units WHERE valid_to = '' AND level = 'commune' AND parent_path = '/51/'")
	districts := q("SELECT COUNT(*) FROM units WHERE valid_to = '' AND level = 'district' AND path LIKE '/51/%'")
	records := q("SELECT COUNT(*) FROM outreach_records")
	onRetired := q("SELECT COUNT(*) FROM outreach_records o JOIN units u ON u.path = o.unit_path WHERE u.valid_to <> ''")
	split := q("SELECT COUNT(*) FROM outreach_records WHERE unit_path LIKE '/51/525/21142/%'")
	rolled := q("SELECT COUNT(*) FROM outreach_records o JOIN units u ON u.path = " + units.PathNow("o.unit_path") + " WHERE u.valid_to = '' AND u.path LIKE '/51/%'")
	teamsOnRetired := q("SELECT COUNT(*) FROM outreach_teams t JOIN units u ON u.path = t.unit_path WHERE u.valid_to <> ''")
	// The switch was acknowledged (the command exited 0): every record generated before it must
	// still be there, on the unit it was made on, and counted today exactly once.
	check(benchkit.Check(os.Stderr, "records held before the switch, still stored after it", n, records))
	check(benchkit.Check(os.Stderr, "records held before the switch, counted now (rolled up + split)", n, rolled+split))
	if communes != 96 || districts != 0 || records != n || onRetired != n || rolled+split != n {
		fail("after the switch: %d communes of 51 (want 96), %d districts, %d records (want %d), %d on retired units, %d rolled up + %d split",
			communes, districts, records, n, onRetired, rolled, split)
	}
	return fmt.Sprintf("96 communes, 0 districts; %d records unchanged, %d counted now in 2025 units + %d of split Trà Bùi; %d teams left on retired units", records, rolled, split, teamsOnRetired)
}

// nowWas times counting the records of one 2025 commune "as it is now" (Xã An Phú, formed from
// five 2023 communes: the roll-up) against "as it was" (the predecessors by their own paths, in
// one query: the baseline), and the same for the whole province; it checks the two agree.
func nowWas(w io.Writer, path string, queries int) {
	ctx := context.Background()
	d, err := db.Open(ctx, path, db.Options{})
	check(err)
	defer d.Close()
	var total int64
	check(d.Reader().QueryRowContext(ctx, "SELECT COUNT(*) FROM outreach_records").Scan(&total))
	preds := []string{}
	rows, err := d.Reader().QueryContext(ctx, "SELECT old_path FROM unit_lineage WHERE new_path = '/51/21034/' AND old_path <> '' ORDER BY old_path")
	check(err)
	for rows.Next() {
		var p string
		check(rows.Scan(&p))
		preds = append(preds, p)
	}
	check(rows.Err())
	rows.Close()
	count := func(where string, args ...any) (int64, time.Duration) {
		var n int64
		t0 := time.Now()
		check(d.Reader().QueryRowContext(ctx, "SELECT COUNT(*) FROM outreach_records WHERE "+where, args...).Scan(&n))
		return n, time.Since(t0)
	}
	timeIt := func(f func() int64) (int64, time.Duration, time.Duration) {
		f() // warm-up
		ds := make([]time.Duration, 0, queries)
		var v int64
		for range queries {
			t0 := time.Now()
			v = f()
			ds = append(ds, time.Since(t0))
		}
		slices.Sort(ds)
		return v, benchkit.NearestRank(ds, 0.5), benchkit.NearestRank(ds, 0.95)
	}
	nowCond, nowArgs := units.UnderNow("unit_path", "/51/21034/")
	anPhuNow, nowP50, nowP95 := timeIt(func() int64 { n, _ := count(nowCond, nowArgs...); return n })
	var wasConds []string
	var wasArgs []any
	for _, p := range preds {
		wasConds = append(wasConds, "unit_path LIKE ?")
		wasArgs = append(wasArgs, p+"%")
	}
	anPhuWas, wasP50, wasP95 := timeIt(func() int64 { n, _ := count("("+strings.Join(wasConds, " OR ")+")", wasArgs...); return n })
	provCond, provArgs := units.UnderNow("unit_path", "/51/")
	provNow, pNowP50, pNowP95 := timeIt(func() int64 { n, _ := count(provCond, provArgs...); return n })
	provWas, pWasP50, pWasP95 := timeIt(func() int64 { n, _ := count("unit_path LIKE ?", "/51/%"); return n })
	if anPhuNow != anPhuWas || provNow != provWas || provWas != total {
		fail("now and was disagree: An Phú %d now, %d as its predecessors; province %d now, %d was, %d records", anPhuNow, anPhuWas, provNow, provWas, total)
	}
	fmt.Fprintf(w, "### Counting records as it is now against as it was, after the switch (%d records, %d timed counts each after a warm-up)\n\n", total, queries)
	fmt.Fprintln(w, "| Count | as it is now (`units.UnderNow`) p50 / p95 | as it was (plain paths) p50 / p95 — baseline | now ÷ was (p50) | records counted (both) |")
	fmt.Fprintln(w, "| --- | --- | --- | --- | --- |")
	fmt.Fprintf(w, "| Xã An Phú (21034), formed from %d communes of 2023 | %s / %s | %s / %s (the %d predecessors' paths) | %.2f | %d |\n",
		len(preds), benchkit.Ms(nowP50), benchkit.Ms(nowP95), benchkit.Ms(wasP50), benchkit.Ms(wasP95), len(preds), float64(nowP50)/float64(wasP50), anPhuNow)
	fmt.Fprintf(w, "| Tỉnh Quảng Ngãi (51) | %s / %s | %s / %s | %.2f | %d |\n\n",
		benchkit.Ms(pNowP50), benchkit.Ms(pNowP95), benchkit.Ms(pWasP50), benchkit.Ms(pWasP95), float64(pNowP50)/float64(pWasP50), provNow)
	serviceNowWas(w, d, queries, total)
}

// serviceNowWas times the outreach module's progress (what GET /api/v1/outreach/progress?view=…
// runs) as it is now against as it was, for the province and for Xã An Phú against its 2023 code's
// version (Xã Nghĩa Dũng, one of its five predecessors), and checks the province's totals.
func serviceNowWas(w io.Writer, d *db.DB, queries int, total int64) {
	ctx := authz.WithActor(context.Background(), &authz.Actor{UserID: 1, Username: "bench", Grants: []authz.Grant{{Role: authz.ProvinceAdmin, UnitCode: "51", UnitPath: "/51/"}}})
	svc := outreach.NewService(d, nil)
	defer svc.Close()
	var campaign int64
	check(d.Reader().QueryRowContext(ctx, "SELECT MAX(id) FROM outreach_campaigns WHERE province_code = '51'").Scan(&campaign))
	timeView := func(unit string, view outreach.View) (outreach.Progress, time.Duration, time.Duration) {
		var p outreach.Progress
		var err error
		for range 3 { // warm-up
			p, err = svc.ProgressView(ctx, unit, campaign, view)
			check(err)
		}
		ds := make([]time.Duration, 0, queries)
		for range queries {
			t0 := time.Now()
			p, err = svc.ProgressView(ctx, unit, campaign, view)
			check(err)
			ds = append(ds, time.Since(t0))
		}
		slices.Sort(ds)
		return p, benchkit.NearestRank(ds, 0.5), benchkit.NearestRank(ds, 0.95)
	}
	pNow, nowP50, nowP95 := timeView("51", outreach.ViewNow)
	pWas, wasP50, wasP95 := timeView("51", outreach.ViewWas)
	var split int64
	for _, t := range pNow.FromSplit {
		split += t.Records
	}
	if pWas.Records != total || (pNow.Records != total && pNow.Records+split != total) {
		fail("progress of 51: %d records now (+%d from split units), %d as it was, %d in the table", pNow.Records, split, pWas.Records, total)
	}
	aNow, aNowP50, aNowP95 := timeView("21034", outreach.ViewNow)
	aWas, aWasP50, aWasP95 := timeView("/51/522/21034/", outreach.ViewWas)
	fmt.Fprintf(w, "`outreach.Service.ProgressView` (counters, members, leaderboard), %d timed calls each after 3 warm-ups:\n\n", queries)
	fmt.Fprintln(w, "| Unit | as it is now p50 / p95 | as it was p50 / p95 — baseline | now ÷ was (p50) | records now / was |")
	fmt.Fprintln(w, "| --- | --- | --- | --- | --- |")
	fmt.Fprintf(w, "| Tỉnh Quảng Ngãi (51) | %s / %s | %s / %s | %.2f | %d (+%d from split units) / %d |\n", benchkit.Ms(nowP50), benchkit.Ms(nowP95),
		benchkit.Ms(wasP50), benchkit.Ms(wasP95), float64(nowP50)/float64(wasP50), pNow.Records, split, pWas.Records)
	fmt.Fprintf(w, "| Xã An Phú (21034) now; its code's 2023 version Xã Nghĩa Dũng (/51/522/21034/) as it was | %s / %s | %s / %s | %.2f | %d / %d |\n\n",
		benchkit.Ms(aNowP50), benchkit.Ms(aNowP95), benchkit.Ms(aWasP50), benchkit.Ms(aWasP95), float64(aNowP50)/float64(aWasP50), aNow.Records, aWas.Records)
}
