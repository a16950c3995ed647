package app

import (
	"context"
	"fmt"
	"github.com/lantoa/lantoa/internal/pubservices"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/accounts/sso"
	"github.com/lantoa/lantoa/internal/ceremony"
	"github.com/lantoa/lantoa/internal/notify"
	"github.com/lantoa/lantoa/internal/orgs"
	"github.com/lantoa/lantoa/internal/outreach"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/events"
	"github.com/lantoa/lantoa/internal/platform/i18n"
	"github.com/lantoa/lantoa/internal/portal"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/training"
	"github.com/lantoa/lantoa/internal/units"
	"github.com/lantoa/lantoa/internal/web"
)

// BuildConfig is what Build makes the application from. `lantoa serve` fills it from its flags
// (Config.build); the tests and the bench drivers fill what they need, and everything else is as
// serve runs it.
type BuildConfig struct {
	// DB is an open database to build on (the tests, the bench drivers); its owner closes it.
	// When nil, Build opens Source with DBOptions and App.Close closes it.
	DB        *db.DB
	Source    string
	DBOptions db.Options
	// Logger receives the services' and the server's logs; nil is slog.Default().
	Logger *slog.Logger
	// Registry receives the server's metrics; nil is a registry of its own.
	Registry *prometheus.Registry
	// Notify configures the outbox's senders, and its BaseURL is the site's public address for
	// the links in messages, feeds and Open Graph tags.
	Notify NotifyConfig
	// Addr is the address the server listens on: the SMTP sender's links point there when
	// Notify.BaseURL is empty.
	Addr          string
	SecureCookies bool
	TrustProxy    bool
	// PortalHosts maps host names to the province whose portal they serve (checked against the
	// unit tree: a code that names no province fails Build).
	PortalHosts map[string]string
	// Now is the clock of the web server and of the reports with their training figures; nil is
	// time.Now. The reports bench moves it past the caches' lifetime.
	Now func() time.Time
	// OutreachBatch chooses the outreach module's write path (outreach.NewServiceBatch); nil is
	// the engine's default (outreach.NewService). The outreach bench compares them.
	OutreachBatch *int
	// FreshFigures counts the portals' headline figures afresh on every request instead of
	// caching them for 15 s: the handler tests see each change at once, and the portal bench
	// measures the cache against it.
	FreshFigures bool
	// RequireStaff2FA makes administrators set up a second factor at their next sign-in
	// (serve --require-staff-2fa).
	RequireStaff2FA bool
	// SSO are the OpenID Connect providers of single sign-on; none shows no button.
	SSO []sso.Provider
}

// App is the whole application over one database: the services, wired to each other and to the
// outbox, and the web server that serves them. Build makes it; Start runs its background work;
// Close stops everything.
type App struct {
	*Services
	// Web is the HTTP handler of every page and API.
	Web *web.Server

	log      *slog.Logger
	worker   *notify.Worker
	noWorker bool
	ownDB    bool

	// cancel and loops stop what Start started; stopWorker ends the outbox worker after the
	// attempt under way.
	cancel     context.CancelFunc
	loops      sync.WaitGroup
	stopWorker func()
	closeOnce  sync.Once
}

