// Command foundation measures the foundation figures of Lan Tỏa (issue 2): binary size, start to
// ready, idle memory, and a login burst against a bare Argon2id baseline measured in the same run.
//
// Run it from the module root (about 6 minutes on 2 cores, plus the -idle-long wait):
//
//	go run ./bench/foundation -idle-long 150s -out /tmp/foundation.md
//
// Every measure is repeated -n times and reported as median (min–max); the Markdown report goes to
// stdout or -out, progress to stderr. Each server runs in a temporary directory of its own, listens
// on 127.0.0.1 only, and is stopped with SIGTERM (SIGKILL after 5 s). Before each timed measure the
// driver waits (bounded by -quiet-wait) for the machine to be quiet, and it records how much CPU
// other processes took during each measure, since the development machine is shared. The figures
// are for docs/benchmarks.md; no test asserts them.
package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/lantoa/lantoa/bench/internal/benchkit"
)

// The parameters of internal/accounts/password.go, repeated here so the baseline hashes exactly
// what a login verifies.
const (
	argonMemoryKiB = 19 * 1024
	argonTime      = 2
	argonThreads   = 1
	argonKeyLen    = 32
)

const (
	benchUser     = "bench-login"
	benchPassword = "bench-login-password-2026"
	pollEvery     = 5 * time.Millisecond
	readyDeadline = 60 * time.Second
	stopGrace     = 5 * time.Second
)

type options struct {
	bin         string
	n           int
	logins      int
	conc        []int
	idle        time.Duration
	baseHashes  int
	out         string
	only        map[string]bool
	quietBelow  float64
	quietWait   time.Duration
	idleLong    time.Duration
	keepTemp    bool
	moduleRoot  string
	commandLine string
	loadStart   string
}

func main() {
	var o options
	var conc string
	flag.StringVar(&o.bin, "bin", "", "lantoa binary to run (default: build one with plain `go build`)")
	flag.IntVar(&o.n, "n", 5, "repetitions of every measure")
	flag.IntVar(&o.logins, "logins", 400, "logins per burst")
	flag.StringVar(&conc, "conc", "50,200", "comma-separated concurrencies of the login burst")
	flag.DurationVar(&o.idle, "idle", 3*time.Second, "idle time before reading the RSS of an idle server")
	flag.IntVar(&o.baseHashes, "base-hashes", 16, "hashes per goroutine in one bare Argon2id baseline run")
	flag.StringVar(&o.out, "out", "", "write the Markdown report to this file (default: stdout)")
	only := flag.String("only", "size,ready,idle,burst", "comma-separated sections to run: size, ready, idle, burst (and idle-long when -idle-long is set)")
	flag.BoolVar(&o.keepTemp, "keep", false, "keep the temporary directory (server logs) for inspection")
	flag.Float64Var(&o.quietBelow, "quiet", 0.3, "before each timed measure, wait until the machine is at most this busy over 1 s (0 disables)")
	flag.DurationVar(&o.quietWait, "quiet-wait", 30*time.Second, "longest wait for -quiet before measuring anyway")
	flag.StringVar(&burstDB, "burst-db", "", "run the login burst on this database (a PostgreSQL URL: sessions and login throttling then live there) instead of a fresh SQLite file")
	flag.DurationVar(&o.idleLong, "idle-long", 0, "also read the RSS of `serve --demo` after this long idle, past the Go runtime's forced GC (2 min); 0 skips")
	flag.Parse()
	o.only = map[string]bool{}
	for _, f := range strings.Split(*only, ",") {
		switch f = strings.TrimSpace(f); f {
		case "size", "ready", "idle", "burst", "idle-long":
			o.only[f] = true
		case "":
		default:
			fatalf("unknown section %q in -only", f)
		}
	}
	if o.idleLong > 0 {
		o.only["idle-long"] = true
	}
	for _, f := range strings.Split(conc, ",") {
		c, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || c < 1 {
			fatalf("bad -conc %q", conc)
		}
		o.conc = append(o.conc, c)
	}
	if o.n < 1 || o.logins < 1 || o.baseHashes < 1 {
		fatalf("-n, -logins and -base-hashes must be positive")
	}
	o.commandLine = "go run ./bench/foundation"
	if len(os.Args) > 1 {
		o.commandLine += " " + strings.Join(quoteArgs(os.Args[1:]), " ")
	}
	o.loadStart = cmp.Or(benchkit.LoadAvg(), "unknown")
	if err := run(o); err != nil {
		fatalf("%v", err)
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "foundation: "+format+"\n", args...)
	os.Exit(1)
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, time.Now().Format("15:04:05")+" "+format+"\n", args...)
}

func quoteArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\"'$\\*?") {
			a = strconv.Quote(a)
		}
		out[i] = a
	}
	return out
}

// results collects every sample under a metric name; the report reads them back in order.
type results struct {
	samples map[string][]float64
}

func (r *results) add(name string, v float64) {
	if r.samples == nil {
		r.samples = map[string][]float64{}
	}
	r.samples[name] = append(r.samples[name], v)
}

type summary struct{ med, min, max float64 }

func summarize(xs []float64) (summary, bool) {
	if len(xs) == 0 {
		return summary{}, false
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return summary{med: m, min: s[0], max: s[len(s)-1]}, true
}

func (r *results) get(name string) (summary, bool) { return summarize(r.samples[name]) }

func run(o options) error {
	root, err := benchkit.ModuleRoot()
	if err != nil {
		return err
	}
	o.moduleRoot = root
	tmp, err := os.MkdirTemp("", "lantoa-bench-")
	if err != nil {
		return err
	}
	if o.keepTemp {
		logf("temporary directory kept: %s", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}
	started := time.Now().UTC()
	var res results

	// The server binary is built first, so that it and the size builds see the same tree.
	plainBin := filepath.Join(tmp, "lantoa")
	bin := o.bin
	if bin == "" {
		logf("building %s", plainBin)
		if _, err := buildSize(root, plainBin, false); err != nil {
			return err
		}
		bin = plainBin
	} else if bin, err = filepath.Abs(bin); err != nil {
		return err
	}

	// a. Binary size.
	if o.only["size"] {
		for i := range o.n {
			logf("size %d/%d", i+1, o.n)
			sz, err := buildSize(root, filepath.Join(tmp, "lantoa-size"), false)
			if err != nil {
				return err
			}
			res.add("size.plain", float64(sz))
			sz, err = buildSize(root, filepath.Join(tmp, "lantoa-size"), true)
			if err != nil {
				return err
			}
			res.add("size.stripped", float64(sz))
		}
	}
	// b. Start to ready, fresh and second start (same database).
	for i := range o.n * b2i(o.only["ready"]) {
		logf("start to ready %d/%d", i+1, o.n)
		dir := filepath.Join(tmp, fmt.Sprintf("start-%d", i))
		if err := os.Mkdir(dir, 0o755); err != nil {
			return err
		}
		for _, phase := range []string{"fresh", "second"} {
			waitQuiet(o)
			s, err := startServer(bin, dir, phase, false)
			if err != nil {
				return err
			}
			res.add("ready."+phase, s.readyIn.Seconds()*1000)
			if err := s.stop(); err != nil {
				return err
			}
		}
	}

	// c. Idle RSS, with and without demo data, each on a fresh database.
	for i := range o.n * b2i(o.only["idle"]) {
		for _, demo := range []bool{true, false} {
			name := map[bool]string{true: "demo", false: "plain"}[demo]
			logf("idle RSS %s %d/%d", name, i+1, o.n)
			dir := filepath.Join(tmp, fmt.Sprintf("idle-%s-%d", name, i))
			if err := os.Mkdir(dir, 0o755); err != nil {
				return err
			}
			waitQuiet(o)
			s, err := startServer(bin, dir, "run", demo)
			if err != nil {
				return err
			}
			res.add("ready.fresh."+name, s.readyIn.Seconds()*1000)
			time.Sleep(o.idle)
			st, err := benchkit.ProcStatus(s.pid())
			if err != nil {
				s.stop()
				return err
			}
			for _, k := range []string{"VmRSS", "VmHWM", "RssAnon", "RssFile"} {
				res.add("idle."+name+"."+k, float64(st[k]))
			}
			if m, err := goMetrics(s.base); err == nil {
				for _, k := range []string{"go_memstats_heap_inuse_bytes", "go_memstats_sys_bytes"} {
					if v, ok := m[k]; ok {
						res.add("idle."+name+"."+k, v)
					}
				}
			}
			if err := s.stop(); err != nil {
				return err
			}
		}
	}

	// d. Login burst, interleaved with the bare Argon2id baseline so both see the same noise.
	for i := range o.n * b2i(o.only["burst"]) {
		logf("argon2id baseline %d/%d", i+1, o.n)
		for _, g := range []int{1, 2} {
			waitQuiet(o)
			h := bareHashes(g, o.baseHashes)
			k := fmt.Sprintf("argon.%d", g)
			res.add(k, h.rate)
			res.add(k+".cpu", h.cpuPerHash)
			res.add(k+".others", h.others)
		}
		for _, c := range o.conc {
			logf("login burst c=%d %d/%d", c, i+1, o.n)
			waitQuiet(o)
			b, err := loginBurst(bin, filepath.Join(tmp, fmt.Sprintf("burst-%d-%d", c, i)), c, o.logins)
			if err != nil {
				return err
			}
			p := fmt.Sprintf("burst.%d.", c)
			res.add(p+"rate", b.rate)
			res.add(p+"p50", b.p50)
			res.add(p+"p99", b.p99)
			res.add(p+"max", b.max)
			res.add(p+"errors", float64(b.errors))
			res.add(p+"hwm.before", float64(b.hwmBefore))
			res.add(p+"hwm.after", float64(b.hwmAfter))
			res.add(p+"rss.peak", float64(b.rssPeak))
			res.add(p+"cpu", b.cpuPerLogin)
			res.add(p+"others", b.others)
		}
	}

	// Optional: idle RSS of `serve --demo` once the runtime has collected the demo's hashing
	// garbage. The servers idle side by side, so this costs one wait, not n.
	if o.only["idle-long"] && o.idleLong > 0 {
		var servers []*server
		for i := range o.n {
			logf("long idle demo: start %d/%d", i+1, o.n)
			dir := filepath.Join(tmp, fmt.Sprintf("idlelong-%d", i))
			if err := os.Mkdir(dir, 0o755); err != nil {
				return err
			}
			s, err := startServer(bin, dir, "run", true)
			if err != nil {
				return err
			}
			defer s.stop()
			servers = append(servers, s)
		}
		logf("long idle demo: idling %v", o.idleLong)
		time.Sleep(o.idleLong)
		for _, s := range servers {
			st, err := benchkit.ProcStatus(s.pid())
			if err != nil {
				return err
			}
			for _, k := range []string{"VmRSS", "RssAnon", "RssFile"} {
				res.add("idlelong.demo."+k, float64(st[k]))
			}
			if m, err := goMetrics(s.base); err == nil {
				for _, k := range []string{"go_memstats_heap_inuse_bytes", "go_memstats_heap_released_bytes", "go_gc_duration_seconds_count"} {
					if v, ok := m[k]; ok {
						res.add("idlelong.demo."+k, v)
					}
				}
			}
		}
	}

	report := renderReport(o, &res, started, bin)
	if o.out == "" {
		_, err = os.Stdout.WriteString(report)
		return err
	}
	if err := os.WriteFile(o.out, []byte(report), 0o644); err != nil {
		return err
	}
	logf("report written to %s", o.out)
	return nil
}

// buildAttempts and buildRetry bound the wait for a tree that others are editing to compile again.
const (
	buildAttempts = 20
	buildRetry    = 30 * time.Second
)

// buildSize builds ./cmd/lantoa to out and returns the file's size. A failed build is retried
// (at most buildAttempts times, buildRetry apart): the tree may be in the middle of an edit.
func buildSize(root, out string, stripped bool) (int64, error) {
	var err error
	for attempt := 1; attempt <= buildAttempts; attempt++ {
		var sz int64
		if sz, err = buildOnce(root, out, stripped); err == nil {
			return sz, nil
		}
		if attempt < buildAttempts {
			logf("build failed (attempt %d/%d), retrying in %v: %v", attempt, buildAttempts, buildRetry, brief(err.Error()))
			time.Sleep(buildRetry)
		}
	}
	return 0, err
}

// brief squeezes a build error onto one line of at most 300 bytes for the progress log.
func brief(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

func buildOnce(root, out string, stripped bool) (int64, error) {
	args := []string{"build"}
	if stripped {
		args = append(args, "-trimpath", "-ldflags=-s -w")
	}
	args = append(args, "-o", out, "./cmd/lantoa")
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, b)
	}
	fi, err := os.Stat(out)
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// server is one running lantoa serve.
type server struct {
	cmd     *exec.Cmd
	base    string
	readyIn time.Duration
	done    chan error
	logs    []*os.File
}

func (s *server) pid() int { return s.cmd.Process.Pid }

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// startServer starts lantoa serve on dir/lantoa.db and waits for the first 200 on /readyz,
// polling every 5 ms; readyIn runs from just before the process starts.
func startServer(bin, dir, tag string, demo bool) (*server, error) {
	return startServerOn(bin, dir, tag, demo, filepath.Join(dir, "lantoa.db"))
}

// startServerOn is startServer on the database dbArg (a file or a PostgreSQL URL).
func startServerOn(bin, dir, tag string, demo bool, dbArg string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	args := []string{"serve", "--addr", addr, "--db", dbArg}
	if demo {
		args = append(args, "--demo")
	}
	stdout, err := os.Create(filepath.Join(dir, tag+".stdout"))
	if err != nil {
		return nil, err
	}
	stderr, err := os.Create(filepath.Join(dir, tag+".stderr"))
	if err != nil {
		stdout.Close()
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = stdout, stderr
	s := &server{cmd: cmd, base: "http://" + addr, done: make(chan error, 1), logs: []*os.File{stdout, stderr}}
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		stdout.Close()
		stderr.Close()
		return nil, err
	}
	go func() { s.done <- cmd.Wait() }()
	deadline := t0.Add(readyDeadline)
	for {
		resp, err := client.Get(s.base + "/readyz")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				s.readyIn = time.Since(t0)
				return s, nil
			}
		}
		select {
		case err := <-s.done:
			s.closeLogs()
			return nil, fmt.Errorf("lantoa serve exited before ready (%v); see %s", err, stderr.Name())
		default:
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("lantoa serve not ready after %v; see %s", readyDeadline, stderr.Name())
		}
		time.Sleep(pollEvery)
	}
}

