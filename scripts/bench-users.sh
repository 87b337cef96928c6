#!/usr/bin/env bash
# The brief's load as shoppers make it (issue 16, target 1): Locust (PyPI, cached outside the
# clone) runs USERS virtual shoppers (scripts/load/shoppers.py: log in once, then home page,
# category pages, Korean search, details + similar items, cart, checkout, quote, pay, with think
# time) against crud-api on a throwaway PostgreSQL, everything on this machine, loopback only.
#
#   scripts/bench-users.sh [REPLICAS]     1 (default): one crud-api;
#                                         3: three crud-api behind haproxy (Debian), one database
#
# Env: USERS=1000 SPAWN_RATE=25 (shoppers/s while ramping) STEADY=120 (seconds measured once all
# are in) THINK_MIN=1 THINK_MAX=5 (seconds between steps). Prints the steady window's average,
# p50/p99, errors and throughput, each request's figures, the ramp's logins, and the CPU each
# process group used in the steady window (per replica, haproxy, PostgreSQL, Locust).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/free-port.sh"
cd "$(dirname "$0")/.."
replicas=${1:-1}
USERS=${USERS:-1000} SPAWN_RATE=${SPAWN_RATE:-25} STEADY=${STEADY:-120}
export THINK_MIN=${THINK_MIN:-1} THINK_MAX=${THINK_MAX:-5}
LOCUST_VERSION=2.47.0

if [ -z "${TEST_DATABASE_URL:-}" ]; then
  # pg_stat_statements loaded, for PROFILE_SQL=1.
  PG_EXTRA_OPTS="${PG_EXTRA_OPTS:-} -c shared_preload_libraries=pg_stat_statements" exec scripts/with-postgres.sh "$0" "$@"
fi
need=(); [ "$replicas" -gt 1 ] && ! command -v haproxy >/dev/null && need+=(haproxy)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
venv=${XDG_CACHE_HOME:-$HOME/.cache}/gajyeogagu/venv-locust-$LOCUST_VERSION
if [ ! -x "$venv/bin/locust" ]; then
  python3 -m venv "$venv" && "$venv/bin/pip" install -q "locust==$LOCUST_VERSION"
fi
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

source scripts/lib/bench-crud.sh
pids=() lb=""
stop_all() {
  [ -n "$lb" ] && kill "$lb" 2>/dev/null
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  stop_crud_api
}
trap stop_all EXIT
# Each replica's pool, so that the fleet's connections fit PostgreSQL's max_connections.
export DATABASE_MAX_CONNECTIONS=$((96 / replicas))
start_crud_api postgres
pids=("$server")
"$venv/bin/python" scripts/load/seed_shoppers.py "$base" "$token" "$work/shoppers.json" "$USERS" 3

target=$base
if [ "$replicas" -gt 1 ]; then
  servers="    server r1 127.0.0.1:$port check inter 1s"
  for i in $(seq 2 "$replicas"); do
    p=$(free_port)
    pids+=("$(run_crud_api "$p")")
    servers+=$'\n'"    server r$i 127.0.0.1:$p check inter 1s"
  done
  lb_port=$(free_port)
  cat >"$work/haproxy.cfg" <<CFG
global
    # Two descriptors per connection must fit under this machine's open-files limit.
    maxconn 8000
defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    option http-keep-alive
frontend shoppers
    bind 127.0.0.1:$lb_port
    default_backend crud_api
backend crud_api
    balance leastconn
    http-reuse always
    option httpchk GET /readyz
$servers
CFG
  haproxy -f "$work/haproxy.cfg" -db >"$work/haproxy.log" 2>&1 &
  lb=$!
  target=http://127.0.0.1:$lb_port
  for _ in $(seq 50); do curl -fs "$target/readyz" >/dev/null && break; sleep 0.1; done
  curl -fs "$target/readyz" >/dev/null || { cat "$work/haproxy.log"; echo "haproxy does not answer"; exit 1; }
fi

