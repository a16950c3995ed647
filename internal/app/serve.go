package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os/signal"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/lantoa/lantoa/internal/demo"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/units"
	"github.com/lantoa/lantoa/internal/web"
)

// Config is the configuration of `lantoa serve`: flags, with environment defaults.
type Config struct {
	Addr string
	DB   string
	Demo bool
	// DemoMap is the demo's map: "2023" (the plan's Quảng Ngãi, the default of --demo) or "2025"
	// (Quảng Ngãi on the two-tier map with its 2023 history, --demo 2025).
	DemoMap       string
	LogLevel      string
	LogFormat     string
	SecureCookies bool
	TrustProxy    bool
	SQLiteSync    string
	// Instance names this process in the X-Lantoa-Instance response header (several instances
	// behind one proxy); empty sends no header.
	Instance string
	// DebugAddr, when set, serves Go's profiler (net/http/pprof) on that loopback address.
	DebugAddr string
	// Notify configures the outbox's senders (SMTP, development file).
	Notify NotifyConfig
	// PortalHosts maps host names to the province whose public portal they serve
	// (--portal-host chuyendoiso.quangngai.gov.vn=51, repeatable; env LANTOA_PORTAL_HOSTS as a
	// comma-separated list). Every host also serves each province's portal under /tinh/{code}/.
	PortalHosts map[string]string
	// RequireStaff2FA makes administrators set up a second factor (TOTP) at their next sign-in:
	// --require-staff-2fa, on unless turned off (env LANTOA_REQUIRE_STAFF_2FA=0). The zero value is
	// off so that the tests' servers (internal/e2e) choose it; with --demo the demo's
	// administrators are enrolled with demo.TOTPSecret.
	RequireStaff2FA bool
}

// demoMaps are the maps --demo takes.
var demoMaps = []string{"2023", "2025"}

// demoFlag is --demo: a boolean flag ("--demo" alone is the plan's 2023 demo) that also takes a
// map year, "--demo=2025" (or "--demo 2025", see runServe).
type demoFlag struct {
	on   *bool
	year *string
}

func (d *demoFlag) String() string {
	if d.on == nil || !*d.on {
		return "false"
	}
	return cmp.Or(*d.year, "2023")
}

func (d *demoFlag) Set(v string) error {
	switch v {
	case "true", "2023":
		*d.on, *d.year = true, "2023"
	case "2025":
		*d.on, *d.year = true, "2025"
	case "false":
		*d.on, *d.year = false, ""
	default:
		return fmt.Errorf("%q: 2023 hoặc 2025 / want 2023 or 2025", v)
	}
	return nil
}

func (d *demoFlag) IsBoolFlag() bool { return true }

// portalHosts is the repeatable --portal-host flag: HOST=CODE.
type portalHosts map[string]string

func (h portalHosts) String() string {
	var parts []string
	for host, code := range h {
		parts = append(parts, host+"="+code)
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// Set adds one or more (comma-separated) HOST=CODE mappings. The host is kept in lower case without
// a port; a host mapped to two provinces is refused.
func (h portalHosts) Set(v string) error {
	for _, item := range strings.Split(v, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		host, code, ok := strings.Cut(item, "=")
		host, code = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(host)), "."), strings.TrimSpace(code)
		if hh, _, err := net.SplitHostPort(host); err == nil {
			host = hh
		}
		if !ok || host == "" || code == "" || strings.ContainsAny(host, "/ @?#") {
			return fmt.Errorf("%q: cần dạng TÊN-MÁY=MÃ-TỈNH, ví dụ chuyendoiso.quangngai.gov.vn=51 / want HOST=PROVINCE-CODE", item)
		}
		if old, dup := h[host]; dup && old != code {
			return fmt.Errorf("%s: đã gán cho tỉnh mã %s / already mapped to province %s", host, old, old)
		}
		h[host] = code
	}
	return nil
}

