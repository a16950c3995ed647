package app

import (
	"context"
	"flag"
	"fmt"
	"text/tabwriter"

	"github.com/lantoa/lantoa/internal/accounts/sso"
	"github.com/lantoa/lantoa/internal/platform/db"
)

// ssoFlag is --sso-config FILE (env LANTOA_SSO_CONFIG): the JSON file of the OpenID providers
// (docs/sso.md). It is read when the flags are parsed, so that a broken file stops the start.
func ssoFlag(fs *flag.FlagSet, env Env) *string {
	return fs.String("sso-config", env.Getenv("LANTOA_SSO_CONFIG"),
		"JSON file of the OpenID Connect providers for single sign-on, see docs/sso.md (env LANTOA_SSO_CONFIG); empty: no single sign-on")
}

// loadSSO reads the providers' file named by --sso-config; secrets named by client_secret_env come
// from the environment.
func loadSSO(env Env, path string) ([]sso.Provider, error) {
	if path == "" {
		return nil, nil
	}
	ps, err := sso.LoadFile(path, env.Getenv)
	if err != nil {
		return nil, fmt.Errorf("--sso-config: %w", err)
	}
	return ps, nil
}

// userSSO runs `lantoa user link-sso|unlink-sso|sso-links`: an administrator links a staff account
// to the province provider's identity before its first single sign-on.
func userSSO(ctx context.Context, env Env, sub string, args []string) error {
	synopsis := map[string]string{
		"link-sso":   "--username U --provider ID (--subject SUB | --email ADDRESS) [--sso-config FILE] [--db PATH|URL]",
		"unlink-sso": "--username U --provider ID [--sso-config FILE] [--db PATH|URL]",
		"sso-links":  "--username U [--sso-config FILE] [--db PATH|URL]",
	}[sub]
	fs := newFlags(env, "user "+sub, synopsis)
	source := dbFlag(fs, env)
	config := ssoFlag(fs, env)
	username := fs.String("username", "", "username (required)")
	provider := fs.String("provider", "", "id of the provider in the --sso-config file")
	subject := fs.String("subject", "", "the provider's identifier of the person (the sub claim)")
	email := fs.String("email", "", "an e-mail address that links the person at their first sign-in, if the provider says it is verified")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *username == "" || (*provider == "" && sub != "sso-links") {
		fs.Usage()
		return errUsage
	}
	ps, err := loadSSO(env, *config)
	if err != nil {
		return err
	}
	svc, err := open(ctx, *source, db.Options{}, nil)
	if err != nil {
		return err
	}
	defer svc.DB.Close()
	s, err := sso.New(svc.DB, svc.Accounts, ps)
	if err != nil {
		return err
	}
	u, err := svc.Accounts.FindByUsername(ctx, *username)
	if err != nil {
		return explain(env.Stderr, err)
	}
	cctx := cliCtx(ctx)
	switch sub {
	case "link-sso":
		l, err := s.LinkUser(cctx, *provider, u.ID, *subject, *email)
		if err != nil {
			return explain(env.Stderr, err)
		}
		by := "subject " + l.Subject
		if l.Email != "" {
			by = "e-mail " + l.Email + " (verified by the provider at the first sign-in)"
		}
		fmt.Fprintf(env.Stdout, "linked %s to %s by %s\n", u.Username, l.Provider, by)
		return nil
	case "unlink-sso":
		links, err := s.Links(cctx, u.ID)
		if err != nil {
			return explain(env.Stderr, err)
		}
		n := 0
		for _, l := range links {
			if l.Provider != *provider {
				continue
			}
			if err := s.UnlinkUser(cctx, u.ID, l.ID); err != nil {
				return explain(env.Stderr, err)
			}
			n++
		}
		fmt.Fprintf(env.Stdout, "removed %d link(s) of %s to %s\n", n, u.Username, *provider)
		return nil
	}
	links, err := s.Links(cctx, u.ID)
	if err != nil {
		return explain(env.Stderr, err)
	}
	tw := tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PROVIDER\tSUBJECT\tEMAIL\tLAST SIGN-IN")
	for _, l := range links {
		last := "-"
		if !l.LastLoginAt.IsZero() {
			last = l.LastLoginAt.Format("2006-01-02 15:04")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", l.Provider, l.Subject, l.Email, last)
	}
	return tw.Flush()
}
