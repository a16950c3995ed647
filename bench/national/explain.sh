#!/usr/bin/env bash
# The figure "one district's officials" in docs/benchmarks.md (national profile on PostgreSQL):
# the planner's plan and time for a scope read by path prefix, the query the foundation figures
# run. Usage: bench/national/explain.sh postgres://postgres@127.0.0.1:5432/national
# (a database made by `lantoa seed --profile national`). Prints the plan of three runs; the
# figure is the median of their "Execution Time". With the path columns under the C collation
# the plan reads role_grants by index; under a database's default collation it reads it whole.
set -euo pipefail
URL="${1:?usage: $0 POSTGRES_URL}"
for i in 1 2 3; do
	psql "$URL" -X -q -c "SET jit = off" -c "EXPLAIN (ANALYZE, COSTS OFF)
SELECT g.role, COUNT(DISTINCT g.user_id) FROM role_grants g JOIN users us ON us.id = g.user_id
WHERE g.unit_path LIKE '/51/535/%' AND g.role IN ('unit_admin', 'team_member', 'bridge_operator') AND us.disabled = 0
GROUP BY g.role" | grep -E "Scan|Execution Time"
done
psql "$URL" -X -qAt -c "SELECT 'collation of role_grants.unit_path: ' || COALESCE(collation_name, 'database default') FROM information_schema.columns WHERE table_name = 'role_grants' AND column_name = 'unit_path' AND table_schema = current_schema()"
