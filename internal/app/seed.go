package app

import (
	"context"
	"fmt"
	"time"

	"github.com/lantoa/lantoa/internal/seed"
)

// runProfile generates a data profile (`lantoa seed --profile`) with progress bars on stderr.
func runProfile(ctx context.Context, env Env, svc *Services, o seed.Options) error {
	o.Progress = env.Stderr
	size, _ := seed.SizeOf(o.Profile, o.Scale)
	fmt.Fprintf(env.Stdout, "profile %s, scale %g, seed %d: %d team members, %d guidance records, %d learners\n",
		o.Profile, o.Scale, o.Seed, size.Members, size.Records, size.Learners)
	if size.HistoryRecords > 0 {
		fmt.Fprintf(env.Stdout, "with %s's 2023 history on the 2023 map: %d team members, %d guidance records, then the switch to the map of %s\n",
			PlanProvince, size.HistoryMembers, size.HistoryRecords, seed.SwitchDate)
	}
	res, err := seed.Run(ctx, seed.Services{DB: svc.DB, Units: svc.Units, Orgs: svc.Orgs, Accounts: svc.Accounts,
		Ceremony: svc.Ceremony, Reports: svc.Reports}, o)
	if err != nil {
		return err
	}
	if h := res.History; h != nil {
		fmt.Fprintf(env.Stdout, "2023 history: %d districts, %d communes, %d villages; %d team members, %d guidance records; %d ceremony with %d bridge points; district reports submitted: %d\n",
			h.Districts, h.Communes, h.Villages, h.Members, h.Records, h.Ceremonies, h.BridgePoints, h.ReportsFilled)
	}
	if sw := res.Switch; sw != nil {
		fmt.Fprintf(env.Stdout, "map switch %s in %s: %d units created, %d updated, %d retired, %d lineage rows, %d rolled up, splits %v\n",
			sw.Effective, res.SwitchTook.Round(time.Millisecond), sw.Created, sw.Updated, sw.Retired, sw.Lineage, sw.RolledUp, sw.Splits)
	}
	fmt.Fprintf(env.Stdout, "units: %d provinces, %d districts, %d communes, %d villages\n", res.Provinces, res.Districts, res.Communes, res.Villages)
	fmt.Fprintf(env.Stdout, "organisations: %d; officials: %d; team members: %d; guidance records: %d; learners: %d\n",
		res.Orgs, res.Officials, res.Members, res.Records, res.Learners)
	level := "district"
	if res.Switch != nil {
		level = "commune"
	}
	fmt.Fprintf(env.Stdout, "ceremonies: %d with %d bridge points; campaigns: %d; report periods: %d, %s reports submitted: %d\n",
		res.Ceremonies, res.BridgePoints, res.Campaigns, res.Periods, level, res.ReportsFilled)
	if !res.LaunchedAt.IsZero() {
		fmt.Fprintf(env.Stdout, "ceremonies launched at %s\n", res.LaunchedAt.Format(time.RFC3339))
	}
	fmt.Fprintf(env.Stdout, "every generated account has the password %s (province administrators: seed.admin for %s, seed.admin.CODE for the others)\n",
		seed.GeneratedPassword, PlanProvince)
	fmt.Fprintf(env.Stdout, "done in %s\n", res.Took.Round(time.Second))
	return nil
}
