package app

import (
	"context"
	"fmt"

	"github.com/lantoa/lantoa/internal/platform/db"
)

// runOrg is `lantoa org merge`: the command line's way to record an organisation's merger (Sở
// TT&TT into Sở Khoa học và Công nghệ, 1 March 2025), the same orgs.Service.Merge as the
// organisations page and POST /api/v1/orgs/{id}/merge, audited as the system.
func runOrg(ctx context.Context, env Env, args []string) error {
	const usage = "Cách dùng / usage: lantoa org merge --org ID --into ID --effective YYYY-MM-DD [--db PATH|URL]"
	if len(args) == 0 || args[0] != "merge" {
		fmt.Fprintln(env.Stderr, usage)
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return errHelp()
		}
		return errUsage
	}
	fs := newFlags(env, "org merge", "--org ID --into ID --effective YYYY-MM-DD")
	source := dbFlag(fs, env)
	id := fs.Int64("org", 0, "id of the organisation that merges (is retired the day before --effective)")
	into := fs.Int64("into", 0, "id of the organisation it merges into (its successor)")
	effective := fs.String("effective", "", "the day the merger takes effect (YYYY-MM-DD)")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if *id == 0 || *into == 0 || *effective == "" {
		fs.Usage()
		return errUsage
	}
	svc, err := open(ctx, *source, db.Options{}, nil)
	if err != nil {
		return err
	}
	defer svc.DB.Close()
	res, err := svc.Orgs.Merge(cliCtx(ctx), *id, *into, *effective)
	if err != nil {
		return explain(env.Stderr, err)
	}
	fmt.Fprintf(env.Stdout, "merged %s (%d) into %s (%d) from %s; in force until %s\n", res.Org.Name, res.Org.ID, res.Successor.Name, res.Successor.ID, res.Effective, res.Org.ValidTo)
	return nil
}
