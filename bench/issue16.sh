#!/usr/bin/env bash
# Runs every load driver in its honest configuration (issue 16, step 8) and prints its figures with
# the load average before and after each run, so that the figures in docs/benchmarks.md ("Honest
# drivers") can be re-taken on a quiet machine:
#
#   LANTOA_BENCH_POSTGRES_URL='postgres://postgres@127.0.0.1:5432/test?sslmode=disable' bash bench/issue16.sh [OUT]
#
# About 22 minutes on the 2-core machine with PostgreSQL (see the timing it prints at the end);
# without a PostgreSQL URL the PostgreSQL runs are skipped. QUICK=1 runs every driver briefly, to
# check the plumbing, not to measure (about 8 minutes). Every driver checks after its run that what
# the server acknowledged is in the database and exits non-zero otherwise; this script carries on
# with the next driver and exits non-zero at the end if any failed. Reports go to OUT (default
# /tmp/lantoa-issue16), one file per run.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-/tmp/lantoa-issue16}"
mkdir -p "$OUT/bin"
PG="${LANTOA_BENCH_POSTGRES_URL:-}"
QUICK="${QUICK:-}"

# Sizes: the honest configuration, or a quick pass.
if [ -z "$QUICK" ]; then
	SAVE_ROUNDS=3 SAVE_DUR=5s STARTERS=5000 OUT_DUR=30s CER_CLIENTS=187,9000 CER_ROUNDS=3
	LD_DUR=20s IDLE_RUNS=2 IDLE_SETTLE=45s BURST_N=1 SWITCH_SIZES=0,100000 REPORT_REQ=50
else
	SAVE_ROUNDS=1 SAVE_DUR=2s STARTERS=300 OUT_DUR=5s CER_CLIENTS=187 CER_ROUNDS=1
	LD_DUR=5s IDLE_RUNS=1 IDLE_SETTLE=10s BURST_N=1 SWITCH_SIZES=0,10000 REPORT_REQ=10
fi

failed=()
began=$(date +%s)
step() {
	local name="$1"
	shift
	local t0
	t0=$(date +%s)
	printf '\n==== %s\n---- load before: %s\n' "$name" "$(cut -d' ' -f1-3 /proc/loadavg)"
	if "$@" >"$OUT/$name.txt" 2>"$OUT/$name.err"; then
		cat "$OUT/$name.txt"
		grep -h "persistence check" "$OUT/$name.err" || true
	else
		cat "$OUT/$name.txt"
		tail -20 "$OUT/$name.err"
		echo "!!!! $name FAILED"
		failed+=("$name")
	fi
	printf -- '---- load after: %s; %s took %ss\n' "$(cut -d' ' -f1-3 /proc/loadavg)" "$name" "$(($(date +%s) - t0))"
}

# One static binary (the documented build) and the drivers, built once so that no run compiles.
CGO_ENABLED=0 go build -trimpath -o "$OUT/bin/lantoa" ./cmd/lantoa || exit 1
for d in training outreach ceremony launchday foundation portal reports switch idle; do
	go build -o "$OUT/bin/$d" "./bench/$d" || exit 1
done
B="$OUT/bin"
echo "machine: $(nproc) cores, $(uname -r), $(go version); load $(cut -d' ' -f1-3 /proc/loadavg)"

# Answer saves (Lan Tỏa beside a bare handler that commits each save and one that groups its
# commits with Lan Tỏa's policy) and the start storm with sign-ins at the rate the lobby must
# spread.
step training-sqlite "$B/training" -engines sqlite -rounds "$SAVE_ROUNDS" -duration "$SAVE_DUR" -starters "$STARTERS"
if [ -n "$PG" ]; then
	step training-postgres "$B/training" -engines postgres -rounds "$SAVE_ROUNDS" -duration "$SAVE_DUR" -starters "$STARTERS"
fi
# Ingestion sustained for 30 s per run (a 10,000-post burst lasted under 2 s).
step outreach-sqlite "$B/outreach" -engine sqlite -runs 1 -ingest-duration "$OUT_DUR" -skip-progress
if [ -n "$PG" ]; then
	step outreach-postgres "$B/outreach" -engine postgres -runs 1 -ingest-duration "$OUT_DUR" -skip-progress
fi
# The launch event: one session per screen, p99 over every screen of every round.
step ceremony "$B/ceremony" -lantoa "$B/lantoa" -clients "$CER_CLIENTS" -rounds "$CER_ROUNDS"
step launchday "$B/launchday" -scale 0.01 -duration "$LD_DUR"
step foundation-burst "$B/foundation" -bin "$B/lantoa" -only burst -n "$BURST_N" -conc 50 -quiet-wait 5s
step idle "$B/idle" -lantoa "$B/lantoa" -runs "$IDLE_RUNS" -first 10s -settle "$IDLE_SETTLE"
step portal "$B/portal" -engine sqlite -runs 1
step reports "$B/reports" -scale 0.01 -requests "$REPORT_REQ"
step switch "$B/switch" -dir "$OUT/switch" -lantoa "$B/lantoa" -sizes "$SWITCH_SIZES" -runs 1 -queries 10

printf '\n==== done in %s s; load %s\n' "$(($(date +%s) - began))" "$(cut -d' ' -f1-3 /proc/loadavg)"
if [ ${#failed[@]} -gt 0 ]; then
	echo "FAILED: ${failed[*]}"
	exit 1
fi
