// Command signin measures sign-ins per second through single sign-on (OpenID Connect, against the
// real provider of internal/oidctest: zitadel's example provider as a separate process) beside
// password sign-ins (Argon2id), in the same run and on the same server, interleaved so that both
// see the same noise.
//
//	go run ./bench/signin -n 200 -conc 1,8 -runs 3
//
// A password sign-in is one POST /login (a good one answers 303 with a session cookie). A single
// sign-on is what a browser does: GET /login/sso/{id} (a pending sign-in written), the provider's
// authorization request and login form, its redirect back, and the callback (the code exchanged
// with PKCE, the ID token verified, userinfo fetched, the link read, a session written); it counts
// when it lands on /workspace. The provider's own work is included: it runs on the same machine.
// Phone one-time codes (issue 18's other sign-in) join this driver when they exist.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lantoa/lantoa/bench/internal/benchkit"
	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/accounts/sso"
	"github.com/lantoa/lantoa/internal/app"
	"github.com/lantoa/lantoa/internal/oidctest"
	"github.com/lantoa/lantoa/internal/platform/authz"
)

const (
	username = "bench.sso"
	password = "bench-signin-password-2026" // #nosec G101 -- the bench account on a throwaway database
	opUser   = "bench.sso.op"
	opPass   = "bench-provider-password"
)

func main() {
	n := flag.Int("n", 200, "sign-ins per burst")
	conc := flag.String("conc", "1,8", "comma-separated concurrencies")
	runs := flag.Int("runs", 3, "bursts of each kind per concurrency (interleaved)")
	flag.Parse()
	if err := run(*n, *conc, *runs); err != nil {
		fmt.Fprintln(os.Stderr, "signin:", err)
		os.Exit(1)
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func run(n int, concList string, runs int) error {
	ctx := context.Background()
	tmp, err := os.MkdirTemp("", "lantoa-signin-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	opPort, err := freePort()
	if err != nil {
		return err
	}
	providers := []sso.Provider{{ID: "tinh", Name: "Cổng định danh tỉnh", Issuer: oidctest.IssuerAt(opPort), ClientID: oidctest.ClientID,
		ClientSecret: oidctest.ClientSecret}}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	a, err := app.Build(ctx, app.BuildConfig{Source: filepath.Join(tmp, "lantoa.db"), SSO: providers, Logger: log, Notify: app.NotifyConfig{NoWorker: true}})
	if err != nil {
		return err
	}
	defer a.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: a.Web, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	base := "http://" + ln.Addr().String()

	_, stop, _, err := oidctest.Run(opPort, []oidctest.User{{ID: "sub-bench", Username: opUser, Password: opPass, FirstName: "Bench", LastName: "SSO",
		Email: "bench.sso@example.vn", EmailVerified: true}}, base+"/login/sso/tinh/callback")
	if err != nil {
		return err
	}
	defer stop()
	sys := authz.WithActor(ctx, authz.System)
	u, err := a.Accounts.CreateUser(sys, accounts.NewUser{Username: username, Password: password, Role: authz.ProvinceAdmin, UnitCode: "51"})
	if err != nil {
		return err
	}
	links, err := sso.New(a.DB, a.Accounts, providers)
	if err != nil {
		return err
	}
	if _, err := links.LinkUser(sys, "tinh", u.ID, "sub-bench", ""); err != nil {
		return err
	}

	fmt.Printf("### Sign-ins per second (load %s)\n\n", benchkit.LoadAvg())
	fmt.Printf("One server (SQLite), one account; %d sign-ins per burst, %d bursts of each kind per concurrency, interleaved. Median burst (min–max).\n\n", n, runs)
	fmt.Println("| concurrency | password (Argon2id), sign-ins/s | single sign-on through the provider, sign-ins/s |")
	fmt.Println("| ---: | ---: | ---: |")
	for _, f := range strings.Split(concList, ",") {
		c, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || c < 1 {
			return fmt.Errorf("-conc: %q", f)
		}
		var pw, ss []float64
		for range runs {
			r, err := burst(n, c, func() bool { return passwordSignIn(base) })
			if err != nil {
				return fmt.Errorf("password burst: %w", err)
			}
			pw = append(pw, r)
			r, err = burst(n, c, func() bool { return ssoSignIn(base) })
			if err != nil {
				return fmt.Errorf("sso burst: %w", err)
			}
			ss = append(ss, r)
		}
		pm, plo, phi := benchkit.UpperMedian(pw)
		sm, slo, shi := benchkit.UpperMedian(ss)
		fmt.Printf("| %d | %.1f (%.1f–%.1f) | %.1f (%.1f–%.1f) |\n", c, pm, plo, phi, sm, slo, shi)
	}
	return nil
}

// burst has c workers share n sign-ins and returns sign-ins per second; any failed sign-in fails
// the burst (a rate of failures is no rate of sign-ins).
func burst(n, c int, signIn func() bool) (float64, error) {
	var next, failed atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range c {
		wg.Go(func() {
			for next.Add(1) <= int64(n) {
				if !signIn() {
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if f := failed.Load(); f > 0 {
		return 0, fmt.Errorf("%d of %d sign-ins failed", f, n)
	}
	return float64(n) / elapsed.Seconds(), nil
}

func passwordSignIn(base string) bool {
	client := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.PostForm(base+"/login", url.Values{"username": {username}, "password": {password}, "next": {"/workspace"}})
	if err != nil {
		return false
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return false
	}
	for _, c := range resp.Cookies() {
		if c.Name == "lantoa_session" && c.Value != "" {
			return true
		}
	}
	return false
}

func ssoSignIn(base string) bool {
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	resp, err := oidctest.SignIn(client, base+"/login/sso/tinh?next=/workspace", opUser, opPass)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK && resp.Request.URL.Path == "/workspace"
}