// checkPortalHosts refuses a mapping to a code that names no province of the unit tree, at start.
func checkPortalHosts(ctx context.Context, u *units.Service, hosts map[string]string) error {
	for host, code := range hosts {
		unit, err := u.Find(ctx, code)
		if err != nil || unit.Level != units.Province {
			return fmt.Errorf("--portal-host %s=%s: không có tỉnh, thành phố mã %s trong cây đơn vị (lantoa import units) / no province with code %s in the unit tree",
				host, code, code, code)
		}
	}
	return nil
}

func runServe(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "serve", "[--addr HOST:PORT] [--db PATH|URL] [--demo [2023|2025]]")
	var cfg Config
	addr := env.Getenv("LANTOA_ADDR")
	if addr == "" {
		addr = "localhost:8080"
	}
	fs.StringVar(&cfg.Addr, "addr", addr, "listen address (env LANTOA_ADDR)")
	cfg.DB = *dbFlag(fs, env)
	dbp := fs.Lookup("db")
	fs.Var(&demoFlag{on: &cfg.Demo, year: &cfg.DemoMap}, "demo", "load demo organisations and users of every role (password "+demo.Password+"); --demo 2025: Quảng Ngãi on the 2025 map (no district) with its 2023 history")
	fs.StringVar(&cfg.LogLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&cfg.LogFormat, "log-format", "text", "text or json")
	fs.BoolVar(&cfg.SecureCookies, "secure-cookies", env.Getenv("LANTOA_SECURE_COOKIES") == "1", "mark cookies Secure and send HSTS (behind HTTPS) (env LANTOA_SECURE_COOKIES=1)")
	fs.BoolVar(&cfg.TrustProxy, "trust-proxy", env.Getenv("LANTOA_TRUST_PROXY") == "1", "take client addresses from X-Forwarded-For (behind a reverse proxy) (env LANTOA_TRUST_PROXY=1)")
	fs.StringVar(&cfg.SQLiteSync, "sqlite-synchronous", "FULL", "SQLite synchronous mode: FULL (durable, default) or NORMAL")
	fs.StringVar(&cfg.Instance, "instance-name", env.Getenv("LANTOA_INSTANCE"), "name sent in the X-Lantoa-Instance response header (env LANTOA_INSTANCE)")
	fs.StringVar(&cfg.DebugAddr, "debug-addr", "", "serve Go's profiler on this loopback address, e.g. 127.0.0.1:6060 (off by default)")
	fs.BoolVar(&cfg.RequireStaff2FA, "require-staff-2fa", env.Getenv("LANTOA_REQUIRE_STAFF_2FA") != "0",
		"administrators must sign in with a second factor (TOTP app), set up at their next sign-in (env LANTOA_REQUIRE_STAFF_2FA=0 turns it off)")
	notifyFlags(fs, env, &cfg.Notify)
	hosts := portalHosts{}
	if v := env.Getenv("LANTOA_PORTAL_HOSTS"); v != "" {
		if err := hosts.Set(v); err != nil {
			return fmt.Errorf("LANTOA_PORTAL_HOSTS: %w", err)
		}
	}
	fs.Var(hosts, "portal-host", "serve one province's portal on a host name, HOST=PROVINCE-CODE, e.g. chuyendoiso.quangngai.gov.vn=51; repeatable (env LANTOA_PORTAL_HOSTS, comma-separated)")
	if err := parse(fs, args); err != nil {
		return err
	}
	// --demo is a boolean flag, so "--demo 2025" leaves the year as the first argument: take it,
	// and parse the flags after it.
	if cfg.Demo && fs.NArg() > 0 && slices.Contains(demoMaps, fs.Arg(0)) {
		cfg.DemoMap = fs.Arg(0)
		if err := parse(fs, fs.Args()[1:]); err != nil {
			return err
		}
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "serve: unexpected argument %q\n", fs.Arg(0))
		return errUsage
	}
	cfg.PortalHosts = hosts
	cfg.DB = dbp.Value.String()
	return Serve(ctx, env, cfg, nil)
}

