#!/usr/bin/env bash
# The listing against the database's own ceiling, side by side in one run (issue 16, target 2):
#   1. a release crud-api on a throwaway PostgreSQL with 1,000 listings (scripts/lib/bench-crud.sh);
#   2. five `GET /api/v1/products?category=table&limit=20` with statement logging on: every
#      statement a request sent, with its parameters, is captured from the server's log (not
#      retyped; scripts/lib/pgbench-capture.py tells them from background tasks' statements);
#   3. `hey` at CONNECTIONS (100) against the endpoint, then `pgbench` with the captured
#      statements as its script (prepared, the parameters bound as sqlx binds them), at the
#      same number of clients, each for DURATION (10s), alternating ROUNDS (3) times;
#   4. the ratio of the medians, API / database.
# Usage: scripts/bench-listing.sh     (make bench-listing)
#   ROUNDS=3 alternations; PROFILE=1 then profiles one more round of each (perf, all processes)
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-100}
if [ -z "${TEST_DATABASE_URL:-}" ]; then
  exec scripts/with-postgres.sh "$0" "$@"
fi
command -v hey >/dev/null || {
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq hey >/dev/null
}
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
source scripts/lib/bench-crud.sh
trap stop_crud_api EXIT
start_crud_api postgres
url="$base/api/v1/products?category=table&limit=20"
pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)

# A settled table, as in production (fresh rows have no visibility map or statistics yet, and
# autovacuum would otherwise change the plan's cost half-way through the rounds).
psql "$db" -qc "VACUUM ANALYZE" >/dev/null
# Warm every pool connection's statement cache, then log exactly one request's statements.
hey -n 2000 -c 32 "$url" >/dev/null
psql "$TEST_DATABASE_URL" -qc "ALTER SYSTEM SET log_min_duration_statement = 0" -c "SELECT pg_reload_conf()" >/dev/null
sleep 0.5
from=$(wc -c <"$TEST_DATABASE_LOG")
for _ in 1 2 3 4 5; do curl -fs -o /dev/null "$url"; done
sleep 0.2
psql "$TEST_DATABASE_URL" -qc "ALTER SYSTEM RESET log_min_duration_statement" -c "SELECT pg_reload_conf()" >/dev/null
tail -c +"$((from + 1))" "$TEST_DATABASE_LOG" >"$work/request.log"
python3 scripts/lib/pgbench-capture.py "$work/request.log" "$work/request.sql" "$work/request.vars" 5
echo "== listing vs the database, $(git rev-parse --short HEAD), $(nproc) cores, $CONNECTIONS connections, $DURATION each =="
echo "-- statements one request sent (captured from PostgreSQL's log): $(grep -c . "$work/request.sql")"
sed 's/^/   /' "$work/request.sql" | cut -c1-220

mapfile -t vars <"$work/request.vars"
api_round() { # prints req/s; keeps hey's report in $work/hey.txt
  hey -z "$DURATION" -c "$CONNECTIONS" "$url" >"$work/hey.txt"
  grep -q '\[200\]' "$work/hey.txt" && ! grep -qE '^\s+\[[^2][0-9]{2}\]' "$work/hey.txt" || { cat "$work/hey.txt" >&2; exit 1; }
  awk '/Requests\/sec/ {print $2}' "$work/hey.txt"
}
db_round() { # prints transactions/s
  "$pg_bin/pgbench" -n -M prepared -c "$CONNECTIONS" -j 2 -T "${DURATION%s}" "${vars[@]}" -f "$work/request.sql" "$db" \
    >"$work/pgbench.txt" 2>&1
  grep -q "failed transactions: 0 " "$work/pgbench.txt" || { cat "$work/pgbench.txt" >&2; exit 1; }
  awk '/^tps/ {print $3}' "$work/pgbench.txt"
}
profile() { # PHASE: the machine's CPU by process, and the hottest symbols of crud-api and postgres
  perf record -q -F 499 -a -o "$work/$1.data" -- sleep "${DURATION%s}" 2>/dev/null
  echo "-- profile while $1 ran: CPU by process, then crud-api's and postgres's hottest symbols"
  perf report -q -i "$work/$1.data" --no-children --sort comm 2>/dev/null | head -n 6 || true
  for comm in tokio-rt-worker postgres; do
    perf report -q -i "$work/$1.data" --comm "$comm" --no-children --sort dso,symbol 2>/dev/null |
      head -n "${PROFILE_LINES:-20}" | cut -c1-120 || true
  done
}

# The two sides alternate, ROUNDS times each, so a noisy neighbour or a frequency change hits
# both alike; the ratio is of the medians.
api_rates=() db_rates=()
for round in $(seq "${ROUNDS:-3}"); do
  api_rates+=("$(api_round)")
  db_rates+=("$(db_round)")
  echo "-- round $round: API ${api_rates[-1]} req/s, database ${db_rates[-1]} transactions/s"
done
echo "-- API, last round:"
sed -n '/Average/p;/50% in/p;/99% in/p' "$work/hey.txt"
echo "-- database, last round:"
grep -E "latency average" "$work/pgbench.txt" || true
python3 - "${api_rates[*]}" "${db_rates[*]}" <<'PY'
import statistics, sys
api = statistics.median(map(float, sys.argv[1].split()))
db = statistics.median(map(float, sys.argv[2].split()))
print(f"== ratio API / database (medians): {api:.0f} / {db:.0f} = {api / db:.2f}   (target >= 0.5)")
PY
if [ -n "${PROFILE:-}" ]; then
  { api_round >/dev/null & } ; profile hey-against-the-API; wait
  { db_round >/dev/null & } ; profile pgbench; wait
fi
