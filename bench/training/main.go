// Command training measures the exam engine of Lan Tỏa (issue 4) on SQLite and PostgreSQL:
//
//	(a) answer saves per second and latency with -clients concurrent learners, each saving answers
//	    as fast as the server acknowledges them through PUT /api/v1/attempts/{id}/answers/{q}
//	    (authenticated, validated, group-committed, durable), beside a bare handler measured in the
//	    same run: one INSERT per request in its own transaction, same database, same durability
//	    (SQLite synchronous=FULL; PostgreSQL synchronous_commit on), no authentication;
//	(b) -starters learners starting the same exam spread over -window (POST /api/v1/courses/{id}/attempts),
//	    as the lobby's start window spreads them: latency percentiles and errors.
//
// Run it from the module root (PostgreSQL is skipped without a URL):
//
//	LANTOA_BENCH_POSTGRES_URL='postgres://postgres@127.0.0.1:5432/test?sslmode=disable' \
//	    go run ./bench/training -duration 15s -starters 5000 -window 60s
//
// The server runs in this process on 127.0.0.1 (the real web stack: middleware, token auth, the
// training service); the clients are goroutines with a keep-alive HTTP client. Learners are made
// directly in the database (no password hashing: they authenticate with API tokens).
package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
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
	"slices"
	"strings"
	"sync"
	"sync/atomic"
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
	clients  int
	duration time.Duration
	starters int
	window   time.Duration
	pgURL    string
	engines  string
}

func main() {
	var o options
	flag.IntVar(&o.clients, "clients", 64, "concurrent learners saving answers")
	flag.DurationVar(&o.duration, "duration", 15*time.Second, "length of each save run")
	flag.IntVar(&o.starters, "starters", 5000, "learners starting the exam in (b)")
	flag.DurationVar(&o.window, "window", 60*time.Second, "the starts of (b) are spread over this")
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
	fmt.Printf("# training benchmark %s, GOMAXPROCS=%d, clients=%d, duration=%s, starters=%d over %s\n\n",
		time.Now().UTC().Format(time.RFC3339), runtimeProcs(), o.clients, o.duration, o.starters, o.window)
	for _, eng := range strings.Split(o.engines, ",") {
		if eng == "postgres" && o.pgURL == "" {
			fmt.Println("postgres: skipped (set LANTOA_BENCH_POSTGRES_URL)")
			continue
		}
		if err := run(eng, o); err != nil {
			fmt.Fprintln(os.Stderr, eng+":", err)
			pprof.StopCPUProfile()
			os.Exit(1)
		}
	}
}

// stats summarises latencies.
type stats struct {
	n, errs  int
	elapsed  time.Duration
	lat      []time.Duration
	firstErr string
}

// pct is taken as the published training figures were: sorted[⌊n·p⌋], not the nearest rank.
func (s stats) pct(p float64) time.Duration {
	return benchkit.RankAbove(slices.Sorted(slices.Values(s.lat)), p)
}

func (s stats) String() string {
	return fmt.Sprintf("%d ok, %d errors, %.0f/s, p50 %s, p99 %s, max %s", s.n, s.errs, float64(s.n)/s.elapsed.Seconds(),
		benchkit.Ms(s.pct(0.50)), benchkit.Ms(s.pct(0.99)), benchkit.Ms(s.pct(1)))
}