// build is the part of the configuration that makes the application (see Build).
func (cfg Config) build(log *slog.Logger, reg *prometheus.Registry) BuildConfig {
	return BuildConfig{Source: cfg.DB, DBOptions: db.Options{Synchronous: cfg.SQLiteSync}, Logger: log, Registry: reg,
		Notify: cfg.Notify, Addr: cfg.Addr, SecureCookies: cfg.SecureCookies, TrustProxy: cfg.TrustProxy, PortalHosts: cfg.PortalHosts,
		RequireStaff2FA: cfg.RequireStaff2FA}
}

// Serve runs the web server until ctx ends or SIGINT/SIGTERM arrives. When ready is not nil it
// receives the listening address once the server accepts connections (tests use port 0).
func Serve(ctx context.Context, env Env, cfg Config, ready chan<- string) error {
	log, err := newLogger(env.Stderr, cfg.LogLevel, cfg.LogFormat)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	if !db.IsPostgresURL(cfg.DB) {
		// One server per SQLite file: a second one, or a restore, must not write under it.
		release, err := db.LockServing(cfg.DB)
		if err != nil {
			return err
		}
		defer release()
	}
	// The port first: the first administrator's one-time password is printed once and stored only
	// hashed, so a start that creates the account and then finds its port taken would lose it.
	// A busy port now stops the start before any account exists; the next start creates it.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("không mở được %s (cổng đang bận?), chưa tạo gì / cannot listen on %s (port busy?), nothing was created: %w", cfg.Addr, cfg.Addr, err)
	}
	// Serve closes it on the way out; this covers the returns before it.
	defer ln.Close()
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	a, err := Build(ctx, cfg.build(log, reg))
	if err != nil {
		return err
	}
	defer a.Close()

	if pw, err := a.Accounts.EnsureFirstAdmin(ctx); err != nil {
		return fmt.Errorf("first administrator: %w", err)
	} else if pw != "" {
		fmt.Fprintf(env.Stdout, "Tài khoản quản trị đầu tiên / first administrator: %s\nMật khẩu dùng một lần / one-time password: %s\n"+
			"(Hãy đăng nhập và đổi mật khẩu ngay / log in and change it now; it is not shown again.)\n", "admin", pw)
	}
	if cfg.Demo {
		load := demo.Load
		if cfg.DemoMap == "2025" {
			load = demo.Load2025
		}
		// Before Start and before the server serves: the loader sets the ceremony's and the
		// reports' clocks back to press a launch and submit reports of the past, which nothing
		// else may see.
		made, err := load(ctx, a.demo())
		if err != nil {
			return fmt.Errorf("demo data: %w", err)
		}
		if len(made) > 0 {
			log.Info("demo data loaded", "users", len(made), "password", demo.Password)
		}
	}
	if err := a.Start(ctx); err != nil {
		return err
	}

	if cfg.DebugAddr != "" {
		stopDebug, err := startDebug(ctx, cfg.DebugAddr, log)
		if err != nil {
			return err
		}
		defer stopDebug()
	}
	httpServer := &http.Server{
		Handler:           web.InstanceHeader(cfg.Instance, a.Web),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		// No WriteTimeout: live screens hold Server-Sent Events streams open; handlers that stream
		// manage their own deadlines with http.ResponseController.
		IdleTimeout:    120 * time.Second,
		MaxHeaderBytes: 64 << 10,
		BaseContext:    func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	// Shutdown does not cancel requests: end the live streams so that it need not wait for them.
	httpServer.RegisterOnShutdown(a.Bus.EndSubscriptions)
	errc := make(chan error, 1)
	go func() { errc <- httpServer.Serve(ln) }()
	url := "http://" + ln.Addr().String()
	log.Info("Lan Tỏa is serving", "url", url, "version", version(), "engine", a.DB.Engine)
	fmt.Fprintf(env.Stdout, "Lan Tỏa đang chạy tại / serving at %s\n", url)
	if ready != nil {
		ready <- ln.Addr().String()
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := httpServer.Shutdown(shutdownCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}
