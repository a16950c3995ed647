package app

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/demo"
	"github.com/lantoa/lantoa/internal/notify"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/i18n"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/seed"
	"github.com/lantoa/lantoa/internal/units"
)

// cliCtx is the context of administration commands: the actor is the system, the audit log says "system".
func cliCtx(ctx context.Context) context.Context { return authz.WithActor(ctx, authz.System) }

// explain prints an apperr for a person at a terminal, in Vietnamese and English.
func explain(w io.Writer, err error) error {
	ae := apperr.As(err)
	if ae.Kind == apperr.Internal {
		return err
	}
	b := i18n.MustLoad()
	for _, d := range ae.Details {
		fmt.Fprintf(w, "dòng/line %d: %s / %s\n", d.Line, b.T("vi", d.Key, d.Args...), b.T("en", d.Key, d.Args...))
	}
	return fmt.Errorf("%s / %s", b.T("vi", ae.Key, ae.Args...), b.T("en", ae.Key, ae.Args...))
}

func runMigrate(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "migrate", "[--db PATH|URL] [--status]")
	source := dbFlag(fs, env)
	status := fs.Bool("status", false, "list pending migrations without applying them")
	if err := parse(fs, args); err != nil {
		return err
	}
	d, err := db.Open(ctx, *source, db.Options{})
	if err != nil {
		return err
	}
	defer d.Close()
	if *status {
		pending, err := d.Pending(ctx, schema.All())
		if err != nil {
			return err
		}
		for _, p := range pending {
			fmt.Fprintln(env.Stdout, "pending "+p)
		}
		fmt.Fprintf(env.Stdout, "%d pending\n", len(pending))
		return nil
	}
	n, err := d.Migrate(ctx, schema.All())
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "applied %d migrations\n", n)
	return nil
}

func runSeed(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "seed", "[--db PATH|URL] [--demo] [--profile province|national [--scale F] [--seed N] [--launch RFC3339]]")
	source := dbFlag(fs, env)
	withDemo := fs.Bool("demo", false, "also load demo organisations and users")
	profile := fs.String("profile", "", "generate data at benchmark size: province (10M records, 1M learners) or national (34 provinces)")
	scale := fs.Float64("scale", 1, "with --profile: fraction of the full size (0 < F ≤ 1), e.g. 0.01")
	seedN := fs.Uint64("seed", 2023, "with --profile: the random seed; the same seed and --launch give the same people, names, records and scores (creation times follow the clock)")
	launch := fs.String("launch", "", "with --profile: the launch moment (RFC3339); default three days ago")
	if err := parse(fs, args); err != nil {
		return err
	}
	if _, err := seed.SizeOf(cmp.Or(*profile, seed.Province), *scale); err != nil {
		fmt.Fprintln(env.Stderr, err)
		return errUsage
	}
	var launchAt time.Time
	if *launch != "" {
		t, err := time.Parse(time.RFC3339, *launch)
		if err != nil {
			fmt.Fprintln(env.Stderr, "--launch: "+err.Error())
			return errUsage
		}
		launchAt = t
	}
	svc, err := open(ctx, *source, db.Options{}, nil)
	if err != nil {
		return err
	}
	defer svc.DB.Close()
	if *profile != "" {
		return runProfile(ctx, env, svc, seed.Options{Profile: *profile, Scale: *scale, Seed: *seedN, Launch: launchAt, ProvinceCode: PlanProvince})
	}
	n, err := svc.Units.Count(ctx, unitsAll())
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "units: %d\n", n)
	if *withDemo {
		made, err := demo.Load(ctx, svc.demo())
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "demo users created: %d (password %s)\n", len(made), demo.Password)
	}
	return nil
}

const importUsage = "Cách dùng / usage: lantoa import units [--db PATH|URL] [--effective YYYY-MM-DD --lineage LINEAGE.csv] UNITS.csv"

