// Command launchday drives the launch morning against one `lantoa serve` process on data made by
// `lantoa seed --profile province`: bridge-point screens connected to the ceremony's live stream,
// team members sending guidance records, learners answering an exam, visitors reading the portal
// and the public dashboard — first each workload alone, then all of them together, and at the end
// of the mixed phase the launch button, whose event must reach every screen.
//
// Each workload alone is the baseline of the same workload in the mixed phase, measured in the same
// run on the same data: the ratio tells what sharing the server costs. Run from the module root:
//
//	go run ./bench/launchday -scale 0.01 -duration 20s -out /tmp/launchday.md
//	go run ./bench/launchday -db 'postgres://postgres@127.0.0.1:5432/test?sslmode=disable' -scale 0.01
//
// With -db a PostgreSQL URL the driver generates into a fresh schema of that database.
package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	mrand "math/rand/v2"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lantoa/lantoa/bench/internal/benchkit"
	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/schema"
)

type options struct {
	scale                                float64
	duration                             time.Duration
	screens, members, learners           int
	recordsRate, answersRate, portalRate float64
	pg, out, mix                         string
	cpuprofile                           string
}

func main() {
	var o options
	flag.Float64Var(&o.scale, "scale", 0.01, "seed profile scale (1 = 10M records, 1M learners)")
	flag.DurationVar(&o.duration, "duration", 20*time.Second, "length of each phase")
	flag.IntVar(&o.screens, "screens", 187, "bridge-point screens on the live stream")
	flag.IntVar(&o.members, "members", 0, "team members whose phones send the records (default: every member the seed made, at most 300)")
	flag.IntVar(&o.learners, "learners", 300, "learners sitting the exam")
	flag.Float64Var(&o.recordsRate, "records-rate", 200, "guidance records arriving per second")
	flag.Float64Var(&o.answersRate, "answers-rate", 500, "exam answers arriving per second")
	flag.Float64Var(&o.portalRate, "portal-rate", 50, "portal and public dashboard page views per second")
	flag.StringVar(&o.pg, "db", "", "PostgreSQL URL (default: SQLite in a temporary folder)")
	flag.StringVar(&o.out, "out", "", "write the Markdown report here too")
	flag.StringVar(&o.mix, "mix", "records,answers,portal", "workloads of the mixed phase")
	flag.StringVar(&o.cpuprofile, "cpuprofile", "", "write the server's CPU profile of the mixed phase here (serve --debug-addr; read with go tool pprof)")
	flag.Parse()
	if err := run(o); err != nil {
		log.Fatal(err)
	}
}

// lat collects latencies and errors of one workload.
type lat struct {
	mu     sync.Mutex
	d      []time.Duration
	errors atomic.Int64
	first  string
}

func (l *lat) add(d time.Duration) { l.mu.Lock(); l.d = append(l.d, d); l.mu.Unlock() }
func (l *lat) fail(msg string) {
	if l.errors.Add(1) == 1 {
		l.mu.Lock()
		l.first = msg
		l.mu.Unlock()
	}
}

type summary struct {
	n             int
	rate          float64
	p50, p99, max time.Duration
	errors        int64
	firstErr      string
}

func (l *lat) summary(d time.Duration) summary {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := slices.Clone(l.d)
	slices.Sort(s)
	out := summary{n: len(s), rate: float64(len(s)) / d.Seconds(), errors: l.errors.Load(), firstErr: l.first}
	if len(s) > 0 {
		out.p50, out.p99, out.max = benchkit.Pct(s, .5), benchkit.Pct(s, .99), s[len(s)-1]
	}
	return out
}

type env struct {
	o        options
	base     string
	client   *http.Client
	admin    string
	members  []string
	learners []string
	skills   []string
	course   int64
	ceremony int64
	attempts []attempt
	bin      string
	cmd      *exec.Cmd
	dbArg    string
	debug    string // the profiler's base URL, with -cpuprofile

	// What the server acknowledged, checked against the database after the run.
	recordsBefore int64 // outreach records the seed made
	ackRecords    atomic.Int64
	ackMu         sync.Mutex
	ackAnswers    map[[2]int64]bool // (attempt, question) with at least one acknowledged save
	ackLaunch     bool
}