func runtimeProcs() int { return max(1, int(numCPU())) }

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
	// The server as serve builds it.
	a, err := app.Build(ctx, app.BuildConfig{DB: d, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return err
	}
	defer a.Close()
	sys := authz.WithActor(ctx, authz.System)
	us, acc, ts := a.Units, a.Accounts, a.Training
	org, err := a.Orgs.Create(sys, orgs.Org{Name: "Tỉnh đoàn Quảng Ngãi", Kind: orgs.Union, UnitCode: "51"})
	if err != nil {
		return err
	}
	base, stop, err := serve(a.Web)
	if err != nil {
		return err
	}
	defer stop()
	// The bare baseline: one INSERT per request, its own transaction, same database and durability.
	if _, err := d.SQL().ExecContext(ctx, "SELECT 1"); err != nil {
		return err
	}
	if err := d.WriteTx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, "CREATE TABLE bench_bare (attempt_id BIGINT NOT NULL, question_id BIGINT NOT NULL, choices TEXT NOT NULL, saved_at BIGINT NOT NULL)")
		return err
	}); err != nil {
		return err
	}
	bare := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Attempt, Question int64
			Choices           []int64
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		b, _ := json.Marshal(in.Choices)
		err := d.WriteTx(r.Context(), func(tx *db.Tx) error {
			_, err := tx.ExecContext(r.Context(), "INSERT INTO bench_bare (attempt_id, question_id, choices, saved_at) VALUES (?, ?, ?, ?)",
				in.Attempt, in.Question, string(b), time.Now().UnixMilli())
			return err
		})
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":true}`))
	})
	bareBase, stopBare, err := serve(bare)
	if err != nil {
		return err
	}
	defer stopBare()

	course, err := ts.CreateCourse(sys, training.Course{Title: "Bài thi đo tải", Exam: training.Exam{QuestionCount: 20, PassPercent: 50, TimeLimitMinutes: 600}})
	if err != nil {
		return err
	}
	var bank strings.Builder
	bank.WriteString("category,type,question,A,B,C,D,correct\n")
	for i := 0; i < 60; i++ {
		fmt.Fprintf(&bank, "Chủ đề %d,single,Câu hỏi đo tải %d?,Một,Hai,Ba,Bốn,B\n", i%3, i)
	}
	if _, err := ts.ImportQuestions(sys, course.ID, strings.NewReader(bank.String())); err != nil {
		return err
	}
	if _, err := ts.Publish(sys, course.ID); err != nil {
		return err
	}
	communes, err := us.List(sys, units.Filter{Level: "commune", Limit: 200})
	if err != nil {
		return err
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024, IdleConnTimeout: time.Minute}, Timeout: 30 * time.Second}

	// (a) answer saves.
	tokens, err := learners(ctx, d, acc, "save", o.clients, org.ID, communes)
	if err != nil {
		return err
	}
	type att struct {
		id int64
		qs []training.QuestionView
	}
	atts := make([]att, len(tokens))
	for i, tok := range tokens {
		var a training.AttemptView
		if code, err := call(client, "POST", fmt.Sprintf("%s/api/v1/courses/%d/attempts", base, course.ID), tok, nil, &a); err != nil || code != 201 {
			return fmt.Errorf("start attempt: %d %v", code, err)
		}
		atts[i] = att{a.ID, a.Questions}
	}
	fmt.Printf("## %s\n\n(a) %d learners saving answers for %s each:\n\n", engine, o.clients, o.duration)
	bareStats := load(o.clients, o.duration, func(i int) (int, error) {
		a := atts[i]
		q := a.qs[pick(len(a.qs))]
		return call(client, "PUT", bareBase+"/", "", map[string]any{"Attempt": a.id, "Question": q.ID, "Choices": []int64{q.Options[pick(len(q.Options))].ID}}, nil)
	})
	fmt.Printf("- bare handler, one INSERT per request in its own transaction: %s\n", bareStats)
	saveStats := load(o.clients, o.duration, func(i int) (int, error) {
		a := atts[i]
		q := a.qs[pick(len(a.qs))]
		return call(client, "PUT", fmt.Sprintf("%s/api/v1/attempts/%d/answers/%d", base, a.id, q.ID), tokens[i],
			map[string]any{"choices": []int64{q.Options[pick(len(q.Options))].ID}}, nil)
	})
	fmt.Printf("- Lan Tỏa answer save (token auth, checks, group commit): %s\n", saveStats)
	fmt.Printf("- ratio: %.0f%% of the bare handler's rate\n\n", 100*float64(saveStats.n)/saveStats.elapsed.Seconds()/(float64(bareStats.n)/bareStats.elapsed.Seconds()))
	if saveStats.firstErr != "" || bareStats.firstErr != "" {
		fmt.Printf("  first errors: save %q, bare %q\n\n", saveStats.firstErr, bareStats.firstErr)
	}

	// (b) starts spread over the window.
	if o.starters > 0 {
		stoks, err := learners(ctx, d, acc, "start", o.starters, org.ID, communes)
		if err != nil {
			return err
		}
		// Where the time of each start goes, measured inside the service.
		var phaseMu sync.Mutex
		phases := map[string][]time.Duration{}
		ts.ObserveStart = func(phase string, d time.Duration) {
			phaseMu.Lock()
			phases[phase] = append(phases[phase], d)
			phaseMu.Unlock()
		}
		st := spread(o.starters, o.window, func(i int) (int, error) {
			var a struct {
				ID        int64 `json:"id"`
				Questions []struct {
					ID int64 `json:"id"`
				} `json:"questions"`
			}
			code, err := call(client, "POST", fmt.Sprintf("%s/api/v1/courses/%d/attempts", base, course.ID), stoks[i], nil, &a)
			if err == nil && code == 201 && len(a.Questions) != 20 {
				return code, fmt.Errorf("attempt with %d questions", len(a.Questions))
			}
			if err == nil && code != 201 {
				err = fmt.Errorf("status %d", code)
			}
			return code, err
		})
		ts.ObserveStart = nil
		fmt.Printf("(b) %d learners starting the exam, spread over %s: %s\n", o.starters, o.window, st)
		phaseMu.Lock()
		for _, ph := range []string{"read", "wait", "write", "render"} {
			p := stats{lat: phases[ph]}
			fmt.Printf("    %-6s p50 %s, p99 %s, max %s\n", ph, benchkit.Ms(p.pct(0.50)), benchkit.Ms(p.pct(0.99)), benchkit.Ms(p.pct(1)))
		}
		phaseMu.Unlock()
		fmt.Println()
		if st.firstErr != "" {
			fmt.Printf("  first error: %q\n\n", st.firstErr)
		}
	}
	return nil
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