func runImport(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 || args[0] != "units" {
		fmt.Fprintln(env.Stderr, importUsage)
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return errHelp()
		}
		return errUsage
	}
	fs := newFlags(env, "import units", "[--db PATH|URL] [--effective YYYY-MM-DD [--lineage LINEAGE.csv]] UNITS.csv\n"+
		"  UNITS.csv: columns code,name,level,parent_code[,valid_from,valid_to,successor_code]\n"+
		"  --effective switches to a reorganised map (the two-tier map of 1 July 2025) in one step;\n"+
		"  LINEAGE.csv: new_code,new_name,old_code,old_name,old_province_code.\n"+
		"  The shipped files are named embedded:vietnam-units-2025.csv and embedded:quang-ngai-2025-lineage.csv")
	source := dbFlag(fs, env)
	effective := fs.String("effective", "", "date the new map takes effect (YYYY-MM-DD); the units it replaces are retired the day before")
	lineagePath := fs.String("lineage", "", "lineage file: which earlier units each new unit was formed from (needs --effective)")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 1 || (*lineagePath != "" && *effective == "") {
		fs.Usage()
		return errUsage
	}
	f, err := openInput(fs.Arg(0))
	if err != nil {
		return err
	}
	defer f.Close()
	var lineage io.ReadCloser
	if *lineagePath != "" {
		if lineage, err = openInput(*lineagePath); err != nil {
			return err
		}
		defer lineage.Close()
	}
	svc, err := open(ctx, *source, db.Options{}, nil)
	if err != nil {
		return err
	}
	defer svc.DB.Close()
	if *effective == "" {
		res, err := svc.Units.Import(cliCtx(ctx), f)
		if err != nil {
			return explain(env.Stderr, err)
		}
		fmt.Fprintf(env.Stdout, "created %d, updated %d units\n", res.Created, res.Updated)
		return nil
	}
	var lr io.Reader
	if lineage != nil {
		lr = lineage
	}
	res, err := svc.Units.SwitchMap(cliCtx(ctx), f, lr, *effective)
	if err != nil {
		return explain(env.Stderr, err)
	}
	fmt.Fprintf(env.Stdout, "map of %s: provinces %s; created %d, updated %d, retired %d units; %d lineage rows (%d kept as lineage only); %d roll-ups\n",
		res.Effective, strings.Join(res.Provinces, ", "), res.Created, res.Updated, res.Retired, res.Lineage, res.LineageOnly, res.RolledUp)
	for _, p := range res.Splits {
		fmt.Fprintf(env.Stdout, "split unit %s: its records stay with it until a province administrator assigns them (the unit's page, or POST /api/v1/units/split-assignments)\n", p)
	}
	return nil
}

// openInput opens a file, or one of the reference files shipped in the binary ("embedded:NAME").
func openInput(name string) (io.ReadCloser, error) {
	if rest, ok := strings.CutPrefix(name, "embedded:"); ok {
		data, err := units.ReferenceFile(rest)
		if err != nil {
			return nil, err
		}
		return io.NopCloser(bytes.NewReader(data)), nil
	}
	return os.Open(name)
}

func runUser(ctx context.Context, env Env, args []string) error {
	sub := ""
	if len(args) > 0 {
		sub, args = args[0], args[1:]
	}
	switch sub {
	case "create":
		return userCreate(ctx, env, args)
	case "list":
		return userList(ctx, env, args)
	case "disable", "enable":
		return userDisable(ctx, env, args, sub == "disable")
	case "set-password":
		return userSetPassword(ctx, env, args)
	case "reset-2fa":
		return userResetSecondFactor(ctx, env, args)
	case "link-sso", "unlink-sso", "sso-links":
		return userSSO(ctx, env, sub, args)
	case "-h", "--help":
		fmt.Fprintln(env.Stderr, "Cách dùng / usage: lantoa user create|list|disable|enable|set-password|reset-2fa|link-sso|unlink-sso|sso-links [--help]")
		return errHelp()
	}
	fmt.Fprintln(env.Stderr, "Cách dùng / usage: lantoa user create|list|disable|enable|set-password|reset-2fa|link-sso|unlink-sso|sso-links [--help]")
	return errUsage
}