// Build opens (or takes) the database, migrates it, loads the province's unit tree when it is
// empty, and builds every service and the web server, each with its outbox, links and hooks given
// at construction. Nothing runs in the background until Start.
func Build(ctx context.Context, cfg BuildConfig) (*App, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	d, own := cfg.DB, false
	if d == nil {
		var err error
		if d, err = db.Open(ctx, cfg.Source, cfg.DBOptions); err != nil {
			return nil, err
		}
		own = true
	}
	fail := func(err error) (*App, error) {
		if own {
			d.Close()
		}
		return nil, err
	}
	outbox := notify.NewService(d)
	svc, err := newServices(ctx, d, wiring{outbox: outbox, baseURL: cfg.Notify.BaseURL, log: log, now: cfg.Now,
		outreachBatch: cfg.OutreachBatch, freshFigures: cfg.FreshFigures, staff2FA: cfg.RequireStaff2FA})
	if err != nil {
		return fail(err)
	}
	a := &App{Services: svc, log: log, ownDB: own, noWorker: cfg.Notify.NoWorker, stopWorker: func() {}}
	if a.worker, err = newWorker(svc, cfg.Notify, cfg.Addr, log); err != nil {
		a.closeServices()
		return nil, err
	}
	if err := checkPortalHosts(ctx, svc.Units, cfg.PortalHosts); err != nil {
		a.closeServices()
		return nil, err
	}
	single, err := sso.New(d, svc.Accounts, cfg.SSO)
	if err != nil {
		a.closeServices()
		return nil, err
	}
	a.Web, err = web.New(web.Config{SecureCookies: cfg.SecureCookies, TrustProxy: cfg.TrustProxy, Version: version(),
		BaseURL: cfg.Notify.BaseURL, PortalHosts: cfg.PortalHosts},
		web.Deps{DB: d, Units: svc.Units, Orgs: svc.Orgs, Accounts: svc.Accounts, Training: svc.Training, Ceremony: svc.Ceremony,
			Outreach: svc.Outreach, Notify: svc.Notify, Portal: svc.Portal, Figures: svc.Figures, Reports: svc.Reports,
			PublicServices: svc.PublicServices,
			LaunchEvents:   svc.LaunchEvents,
			I18n:           i18n.MustLoad(), Logger: log, Registry: cfg.Registry, Now: cfg.Now, SSO: single})
	if err != nil {
		a.closeServices()
		return nil, err
	}
	return a, nil
}

// Start runs the background work of a serving instance until ctx ends or Close: the live events'
// listener (PostgreSQL) and their pruning, the outbox worker (unless Notify.NoWorker), the
// submission of exam attempts whose time ran out, and the reminders of reports due soon. The
// tests and the bench drivers that only send requests need none of it.
func (a *App) Start(ctx context.Context) error {
	ctx, a.cancel = context.WithCancel(ctx)
	if err := a.Bus.Start(ctx); err != nil {
		return fmt.Errorf("live events: %w", err)
	}
	a.loops.Go(func() { pruneEvents(ctx, a.Bus, a.log) })
	// Exam attempts whose time ran out are submitted with what was saved, even if the tab is closed.
	a.loops.Go(func() { a.Training.Run(ctx, 30*time.Second) })
	a.loops.Go(func() { runReportReminders(ctx, a.Reports, a.log) })
	if !a.noWorker {
		// The worker outlives ctx by the attempt under way: Close ends it and waits for the attempt
		// to be recorded, so that a message is not sent twice after a restart.
		wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		var wg sync.WaitGroup
		wg.Go(func() { a.worker.Run(wctx) })
		a.stopWorker = func() { cancel(); wg.Wait() }
	}
	return nil
}

// Close stops the background work, then the services' writers, then closes the database when
// Build opened it.
func (a *App) Close() {
	a.closeOnce.Do(func() {
		if a.cancel != nil {
			a.cancel()
		}
		a.loops.Wait()
		a.Bus.Close()
		a.stopWorker()
		a.closeServices()
	})
}

// closeServices finishes the services' queued writes and closes the database when it is the App's.
func (a *App) closeServices() {
	a.Outreach.Close()
	a.Training.Close()
	if a.ownDB {
		a.DB.Close()
	}
}

// wiring is what the services are built with besides the database.
type wiring struct {
	// outbox carries the services' messages (invitations, exam schedules, report reminders,
	// ceremony chasers). The command-line tools build without one, so that loading data never
	// writes to anyone; `lantoa user create` gives one for its invitation.
	outbox  *notify.Service
	baseURL string
	log     *slog.Logger
	// now, outreachBatch and freshFigures: see BuildConfig.
	now           func() time.Time
	outreachBatch *int
	freshFigures  bool
	// staff2FA: see BuildConfig.RequireStaff2FA.
	staff2FA bool
}

