// Command ceremony measures the launch event's delivery (issue 3): N screens hold a Server-Sent
// Events stream to `lantoa serve`; the launch button is pressed (POST …/launch); each screen records
// when the "launch" event reaches it. The same run measures a bare Go SSE broadcaster (a map of
// channels, no database, no authentication) with the same clients, as the baseline. Latency is
// from the moment the client sends the press to the moment a screen has parsed the event, so it
// includes the launch transaction (SQLite, synchronous=FULL) for Lan Tỏa and nothing of the sort
// for the baseline. Server RSS is read from /proc while the N streams are open.
//
// Run it from the module root (it builds cmd/lantoa into a temporary folder):
//
//	go run ./bench/ceremony -clients 187,9000 -rounds 3
//
// Each screen of Lan Tỏa holds a session of its own (made in the database before the server
// starts, as many as the largest -clients), so the server authenticates each stream as it would
// 9,000 browsers, not one token 9,000 times. Percentiles are nearest rank over every screen of
// every round (no screen left out; a screen that never got the event fails the run), and after the
// run the driver checks that every launch the server acknowledged is recorded in the database.
//
// 9,000 streams need about 9,000 descriptors on each side: the driver raises its limit (and so its
// children's) to the hard limit with setrlimit. Everything listens on 127.0.0.1.
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
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
	"syscall"
	"time"

	"github.com/lantoa/lantoa/bench/internal/benchkit"
	"github.com/lantoa/lantoa/internal/platform/db"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "bare-server" {
		bareServer()
		return
	}
	clients := flag.String("clients", "187,9000", "comma-separated numbers of concurrent SSE clients")
	rounds := flag.Int("rounds", 3, "launches per client count and server")
	bin := flag.String("lantoa", "", "lantoa binary (default: go build ./cmd/lantoa)")
	dbArg := flag.String("db", "", "database of the Lan Tỏa server: a PostgreSQL URL to measure on PostgreSQL (its events then go through LISTEN/NOTIFY); default a fresh SQLite file")
	flag.Parse()
	if err := run(*clients, *rounds, *bin, *dbArg); err != nil {
		fmt.Fprintln(os.Stderr, "ceremony bench:", err)
		os.Exit(1)
	}
}

func raiseFDLimit() uint64 {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0
	}
	lim.Cur = lim.Max
	_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	_ = syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
	return lim.Cur
}

// server is a child process serving SSE on 127.0.0.1.
type server struct {
	name string
	cmd  *exec.Cmd
	base string
	// stream and press return the URL of a fresh stream and perform one press for a round.
	newRound func() (streamURL string, press func() error, err error)
	header   http.Header
	// screen, when set, is the credential of screen i (Lan Tỏa: a session cookie of its own).
	screen func(i int) http.Header
	// launched lists the ceremonies whose launch the server acknowledged (Lan Tỏa).
	launched []int64
	dbArg    string
}

func (s *server) rssKiB() int { return int(benchkit.ProcKiB(s.cmd.Process.Pid, "VmRSS")) }

// goroutines reads go_goroutines from the server's /metrics (Lan Tỏa only; -1 otherwise): after a
// round's streams close it must fall back, or streams leak.
func (s *server) goroutines() int {
	resp, err := httpClient.Get(s.base + "/metrics")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return -1
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "go_goroutines "); ok {
			n, _ := strconv.ParseFloat(v, 64)
			return int(n)
		}
	}
	return -1
}

func (s *server) stop() { benchkit.Stop(s.cmd, syscall.SIGTERM, 10*time.Second) }

var httpClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}}