func readPassword(env Env) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(env.Stdin, accounts.MaxPasswordLen+2)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func userCreate(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "user create", "--username U --role ROLE [--unit CODE | --org ID] [--password-stdin] [--display-name NAME]")
	source := dbFlag(fs, env)
	var n accounts.NewUser
	var role string
	fs.StringVar(&n.Username, "username", "", "username (required)")
	fs.StringVar(&n.DisplayName, "display-name", "", "full name")
	fs.StringVar(&n.Email, "email", "", "email address; an invitation (username and sign-in address, never the password) is queued to it")
	baseURL := fs.String("base-url", env.Getenv("LANTOA_BASE_URL"), "public address of the site, for the sign-in link in the invitation (env LANTOA_BASE_URL)")
	fs.StringVar(&role, "role", "", "one of national_admin (no --unit), province_admin, unit_admin, org_admin, team_member, bridge_operator, learner")
	fs.StringVar(&n.UnitCode, "unit", "", "GSO code of the unit the role covers")
	fs.Int64Var(&n.OrgID, "org", 0, "id of the organisation the role covers")
	stdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	fs.BoolVar(&n.MustChangePassword, "must-change-password", false, "make the user choose a new password at first login")
	if err := parse(fs, args); err != nil {
		return err
	}
	n.Role = authz.Role(role)
	if n.Username == "" || role == "" {
		fs.Usage()
		return errUsage
	}
	if *stdin {
		pw, err := readPassword(env)
		if err != nil {
			return err
		}
		n.Password = pw
	} else {
		n.Password = accounts.GeneratePassword()
		n.MustChangePassword = true
		fmt.Fprintf(env.Stdout, "password (one-time): %s\n", n.Password)
	}
	d, err := db.Open(ctx, *source, db.Options{})
	if err != nil {
		return err
	}
	defer d.Close()
	// The invitation waits in the outbox for a running server's worker to deliver it.
	svc, err := newServices(ctx, d, wiring{outbox: notify.NewService(d), baseURL: *baseURL})
	if err != nil {
		return err
	}
	u, err := svc.Accounts.CreateUser(cliCtx(ctx), n)
	if err != nil {
		return explain(env.Stderr, err)
	}
	fmt.Fprintf(env.Stdout, "created user %s (id %d)\n", u.Username, u.ID)
	if u.Email != "" {
		fmt.Fprintf(env.Stdout, "invitation queued to %s (without the password)\n", u.Email)
	}
	return nil
}

func userList(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "user list", "[--db PATH|URL] [--role ROLE]")
	source := dbFlag(fs, env)
	role := fs.String("role", "", "only users holding this role")
	if err := parse(fs, args); err != nil {
		return err
	}
	svc, err := open(ctx, *source, db.Options{}, nil)
	if err != nil {
		return err
	}
	defer svc.DB.Close()
	users, err := svc.Accounts.ListUsers(cliCtx(ctx), accounts.Filter{Role: authz.Role(*role)})
	if err != nil {
		return explain(env.Stderr, err)
	}
	tw := tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tUSERNAME\tNAME\tROLES\tDISABLED")
	for _, u := range users {
		var gs []string
		for _, g := range u.Grants {
			scope := g.UnitCode
			if g.OrgID != 0 {
				scope = fmt.Sprintf("org:%d", g.OrgID)
			}
			if scope == "" { // a national grant covers the country
				gs = append(gs, string(g.Role))
				continue
			}
			gs = append(gs, string(g.Role)+"@"+scope)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%v\n", u.ID, u.Username, u.DisplayName, strings.Join(gs, ","), u.Disabled)
	}
	return tw.Flush()
}

func userDisable(ctx context.Context, env Env, args []string, disabled bool) error {
	name := "enable"
	if disabled {
		name = "disable"
	}
	return onUser(ctx, env, args, "user "+name, func(ctx context.Context, svc *Services, u accounts.User) error {
		if err := svc.Accounts.SetDisabled(ctx, u.ID, disabled); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "%sd %s\n", name, u.Username)
		return nil
	})
}

// onUser runs a command that takes only --username (and --db): it opens the database, finds the
// user and runs do as the command line's administrator, explaining a refusal on standard error.
func onUser(ctx context.Context, env Env, args []string, command string, do func(ctx context.Context, svc *Services, u accounts.User) error) error {
	fs := newFlags(env, command, "--username U [--db PATH|URL]")
	source := dbFlag(fs, env)
	username := fs.String("username", "", "username (required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *username == "" {
		fs.Usage()
		return errUsage
	}
	svc, err := open(ctx, *source, db.Options{}, nil)
	if err != nil {
		return err
	}
	defer svc.DB.Close()
	u, err := svc.Accounts.FindByUsername(ctx, *username)
	if err != nil {
		return explain(env.Stderr, err)
	}
	if err := do(cliCtx(ctx), svc, u); err != nil {
		return explain(env.Stderr, err)
	}
	return nil
}

func userSetPassword(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "user set-password", "--username U [--password-stdin] [--db PATH|URL]")
	source := dbFlag(fs, env)
	username := fs.String("username", "", "username (required)")
	stdin := fs.Bool("password-stdin", false, "read the new password from standard input (else one is generated)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *username == "" {
		fs.Usage()
		return errUsage
	}
	pw := accounts.GeneratePassword()
	if *stdin {
		var err error
		if pw, err = readPassword(env); err != nil {
			return err
		}
	}
	svc, err := open(ctx, *source, db.Options{}, nil)
	if err != nil {
		return err
	}
	defer svc.DB.Close()
	u, err := svc.Accounts.FindByUsername(ctx, *username)
	if err != nil {
		return explain(env.Stderr, err)
	}
	if err := svc.Accounts.SetPassword(cliCtx(ctx), u.ID, "", pw); err != nil {
		return explain(env.Stderr, err)
	}
	if !*stdin {
		fmt.Fprintf(env.Stdout, "password (one-time): %s\n", pw)
	}
	fmt.Fprintf(env.Stdout, "password set for %s; it must be changed at next login\n", u.Username)
	return nil
}