func run(o options) error {
	root, err := benchkit.ModuleRoot()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "launchday-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	e := &env{o: o, bin: filepath.Join(dir, "lantoa"), ackAnswers: map[[2]int64]bool{},
		client: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 512, DisableCompression: true}}}
	logf("building lantoa")
	if out, err := exec.Command("go", "build", "-C", root, "-o", e.bin, "./cmd/lantoa").CombinedOutput(); err != nil {
		return fmt.Errorf("build: %v\n%s", err, out)
	}
	e.dbArg = filepath.Join(dir, "lantoa.db")
	if o.pg != "" {
		if e.dbArg, err = freshSchema(o.pg); err != nil {
			return err
		}
	}
	logf("seeding the province profile at scale %g", o.scale)
	seedStart := time.Now()
	seed := exec.Command(e.bin, "seed", "--db", e.dbArg, "--profile", "province", "--scale", fmt.Sprint(o.scale))
	seed.Stdout, seed.Stderr = os.Stderr, os.Stderr
	if err := seed.Run(); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	seedTook := time.Since(seedStart)
	if err := e.tokens(); err != nil {
		return err
	}
	if err := e.start(dir); err != nil {
		return err
	}
	defer e.stop()
	if err := e.setup(); err != nil {
		return err
	}

	type phase struct {
		name string
		res  map[string]summary
	}
	workloads := []string{"records", "answers", "portal"}
	var alone = map[string]summary{}
	for _, w := range workloads {
		logf("phase: %s alone for %s", w, o.duration)
		alone[w] = e.phase(map[string]bool{w: true}, 0)[w]
	}
	logf("phase: all together with %d screens for %s, then the launch", o.screens, o.duration)
	rssBefore := benchkit.ProcKiB(e.cmd.Process.Pid, "VmRSS")
	mix := map[string]bool{}
	for _, w := range strings.Split(o.mix, ",") {
		mix[strings.TrimSpace(w)] = true
	}
	profiled := make(chan error, 1)
	if o.cpuprofile != "" {
		go func() { profiled <- e.profile(o.cpuprofile, o.duration) }()
	} else {
		profiled <- nil
	}
	mixed := e.phase(mix, o.screens)
	if err := <-profiled; err != nil {
		logf("cpu profile: %v", err)
	} else if o.cpuprofile != "" {
		logf("cpu profile of the mixed phase: %s (go tool pprof -top %s)", o.cpuprofile, o.cpuprofile)
	}
	rssPeak := benchkit.ProcKiB(e.cmd.Process.Pid, "VmHWM")

	var b strings.Builder
	fmt.Fprintf(&b, "#### Launch-morning run of %s\n\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(&b, "Machine: %d CPUs, %s; engine %s; data: `lantoa seed --profile province --scale %g` (generated in %s); load average at end %s.\n\n",
		runtime.NumCPU(), runtime.Version(), engineName(o.pg), o.scale, seedTook.Round(time.Second), cmp.Or(benchkit.LoadAvg(), "?"))
	fmt.Fprintf(&b, "Command: `go run ./bench/launchday -scale %g -duration %s -screens %d -members %d -learners %d -records-rate %g -answers-rate %g -portal-rate %g%s`\n\n",
		o.scale, o.duration, o.screens, o.members, o.learners, o.recordsRate, o.answersRate, o.portalRate, map[bool]string{true: " -db URL", false: ""}[o.pg != ""])
	b.WriteString("Requests arrive at fixed rates (open loop); latency counts from the moment each was due.\n\n")
	b.WriteString("| Workload | Alone: req/s | p50 | p99 | errors | Mixed: req/s | p50 | p99 | errors | p99 mixed ÷ alone |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, w := range workloads {
		a, m := alone[w], mixed[w]
		fmt.Fprintf(&b, "| %s | %.0f | %s | %s | %d | %.0f | %s | %s | %d | %.2f |\n", label(w), a.rate, benchkit.Ms(a.p50), benchkit.Ms(a.p99), a.errors,
			m.rate, benchkit.Ms(m.p50), benchkit.Ms(m.p99), m.errors, float64(m.p99)/math.Max(float64(a.p99), 1))
	}
	l := mixed["launch"]
	fmt.Fprintf(&b, "\nLaunch event under the mixed load: %d of %d screens received it; delivery p50 %s, p99 %s, max %s.\n",
		l.n, o.screens, benchkit.Ms(l.p50), benchkit.Ms(l.p99), benchkit.Ms(l.max))
	fmt.Fprintf(&b, "Server RSS: %.1f MB before the mixed phase, peak (VmHWM) %.1f MB.\n", float64(rssBefore)/1024, float64(rssPeak)/1024)
	for _, w := range append(workloads, "launch") {
		for _, s := range []summary{alone[w], mixed[w]} {
			if s.firstErr != "" {
				fmt.Fprintf(&b, "\nFirst error of %s: %s\n", w, s.firstErr)
				break
			}
		}
	}
	// Stopped first, so the counts read what the server committed before it went, not what it was
	// still writing.
	e.stop()
	perr := e.checkPersisted(&b)
	fmt.Print(b.String())
	if o.out != "" {
		if err := os.WriteFile(o.out, []byte(b.String()), 0o644); err != nil {
			return err
		}
	}
	return perr
}

