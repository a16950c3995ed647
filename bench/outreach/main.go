// Command outreach measures the figures of issue 5 (community digital technology teams):
//
//  1. ingestion: guidance records per second through the HTTP API (POST /api/v1/outreach/records,
//     token auth, strict JSON, idempotency by client_id, counters in the same transaction), with a
//     share of identical replays, on SQLite and PostgreSQL; beside a baseline measured in the same
//     run: the same API with group commit switched off (one transaction per record);
//  2. progress: the time of the province-level progress query (Service.Progress, what
//     GET /api/v1/outreach/progress?unit=51 runs) over a large generated data set, at two sizes,
//     beside a baseline in the same run: counting the same figures by scanning the raw records.
//
// Run it from the module root:
//
//	go run ./bench/outreach -engine sqlite -out /tmp/outreach-sqlite.md
//	LANTOA_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable \
//	  go run ./bench/outreach -engine postgres -records 1000000 -out /tmp/outreach-pg.md
//
// The server listens on 127.0.0.1 only. Every figure is a median of -runs runs (min–max). Each
// ingestion run posts for -ingest-duration (30 s: a burst of a second or two overstated the
// sustained rate by about half, issue 16) and then checks that every record acknowledged as new is
// in the database, once, and in the counters; latency percentiles are over every post of every run.
package main

import (
	"bytes"
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lantoa/lantoa/bench/internal/benchkit"
	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/app"
	"github.com/lantoa/lantoa/internal/outreach"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/units"
)

type options struct {
	engine    string
	pgURL     string
	posts     int
	duration  time.Duration
	conc      int
	members   int
	replay    float64
	runs      int
	records   int
	queries   int
	sync      string
	out       string
	skipIng   bool
	skipProg  bool
	readConns int
	seeded    string
}

func main() {
	var o options
	flag.StringVar(&o.engine, "engine", "sqlite", "sqlite or postgres (URL in LANTOA_BENCH_POSTGRES_URL)")
	flag.IntVar(&o.posts, "posts", 0, "records posted per ingestion run; 0 posts for -ingest-duration instead")
	flag.DurationVar(&o.duration, "ingest-duration", 30*time.Second, "length of each ingestion run when -posts is 0: a short burst overstates the sustained rate (issue 16)")
	flag.IntVar(&o.conc, "conc", 32, "concurrent phones posting")
	flag.IntVar(&o.members, "members", 200, "members (tokens) posting in the ingestion runs")
	flag.Float64Var(&o.replay, "replay", 0.1, "share of posts that replay an already acknowledged record")
	flag.IntVar(&o.runs, "runs", 3, "runs of each ingestion measure")
	flag.IntVar(&o.records, "records", 2000000, "records generated for the progress measure")
	flag.IntVar(&o.queries, "queries", 200, "progress queries timed at each size")
	flag.StringVar(&o.sync, "sqlite-synchronous", "FULL", "SQLite synchronous mode for ingestion (serve's default is FULL)")
	flag.StringVar(&o.out, "out", "", "also write the report (Markdown) to this file")
	flag.BoolVar(&o.skipIng, "skip-ingest", false, "skip the ingestion measure")
	flag.IntVar(&o.readConns, "read-conns", 0, "SQLite reader pool size (0: what serve uses, 2 × GOMAXPROCS, at least 4)")
	flag.BoolVar(&o.skipProg, "skip-progress", false, "skip the progress measure")
	flag.StringVar(&o.seeded, "db", "", "time progress on this database made by `lantoa seed --profile province` instead of generating")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		check(err)
		check(pprof.StartCPUProfile(f))
		defer pprof.StopCPUProfile()
	}
	o.pgURL = os.Getenv("LANTOA_BENCH_POSTGRES_URL")
	if o.engine == "postgres" && o.pgURL == "" {
		fail("set LANTOA_BENCH_POSTGRES_URL for -engine postgres")
	}
	var rep bytes.Buffer
	w := io.MultiWriter(os.Stdout, &rep)
	fmt.Fprintf(w, "## outreach benchmark — %s, %s\n\n", o.engine, time.Now().UTC().Format(time.RFC3339))
	fmt.Fprintf(w, "Command: `go run ./bench/outreach %s`\n\n", strings.Join(os.Args[1:], " "))
	if !o.skipIng {
		ingest(w, o)
	}
	if !o.skipProg {
		progress(w, o)
	}
	if o.out != "" {
		if err := os.WriteFile(o.out, rep.Bytes(), 0o644); err != nil {
			fail(err.Error())
		}
	}
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "bench/outreach:", msg)
	os.Exit(1)
}

