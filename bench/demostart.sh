#!/bin/bash
# Start to ready of `lantoa serve --demo` on a fresh folder (SQLite): the time from launching the
# process to the first 200 on /readyz, polled every 20 ms. Give it one or more binaries; their runs
# alternate, so that a change in the machine's load touches them alike.
#
#   CGO_ENABLED=0 go build -o /tmp/lantoa-new ./cmd/lantoa
#   bash bench/demostart.sh 5 /tmp/lantoa-old /tmp/lantoa-new
set -euo pipefail
runs=${1:?runs}; shift
for ((i = 0; i < runs; i++)); do
  for bin in "$@"; do
    dir=$(mktemp -d); port=$((18000 + RANDOM % 1000))
    start=$(date +%s%N)
    "$bin" serve --demo --addr 127.0.0.1:$port --db "$dir/x.db" >/dev/null 2>&1 &
    pid=$!
    until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; do sleep 0.02; done
    echo "$bin $(( ($(date +%s%N) - start) / 1000000 ))"
    kill $pid; wait $pid 2>/dev/null || true; rm -rf "$dir"
  done
done | sort | awk '{ms[$1] = ms[$1] " " $2} END {for (b in ms) print b ":" ms[b]}'