// checkPersisted compares what the server acknowledged over every phase with the database: each
// new guidance record (201) is a row more than the seed made; each (attempt, question) with an
// acknowledged save holds an answer (saves of one question race in an open loop, so which choice
// is last is not known, but the answer must be there); the launch is recorded.
func (e *env) checkPersisted(b *strings.Builder) error {
	b.WriteString("\n")
	records, err := benchkit.CountIn(e.dbArg, "SELECT COUNT(*) FROM outreach_records")
	if err != nil {
		return err
	}
	ids := make([]string, len(e.attempts))
	for i, a := range e.attempts {
		ids[i] = strconv.FormatInt(a.ID, 10)
	}
	answers, err := benchkit.CountIn(e.dbArg, "SELECT COUNT(*) FROM training_answers WHERE attempt_id IN ("+strings.Join(ids, ", ")+")")
	if err != nil {
		return err
	}
	launched, err := benchkit.CountIn(e.dbArg, "SELECT COUNT(*) FROM ceremonies WHERE launch_at > 0 AND id = ?", e.ceremony)
	if err != nil {
		return err
	}
	var w bytes.Buffer
	errs := []error{
		benchkit.Check(&w, "guidance records acknowledged as new (rows beyond the seed's)", e.ackRecords.Load(), records-e.recordsBefore),
		benchkit.Check(&w, "exam questions with an acknowledged answer saved", int64(len(e.ackAnswers)), answers),
		benchkit.Check(&w, "launch acknowledged, ceremony recorded as launched", int64(b2i(e.ackLaunch)), launched),
	}
	for _, l := range strings.SplitAfter(w.String(), "\n") {
		if l != "" {
			b.WriteString("- " + l)
		}
	}
	return errors.Join(errs...)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func label(w string) string {
	return map[string]string{"records": "Guidance records (POST /api/v1/outreach/records)", "answers": "Exam answers (PUT /api/v1/attempts/…/answers/…)",
		"portal": "Portal and public dashboard (GET / and /dashboard/public)"}[w]
}

// tokens makes API tokens for the generated administrator, members and learners, straight in the
// database before the server starts (SQLite is then still free of the server's lock).
func (e *env) tokens() error {
	ctx := authz.WithActor(context.Background(), authz.System)
	d, err := db.Open(ctx, e.dbArg, db.Options{})
	if err != nil {
		return err
	}
	defer d.Close()
	if _, err := d.Migrate(ctx, schema.All()); err != nil {
		return err
	}
	if e.recordsBefore, err = benchkit.Count(ctx, d.Reader(), "SELECT COUNT(*) FROM outreach_records"); err != nil {
		return err
	}
	acc := accounts.NewService(d)
	// n < 0 takes up to -n users, as many as there are.
	mk := func(prefix string, n int) ([]string, error) {
		atMost := n < 0
		n = max(n, -n)
		rows, err := d.Reader().QueryContext(ctx, "SELECT id FROM users WHERE username LIKE ? ORDER BY username LIMIT ?", prefix+"%", n)
		if err != nil {
			return nil, err
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if len(ids) < n && !(atMost && len(ids) > 0) {
			return nil, fmt.Errorf("only %d users named %s*, need %d (raise -scale)", len(ids), prefix, n)
		}
		var toks []string
		for _, id := range ids {
			t, err := acc.CreateToken(ctx, id, "launchday")
			if err != nil {
				return nil, err
			}
			toks = append(toks, t)
		}
		return toks, nil
	}
	admin, err := mk("seed.admin", 1)
	if err != nil {
		return err
	}
	e.admin = admin[0]
	members := e.o.members
	if members == 0 {
		members = -300 // a province at scale 0.01 has 75 members; they then send four times as often
	}
	if e.members, err = mk("tocnscd.", members); err != nil {
		return err
	}
	// The last learners: the generator gave the first ones attempts already; the bench's course is
	// new anyway, so any learner may start it.
	e.learners, err = mk("hocvien.", e.o.learners)
	return err
}

func (e *env) start(dir string) error {
	e.cmd = benchkit.ServeCmd(e.bin, e.dbArg, dir)
	if e.o.cpuprofile != "" {
		// The profiler listens on a port of its own; taking a free one and handing it over leaves
		// a short window in which another process could take it, harmless for a benchmark.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		e.debug = "http://" + ln.Addr().String()
		ln.Close()
		e.cmd.Args = append(e.cmd.Args, "--debug-addr", strings.TrimPrefix(e.debug, "http://"))
	}
	var err error
	e.base, err = benchkit.StartChild(e.cmd)
	return err
}

// profile fetches the server's CPU profile over d seconds into path.
func (e *env) profile(path string, d time.Duration) error {
	resp, err := http.Get(fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", e.debug, max(1, int(d.Seconds()))))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("profile: %s", resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func (e *env) stop() { benchkit.Stop(e.cmd, os.Interrupt, 10*time.Second) }

func (e *env) call(method, path, token, ctype string, body []byte, out any) (int, error) {
	req, _ := http.NewRequest(method, e.base+path, bytes.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: %v: %.200s", method, path, err, b)
		}
	}
	if resp.StatusCode >= 300 {
		return resp.StatusCode, fmt.Errorf("%s %s: %d %.300s", method, path, resp.StatusCode, b)
	}
	return resp.StatusCode, nil
}

// setup makes the exam the learners take (through the API, as the Department would) and finds the
// ceremony and the skills catalogue.
func (e *env) setup() error {
	var c struct {
		ID int64 `json:"id"`
	}
	if _, err := e.call("POST", "/api/v1/courses", e.admin, "application/json",
		[]byte(`{"title":"Kỹ năng số cơ bản (đo tải)","exam":{"question_count":20,"pass_percent":50,"time_limit_minutes":600}}`), &c); err != nil {
		return err
	}
	e.course = c.ID
	var bank bytes.Buffer
	bank.WriteString("category,type,question,A,B,C,D,correct\n")
	for i := range 60 {
		fmt.Fprintf(&bank, "Chủ đề %d,single,Câu hỏi số %d về dịch vụ công trực tuyến?,Một,Hai,Ba,Bốn,B\n", i%3, i)
	}
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	fw, _ := mw.CreateFormFile("file", "bank.csv")
	fw.Write(bank.Bytes())
	mw.Close()
	path := "/api/v1/courses/" + strconv.FormatInt(e.course, 10)
	if _, err := e.call("POST", path+"/questions/import", e.admin, mw.FormDataContentType(), form.Bytes(), nil); err != nil {
		return err
	}
	if _, err := e.call("POST", path+"/publish", e.admin, "application/json", []byte("{}"), nil); err != nil {
		return err
	}
	// A ceremony of its own, starting in ten minutes: the launch button is live from then on.
	var cer struct {
		ID int64 `json:"id"`
	}
	body := fmt.Sprintf(`{"title":"Lễ phát động (đo tải)","starts_at":%q}`, time.Now().Add(10*time.Minute).UTC().Format(time.RFC3339))
	if _, err := e.call("POST", "/api/v1/ceremonies", e.admin, "application/json", []byte(body), &cer); err != nil {
		return err
	}
	e.ceremony = cer.ID
	e.attempts = make([]attempt, len(e.learners))
	for i, tok := range e.learners {
		if _, err := e.call("POST", path+"/attempts", tok, "application/json", []byte("{}"), &e.attempts[i]); err != nil {
			return err
		}
	}
	var skills struct {
		Items []struct {
			Code string `json:"code"`
		} `json:"items"`
	}
	if _, err := e.call("GET", "/api/v1/outreach/skills", e.admin, "", nil, &skills); err != nil {
		return err
	}
	for _, s := range skills.Items {
		e.skills = append(e.skills, s.Code)
	}
	if len(e.skills) == 0 {
		return errors.New("empty skills catalogue")
	}
	return nil
}

type attempt struct {
	ID        int64 `json:"id"`
	Questions []struct {
		ID      int64 `json:"id"`
		Options []struct {
			ID int64 `json:"id"`
		} `json:"options"`
	} `json:"questions"`
}

// phase runs the chosen workloads for the duration; with screens > 0 it keeps that many live
// streams open and presses the launch button at the end.
func (e *env) phase(on map[string]bool, screens int) map[string]summary {
	res := map[string]*lat{"records": {}, "answers": {}, "portal": {}, "launch": {}}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	streamCtx, cancelStreams := context.WithCancel(context.Background())
	defer cancelStreams()
	var launchAt atomic.Int64
	var connected sync.WaitGroup
	var streams sync.WaitGroup
	if screens > 0 {
		connected.Add(screens)
		for i := range screens {
			streams.Add(1)
			go func() {
				defer streams.Done()
				e.screen(streamCtx, i, &connected, &launchAt, res["launch"])
			}()
		}
		connected.Wait()
	}
	started := time.Now()
	// Open loop: requests arrive at a fixed rate whatever the server's speed, as phones and
	// browsers do on the day, and latency counts from the moment a request was due, so a server
	// that falls behind shows it (no coordinated omission).
	var seq atomic.Int64
	sem := make(chan struct{}, 1024)
	arrive := func(name string, rate float64, do func(n int64) error) {
		if !on[name] || rate <= 0 {
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			every := time.Duration(float64(time.Second) / rate)
			next := time.Now()
			for {
				select {
				case <-stop:
					return
				case <-time.After(time.Until(next)):
				}
				due := next
				next = next.Add(every)
				select {
				case sem <- struct{}{}:
				default:
					res[name].fail("more than 1,024 requests outstanding")
					continue
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					defer func() { <-sem }()
					if err := do(seq.Add(1)); err != nil {
						res[name].fail(err.Error())
						return
					}
					res[name].add(time.Since(due))
				}()
			}
		}()
	}
	arrive("records", e.o.recordsRate, func(n int64) error {
		rng := mrand.New(mrand.NewPCG(uint64(n), 7)) // #nosec G404 G115 -- load data, reproducible per arrival; not a secret
		body := fmt.Sprintf(`{"client_id":%q,"citizen":{"name":"Người dân %d","birth_year":%d,"phone":"09%08d"},"skills":[%q],"guided_at":%q,"consent":{"given":true,"version":"v1"}}`,
			benchkit.UUID(), n, 1940+rng.IntN(60), rng.IntN(100000000), e.skills[rng.IntN(len(e.skills))], time.Now().Add(-time.Minute).UTC().Format(time.RFC3339))
		code, err := e.call("POST", "/api/v1/outreach/records", e.members[n%int64(len(e.members))], "application/json", []byte(body), nil)
		if err == nil && code == http.StatusCreated {
			e.ackRecords.Add(1)
		}
		return err
	})
	arrive("answers", e.o.answersRate, func(n int64) error {
		i := n % int64(len(e.learners))
		a := e.attempts[i]
		rng := mrand.New(mrand.NewPCG(uint64(n), 9)) // #nosec G404 G115 -- load data, reproducible per arrival; not a secret
		q := a.Questions[rng.IntN(len(a.Questions))]
		body := fmt.Sprintf(`{"choices":[%d]}`, q.Options[rng.IntN(len(q.Options))].ID)
		_, err := e.call("PUT", fmt.Sprintf("/api/v1/attempts/%d/answers/%d", a.ID, q.ID), e.learners[i], "application/json", []byte(body), nil)
		if err == nil {
			e.ackMu.Lock()
			e.ackAnswers[[2]int64{a.ID, q.ID}] = true
			e.ackMu.Unlock()
		}
		return err
	})
	arrive("portal", e.o.portalRate, func(n int64) error {
		_, err := e.call("GET", []string{"/", "/dashboard/public"}[n%2], "", "", nil, nil)
		return err
	})
	time.Sleep(e.o.duration)
	if screens > 0 {
		// Pressed while the other workloads keep running.
		launchAt.Store(time.Now().UnixNano())
		if _, err := e.call("POST", fmt.Sprintf("/api/v1/ceremonies/%d/launch", e.ceremony), e.admin, "application/json", []byte("{}"), nil); err != nil {
			res["launch"].fail(err.Error())
		} else {
			e.ackLaunch = true
		}
		done := make(chan struct{})
		go func() { streams.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
		}
	}
	close(stop)
	took := time.Since(started)
	wg.Wait()
	cancelStreams()
	out := map[string]summary{}
	for k, l := range res {
		out[k] = l.summary(took)
	}
	return out
}

// screen is one bridge point's display: connected to the live stream until the launch arrives.
func (e *env) screen(ctx context.Context, i int, connected *sync.WaitGroup, launchAt *atomic.Int64, l *lat) {
	once := sync.OnceFunc(connected.Done)
	defer once()
	req, _ := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("%s/api/v1/ceremonies/%d/events", e.base, e.ceremony), nil)
	req.Header.Set("Authorization", "Bearer "+e.admin)
	resp, err := (&http.Client{Transport: &http.Transport{DisableCompression: true}}).Do(req)
	if err != nil || resp.StatusCode != 200 {
		l.fail(fmt.Sprintf("screen %d: %v %v", i, err, resp))
		return
	}
	defer resp.Body.Close()
	once()
	br := bufio.NewReader(resp.Body)
	name := ""
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		switch {
		case line == "\n":
			if name == "launch" {
				if t := launchAt.Load(); t > 0 {
					l.add(time.Duration(time.Now().UnixNano() - t))
				}
				return
			}
			name = ""
		case strings.HasPrefix(line, "event: "):
			name = strings.TrimSpace(line[7:])
		}
	}
}

// freshSchema makes an empty schema in the PostgreSQL database and returns a URL that uses it.
func freshSchema(base string) (string, error) {
	conn, err := sql.Open("pgx", base)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	name := fmt.Sprintf("launchday_%d", time.Now().Unix())
	if _, err := conn.Exec("CREATE SCHEMA " + name); err != nil {
		return "", err
	}
	return benchkit.WithSearchPath(base, name)
}

func engineName(pg string) string {
	if pg != "" {
		return "PostgreSQL"
	}
	return "SQLite"
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "launchday: "+format+"\n", args...)
}