func check(err error) {
	if err != nil {
		fail(err.Error())
	}
}

var sys = authz.WithActor(context.Background(), authz.System)

// openFresh opens an empty, migrated database with the unit tree loaded.
func openFresh(o options, sync string) (*db.DB, func()) {
	ctx := context.Background()
	if o.engine == "postgres" {
		schemaName := fmt.Sprintf("bench_outreach_%d", time.Now().UnixNano())
		admin, err := db.Open(ctx, o.pgURL, db.Options{})
		check(err)
		_, err = admin.SQL().ExecContext(ctx, "CREATE SCHEMA "+schemaName)
		check(err)
		source, err := benchkit.WithSearchPath(o.pgURL, schemaName)
		check(err)
		d, err := db.Open(ctx, source, db.Options{})
		check(err)
		_, err = d.Migrate(ctx, schema.All())
		check(err)
		_, err = units.NewService(d).SeedQuangNgai(sys)
		check(err)
		return d, func() {
			d.Close()
			_, _ = admin.SQL().ExecContext(ctx, "DROP SCHEMA "+schemaName+" CASCADE")
			admin.Close()
		}
	}
	dir, err := os.MkdirTemp("", "bench-outreach-")
	check(err)
	d, err := db.Open(ctx, filepath.Join(dir, "lantoa.db"), db.Options{Synchronous: sync, ReadConns: o.readConns})
	check(err)
	_, err = d.Migrate(ctx, schema.All())
	check(err)
	_, err = units.NewService(d).SeedQuangNgai(sys)
	check(err)
	return d, func() { d.Close(); os.RemoveAll(dir) }
}

type commune struct{ code, path string }

func communes(d *db.DB) []commune {
	rows, err := d.Reader().QueryContext(context.Background(), "SELECT code, path FROM units WHERE level = 'commune' AND valid_to = '' ORDER BY code")
	check(err)
	defer rows.Close()
	var out []commune
	for rows.Next() {
		var c commune
		check(rows.Scan(&c.code, &c.path))
		out = append(out, c)
	}
	return out
}