func (s *server) closeLogs() {
	for _, f := range s.logs {
		f.Close()
	}
}

// stop sends SIGTERM, then SIGKILL after 5 s.
func (s *server) stop() error {
	defer s.closeLogs()
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
		return nil
	case <-time.After(stopGrace):
	}
	logf("pid %d ignored SIGTERM for %v; killing", s.pid(), stopGrace)
	_ = s.cmd.Process.Kill()
	select {
	case <-s.done:
		return nil
	case <-time.After(stopGrace):
		return fmt.Errorf("pid %d did not exit after SIGKILL", s.pid())
	}
}

// goMetrics reads the untyped gauges of /metrics (diagnostics only).
func goMetrics(base string) (map[string]float64, error) {
	c := &http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(base + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	m := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, " ")
		if !ok || strings.Contains(k, "{") {
			continue
		}
		if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
			m[k] = f
		}
	}
	return m, sc.Err()
}

type hashRun struct {
	rate       float64 // hashes/s, wall clock
	cpuPerHash float64 // ms of this process's CPU per hash
	others     float64 // share of the machine's CPU other processes took meanwhile
}

// bareHashes runs goroutines × per Argon2id hashes with the server's parameters.
// One untimed hash per goroutine first grows the heap, as a running server's already is.
func bareHashes(goroutines, per int) hashRun {
	pw := []byte(benchPassword)
	hashes := func(k int) time.Duration {
		var wg sync.WaitGroup
		t0 := time.Now()
		for range goroutines {
			wg.Add(1)
			go func() {
				defer wg.Done()
				salt := make([]byte, 16)
				for range k {
					rand.Read(salt)
					argon2.IDKey(pw, salt, argonTime, argonMemoryKiB, argonThreads, argonKeyLen)
				}
			}()
		}
		wg.Wait()
		return time.Since(t0)
	}
	hashes(1)
	m0 := readMachineCPU()
	self0 := selfCPU()
	d := hashes(per)
	self := selfCPU() - self0
	n := float64(goroutines * per)
	return hashRun{rate: n / d.Seconds(), cpuPerHash: self.Seconds() * 1000 / n, others: othersShare(m0, readMachineCPU(), self)}
}