func startLantoa(bin, dir, dbPath string, screens int) (*server, error) {
	if dbPath == "" {
		dbPath = filepath.Join(dir, "lantoa.db")
	}
	if err := benchkit.EnsureProvinceAdmin(bin, dbPath, "", "bench.admin", "bench-admin-password-2026"); err != nil {
		return nil, err
	}
	cookies, err := screenSessions(dbPath, "bench.admin", screens)
	if err != nil {
		return nil, err
	}
	tok, err := exec.Command(bin, "token", "create", "--db", dbPath, "--username", "bench.admin").Output()
	if err != nil {
		return nil, fmt.Errorf("token create: %v", err)
	}
	lines := strings.Fields(string(tok))
	token := lines[len(lines)-1]
	s := &server{name: "Lan Tỏa", cmd: benchkit.ServeCmd(bin, dbPath, dir), header: http.Header{"Authorization": {"Bearer " + token}}, dbArg: dbPath,
		screen: func(i int) http.Header { return http.Header{"Cookie": {"lantoa_session=" + cookies[i]}} }}
	if s.base, err = benchkit.StartChild(s.cmd); err != nil {
		return nil, err
	}
	s.newRound = func() (string, func() error, error) {
		body := fmt.Sprintf(`{"title":"Lễ phát động (đo hiệu năng)","starts_at":%q}`, time.Now().Add(10*time.Minute).UTC().Format(time.RFC3339))
		var c struct {
			ID int64 `json:"id"`
		}
		if err := s.post("/api/v1/ceremonies", body, &c); err != nil {
			return "", nil, err
		}
		path := "/api/v1/ceremonies/" + strconv.FormatInt(c.ID, 10)
		return s.base + path + "/events", func() error {
			if err := s.post(path+"/launch", "{}", nil); err != nil {
				return err
			}
			s.launched = append(s.launched, c.ID)
			return nil
		}, nil
	}
	return s, nil
}

