// Command training measures the exam engine of Lan Tỏa (issue 4, made honest in issue 16) on
// SQLite and PostgreSQL:
//
//	(a) answer saves: -clients learners each saving answers as fast as the server acknowledges
//	    them through PUT /api/v1/attempts/{id}/answers/{q} (token auth, validation, group commit,
//	    durable), beside two bare handlers on the same database at the same durability (SQLite
//	    synchronous=FULL, PostgreSQL synchronous_commit on), neither authenticating: one that
//	    commits each save in its own transaction, and one that groups concurrent saves into one
//	    multi-row upsert and one commit with Lan Tỏa's own policy (take what is queued, no linger,
//	    up to 500; one writer on SQLite, eight on PostgreSQL). The three run in -rounds
//	    interleaved rounds of -duration each, so a noisy machine weighs on all of them alike;
//	(b) the exam start with sign-in: the driver first measures sign-ins per second (POST /login,
//	    Argon2id) at saturation, derives the start window the lobby needs so that sign-ins take
//	    at most -signin-util of that capacity, schedules the exam with that window, and has
//	    -starters learners each arrive at the start time the lobby gives them (plus up to a second
//	    of human delay), sign in with their password and start the exam with their session cookie.
//
// After each part the driver checks that what the server acknowledged is in the database: every
// acknowledged answer (the last acknowledged choice of each question, for each of the three
// servers), every session and every attempt; a mismatch fails the run. Percentiles are nearest
// rank over every sample of every round.
//
// Run it from the module root (PostgreSQL is skipped without a URL):
//
//	LANTOA_BENCH_POSTGRES_URL='postgres://postgres@127.0.0.1:5432/test?sslmode=disable' \
//	    go run ./bench/training -rounds 3 -duration 5s -starters 5000
//
// The server runs in this process on 127.0.0.1 (the real web stack: middleware, auth, the
// training service); the clients are goroutines with a keep-alive HTTP client.
package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"sync"
	"time"

	"github.com/lantoa/lantoa/bench/internal/benchkit"
	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/app"
	"github.com/lantoa/lantoa/internal/orgs"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/training"
	"github.com/lantoa/lantoa/internal/units"
)

type options struct {
	clients     int
	duration    time.Duration
	rounds      int
	contenders  string
	starters    int
	window      time.Duration
	signinUtil  float64
	signinProbe time.Duration
	pgURL       string
	engines     string
}