# CPU seconds (user + system) of each process group, from /proc: crud-api replicas one by one,
# haproxy, every PostgreSQL process, Locust.
cpu_snapshot() {
  python3 - "$@" <<'PY'
import os, sys, json
tick = os.sysconf("SC_CLK_TCK")
def cpu(pid):
    try:
        f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(f[11]) + int(f[12])) / tick
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
groups = {}
for arg in sys.argv[1:]:
    name, _, plist = arg.partition("=")
    groups[name] = sum(cpu(p) for p in plist.split(",") if p)
print(json.dumps(groups))
PY
}
groups() {
  local i=1 args=()
  for p in "${pids[@]}"; do args+=("crud-api r$i=$p"); i=$((i + 1)); done
  [ -n "$lb" ] && args+=("haproxy=$lb")
  args+=("postgres=$(pgrep -d, -u postgres postgres || true)" "locust=$(pgrep -d, -f 'bin/locust' || true)")
  cpu_snapshot "${args[@]}"
}

# PROFILE_SQL=1: the statements that took the database's time in the run, from pg_stat_statements.
[ -n "${PROFILE_SQL:-}" ] && psql "$db" -qc "CREATE EXTENSION IF NOT EXISTS pg_stat_statements; SELECT pg_stat_statements_reset()" >/dev/null

ramp=$(( (USERS + SPAWN_RATE - 1) / SPAWN_RATE ))
echo "== $(git rev-parse --short HEAD): $USERS shoppers (Locust $LOCUST_VERSION) → $replicas crud-api on PostgreSQL," \
  "$(nproc) cores, think ${THINK_MIN}-${THINK_MAX} s, ramp ${ramp} s, steady ${STEADY} s =="
SHOPPERS_FILE=$work/shoppers.json SUMMARY_FILE=$work/summary.json "$venv/bin/locust" -f scripts/load/shoppers.py \
  --headless --only-summary -u "$USERS" -r "$SPAWN_RATE" -t "$((ramp + 5 + STEADY))s" -H "$target" \
  --stop-timeout 10 >"$work/locust.log" 2>&1 &
locust=$!
# Steady window for the CPU figures: from 5 s after the last shopper arrived to the end.
sleep $((ramp + 5)); before=$(groups)
sleep $((STEADY - 5)); after=$(groups)
# Locust exits 1 when any request failed: the figures are printed all the same, then that status.
rc=0; wait "$locust" || rc=$?
[ -s "$work/summary.json" ] || { tail -30 "$work/locust.log"; echo "locust failed"; exit 1; }

python3 - "$work/summary.json" "$before" "$after" <<'PY'
import json, sys
s = json.load(open(sys.argv[1])); before, after = json.loads(sys.argv[2]), json.loads(sys.argv[3])
st = s["steady"]
print(f"steady ({s['steady_seconds']} s): {st['requests']} requests, {st['rps']} req/s, errors {st['errors']}, "
      f"avg {st['avg_ms']} ms, p50 {st['p50_ms']} ms, p90 {st['p90_ms']} ms, p99 {st['p99_ms']} ms, max {st['max_ms']} ms")
lg = s["logins"]
print(f"logins (ramp, argon2id): {lg['requests']}, avg {lg['avg_ms']} ms, p99 {lg['p99_ms']} ms, errors {lg['errors']}")
print(f"{'request':34} {'n':>6} {'err':>4} {'avg':>7} {'p50':>7} {'p99':>7}")
for name, r in s["steady_by_request"].items():
    if r["requests"]:
        print(f"{name:34} {r['requests']:>6} {r['errors']:>4} {r['avg_ms']:>7} {r['p50_ms']:>7} {r['p99_ms']:>7}")
used = {k: after[k] - before.get(k, 0) for k in after}
total = sum(used.values())
print("CPU in the steady window (core-seconds, share of all measured):")
for k, v in used.items():
    print(f"  {k:12} {v:8.1f}  {100 * v / total:5.1f}%")
PY
sed -n '/^Error report/,$p' "$work/locust.log" | head -20
if [ -n "${PROFILE_SQL:-}" ]; then
  psql "$db" -P pager=off -c "SELECT calls, round(total_exec_time) AS total_ms, round(mean_exec_time::numeric, 3) AS mean_ms,
    rows / greatest(calls, 1) AS rows_per_call, left(regexp_replace(query, '\s+', ' ', 'g'), 110) AS query
    FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 15"
fi
exit "$rc"
