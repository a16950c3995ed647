#!/usr/bin/env bash
# Issue 14's before/after (docs/benchmarks.md, "Province tenant"): Quảng Ngãi's progress and its
# dashboard on one national database, timed by the drivers of a revision before the province
# tenant (BEFORE, default e8099ef) and by this tree's, alternately, ROUNDS times each, so that both
# meet the same data, the same caches and the same machine.
#
#   bash bench/national/before-after.sh 'postgres://…/national_before' [BEFORE] [ROUNDS]
#
# The database is made by BEFORE's own `lantoa seed --profile national` — with SEED=1 the script
# makes it first, into an empty database (about 13 minutes) — one campaign and one ceremony, both
# Quảng Ngãi's: on it the two revisions compute the same figures — this tree's
# migrations, which run at its first round, give the existing campaign, ceremony and period the
# province 51, and the old code ignores the new columns. Each driver checks its own answers (the
# progress driver prints the records, citizens and members it counted; the dashboard driver fails
# on a page without Quảng Ngãi's map). Run it alone on the machine.
set -euo pipefail
db=${1:?usage: before-after.sh POSTGRES_URL [BEFORE] [ROUNDS]}
before=${2:-e8099ef}
rounds=${3:-3}
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
work=$(mktemp -d)
trap 'git worktree remove --force "$work/before" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git worktree add -q --detach "$work/before" "$before"
(cd "$work/before" && go build -o "$work/outreach-before" ./bench/outreach && go build -o "$work/reports-before" ./bench/reports &&
	go build -o "$work/lantoa-before" ./cmd/lantoa)
if [ "${SEED:-}" = 1 ]; then
	"$work/lantoa-before" seed --db "$db" --profile national
fi
go build -o "$work/outreach-after" ./bench/outreach
go build -o "$work/reports-after" ./bench/reports
go build -o "$work/lantoa-after" ./cmd/lantoa
# This tree's schema, once, before any timing: the old code reads around the new columns.
"$work/lantoa-after" migrate --db "$db"
export LANTOA_BENCH_POSTGRES_URL=$db
for round in $(seq 1 "$rounds"); do
	for rev in after before; do
		echo "## round $round, $rev"
		"$work/outreach-$rev" -engine postgres -skip-ingest -db "$db" -queries 100 | grep -E '^\| [0-9]'
		"$work/reports-$rev" -db "$db" -requests 100 -xlsx-rows 1000 | grep -E '^\| [0-9]+ guidance records'
	done
done