func main() {
	var o options
	flag.IntVar(&o.clients, "clients", 64, "concurrent learners saving answers in (a)")
	flag.DurationVar(&o.duration, "duration", 5*time.Second, "length of each server's run in each round of (a); 0 skips (a)")
	flag.IntVar(&o.rounds, "rounds", 3, "interleaved rounds of (a)")
	flag.StringVar(&o.contenders, "servers", "single,grouped,lantoa,lantoa-bearer",
		"servers measured in (a): single (bare, a commit per save), grouped (bare, group commit), lantoa (the save token, as the exam page saves), lantoa-bearer (a bearer token read each time, as an API client saves)")
	flag.IntVar(&o.starters, "starters", 5000, "learners signing in and starting the exam in (b); 0 skips (b)")
	flag.DurationVar(&o.window, "window", 0, "the lobby's start window in (b); 0 derives it from the measured sign-in rate and -signin-util")
	flag.Float64Var(&o.signinUtil, "signin-util", 0.5, "share of the measured sign-in capacity the lobby lets the sign-ins take")
	flag.DurationVar(&o.signinProbe, "signin-probe", 5*time.Second, "how long (b) measures sign-ins per second at saturation")
	flag.StringVar(&o.engines, "engines", "sqlite,postgres", "engines to measure")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		_ = pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	o.pgURL = os.Getenv("LANTOA_BENCH_POSTGRES_URL")
	fmt.Printf("# training benchmark %s, GOMAXPROCS=%d, load %s; (a) clients=%d, %d rounds of %s per server; (b) starters=%d\n\n",
		time.Now().UTC().Format(time.RFC3339), numCPU(), benchkit.LoadAvg(), o.clients, o.rounds, o.duration, o.starters)
	failed := false
	for _, eng := range strings.Split(o.engines, ",") {
		if eng == "postgres" && o.pgURL == "" {
			fmt.Println("postgres: skipped (set LANTOA_BENCH_POSTGRES_URL)")
			continue
		}
		if err := run(eng, o); err != nil {
			fmt.Fprintln(os.Stderr, eng+":", err)
			failed = true
			if !errors.Is(err, benchkit.ErrPersistence) {
				break
			}
		}
	}
	fmt.Printf("load average at the end: %s\n", benchkit.LoadAvg())
	if failed {
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

// stack is the server under test.
type stack struct {
	ts  *training.Service
	acc *accounts.Service
	us  *units.Service
	org orgs.Org
	srv http.Handler
	// close stops the services' writers; the caller closes the database.
	close func()
}

// build makes the services and the web server over d, as `lantoa serve` does.
func build(ctx context.Context, d *db.DB) (*stack, error) {
	// The server as serve builds it (migrated, Quảng Ngãi's units seeded).
	a, err := app.Build(ctx, app.BuildConfig{DB: d, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return nil, err
	}
	org, err := a.Orgs.Create(authz.WithActor(ctx, authz.System), orgs.Org{Name: "Tỉnh đoàn Quảng Ngãi", Kind: orgs.Union, UnitCode: "51"})
	if err != nil {
		a.Close()
		return nil, err
	}
	return &stack{ts: a.Training, acc: a.Accounts, us: a.Units, org: org, srv: a.Web, close: a.Close}, nil
}

func numCPU() int { return max(1, runtimeProcs()) }

func run(engine string, o options) error {
	ctx := context.Background()
	var source string
	var cleanup func()
	switch engine {
	case "sqlite":
		dir, err := os.MkdirTemp("", "lantoa-bench-training-")
		if err != nil {
			return err
		}
		source, cleanup = filepath.Join(dir, "bench.db"), func() { os.RemoveAll(dir) }
	case "postgres":
		var err error
		source, cleanup, err = pgSchema(ctx, o.pgURL)
		if err != nil {
			return err
		}
	default:
		return fmt.Errorf("unknown engine %q", engine)
	}
	defer cleanup()
	d, err := db.Open(ctx, source, db.Options{Synchronous: "FULL"})
	if err != nil {
		return err
	}
	defer d.Close()
	st, err := build(ctx, d)
	if err != nil {
		return err
	}
	defer st.close()
	base, stop, err := serve(st.srv)
	if err != nil {
		return err
	}
	defer stop()
	e := &env{o: o, d: d, st: st, base: base, engine: engine,
		client: &http.Client{Transport: &http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024, IdleConnTimeout: time.Minute}, Timeout: 30 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	communes, err := st.us.List(authz.WithActor(ctx, authz.System), units.Filter{Level: "commune", Limit: 200})
	if err != nil {
		return err
	}
	e.communes = communes
	fmt.Printf("## %s\n\n", engine)
	var errs []error
	if o.duration > 0 {
		errs = append(errs, e.saves(ctx))
	}
	if o.starters > 0 {
		errs = append(errs, e.starts(ctx))
	}
	return errors.Join(errs...)
}

type env struct {
	o        options
	d        *db.DB
	st       *stack
	base     string
	engine   string
	client   *http.Client
	communes []units.Unit
}

// exam makes and publishes a course of 20 questions drawn from 60; at, when not zero, schedules it
// with the lobby's start window.
func (e *env) exam(ctx context.Context, title string, at time.Time, window time.Duration) (training.Course, error) {
	sys := authz.WithActor(ctx, authz.System)
	c, err := e.st.ts.CreateCourse(sys, training.Course{Title: title, Exam: training.Exam{QuestionCount: 20, PassPercent: 50, TimeLimitMinutes: 600,
		ExamAt: at, LobbyMinutes: 60, StartWindowSeconds: int(window.Seconds())}})
	if err != nil {
		return c, err
	}
	var bank strings.Builder
	bank.WriteString("category,type,question,A,B,C,D,correct\n")
	for i := 0; i < 60; i++ {
		fmt.Fprintf(&bank, "Chủ đề %d,single,Câu hỏi đo tải %d?,Một,Hai,Ba,Bốn,B\n", i%3, i)
	}
	if _, err := e.st.ts.ImportQuestions(sys, c.ID, strings.NewReader(bank.String())); err != nil {
		return c, err
	}
	return e.st.ts.Publish(sys, c.ID)
}

func serve(h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	s := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = s.Close() }, nil
}

// call sends a JSON request; header carries the credential ("Authorization: Bearer …" or a cookie).
func call(c *http.Client, method, url string, header http.Header, body any, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return 0, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if resp.StatusCode >= 300 {
		return resp.StatusCode, fmt.Errorf("status %d: %.200s", resp.StatusCode, data)
	}
	if out != nil {
		return resp.StatusCode, json.Unmarshal(data, out)
	}
	return resp.StatusCode, nil
}

func bearer(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }

// stats holds every sample of a run.
type stats struct {
	n, errs  int
	elapsed  time.Duration
	lat      []time.Duration
	firstErr string
}

func (s *stats) add(o stats) {
	s.n += o.n
	s.errs += o.errs
	s.elapsed += o.elapsed
	s.lat = append(s.lat, o.lat...)
	if s.firstErr == "" {
		s.firstErr = o.firstErr
	}
}

func (s stats) rate() float64 { return float64(s.n) / s.elapsed.Seconds() }

// load runs n clients in a closed loop for d.
func load(n int, d time.Duration, do func(i int) error) stats {
	var mu sync.Mutex
	var st stats
	var wg sync.WaitGroup
	start := time.Now()
	end := start.Add(d)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			ok, errs := 0, 0
			first := ""
			for time.Now().Before(end) {
				t := time.Now()
				if err := do(i); err != nil {
					errs++
					if first == "" {
						first = err.Error()
					}
					continue
				}
				ok++
				lat = append(lat, time.Since(t))
			}
			mu.Lock()
			st.n += ok
			st.errs += errs
			st.lat = append(st.lat, lat...)
			if st.firstErr == "" {
				st.firstErr = first
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	st.elapsed = time.Since(start)
	return st
}

// learners makes n learner accounts directly in the database with a learner grant in a commune or
// the organisation, all with the password hash hash (one Argon2id hash, so that setting up
// thousands of learners does not hash thousands of passwords; verifying it costs the same).
func (e *env) learners(ctx context.Context, prefix string, n int, hash string) ([]int64, error) {
	d, orgID := e.d, e.st.org.ID
	var orgPath, orgUnit string
	if err := d.Reader().QueryRowContext(ctx, "SELECT path, unit_path FROM orgs WHERE id = ?", orgID).Scan(&orgPath, &orgUnit); err != nil {
		return nil, err
	}
	ids := make([]int64, n)
	now := time.Now().UnixMilli()
	for lo := 0; lo < n; lo += 500 {
		err := d.WriteTx(ctx, func(tx *db.Tx) error {
			for i := lo; i < min(n, lo+500); i++ {
				id, err := tx.InsertID(ctx, `INSERT INTO users (username, display_name, search_key, password_hash, created_at, updated_at)
					VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, fmt.Sprintf("%s.%d", prefix, i), fmt.Sprintf("Học viên %d", i), prefix, hash, now, now)
				if err != nil {
					return err
				}
				ids[i] = id
				if i%2 == 0 {
					c := e.communes[i%len(e.communes)]
					_, err = tx.ExecContext(ctx, "INSERT INTO role_grants (user_id, role, unit_code, unit_path, created_at) VALUES (?, 'learner', ?, ?, ?)", id, c.Code, c.Path, now)
				} else {
					_, err = tx.ExecContext(ctx, "INSERT INTO role_grants (user_id, role, org_id, org_path, unit_path, created_at) VALUES (?, 'learner', ?, ?, ?, ?)", id, orgID, orgPath, orgUnit, now)
				}
				if err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// tokens makes an API token for each user.
func (e *env) tokens(ctx context.Context, ids []int64) ([]string, error) {
	sys := authz.WithActor(ctx, authz.System)
	out := make([]string, len(ids))
	for i, id := range ids {
		tok, err := e.st.acc.CreateToken(sys, id, "bench")
		if err != nil {
			return nil, err
		}
		out[i] = tok
	}
	return out, nil
}

// pgSchema makes a throwaway schema and returns a URL that uses it.
func pgSchema(ctx context.Context, base string) (string, func(), error) {
	name := fmt.Sprintf("bench_training_%d", time.Now().UnixNano())
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return "", nil, err
	}
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+name); err != nil {
		admin.Close()
		return "", nil, err
	}
	source, err := benchkit.WithSearchPath(base, name)
	if err != nil {
		admin.Close()
		return "", nil, err
	}
	return source, func() {
		_, _ = admin.ExecContext(context.Background(), "DROP SCHEMA "+name+" CASCADE")
		admin.Close()
	}, nil
}

// pick chooses which question a simulated learner answers and which option it takes: load, not
// a secret, so the fast generator serves.
func pick(n int) int {
	return rand.IntN(n) // #nosec G404 -- simulated choices, not a secret
}
