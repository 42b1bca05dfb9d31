#!/usr/bin/env bash
# The compose stack judged by the load generator and by Prometheus, as CI runs it
# (`scripts/compose-offline.sh smoke` brings the stack up first and takes it down
# after). Every step fails the run with a one-line reason:
#  1. shared state: 30 s of `scalelab load` (the default mix) from the host through the
#     published balancer, one app replica killed half-way: no violation, no failed
#     GET (in-flight writes on the killed replica may fail: they are not retried), and
#     Prometheus then lists exactly the replicas still running;
#  2. the database: 15 s of `scalelab load --mix checkout`: orders acknowledged, no
#     order_lost, double_order or oversold, and Prometheus shows PostgreSQL's
#     connections (its exporter) within its budget, and the replicas' pools;
#  3. SCALELAB_STATE=local: the replicas recreated, 30 s of load: session_lost above
#     50 % of the session checks, and the alerts COMPOSE.md promises firing;
#  4. every PromQL expression of the Grafana dashboard answered by that Prometheus
#     with at least one series, except the ones listed in only_during_failures below;
#  5. `down -v` (in compose-offline.sh) leaves no container, volume or network.
# Needs: COMPOSE (the compose command line), the host's build/bin/scalelab, curl, node.
set -euo pipefail
cd "$(dirname "$0")/../.."
read -r -a compose <<<"${COMPOSE:?set COMPOSE to the compose command line}"
scalelab=${SCALELAB:-build/bin/scalelab}
prometheus=http://127.0.0.1:9090
out=${SMOKE_DIR:-build/compose-offline/smoke}
mkdir -p "$out"