// bulkUsers inserts n users straight into the table (creating them through accounts.CreateUser
// would spend minutes on Argon2id hashes nobody verifies here).
func bulkUsers(d *db.DB, n int) []int64 {
	ctx := context.Background()
	ids := make([]int64, 0, n)
	now := db.Millis(time.Now())
	rows := make([][]any, n)
	for i := range n {
		rows[i] = []any{fmt.Sprintf("tv.bench.%d", i), fmt.Sprintf("Thành viên %d", i), "", fmt.Sprintf("tv bench %d", i), "bench-no-login", 0, now, now}
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

// bulkMembers inserts n team members spread over the communes, each with a team_member grant on
// their commune.
func bulkMembers(d *db.DB, n int, cs []commune) []int64 {
	ctx := context.Background()
	ids := bulkUsers(d, n)
	now := db.Millis(time.Now())
	rows := make([][]any, n)
	for i, id := range ids {
		c := cs[i%len(cs)]
		rows[i] = []any{id, "team_member", c.code, c.path, "", now}
	}
	check(d.WriteTx(ctx, func(tx *db.Tx) error {
		return tx.InsertRows(ctx, "role_grants", []string{"user_id", "role", "unit_code", "unit_path", "org_path", "created_at"}, rows, "", nil)
	}))
	return ids
}

type ingestResult struct {
	posts, created, replays int
	perSec, createdPerSec   float64
	elapsed                 time.Duration
	lat                     []time.Duration
}

// more tells whether a client may send post number i (from 1): by count, or until the run's
// duration is spent.
func (o options) more(i int64, start time.Time) bool {
	if o.posts > 0 {
		return i <= int64(o.posts)
	}
	return time.Since(start) < o.duration
}

// ingestRun posts o.posts records through the API with o.conc concurrent clients on a fresh
// database, with group commit of batch records.
func ingestRun(o options, batch int) ingestResult {
	d, closeDB := openFresh(o, o.sync)
	defer closeDB()
	// The server as serve builds it, with the write path under test.
	a, err := app.Build(context.Background(), app.BuildConfig{DB: d, OutreachBatch: &batch, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	check(err)
	defer a.Close()
	acc, svc := a.Accounts, a.Outreach
	_, err = svc.CreateCampaign(sys, outreach.Campaign{Name: "Bench", LaunchAt: time.Now().Add(-time.Hour)})
	check(err)
	members := bulkMembers(d, o.members, communes(d))
	tokens := make([]string, len(members))
	for i, id := range members {
		tokens[i], err = acc.CreateToken(sys, id, "bench")
		check(err)
	}
	ts := httptest.NewServer(a.Web)
	defer ts.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: o.conc * 2}}
	skills := [][]string{{"dvc_quocgia"}, {"dvc_tinh", "thanh_toan_truc_tuyen"}, {"khong_tien_mat"}, {"dvc_quocgia", "dvc_tinh"}}
	var next, created, replays, failures atomic.Int64
	lat := make([][]time.Duration, o.conc)
	var wg sync.WaitGroup
	start := time.Now()
	for g := range o.conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := mrand.New(mrand.NewPCG(uint64(g), 42)) // #nosec G404 G115 -- load data, reproducible per goroutine; not a secret
			var sent []string
			for {
				i := next.Add(1)
				if !o.more(i, start) {
					return
				}
				// Each client is one member's phone, so its replays are its own records.
				tok := tokens[g%len(tokens)]
				var body string
				replay := len(sent) > 0 && rng.Float64() < o.replay
				if replay {
					body = sent[rng.IntN(len(sent))]
				} else {
					phone := ""
					if rng.IntN(10) > 0 {
						phone = fmt.Sprintf("09%08d", rng.IntN(100000000))
					}
					body = fmt.Sprintf(`{"client_id":%q,"citizen":{"name":"Người dân %d","birth_year":%d,"phone":%q},"skills":[%s],"platforms":["vneid"],"guided_at":%q,"consent":{"given":true,"version":"v1"}}`,
						benchkit.UUID(), i, 1940+rng.IntN(60), phone, quoteList(skills[rng.IntN(len(skills))]), time.Now().Add(-time.Duration(rng.IntN(3000))*time.Second).UTC().Format(time.RFC3339))
				}
				t0 := time.Now()
				req, _ := http.NewRequest("POST", ts.URL+"/api/v1/outreach/records", strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+tok)
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					failures.Add(1)
					continue
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				lat[g] = append(lat[g], time.Since(t0))
				switch {
				case resp.StatusCode == 201 && !replay:
					created.Add(1)
					sent = append(sent, body)
				case resp.StatusCode == 200 && replay:
					replays.Add(1)
				default:
					failures.Add(1)
					if failures.Load() < 5 {
						fmt.Fprintf(os.Stderr, "unexpected %d (replay %v): %s\n", resp.StatusCode, replay, b)
					}
				}
			}
		}()
	}
	if os.Getenv("BENCH_DUMP") != "" {
		go func() { time.Sleep(3 * time.Second); pprof.Lookup("goroutine").WriteTo(os.Stderr, 1) }()
	}
	wg.Wait()
	el := time.Since(start)
	if failures.Load() > 0 {
		fail(fmt.Sprintf("%d posts failed", failures.Load()))
	}
	// Every acknowledged new record (201) must be stored once, replays (200) adding nothing, and
	// the counters must agree with the records.
	ctx := context.Background()
	stored, err := benchkit.Count(ctx, d.Reader(), "SELECT COUNT(*) FROM outreach_records")
	check(err)
	counted, err := benchkit.Count(ctx, d.Reader(), "SELECT COALESCE(SUM(records), 0) FROM outreach_unit_counts")
	check(err)
	check(benchkit.Check(os.Stderr, "outreach records acknowledged as new (201), stored", created.Load(), stored))
	check(benchkit.Check(os.Stderr, "outreach records acknowledged as new (201), in the unit counters", created.Load(), counted))
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	posts := int(created.Load() + replays.Load())
	return ingestResult{posts: posts, created: int(created.Load()), replays: int(replays.Load()),
		perSec: float64(posts) / el.Seconds(), createdPerSec: float64(created.Load()) / el.Seconds(), elapsed: el, lat: all}
}

func quoteList(l []string) string {
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ",")
}