// machineCPU is the first line of /proc/stat, in clock ticks.
type machineCPU struct{ busy, total uint64 }

func readMachineCPU() machineCPU {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return machineCPU{}
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	var m machineCPU
	// user nice system idle iowait irq softirq steal
	for i := 1; i < len(f) && i <= 8; i++ {
		v, _ := strconv.ParseUint(f[i], 10, 64)
		m.total += v
		if i != 4 && i != 5 {
			m.busy += v
		}
	}
	return m
}

// ticksPerSecond is USER_HZ, 100 on every Linux architecture Go supports.
const ticksPerSecond = 100

// othersShare is the share of the whole machine's CPU (all cores) that was busy between a and b
// but not accounted for by ours.
func othersShare(a, b machineCPU, ours time.Duration) float64 {
	total := float64(b.total - a.total)
	if total <= 0 {
		return 0
	}
	busy := float64(b.busy-a.busy) - ours.Seconds()*ticksPerSecond
	return max(0, busy/total)
}

// busyOver samples how busy the whole machine is over d.
func busyOver(d time.Duration) float64 {
	a := readMachineCPU()
	time.Sleep(d)
	b := readMachineCPU()
	if b.total <= a.total {
		return 0
	}
	return float64(b.busy-a.busy) / float64(b.total-a.total)
}

