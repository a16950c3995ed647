package app

import (
	"context"
	"fmt"
	"time"

	"github.com/lantoa/lantoa/internal/platform/events"
	"github.com/lantoa/lantoa/internal/seed"
)

// runProfile generates a data profile (`lantoa seed --profile`) with progress bars on stderr.
func runProfile(ctx context.Context, env Env, svc *Services, o seed.Options) error {
	o.Progress = env.Stderr
	size, _ := seed.SizeOf(o.Profile, o.Scale)
	fmt.Fprintf(env.Stdout, "profile %s, scale %g, seed %d: %d team members, %d guidance records, %d learners\n",
		o.Profile, o.Scale, o.Seed, size.Members, size.Records, size.Learners)
	res, err := seed.Run(ctx, seed.Services{DB: svc.DB, Units: svc.Units, Orgs: svc.Orgs, Accounts: svc.Accounts,
		Ceremony: newCeremony(svc, events.New(svc.DB, nil)), Reports: newReports(svc)}, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "units: %d provinces, %d districts, %d communes, %d villages\n", res.Provinces, res.Districts, res.Communes, res.Villages)
	fmt.Fprintf(env.Stdout, "organisations: %d; officials: %d; team members: %d; guidance records: %d; learners: %d\n",
		res.Orgs, res.Officials, res.Members, res.Records, res.Learners)
	fmt.Fprintf(env.Stdout, "ceremonies: %d with %d bridge points; campaigns: %d; report periods: %d, district reports submitted: %d\n",
		res.Ceremonies, res.BridgePoints, res.Campaigns, res.Periods, res.ReportsFilled)
	if !res.LaunchedAt.IsZero() {
		fmt.Fprintf(env.Stdout, "ceremonies launched at %s\n", res.LaunchedAt.Format(time.RFC3339))
	}
	fmt.Fprintf(env.Stdout, "every generated account has the password %s (province administrators: seed.admin for %s, seed.admin.CODE for the others)\n",
		seed.GeneratedPassword, PlanProvince)
	fmt.Fprintf(env.Stdout, "done in %s\n", res.Took.Round(time.Second))
	return nil
}
