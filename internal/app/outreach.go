package app

import (
	"context"
	"fmt"
	"time"

	"github.com/lantoa/lantoa/internal/platform/db"
)

// runOutreach runs the outreach module's maintenance: `lantoa outreach purge --before DATE
// [--dry-run]` anonymises citizens' personal data in guidance records and household visits made
// before DATE (00:00 in Vietnam, UTC+7), keeping every count (Decree 13/2023/NĐ-CP).
func runOutreach(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 || args[0] != "purge" {
		fmt.Fprintln(env.Stderr, "Cách dùng / usage: lantoa outreach purge --before YYYY-MM-DD [--dry-run] [--db PATH|URL]")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return errHelp()
		}
		return errUsage
	}
	fs := newFlags(env, "outreach purge", "--before YYYY-MM-DD [--dry-run] [--db PATH|URL]")
	source := dbFlag(fs, env)
	before := fs.String("before", "", "anonymise records and visits made before this date, 00:00 Vietnam time (required)")
	dry := fs.Bool("dry-run", false, "only count what would be anonymised")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	day, err := time.ParseInLocation("2006-01-02", *before, time.FixedZone("ICT", 7*3600))
	if err != nil {
		fmt.Fprintln(env.Stderr, "--before: ngày dạng YYYY-MM-DD / a date as YYYY-MM-DD")
		return errUsage
	}
	svc, err := open(ctx, *source, db.Options{}, nil)
	if err != nil {
		return err
	}
	defer svc.DB.Close()
	defer svc.Outreach.Close()
	res, err := svc.Outreach.Purge(cliCtx(ctx), day, *dry)
	if err != nil {
		return explain(env.Stderr, err)
	}
	verb := "Đã ẩn danh / anonymised"
	if res.DryRun {
		verb = "Sẽ ẩn danh (chạy thử) / would anonymise (dry run)"
	}
	fmt.Fprintf(env.Stdout, "%s: %d hồ sơ hướng dẫn / records, %d lượt thăm hộ / visits trước / before %s; %d khóa công dân / citizen keys removed\n",
		verb, res.Records, res.Visits, *before, res.Keys)
	return nil
}
