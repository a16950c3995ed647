#!/usr/bin/env bash
# Re-runs the benchmarks behind docs/benchmarks.md, one after the other (they must not share the
# machine), writing each driver's Markdown report into OUT (default /tmp/lantoa-bench).
# PostgreSQL figures need LANTOA_BENCH_POSTGRES_URL (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable);
# the national profile needs LANTOA_BENCH_NATIONAL_URL, an empty database (see below), and the
# province tenant's before/after LANTOA_BENCH_NATIONAL_BEFORE_URL, another one.
# The province at full size (10 M guidance records, 1 M learners) is generated once with
# `lantoa seed --profile province` and shared by the outreach-progress and reports benchmarks.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-/tmp/lantoa-bench}"
mkdir -p "$OUT"
PG="${LANTOA_BENCH_POSTGRES_URL:-}"

CGO_ENABLED=0 go build -o "$OUT/lantoa" ./cmd/lantoa
if [ ! -f "$OUT/province.db" ]; then
	"$OUT/lantoa" seed --db "$OUT/province.db" --profile province | tee "$OUT/seed-province.txt"
fi

go run ./bench/foundation -out "$OUT/foundation.md"
go run ./bench/outreach -engine sqlite -ingest-duration 30s -runs 3 -skip-progress -out "$OUT/outreach-ingest-sqlite.md"
go run ./bench/outreach -engine sqlite -skip-ingest -db "$OUT/province.db" -queries 200 -out "$OUT/outreach-progress.md"
go run ./bench/reports -db "$OUT/province.db" -requests 100 -out "$OUT/reports.md"
go run ./bench/training -engines sqlite -rounds 3 -duration 5s -starters 5000 | tee "$OUT/training-sqlite.md"
go run ./bench/ceremony -clients 187,9000 -rounds 3 | tee "$OUT/ceremony.md"
go run ./bench/portal -engine sqlite | tee "$OUT/portal.md"
go run ./bench/launchday -scale 0.01 -duration 20s -cpuprofile "$OUT/launchday-sqlite.prof" -out "$OUT/launchday-sqlite.md"
# The Go benchmarks the module sections quote: the training generator, the outreach write path
# beside its one-transaction-per-record baseline, and the CPU of one province-level progress call.
go test ./internal/training -run XXX -bench BenchmarkGenerate -benchtime=2x | tee "$OUT/training-generate.txt"
go test ./internal/outreach -run XXX -bench 'BenchmarkSaveRecordParallel|BenchmarkProgressProvince' | tee "$OUT/outreach-gobench.txt"
if [ -n "$PG" ]; then
	go run ./bench/outreach -engine postgres -ingest-duration 30s -runs 3 -skip-progress -out "$OUT/outreach-ingest-postgres.md"
	go run ./bench/training -engines postgres -rounds 3 -duration 5s -starters 5000 | tee "$OUT/training-postgres.md"
	go run ./bench/launchday -db "$PG" -scale 0.01 -duration 20s -out "$OUT/launchday-postgres.md"
	go run ./bench/portal -engine postgres | tee "$OUT/portal-postgres.md"
	go run ./bench/ceremony -clients 187,9000 -rounds 3 -db "$PG" | tee "$OUT/ceremony-postgres.md"
	go run ./bench/foundation -only burst -conc 50 -n 3 -burst-db "$PG" -out "$OUT/foundation-postgres.md"
	go run ./bench/training -engines postgres -duration 5s -starters 12600 -window 60s | tee "$OUT/training-starts-postgres.md"
fi
# The national profile at full size (issue 15: the real 2025 map, 34 provinces and 3,321 communes,
# 600,000 members, 10 M records, 2 M learners, with Quảng Ngãi's 2023 history of 7,500 members and
# 1 M records made on the 2023 map and rolled up by the switch) needs an empty PostgreSQL database
# of its own, e.g. `createdb -h 127.0.0.1 -U postgres bench_i15`; it takes about 20 to 30 minutes
# on the 2-core machine. Quảng Ngãi's dashboard (against a 2025 unit tree only) and its progress
# are then timed on it.
if [ -n "${LANTOA_BENCH_NATIONAL_URL:-}" ]; then
	/usr/bin/time -v "$OUT/lantoa" seed --db "$LANTOA_BENCH_NATIONAL_URL" --profile national 2>"$OUT/seed-national.err" | tee "$OUT/seed-national.txt"
	go run ./bench/reports -db "$LANTOA_BENCH_NATIONAL_URL" -baseline-map 2025 -requests 100 -uncached-requests 10 -out "$OUT/reports-national.md"
	go run ./bench/outreach -engine postgres -skip-ingest -db "$LANTOA_BENCH_NATIONAL_URL" -queries 100 -out "$OUT/outreach-progress-national.md"
	bash bench/national/explain.sh "$LANTOA_BENCH_NATIONAL_URL" | tee "$OUT/explain-national.txt"
fi
# Issue 15's map switch of a province by records held (0, 1 M, 10 M; SQLite sources generated once
# into $OUT/switch and kept, about 25 minutes for the 10 M one), each switch on a fresh copy with
# `lantoa import units --effective 2025-07-01 --lineage …`, and counting as it is now against as it was.
go run ./bench/switch -dir "$OUT/switch" -lantoa "$OUT/lantoa" -sizes 0,1000000,10000000 -runs 3 -queries 20 -out "$OUT/switch.md"
# Issue 14's before/after: the same national data timed by the drivers before the province tenant
# and by this tree's, alternately (another empty database; the script seeds it with the old code).
if [ -n "${LANTOA_BENCH_NATIONAL_BEFORE_URL:-}" ]; then
	SEED=1 bash bench/national/before-after.sh "$LANTOA_BENCH_NATIONAL_BEFORE_URL" | tee "$OUT/tenant-before-after.txt"
fi
LANTOA_TEST_POSTGRES_URL="$PG" bash bench/crash/run.sh 100 | tail -8 | tee "$OUT/crash.txt"