// waitQuiet waits, at most -quiet-wait, until the machine is at most -quiet busy over one second,
// so that a timed measure does not start in the middle of somebody else's compile.
func waitQuiet(o options) {
	if o.quietBelow <= 0 {
		return
	}
	deadline := time.Now().Add(o.quietWait)
	for {
		b := busyOver(time.Second)
		if b <= o.quietBelow {
			return
		}
		if time.Now().After(deadline) {
			logf("machine still %.0f%% busy after %v; measuring anyway", b*100, o.quietWait)
			return
		}
	}
}

// selfCPU is this process's user+system CPU time.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procCPU is a process's user+system CPU time from /proc/PID/stat.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	ut, err1 := strconv.ParseUint(f[11], 10, 64)
	st, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: bad utime/stime", pid)
	}
	return time.Duration(ut+st) * time.Second / ticksPerSecond, nil // #nosec G115 -- clock ticks of one process fit an int64
}

type burst struct {
	rate                float64 // logins/s
	p50, p99, max       float64 // ms
	errors              int
	hwmBefore, hwmAfter int64
	rssPeak             int64
	cpuPerLogin         float64 // ms of server CPU per login
	others              float64 // share of the machine's CPU other processes took meanwhile
}

// burstDB, when set, is the database of the login burst (-burst-db).
var burstDB string

