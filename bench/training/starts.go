package main

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/lantoa/lantoa/bench/internal/benchkit"
	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/training"
)

const benchPassword = "mật-khẩu-đo-tải-2026" // #nosec G101 -- the password of the benchmark's own throwaway learners

var (
	hashOnce sync.Once
	hashVal  string
	hashErr  error
)

// passwordHash is the one Argon2id hash every bench learner gets (see learners).
func passwordHash(ctx context.Context) (string, error) {
	hashOnce.Do(func() { hashVal, hashErr = accounts.HashPassword(ctx, benchPassword) })
	return hashVal, hashErr
}

// signIn posts the login form and returns the session cookie.
func (e *env) signIn(username string) (*http.Cookie, error) {
	form := url.Values{"username": {username}, "password": {benchPassword}}
	resp, err := e.client.Post(e.base+"/login", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return nil, fmt.Errorf("sign-in: status %d", resp.StatusCode)
	}
	for _, c := range resp.Cookies() {
		if c.Name == "lantoa_session" && c.Value != "" {
			return c, nil
		}
	}
	return nil, fmt.Errorf("sign-in: no session cookie")
}

func (e *env) starts(ctx context.Context) error {
	o := e.o
	hash, err := passwordHash(ctx)
	if err != nil {
		return err
	}
	procs := numCPU()
	// Sign-ins per second at saturation: 2 × GOMAXPROCS clients signing in back to back (the
	// hasher runs GOMAXPROCS at a time), with probe accounts of their own.
	_, err = e.learners(ctx, "probe", 4*procs, hash)
	if err != nil {
		return err
	}
	probe := load(2*procs, o.signinProbe, func(i int) error {
		_, err := e.signIn(fmt.Sprintf("probe.%d", i%(4*procs)))
		return err
	})
	if probe.n == 0 {
		return fmt.Errorf("sign-in probe: no sign-in succeeded: %s", probe.firstErr)
	}
	rate := probe.rate()
	spread := o.signinUtil * rate
	window := o.window
	if window <= 0 {
		window = time.Duration(math.Ceil(float64(o.starters)/spread)) * time.Second
	}
	fmt.Printf("(b) sign-in capacity: %.1f sign-ins/s at saturation on %d cores = %.1f per core (%s; %d errors). "+
		"To keep sign-ins to %.0f%% of it the lobby must spread learners at ≤ %.1f/s: %d learners need a start window of ≥ %.0f s; this run uses %s.\n\n",
		rate, procs, rate/float64(procs), benchkit.Summarize(probe.lat), probe.errs, 100*o.signinUtil, spread, o.starters, float64(o.starters)/spread, window)

	ids, err := e.learners(ctx, "start", o.starters, hash)
	if err != nil {
		return err
	}
	examAt := time.Now().Add(3 * time.Second).Truncate(time.Second)
	course, err := e.exam(ctx, "Bài thi đo tải, có phòng chờ", examAt, window)
	if err != nil {
		return err
	}
	var phaseMu sync.Mutex
	phases := map[string][]time.Duration{}
	e.st.ts.ObserveStart = func(phase string, d time.Duration) {
		phaseMu.Lock()
		phases[phase] = append(phases[phase], d)
		phaseMu.Unlock()
	}
	defer func() { e.st.ts.ObserveStart = nil }()
	var mu sync.Mutex
	var total, signin, start stats
	var wg sync.WaitGroup
	began := time.Now()
	loadBefore := benchkit.LoadAvg()
	for i, id := range ids {
		// The lobby's own spread (training.LearnerStart), plus up to a second of human delay between
		// the start button coming on and the click: slots are whole seconds, so without it every
		// learner of a second would arrive in the same instant.
		at := training.LearnerStart(course, id).Add(time.Duration(pick(1000)) * time.Millisecond)
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Until(at))
			t0 := time.Now()
			c, err := e.signIn(fmt.Sprintf("start.%d", i))
			t1 := time.Now()
			var code int
			if err == nil {
				var a struct {
					Questions []struct{} `json:"questions"`
				}
				code, err = call(e.client, "POST", fmt.Sprintf("%s/api/v1/courses/%d/attempts", e.base, course.ID),
					http.Header{"Cookie": {c.String()}}, nil, &a)
				if err == nil && (code != 201 || len(a.Questions) != 20) {
					err = fmt.Errorf("start: status %d, %d questions", code, len(a.Questions))
				}
			}
			t2 := time.Now()
			mu.Lock()
			defer mu.Unlock()
			if c != nil {
				signin.n++
				signin.lat = append(signin.lat, t1.Sub(t0))
			}
			if err != nil {
				total.errs++
				if total.firstErr == "" {
					total.firstErr = err.Error()
				}
				return
			}
			start.n++
			start.lat = append(start.lat, t2.Sub(t1))
			total.n++
			total.lat = append(total.lat, t2.Sub(t0))
		}()
	}
	wg.Wait()
	elapsed := time.Since(began)
	fmt.Printf("%d learners arriving over %s as the lobby spreads them (%.1f/s; run %s, load %s → %s):\n\n",
		o.starters, window, float64(o.starters)/window.Seconds(), elapsed.Round(time.Second), loadBefore, benchkit.LoadAvg())
	fmt.Println("| what | latency over every sample |")
	fmt.Println("| --- | --- |")
	fmt.Printf("| sign-in + start (what the learner waits) | %s, %d errors |\n", benchkit.Summarize(total.lat), total.errs)
	fmt.Printf("| sign-in alone | %s |\n", benchkit.Summarize(signin.lat))
	fmt.Printf("| start alone | %s |\n", benchkit.Summarize(start.lat))
	phaseMu.Lock()
	for _, ph := range []string{"read", "wait", "write", "render"} {
		fmt.Printf("| start, phase %s (inside the service) | %s |\n", ph, benchkit.Summarize(phases[ph]))
	}
	phaseMu.Unlock()
	fmt.Println()
	if total.firstErr != "" {
		fmt.Printf("- first error: %q\n\n", total.firstErr)
	}
	// What was acknowledged: a session per signed-in learner, an attempt per started one.
	sessions, err := benchkit.Count(ctx, e.d.Reader(), "SELECT COUNT(*) FROM sessions x JOIN users u ON u.id = x.user_id WHERE u.search_key = 'start'")
	if err != nil {
		return err
	}
	attempts, err := benchkit.Count(ctx, e.d.Reader(), "SELECT COUNT(*) FROM training_attempts WHERE course_id = ?", course.ID)
	if err != nil {
		return err
	}
	err1 := benchkit.Check(os.Stdout, "sign-ins (sessions of the starting learners)", int64(signin.n), sessions)
	err2 := benchkit.Check(os.Stdout, "exam starts (attempts of the course)", int64(start.n), attempts)
	fmt.Println()
	if err1 != nil {
		return err1
	}
	return err2
}