func call(c *http.Client, method, url, token string, body any, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return 0, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
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

// load runs n clients in a closed loop for d.
func load(n int, d time.Duration, do func(i int) (int, error)) stats {
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
				_, err := do(i)
				if err != nil {
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

// spread runs n calls, the i-th at start + i·window/n.
func spread(n int, window time.Duration, do func(i int) (int, error)) stats {
	var mu sync.Mutex
	var st stats
	var wg sync.WaitGroup
	var done atomic.Int64
	start := time.Now()
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Until(start.Add(time.Duration(i) * window / time.Duration(n))))
			t := time.Now()
			_, err := do(i)
			l := time.Since(t)
			done.Add(1)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				st.errs++
				if st.firstErr == "" {
					st.firstErr = err.Error()
				}
				return
			}
			st.n++
			st.lat = append(st.lat, l)
		}()
	}
	wg.Wait()
	st.elapsed = time.Since(start)
	return st
}

// learners makes n learner accounts directly (no password hashing; they never log in) with a
// learner grant in a commune or the organisation, and an API token each.
func learners(ctx context.Context, d *db.DB, acc *accounts.Service, prefix string, n int, orgID int64, communes []units.Unit) ([]string, error) {
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
					VALUES (?, ?, ?, 'bench-no-login', ?, ?) RETURNING id`, fmt.Sprintf("%s.%d", prefix, i), fmt.Sprintf("Học viên %d", i), prefix, now, now)
				if err != nil {
					return err
				}
				ids[i] = id
				if i%2 == 0 {
					c := communes[i%len(communes)]
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
	sys := authz.WithActor(ctx, authz.System)
	tokens := make([]string, n)
	var wg sync.WaitGroup
	var firstErr atomic.Value
	sem := make(chan struct{}, 32)
	for i, id := range ids {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			tok, err := acc.CreateToken(sys, id, "bench")
			if err != nil {
				firstErr.CompareAndSwap(nil, err)
			}
			tokens[i] = tok
		}()
	}
	wg.Wait()
	if err, _ := firstErr.Load().(error); err != nil {
		return nil, err
	}
	// On exam day learners signed in while waiting in the lobby, so the first-use touch of their
	// credential (a write per learner, done by internal/accounts) is behind them; the tokens are
	// marked used to measure the start path, not that one-off write.
	if err := d.WriteTx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE access_tokens SET last_used_at = ? WHERE name = 'bench'", time.Now().UnixMilli())
		return err
	}); err != nil {
		return nil, err
	}
	return tokens, nil
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