// newServices migrates d, builds the services on it, wired to each other and to w's outbox, and
// loads the outreach catalogue and, into an empty database, the province's unit tree.
func newServices(ctx context.Context, d *db.DB, w wiring) (*Services, error) {
	start := time.Now()
	n, err := d.Migrate(ctx, schema.All())
	if err != nil {
		return nil, err
	}
	s := &Services{DB: d, Notify: w.outbox, Units: units.NewService(d), Orgs: orgs.NewService(d),
		// Accounts created with an e-mail address get an invitation; exam schedules go to learners.
		Accounts: accounts.NewService(d, accounts.WithNotify(w.outbox, w.baseURL), accounts.WithStaffSecondFactor(w.staff2FA))}
	s.Training = training.NewService(d, training.WithNotify(w.outbox, w.baseURL))
	if w.outreachBatch != nil {
		s.Outreach = outreach.NewServiceBatch(d, s.Accounts, *w.outreachBatch)
	} else {
		s.Outreach = outreach.NewService(d, s.Accounts)
	}
	followUnitSwitch(s)
	// A map switch moves the teams of merged units, and their members' grants, to the unit in force.
	s.Units.OnSwitch(s.Outreach.FollowSwitch)

	s.Bus = events.New(d, w.log)
	// The portal's ceremony page is built from the ceremony service, whose launch must empty that
	// page's cache: the hook reaches the board through this variable, set just below.
	var board *portal.CeremonyBoard
	s.Ceremony = ceremony.NewService(d, s.Units, s.Bus,
		// Reminders to bridge points that are not ready go through the outbox.
		ceremony.WithNotify(w.outbox, w.baseURL),
		ceremony.WithLaunchHooks(
			// The 7-in-7 campaigns marked to follow the ceremony start at its launch moment.
			func(ctx context.Context, tx *db.Tx, c ceremony.Ceremony, at time.Time) error {
				return s.Outreach.StartFromLaunch(ctx, tx, c.Province, at)
			},
			// The province's portal shows the countdown at once.
			func(_ context.Context, tx *db.Tx, c ceremony.Ceremony, _ time.Time) error {
				tx.AfterCommit(func() { board.Invalidate(c.Province) })
				return nil
			}))
	board = portal.NewCeremonyBoard(PortalCeremony(s.Ceremony, s.Outreach))
	s.Portal = newPortal(s, board)
	s.Figures = portalFigures(s)
	if w.freshFigures {
		s.Figures.TTL = 0
	}
	s.PublicServices = pubservices.NewService(d, s.Units, launchOf(s.Ceremony))
	s.LaunchEvents = newLaunchEvents(s)
	s.Reports = newReports(s, w)

	if err := s.Outreach.SeedSkills(ctx); err != nil {
		s.Outreach.Close()
		s.Training.Close()
		return nil, fmt.Errorf("outreach catalogue: %w", err)
	}
	seeded, err := s.Units.SeedQuangNgai(ctx)
	if err != nil {
		s.Outreach.Close()
		s.Training.Close()
		return nil, fmt.Errorf("load unit tree: %w", err)
	}
	if w.log != nil {
		w.log.Info("database ready", "engine", d.Engine, "source", d.Source, "migrations_applied", n, "units_loaded", seeded,
			"ms", time.Since(start).Milliseconds())
	}
	return s, nil
}

// newWorker builds the outbox's worker with its senders: SMTP, the SMS gateway and Zalo OA where
// configured, else the development file sender.
func newWorker(svc *Services, c NotifyConfig, addr string, log *slog.Logger) (*notify.Worker, error) {
	base := c.BaseURL
	if base == "" {
		base = "http://" + addr
	}
	file := c.OutboxFile
	if file == "" && svc.DB.Engine == "sqlite" {
		file = filepath.Join(filepath.Dir(svc.DB.Source), "outbox.jsonl")
	}
	senders, err := c.senders(svc.DB, &notify.FileSender{Path: file, Logger: log}, base)
	if err != nil {
		return nil, err
	}
	return notify.NewWorker(svc.Notify, senders, log), nil
}