// loginBurst creates one user with the CLI on a fresh database, starts the server, and has c
// concurrent clients share `total` logins of that user, each a fresh form POST without cookies.
// A login counts as good on 303 with a lantoa_session cookie.
func loginBurst(bin, dir string, c, total int) (burst, error) {
	var b burst
	if err := os.Mkdir(dir, 0o755); err != nil {
		return b, err
	}
	dbArg := filepath.Join(dir, "lantoa.db")
	if burstDB != "" {
		dbArg = burstDB
	}
	if err := benchkit.EnsureProvinceAdmin(bin, dbArg, dir, benchUser, benchPassword); err != nil {
		return b, err
	}
	s, err := startServerOn(bin, dir, "serve", false, dbArg)
	if err != nil {
		return b, err
	}
	defer s.stop()
	st, err := benchkit.ProcStatus(s.pid())
	if err != nil {
		return b, err
	}
	b.hwmBefore = st["VmHWM"]

	// Peak VmRSS, sampled every 10 ms while the burst runs (VmHWM gives the true peak).
	var peak atomic.Int64
	sampleCtx, stopSampling := context.WithCancel(context.Background())
	defer stopSampling()
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			if st, err := benchkit.ProcStatus(s.pid()); err == nil && st["VmRSS"] > peak.Load() {
				peak.Store(st["VmRSS"])
			}
			select {
			case <-sampleCtx.Done():
				return
			case <-t.C:
			}
		}
	}()

	tr := &http.Transport{MaxIdleConns: c, MaxIdleConnsPerHost: c, IdleConnTimeout: 30 * time.Second}
	defer tr.CloseIdleConnections()
	client := &http.Client{
		Transport:     tr,
		Timeout:       2 * time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	form := url.Values{"username": {benchUser}, "password": {benchPassword}}.Encode()
	jobs := make(chan struct{}, total)
	for range total {
		jobs <- struct{}{}
	}
	close(jobs)
	lat := make([]float64, 0, total)
	var mu sync.Mutex
	var errs atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	srvCPU0, err := procCPU(s.pid())
	if err != nil {
		return b, err
	}
	m0, self0 := readMachineCPU(), selfCPU()
	t0 := time.Now()
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range jobs {
				start := time.Now()
				ok, err := login(client, s.base, form)
				d := time.Since(start)
				if !ok {
					errs.Add(1)
					if err != nil {
						firstErr.CompareAndSwap(nil, err.Error())
					}
				}
				mu.Lock()
				lat = append(lat, d.Seconds()*1000)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(t0)
	m1, self1 := readMachineCPU(), selfCPU()
	srvCPU1, err := procCPU(s.pid())
	if err != nil {
		return b, err
	}
	stopSampling()
	<-sampled
	b.cpuPerLogin = (srvCPU1 - srvCPU0).Seconds() * 1000 / float64(total)
	b.others = othersShare(m0, m1, srvCPU1-srvCPU0+self1-self0)
	st, err = benchkit.ProcStatus(s.pid())
	if err != nil {
		return b, err
	}
	b.hwmAfter = st["VmHWM"]
	b.rssPeak = peak.Load()
	b.errors = int(errs.Load())
	if e := firstErr.Load(); e != nil {
		logf("first login error: %s", e)
	}
	b.rate = float64(total-b.errors) / elapsed.Seconds()
	// Each acknowledged sign-in (303 with a session cookie) must have left its session in the
	// database; the count is taken from the run's start, so a PostgreSQL database kept from an
	// earlier run does not add its old sessions.
	sessions, err := benchkit.CountIn(dbArg, "SELECT COUNT(*) FROM sessions x JOIN users u ON u.id = x.user_id WHERE u.username = ? AND x.created_at >= ?",
		benchUser, t0.UnixMilli())
	if err != nil {
		return b, err
	}
	if err := benchkit.Check(os.Stderr, fmt.Sprintf("login burst c=%d: sign-ins acknowledged, sessions in the database", c), int64(total-b.errors), sessions); err != nil {
		return b, err
	}
	slices.Sort(lat)
	b.p50 = benchkit.NearestRank(lat, .50)
	b.p99 = benchkit.NearestRank(lat, .99)
	b.max = lat[len(lat)-1]
	return b, nil
}

func login(client *http.Client, base, form string) (bool, error) {
	req, err := http.NewRequest(http.MethodPost, base+"/login", strings.NewReader(form))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := client.Do(req)
	if err != nil {
		return false, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return false, fmt.Errorf("status %d", resp.StatusCode)
	}
	for _, ck := range resp.Cookies() {
		if ck.Name == "lantoa_session" && ck.Value != "" {
			return true, nil
		}
	}
	return false, errors.New("303 without lantoa_session cookie")
}

// --- Report ---

func machine() (nproc int, model, kernel, goVersion, mem string) {
	nproc = runtime.NumCPU()
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		kernel = strings.TrimSpace(string(b))
	}
	if out, err := exec.Command("go", "version").Output(); err == nil {
		goVersion = strings.TrimPrefix(strings.TrimSpace(string(out)), "go version ")
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "MemTotal:") {
				f := strings.Fields(line)
				if len(f) >= 2 {
					if kb, err := strconv.ParseFloat(f[1], 64); err == nil {
						mem = fmt.Sprintf("%.1f GiB", kb/(1<<20))
					}
				}
			}
		}
	}
	return
}