func ingest(w io.Writer, o options) {
	fmt.Fprintf(w, "### Ingestion through the API (%s)\n\n", o.engine)
	size := fmt.Sprintf("%s of posting per run", o.duration)
	if o.posts > 0 {
		size = fmt.Sprintf("%d posts per run", o.posts)
	}
	fmt.Fprintf(w, "%s (%.0f%% identical replays of acknowledged records), %d concurrent clients, %d members, %d runs; SQLite synchronous=%s; load %s. "+
		"After each run the records acknowledged as new are counted in the database (persistence check).\n\n",
		size, o.replay*100, o.conc, o.members, o.runs, o.sync, benchkit.LoadAvg())
	fmt.Fprintln(w, "| Path | posts/s median (min–max) | new records/s median | run length | latency over every sample of every run |")
	fmt.Fprintln(w, "| --- | --- | --- | --- | --- |")
	paths := []struct {
		name  string
		batch int
	}{{"group commit (db.Batcher, 256) — what serve runs on SQLite", 256}, {"baseline: one transaction per record, one at a time (batch 1)", 1}}
	if o.engine == "postgres" {
		paths = []struct {
			name  string
			batch int
		}{{"concurrent transactions, one per record — what serve runs on PostgreSQL", 0}, {"baseline: group commit through one batching goroutine (db.Batcher, 256)", 256}}
	}
	for _, c := range paths {
		var ps, cs []float64
		var all []time.Duration
		var length time.Duration
		for range o.runs {
			r := ingestRun(o, c.batch)
			ps, cs, all = append(ps, r.perSec), append(cs, r.createdPerSec), append(all, r.lat...)
			length = max(length, r.elapsed)
			fmt.Fprintf(os.Stderr, "  %s: %.0f posts/s over %s (%d new, %d replays; load %s)\n", c.name, r.perSec, r.elapsed.Round(100*time.Millisecond), r.created, r.replays, benchkit.LoadAvg())
		}
		m, lo, hi := benchkit.UpperMedian(ps)
		mc, _, _ := benchkit.UpperMedian(cs)
		fmt.Fprintf(w, "| %s | %.0f (%.0f–%.0f) | %.0f | %s | %s |\n", c.name, m, lo, hi, mc, length.Round(100*time.Millisecond), benchkit.Summarize(all))
	}
	// Where the time goes: the same records saved by 32 goroutines calling the service directly
	// (no HTTP, no token lookup), group commit as served.
	var ss []float64
	for range o.runs {
		ss = append(ss, serviceRun(o))
	}
	m, lo, hi := benchkit.UpperMedian(ss)
	fmt.Fprintf(w, "| reference: `Service.SaveRecord` called directly, no HTTP or token lookup (the engine's default write path) | — | %.0f (%.0f–%.0f) | — | — |\n", m, lo, hi)
	fmt.Fprintln(w)
}

func serviceRun(o options) float64 {
	d, closeDB := openFresh(o, o.sync)
	defer closeDB()
	acc := accounts.NewService(d)
	svc := outreach.NewService(d, acc)
	defer svc.Close()
	check(svc.SeedSkills(sys))
	_, err := svc.CreateCampaign(sys, outreach.Campaign{Name: "Bench", LaunchAt: time.Now().Add(-time.Hour)})
	check(err)
	cs := communes(d)
	members := bulkMembers(d, o.members, cs)
	var next, saved atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for g := range o.conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := members[g%len(members)]
			c := cs[g%len(members)%len(cs)]
			ctx := authz.WithActor(context.Background(), &authz.Actor{UserID: id, Grants: []authz.Grant{{Role: authz.TeamMember, UnitCode: c.code, UnitPath: c.path}}})
			for o.more(next.Add(1), start) {
				_, err := svc.SaveRecord(ctx, outreach.RecordInput{ClientID: benchkit.UUID(), Citizen: outreach.Citizen{Name: "Người dân", BirthYear: 1970, Phone: fmt.Sprintf("09%08d", mrand.IntN(100000000))}, // #nosec G404 -- a made-up phone number for load data
					Skills: []string{"dvc_quocgia"}, Platforms: []string{"vneid"}, GuidedAt: time.Now().Add(-time.Minute), Consent: &outreach.Consent{Given: true, Version: "v1"}})
				check(err)
				saved.Add(1)
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	stored, err := benchkit.Count(context.Background(), d.Reader(), "SELECT COUNT(*) FROM outreach_records")
	check(err)
	check(benchkit.Check(os.Stderr, "outreach records saved by the service directly, stored", saved.Load(), stored))
	return float64(saved.Load()) / el.Seconds()
}