func (s *server) post(path, body string, out any) error {
	req, _ := http.NewRequest("POST", s.base+path, strings.NewReader(body))
	for k, v := range s.header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := httpClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return fmt.Errorf("POST %s: %d %s", path, resp.StatusCode, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

func startBare(self string) (*server, error) {
	s := &server{name: "bare Go SSE broadcaster", cmd: exec.Command(self, "bare-server"), header: http.Header{}}
	var err error
	if s.base, err = benchkit.StartChild(s.cmd); err != nil {
		return nil, err
	}
	s.newRound = func() (string, func() error, error) {
		return s.base + "/events", func() error { return s.post("/publish", "", nil) }, nil
	}
	return s, nil
}

// roundResult is one launch seen by N clients.
type roundResult struct {
	lat    []time.Duration
	missed int
	rss    int
}

// round opens n streams, waits until each has its first event (the stream is live), presses, and
// collects each client's delivery latency.
func round(s *server, n int) (roundResult, error) {
	streamURL, press, err := s.newRound()
	if err != nil {
		return roundResult{}, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var live sync.WaitGroup
	live.Add(n)
	var t0 atomic.Int64
	arrivals := make([]int64, n)
	var done sync.WaitGroup
	done.Add(n)
	var failed atomic.Int32
	sem := make(chan struct{}, 100) // connect 100 at a time
	tr := &http.Transport{DisableCompression: true, MaxIdleConns: 0, DialContext: (&net.Dialer{}).DialContext}
	client := &http.Client{Transport: tr}
	for i := range n {
		go func() {
			defer done.Done()
			sem <- struct{}{}
			req, _ := http.NewRequestWithContext(ctx, "GET", streamURL, nil)
			h := s.header
			if s.screen != nil {
				h = s.screen(i)
			}
			for k, v := range h {
				req.Header[k] = v
			}
			resp, err := client.Do(req)
			<-sem
			if err != nil || resp.StatusCode != 200 {
				failed.Add(1)
				live.Done()
				return
			}
			defer resp.Body.Close()
			br := bufio.NewReaderSize(resp.Body, 4096)
			first := true
			name := ""
			for {
				line, err := br.ReadSlice('\n')
				if err != nil {
					if first {
						failed.Add(1)
						live.Done()
					}
					return
				}
				switch {
				case len(line) == 1: // end of an event
					if first {
						first = false
						live.Done()
					}
					if name == "launch" {
						arrivals[i] = time.Now().UnixNano()
						return
					}
					name = ""
				case strings.HasPrefix(string(line), "event: "):
					name = strings.TrimSpace(string(line[7:]))
				}
			}
		}()
	}
	live.Wait()
	if f := failed.Load(); f > 0 {
		return roundResult{}, fmt.Errorf("%s: %d of %d streams failed", s.name, f, n)
	}
	runtime.GC()
	time.Sleep(200 * time.Millisecond)
	res := roundResult{rss: s.rssKiB()}
	t0.Store(time.Now().UnixNano())
	if err := press(); err != nil {
		return roundResult{}, err
	}
	waitDone := make(chan struct{})
	go func() { done.Wait(); close(waitDone) }()
	select {
	case <-waitDone:
	case <-time.After(60 * time.Second):
		cancel()
		<-waitDone
	}
	for _, a := range arrivals {
		if a == 0 {
			res.missed++
			continue
		}
		res.lat = append(res.lat, time.Duration(a-t0.Load()))
	}
	cancel()
	tr.CloseIdleConnections()
	time.Sleep(2 * time.Second) // let the servers finish closing the streams before the next round
	return res, nil
}

// pct is a percentile in milliseconds: the nearest rank (the published figures before issue 16
// took sorted[⌊(n−1)·p⌋] of each round and the median over rounds, which left the two slowest of
// 187 screens out of p99).
func pct(sorted []time.Duration, p float64) float64 {
	return benchkit.Millis(benchkit.Pct(sorted, p))
}

// median is the median over rounds, the upper middle round for an even count.
func median(v []float64) float64 {
	m, _, _ := benchkit.UpperMedian(v)
	return m
}

func run(clientsFlag string, rounds int, bin, dbArg string) error {
	fds := raiseFDLimit()
	var counts []int
	for _, c := range strings.Split(clientsFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(c))
		if err != nil || n <= 0 {
			return fmt.Errorf("bad -clients %q", clientsFlag)
		}
		if uint64(n)+200 > fds {
			return fmt.Errorf("%d clients need more descriptors than the limit %d", n, fds)
		}
		counts = append(counts, n)
	}
	dir, err := os.MkdirTemp("", "lantoa-ceremony-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if bin == "" {
		bin = filepath.Join(dir, "lantoa")
		build := exec.Command("go", "build", "-o", bin, "./cmd/lantoa")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("build: %w", err)
		}
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	lt, err := startLantoa(bin, dir, dbArg, slices.Max(counts))
	if err != nil {
		return err
	}
	defer lt.stop()
	bare, err := startBare(self)
	if err != nil {
		return err
	}
	defer bare.stop()
	idle := map[string]int{lt.name: lt.rssKiB(), bare.name: bare.rssKiB()}

	engine := "SQLite"
	if strings.HasPrefix(dbArg, "postgres") {
		engine = "PostgreSQL"
	}
	fmt.Printf("# Launch event delivery — Lan Tỏa on %s; %s, %d CPU, GOMAXPROCS %d, fd limit %d, %s\n\n", engine, runtime.Version(), runtime.NumCPU(), runtime.GOMAXPROCS(0), fds, time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Printf("%d rounds per row; percentiles are nearest rank over every screen of every round; one session per Lan Tỏa screen. Idle RSS: Lan Tỏa %.1f MiB, bare %.1f MiB. Load %s.\n\n",
		rounds, float64(idle[lt.name])/1024, float64(idle[bare.name])/1024, benchkit.LoadAvg())
	fmt.Println("| clients | server | samples | p50 ms | p99 ms | max ms | missed | RSS with streams open (MiB, median of rounds) |")
	fmt.Println("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
	totalMissed := 0
	for _, n := range counts {
		type agg struct {
			all []time.Duration
			rss []float64
		}
		res := map[string]*agg{lt.name: {}, bare.name: {}}
		missed := map[string]int{}
		for r := range rounds {
			order := []*server{lt, bare}
			if r%2 == 1 {
				order = []*server{bare, lt}
			}
			for _, s := range order {
				rr, err := round(s, n)
				if err != nil {
					return err
				}
				slices.Sort(rr.lat)
				a := res[s.name]
				a.all = append(a.all, rr.lat...)
				a.rss = append(a.rss, float64(rr.rss)/1024)
				missed[s.name] += rr.missed
				fmt.Fprintf(os.Stderr, "n=%d %s round %d: p50 %.2f p99 %.2f max %.2f ms, rss %.1f MiB, missed %d, goroutines after %d\n", n, s.name, r+1,
					pct(rr.lat, .5), pct(rr.lat, .99), pct(rr.lat, 1), float64(rr.rss)/1024, rr.missed, s.goroutines())
			}
		}
		for _, s := range []*server{lt, bare} {
			a := res[s.name]
			slices.Sort(a.all)
			fmt.Printf("| %d | %s | %d | %.2f | %.2f | %.2f | %d | %.1f |\n", n, s.name, len(a.all), pct(a.all, .50), pct(a.all, .99), pct(a.all, 1), missed[s.name], median(a.rss))
			totalMissed += missed[s.name]
		}
	}
	fmt.Println()
	lt.stop()
	ids := make([]string, len(lt.launched))
	for i, id := range lt.launched {
		ids[i] = strconv.FormatInt(id, 10)
	}
	found := int64(0)
	if len(ids) > 0 {
		if found, err = benchkit.CountIn(lt.dbArg, "SELECT COUNT(*) FROM ceremonies WHERE launch_at > 0 AND id IN ("+strings.Join(ids, ", ")+")"); err != nil {
			return err
		}
	}
	if err := benchkit.Check(os.Stdout, "launches acknowledged (ceremonies recorded as launched)", int64(len(ids)), found); err != nil {
		return err
	}
	if totalMissed > 0 {
		return fmt.Errorf("%d screens never received the launch event", totalMissed)
	}
	return nil
}

// screenSessions makes n sessions of user username in the database, one per screen, and returns
// their cookie values; only the hash is stored, as internal/accounts does.
func screenSessions(dbArg, username string, n int) ([]string, error) {
	ctx := context.Background()
	d, err := db.Open(ctx, dbArg, db.Options{})
	if err != nil {
		return nil, err
	}
	defer d.Close()
	var uid int64
	if err := d.Reader().QueryRowContext(ctx, "SELECT id FROM users WHERE username = ?", username).Scan(&uid); err != nil {
		return nil, fmt.Errorf("find %s: %w", username, err)
	}
	cookies := make([]string, n)
	now := time.Now()
	for lo := 0; lo < n; lo += 1000 {
		err := d.WriteTx(ctx, func(tx *db.Tx) error {
			for i := lo; i < min(n, lo+1000); i++ {
				b := make([]byte, 32)
				_, _ = rand.Read(b)
				cookies[i] = base64.RawURLEncoding.EncodeToString(b)
				sum := sha256.Sum256([]byte(cookies[i]))
				if _, err := tx.ExecContext(ctx, "INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at, expires_at, addr, user_agent) VALUES (?, ?, ?, ?, ?, '127.0.0.1', 'bench/ceremony')",
					hex.EncodeToString(sum[:]), uid, now.UnixMilli(), now.UnixMilli(), now.Add(12*time.Hour).UnixMilli()); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return cookies, nil
}

// bareServer is the baseline: a minimal Go SSE broadcaster. Each stream registers a buffered
// channel; POST /publish sends one event to every channel; each handler writes and flushes it.
func bareServer() {
	raiseFDLimit()
	var mu sync.Mutex
	subs := map[chan []byte]struct{}{}
	var seq atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("GET /events", func(w http.ResponseWriter, r *http.Request) {
		ch := make(chan []byte, 16)
		mu.Lock()
		subs[ch] = struct{}{}
		mu.Unlock()
		defer func() {
			mu.Lock()
			delete(subs, ch)
			mu.Unlock()
		}()
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Cache-Control", "no-cache")
		fmt.Fprintf(w, "event: hello\ndata: {}\n\n")
		w.(http.Flusher).Flush()
		for {
			select {
			case <-r.Context().Done():
				return
			case msg := <-ch:
				if _, err := w.Write(msg); err != nil {
					return
				}
				w.(http.Flusher).Flush()
			}
		}
	})
	mux.HandleFunc("POST /publish", func(w http.ResponseWriter, r *http.Request) {
		id := seq.Add(1)
		msg := []byte(fmt.Sprintf("id: %d\nevent: launch\ndata: {\"launch_at_ms\":%d}\n\n", id, time.Now().Add(5*time.Second).UnixMilli()))
		mu.Lock()
		for ch := range subs {
			select {
			case ch <- msg:
			default:
			}
		}
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("bare broadcaster at http://%s\n", ln.Addr())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	_ = srv.Serve(ln)
}