func gitCommit(root string) string {
	cmd := exec.Command("git", "rev-parse", "--short=12", "HEAD")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return "unknown"
	}
	c := strings.TrimSpace(string(out))
	cmd = exec.Command("git", "status", "--porcelain", "--untracked-files=no")
	cmd.Dir = root
	if st, err := cmd.Output(); err == nil && len(bytes.TrimSpace(st)) > 0 {
		c += " (with uncommitted changes)"
	}
	return c
}

func renderReport(o options, r *results, started time.Time, bin string) string {
	var w strings.Builder
	nproc, model, kernel, goVersion, mem := machine()
	fmt.Fprintf(&w, "### Foundation run of %s\n\n", started.Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(&w, "Machine: %d CPUs (%s), %s RAM, Linux %s; %s; commit %s.\n", nproc, model, mem, kernel, goVersion, gitCommit(o.moduleRoot))
	binNote := "plain `go build ./cmd/lantoa`"
	if o.bin != "" {
		binNote = "`" + bin + "`"
	}
	fmt.Fprintf(&w, "Servers run from %s with SQLite in a fresh temporary directory each. ", binNote)
	if burstDB != "" {
		fmt.Fprintf(&w, "The login burst runs on PostgreSQL (-burst-db), on the same machine: its CPU counts among the other processes'. ")
	}
	fmt.Fprintf(&w, "Each figure is the median of %d runs, with min–max.\n\n", o.n)
	fmt.Fprintf(&w, "Command (from the module root):\n\n```\n%s\n```\n\n", o.commandLine)

	fmt.Fprintf(&w, "| Measure | Median | Min | Max |\n|---|---:|---:|---:|\n")
	row := func(label, key string, format func(float64) string) {
		s, ok := r.get(key)
		if !ok {
			return
		}
		fmt.Fprintf(&w, "| %s | %s | %s | %s |\n", label, format(s.med), format(s.min), format(s.max))
	}
	mb := func(v float64) string { return fmt.Sprintf("%.1f MB", v/1e6) }
	ms := func(v float64) string { return fmt.Sprintf("%.0f ms", v) }
	ms1 := func(v float64) string { return fmt.Sprintf("%.1f ms", v) }
	perS := func(v float64) string { return fmt.Sprintf("%.1f /s", v) }
	count := func(v float64) string { return fmt.Sprintf("%.0f", v) }
	pct := func(v float64) string { return fmt.Sprintf("%.0f%%", v*100) }

	row("Binary, `go build -trimpath -ldflags=\"-s -w\"`", "size.stripped", mb)
	row("Binary, plain `go build`", "size.plain", mb)
	row("Start → first 200 on /readyz, empty folder (`serve`)", "ready.fresh", ms1)
	row("Start → first 200 on /readyz, initialised db (second start)", "ready.second", ms1)
	row("Start → first 200 on /readyz, empty folder (`serve --demo`)", "ready.fresh.demo", ms1)
	for _, name := range []string{"demo", "plain"} {
		label := map[string]string{"demo": "`serve --demo`", "plain": "`serve`"}[name]
		idle := fmt.Sprintf("%v", o.idle)
		row(fmt.Sprintf("Idle %s after %s: VmRSS", label, idle), "idle."+name+".VmRSS", mb)
		row(fmt.Sprintf("Idle %s after %s: VmHWM (peak since start)", label, idle), "idle."+name+".VmHWM", mb)
		row(fmt.Sprintf("Idle %s: RssAnon / RssFile — anon", label), "idle."+name+".RssAnon", mb)
		row(fmt.Sprintf("Idle %s: RssAnon / RssFile — file", label), "idle."+name+".RssFile", mb)
		row(fmt.Sprintf("Idle %s: Go heap in use (/metrics)", label), "idle."+name+".go_memstats_heap_inuse_bytes", mb)
		row(fmt.Sprintf("Idle %s: Go runtime memory from the OS (/metrics)", label), "idle."+name+".go_memstats_sys_bytes", mb)
	}
	long := fmt.Sprintf("Idle `serve --demo` after %v (past the runtime's forced GC)", o.idleLong)
	row(long+": VmRSS", "idlelong.demo.VmRSS", mb)
	row(long+": RssAnon", "idlelong.demo.RssAnon", mb)
	row(long+": RssFile", "idlelong.demo.RssFile", mb)
	row(long+": Go heap in use", "idlelong.demo.go_memstats_heap_inuse_bytes", mb)
	row(long+": Go heap released to the OS", "idlelong.demo.go_memstats_heap_released_bytes", mb)
	row(long+": GC cycles since start", "idlelong.demo.go_gc_duration_seconds_count", count)
	for _, g := range []string{"1", "2"} {
		l := "Bare Argon2id (19 MiB, t=2, p=1), " + g + " goroutine"
		if g == "2" {
			l += "s"
		}
		row(l+": hashes/s", "argon."+g, perS)
		row(l+": CPU per hash", "argon."+g+".cpu", ms1)
		row(l+": other processes' share of the machine's CPU", "argon."+g+".others", pct)
	}
	for _, c := range o.conc {
		p := fmt.Sprintf("burst.%d.", c)
		l := fmt.Sprintf("Login burst, %d logins, %d concurrent", o.logins, c)
		row(l+": logins/s", p+"rate", perS)
		row(l+": latency p50", p+"p50", ms)
		row(l+": latency p99", p+"p99", ms)
		row(l+": latency max", p+"max", ms)
		row(l+": errors", p+"errors", count)
		row(l+": server VmHWM before", p+"hwm.before", mb)
		row(l+": server VmHWM after (peak)", p+"hwm.after", mb)
		row(l+": server VmRSS peak, sampled every 10 ms", p+"rss.peak", mb)
		row(l+": server CPU per login", p+"cpu", ms1)
		row(l+": other processes' share of the machine's CPU", p+"others", pct)
	}
	fmt.Fprintf(&w, "\nRatios of medians from this run:\n\n")
	a1, ok1 := r.get("argon.1")
	a2, ok2 := r.get("argon.2")
	for _, c := range o.conc {
		rate, ok := r.get(fmt.Sprintf("burst.%d.rate", c))
		if !ok || !ok1 || !ok2 {
			continue
		}
		fmt.Fprintf(&w, "- %d concurrent: server logins/s ÷ bare hashes/s = %.2f (vs 2 goroutines), %.2f (vs 1 goroutine)\n",
			c, rate.med/a2.med, rate.med/a1.med)
		if cpu, ok := r.get(fmt.Sprintf("burst.%d.cpu", c)); ok {
			if h, ok := r.get("argon.1.cpu"); ok && h.med > 0 {
				fmt.Fprintf(&w, "- %d concurrent: server CPU per login ÷ bare CPU per hash (1 goroutine) = %.2f\n", c, cpu.med/h.med)
			}
		}
	}
	if ok1 && ok2 {
		fmt.Fprintf(&w, "- Bare Argon2id, 2 goroutines ÷ 1 goroutine = %.2f\n", a2.med/a1.med)
	}
	if o.quietBelow > 0 {
		fmt.Fprintf(&w, "\nBefore each timed measure the driver waited (at most %v) for the machine to be at most %.0f%% busy over one second. ", o.quietWait, o.quietBelow*100)
	} else {
		fmt.Fprintf(&w, "\n")
	}
	fmt.Fprintf(&w, "Load average at start: %s; at end: %s.\n", o.loadStart, cmp.Or(benchkit.LoadAvg(), "unknown"))
	fmt.Fprintf(&w, "\nMB = 10^6 bytes. VmHWM is the process's resident high-water mark since it started, so \"after\" is the burst's peak when it exceeds \"before\".\n")
	return w.String()
}