// userResetSecondFactor removes a user's second factor from the command line: for the one
// administrator nobody stands above (the first admin, the last national administrator) who lost
// their phone and their recovery codes. Audited as the web's reset.
func userResetSecondFactor(ctx context.Context, env Env, args []string) error {
	return onUser(ctx, env, args, "user reset-2fa", func(ctx context.Context, svc *Services, u accounts.User) error {
		if err := svc.Accounts.ResetSecondFactor(ctx, u.ID); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "second factor reset for %s; they set it up again at next sign-in\n", u.Username)
		return nil
	})
}

func runToken(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 || args[0] != "create" {
		fmt.Fprintln(env.Stderr, "Cách dùng / usage: lantoa token create --username U [--name NAME] [--days N] [--db PATH|URL]")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return errHelp()
		}
		return errUsage
	}
	fs := newFlags(env, "token create", "--username U [--name NAME] [--days N] [--db PATH|URL]")
	source := dbFlag(fs, env)
	username := fs.String("username", "", "username (required)")
	name := fs.String("name", "cli", "a name to recognise the token by")
	days := fs.Int("days", 0, "days until the token expires (0: never)")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if *username == "" {
		fs.Usage()
		return errUsage
	}
	svc, err := open(ctx, *source, db.Options{}, nil)
	if err != nil {
		return err
	}
	defer svc.DB.Close()
	u, err := svc.Accounts.FindByUsername(ctx, *username)
	if err != nil {
		return explain(env.Stderr, err)
	}
	var expires time.Time
	if *days > 0 {
		expires = time.Now().AddDate(0, 0, *days)
	} else if *days < 0 {
		fs.Usage()
		return errUsage
	}
	token, err := svc.Accounts.CreateTokenUntil(cliCtx(ctx), u.ID, *name, expires)
	if err != nil {
		return explain(env.Stderr, err)
	}
	fmt.Fprintln(env.Stdout, token)
	return nil
}

func runBackup(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "backup", "[--db PATH] OUT.db")
	source := dbFlag(fs, env)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errUsage
	}
	if db.IsPostgresURL(*source) {
		return errors.New("PostgreSQL: dùng pg_dump / use pg_dump --format=custom --file=OUT.dump \"$LANTOA_DATABASE_URL\" (see README.md)")
	}
	out, err := filepath.Abs(fs.Arg(0))
	if err != nil {
		return err
	}
	if _, err := os.Stat(out); err == nil {
		return fmt.Errorf("%s đã tồn tại / exists already: choose a new file", out)
	}
	// Opening a missing file would create an empty database and "back it up": a wrong --db in a
	// nightly job would then write empty backups, night after night.
	if st, err := os.Stat(*source); err != nil || st.IsDir() {
		return fmt.Errorf("không tìm thấy CSDL / database not found: %s", *source)
	}
	d, err := db.Open(ctx, *source, db.Options{})
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.BackupTo(ctx, out); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "backup written to %s\n", out)
	return nil
}

func unitsAll() units.Filter { return units.Filter{IncludeRetired: true} }

func runRestore(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "restore", "[--db PATH] [--force] BACKUP.db   (the server must be stopped)")
	source := dbFlag(fs, env)
	force := fs.Bool("force", false, "replace an existing database file")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errUsage
	}
	if db.IsPostgresURL(*source) {
		return errors.New("PostgreSQL: dùng pg_restore / use pg_restore --clean --dbname \"$LANTOA_DATABASE_URL\" BACKUP.dump")
	}
	if err := db.Restore(fs.Arg(0), *source, *force); err != nil {
		if errors.Is(err, db.ErrInUse) {
			return errors.New("CSDL đang được máy chủ sử dụng: hãy dừng lantoa serve trước / the database is in use: stop lantoa serve first")
		}
		if errors.Is(err, db.ErrOpenElsewhere) {
			return errors.New("CSDL đang được một lệnh lantoa khác mở (seed, import, user, backup…): hãy chờ lệnh đó xong / the database is open in another lantoa command: wait for it to finish")
		}
		return err
	}
	fmt.Fprintf(env.Stdout, "restored %s from %s (integrity ok)\n", *source, fs.Arg(0))
	return nil
}
