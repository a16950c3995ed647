#!/usr/bin/env bash
# Crash-safety run: SIGKILL the server at random moments under a write load, N times (default
# 100), then check that every acknowledged write is present and the database passes its integrity
# check (SQLite), on SQLite and on PostgreSQL (LANTOA_TEST_POSTGRES_URL; skipped without it). CI runs
# the same test with 3 cycles.
set -euo pipefail
cd "$(dirname "$0")/../.."
LANTOA_CRASH_CYCLES="${1:-100}" go test -count=1 -run '^TestCrashKeepsAcknowledgedWrites$' -v ./internal/app