say() { echo "smoke: $*"; }
fail() { echo "smoke: FAILED: $*" >&2; exit 1; }
# Evaluates a JavaScript expression over the JSON file $1 (bound to `j`) and prints it.
json() { node -e "const j = JSON.parse(require('fs').readFileSync(process.argv[1], 'utf8')); console.log($2)" "$1"; }
promql() { curl -sfG --max-time 5 "$prometheus/api/v1/query" --data-urlencode "query=$1"; }
containers() { docker ps -q --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME" --filter "label=com.docker.compose.service=$1" "${@:2}" | wc -l; }
running_apps() { containers app; }
# Waits until `service` has at least `count` healthy containers.
wait_healthy() {
  local healthy=0
  for _ in $(seq 1 90); do
    healthy=$(containers "$1" --filter health=healthy)
    [ "$healthy" -ge "$2" ] && return 0
    sleep 1
  done
  fail "only $healthy $1 containers healthy after 90 s, $2 wanted"
}

# --- 1. shared state, a replica killed under load ------------------------------------
say "shared state: 30 s of load, one replica killed at 15 s"
"$scalelab" load --target 127.0.0.1:8080 --users 20 --duration 30s --output json --progress none \
  --allow-failures 1% >"$out/shared.json" 2>"$out/shared.err" &
load=$!
sleep 15
# awk reads all of ps; `head -1` would close the pipe early, and under pipefail
# compose's SIGPIPE (exit 141) would end the smoke.
victim=$("${compose[@]}" ps -q app | awk 'NR == 1')
docker kill "$victim" >/dev/null
say "killed app container ${victim:0:12}"
code=0
wait "$load" || code=$?
[ "$code" -eq 0 ] || fail "shared-state load exited $code (3: violations, 4: failures; $out/shared.json)"
violations=$(json "$out/shared.json" "Object.values(j.totals.violations).reduce((a, b) => a + b, 0)")
failed_gets=$(json "$out/shared.json" "j.totals.failed_reads")
failed=$(json "$out/shared.json" "j.totals.errors")
requests=$(json "$out/shared.json" "j.totals.requests")
[ "$violations" -eq 0 ] || fail "$violations violations in shared mode"
if [ "$failed_gets" -ne 0 ]; then
  # What each failed request was (the first 20), so a CI log says why without the run's files.
  json "$out/shared.json" "j.failures.map(f => '  ' + [f.t_s.toFixed(2) + 's', f.method, f.target, f.status || f.transport, f.error, f.detail, f.instance, f.request_id].join(' ')).join('\\n')" >&2
  fail "$failed_gets GETs failed while a replica died"
fi
say "shared: $requests requests, 0 violations, $failed failed (none a GET)"

# Prometheus follows Docker's DNS: within its refresh and scrape intervals (5 s each)
# the app targets are exactly the running replicas, all up.
want=$(running_apps)
for _ in $(seq 1 30); do
  listed=$(curl -sf "$prometheus/api/v1/targets?state=active" >"$out/targets.json" && json "$out/targets.json" \
    "j.data.activeTargets.filter(t => t.labels.job === 'app' && t.health === 'up').length + '/' + j.data.activeTargets.filter(t => t.labels.job === 'app').length" || echo "?")
  [ "$listed" = "$want/$want" ] && break
  sleep 1
done
[ "$listed" = "$want/$want" ] || fail "Prometheus lists $listed app targets up, $want replicas run"
say "Prometheus lists the $want running replicas, all up"

# --- 2. the database: checkouts, and the connections they hold ----------------------
say "database: 15 s of checkouts"
code=0
"$scalelab" load --target 127.0.0.1:8080 --users 10 --duration 15s --mix checkout --output json --progress none \
  >"$out/checkout.json" 2>"$out/checkout.err" || code=$?
[ "$code" -eq 0 ] || fail "checkout load exited $code (3: violations, 4: failures; $out/checkout.json, $out/checkout.err)"
acknowledged=$(json "$out/checkout.json" "j.totals.checkouts.acknowledged")
[ "$acknowledged" -gt 0 ] || fail "no checkout was acknowledged ($out/checkout.json)"
# PostgreSQL's own count (the exporter, scraped every 5 s) and the replicas' pools.
for _ in $(seq 1 30); do
  server=$(promql 'sum(pg_stat_activity_count{job="postgres", datname="scalelab"})' >"$out/q.json" && json "$out/q.json" "j.data.result.length ? Math.round(+j.data.result[0].value[1]) : 0" || echo 0)
  [ "$server" -gt 0 ] && break
  sleep 1
done
[ "$server" -gt 0 ] || fail "Prometheus shows no connection to the scalelab database (job postgres)"
budget=$(promql 'max(pg_settings_max_connections{job="postgres"}) - max(pg_settings_superuser_reserved_connections{job="postgres"})' >"$out/q.json" && json "$out/q.json" "Math.round(+j.data.result[0].value[1])")
pools=$(promql 'sum(db_pool_size{job="app"})' >"$out/q.json" && json "$out/q.json" "Math.round(+j.data.result[0].value[1])")
[ "$server" -le "$budget" ] || fail "PostgreSQL holds $server connections, over its budget of $budget"
say "database: $acknowledged checkouts acknowledged, 0 violations; PostgreSQL holds $server connections of its budget $budget (the replicas' pools may hold $pools)"

# --- 3. local state: the breakage, measured and alerted ------------------------------
say "local state: replicas recreated"
SCALELAB_STATE=local "${compose[@]}" up -d >"$out/local-up.log" 2>&1 || fail "up with SCALELAB_STATE=local failed ($out/local-up.log)"
wait_healthy app 3
wait_healthy balancer 1
say "local state: 30 s of load"
code=0
"$scalelab" load --target 127.0.0.1:8080 --users 20 --duration 30s --output json --progress none \
  --allow-violations >"$out/local.json" 2>"$out/local.err" || code=$?
[ "$code" -eq 0 ] || fail "local-state load exited $code ($out/local.json)"
lost=$(json "$out/local.json" "j.totals.violations.session_lost")
checks=$(json "$out/local.json" "j.totals.checks.session")
[ "$((lost * 2))" -gt "$checks" ] || fail "session_lost $lost of $checks session checks, not above 50 %"
say "local: session_lost $lost of $checks session checks"

# Alerts COMPOSE.md says fire in local mode (the last one holds for 1 minute first).
expected_alerts=(ScalelabSessionMisses ScalelabUploadMisses ScalelabLocalStateWithManyInstances)
for _ in $(seq 1 90); do
  curl -sf "$prometheus/api/v1/alerts" >"$out/alerts.json" || true
  missing=()
  for a in "${expected_alerts[@]}"; do
    state=$(json "$out/alerts.json" "(j.data.alerts.find(x => x.labels.alertname === '$a' && x.state === 'firing') ? 'firing' : 'no')" 2>/dev/null || echo no)
    [ "$state" = firing ] || missing+=("$a")
  done
  [ "${#missing[@]}" -eq 0 ] && break
  sleep 1
done
[ "${#missing[@]}" -eq 0 ] || fail "alerts not firing: ${missing[*]}"
say "alerts firing: ${expected_alerts[*]}"

# --- 4. the dashboard's queries against live data ------------------------------------
# Series that exist only while something fails, or for parts compose does not run:
# these may come back empty. Everything else must return data.
# The same list is in deploy/COMPOSE.md ("What the dashboard shows when").
only_during_failures=(
  _request_errors:              # 5xx rates and ratios (app and balancer): no 5xx, no series
  _request_error_ratio:
  balancer_retry_budget_exhausted_total
  balancer_queue_timeouts_total
  balancer_affinity_broken_total  # sticky balancing only
  scalelab_faultproxy_          # the fault proxy: part of `scalelab up`, not of compose
)
# The panels' queries, and the selector inside each variable's label_values().
node -e '
  const d = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  for (const p of d.panels || []) for (const t of p.targets || []) if (t.expr) console.log(p.title + "\t" + t.expr);
  for (const v of (d.templating && d.templating.list) || []) {
    const m = /^label_values\((.*), *\w+\)$/.exec(typeof v.query === "string" ? v.query : v.query.query);
    if (m) console.log("variable " + v.name + "\t" + m[1]);
  }
' deploy/grafana/dashboards/scalelab.json >"$out/dashboard-queries.tsv"
empty=()
allowed_empty=()
total=0
while IFS=$'\t' read -r title expr; do
  total=$((total + 1))
  # Grafana's variables as the dashboard opens: every instance, its last 15 minutes.
  query=${expr//\$__rate_interval/1m}
  query=${query//\$__range/15m}
  query=${query//\$instance/.*}
  promql "$query" >"$out/query.json" || fail "Prometheus refused the query of \"$title\": $query"
  series=$(json "$out/query.json" "j.data.result.length")
  [ "$series" -gt 0 ] && continue
  allowed=no
  for name in "${only_during_failures[@]}"; do [[ "$expr" == *"$name"* ]] && allowed=yes; done
  if [ "$allowed" = yes ]; then allowed_empty+=("$title"); else empty+=("$title: $expr"); fi
done <"$out/dashboard-queries.tsv"
[ "${#empty[@]}" -eq 0 ] || fail "dashboard queries with no data: $(printf '\n  %s' "${empty[@]}")"
say "dashboard: $((total - ${#allowed_empty[@]})) of $total queries returned data; empty, as only failures fill them: $(IFS=,; echo "${allowed_empty[*]}")"
