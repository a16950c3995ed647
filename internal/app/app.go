// Package app wires Lan Tỏa together: it parses the command line into one typed Config, opens the
// database, builds the services and runs the chosen subcommand. cmd/lantoa only calls Main.
package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	launchevents "github.com/lantoa/lantoa/internal/events"
	"github.com/lantoa/lantoa/internal/pubservices"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/ceremony"
	"github.com/lantoa/lantoa/internal/demo"
	"github.com/lantoa/lantoa/internal/notify"
	"github.com/lantoa/lantoa/internal/orgs"
	"github.com/lantoa/lantoa/internal/outreach"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/events"
	"github.com/lantoa/lantoa/internal/portal"
	"github.com/lantoa/lantoa/internal/reports"
	"github.com/lantoa/lantoa/internal/training"
	"github.com/lantoa/lantoa/internal/units"
)

// Version is set at build time with -ldflags "-X github.com/lantoa/lantoa/internal/app.Version=…".
var Version = ""

// version returns the build's version: the ldflags value, else the module version or VCS revision.
func version() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			return bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return "dev-" + s.Value[:12]
			}
		}
	}
	return "dev"
}

// PlanProvince is the GSO code of the plan's province, Quảng Ngãi: a fresh database is given its
// 2023 unit tree, and the generated profiles are built around it. Nothing else in the program
// depends on it — every other province-specific thing comes from the data.
const PlanProvince = "51"

// DefaultDB is where the zero-config SQLite database lives.
const DefaultDB = "data/lantoa.db"

// Env is the process environment a command runs in; tests give their own.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
}

type command struct {
	name, summary string
	run           func(ctx context.Context, env Env, args []string) error
}

func commands() []command {
	return []command{
		{"serve", "chạy máy chủ web / run the web server", runServe},
		{"migrate", "áp dụng thay đổi cấu trúc CSDL / apply database migrations", runMigrate},
		{"seed", "nạp cây đơn vị và dữ liệu mẫu / load the unit tree and demo data", runSeed},
		{"import", "nhập dữ liệu từ tệp / import data from a file (units)", runImport},
		{"user", "quản lý người dùng / manage users (create, list, disable, enable, set-password)", runUser},
		{"org", "sáp nhập cơ quan, tổ chức / merge an organisation into its successor (merge --org ID --into ID --effective DATE)", runOrg},
		{"token", "tạo mã truy cập API / create API access tokens", runToken},
		{"backup", "sao lưu CSDL khi đang chạy / online backup of the database", runBackup},
		{"restore", "khôi phục CSDL từ bản sao lưu / restore the database from a backup", runRestore},
		{"outreach", "ẩn danh dữ liệu công dân quá hạn lưu trữ / outreach maintenance (purge --before DATE)", runOutreach},
		{"version", "in phiên bản / print the version", runVersion},
	}
}

// errUsage marks an error already explained by a usage message.
var errUsage = errors.New("usage")

// Main runs the program with args (without the program name) and returns the exit code.
func Main(ctx context.Context, args []string, env Env) int {
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(env.Stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name == args[0] {
			err := c.run(ctx, env, args[1:])
			switch {
			case err == nil:
				return 0
			case errors.Is(err, flag.ErrHelp):
				return 0
			case errors.Is(err, errUsage):
				return 2
			default:
				fmt.Fprintln(env.Stderr, "lantoa "+c.name+": "+err.Error())
				return 1
			}
		}
	}
	fmt.Fprintf(env.Stderr, "lantoa: không có lệnh %q / unknown command %q\n", args[0], args[0])
	usage(env.Stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Lan Tỏa — nền tảng Phong trào chuyển đổi số / Digital Transformation Movement platform")
	fmt.Fprintln(w, "\nCách dùng / usage: lantoa <lệnh> [tùy chọn]   (lantoa <lệnh> --help)")
	fmt.Fprintln(w, "")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
}

// newFlags makes a flag set that prints its own usage and returns errors instead of exiting.
func newFlags(env Env, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet("lantoa "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(env.Stderr, "Cách dùng / usage: lantoa %s %s\n\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(io.Discard)
			return flag.ErrHelp
		}
		return errUsage
	}
	return nil
}

// dbFlag registers --db with its environment default.
func dbFlag(fs *flag.FlagSet, env Env) *string {
	def := env.Getenv("LANTOA_DATABASE_URL")
	if def == "" {
		def = DefaultDB
	}
	return fs.String("db", def, "SQLite file path or postgres:// URL (env LANTOA_DATABASE_URL)")
}

// Services are the domain services over one database, wired to each other: every command calls
// these, and Build serves them. newServices is their one construction.
type Services struct {
	DB       *db.DB
	Units    *units.Service
	Orgs     *orgs.Service
	Accounts *accounts.Service
	// Training runs the courses and exams (its answer writers stop with Close).
	Training *training.Service
	// Outreach runs the community digital technology teams (its batcher stops with Close).
	Outreach *outreach.Service
	Ceremony *ceremony.Service
	Reports  *reports.Service
	Portal   *portal.Service
	// PublicServices holds the monthly statistics of online public services.
	PublicServices *pubservices.Service
	// LaunchEvents records the follow-on launch events held at every level.
	LaunchEvents *launchevents.Service
	// Figures is the registry of the portals' live headline figures.
	Figures *portal.FigureRegistry
	// Notify is the outbox the services queue their messages in; nil for the command-line tools
	// (see wiring.outbox).
	Notify *notify.Service
	// Bus carries the live events; App.Start starts its listener.
	Bus *events.Broker
}

// demo is what the demo loader writes through: the services themselves, so that the demo data
// obeys every rule real data does.
func (s *Services) demo() demo.Services {
	return demo.Services{Units: s.Units, Orgs: s.Orgs, Accounts: s.Accounts, Training: s.Training, Outreach: s.Outreach, Reports: s.Reports,
		Portal: s.Portal, Ceremony: s.Ceremony, Events: s.LaunchEvents}
}

// open opens and migrates the database, loads the province's unit tree when the database is empty,
// and builds the services without an outbox, for the command-line tools.
func open(ctx context.Context, source string, opt db.Options, log *slog.Logger) (*Services, error) {
	d, err := db.Open(ctx, source, opt)
	if err != nil {
		return nil, err
	}
	s, err := newServices(ctx, d, wiring{log: log})
	if err != nil {
		d.Close()
		return nil, err
	}
	return s, nil
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch strings.ToLower(format) {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text", "":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format must be text or json")
}

func runVersion(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "version", "")
	if err := parse(fs, args); err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, "lantoa "+version())
	return nil
}

// errHelp reports that help was printed and the command should exit 0.
func errHelp() error { return flag.ErrHelp }
