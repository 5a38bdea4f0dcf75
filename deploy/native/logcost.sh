#!/usr/bin/env bash
# `make bench-logs`: what the services' JSON log lines cost, measured on the stack that
# `make up` started. A second Catalog runs beside it on spare ports, on the same database,
# with its output read through a pipe as supervisord reads the stack's; wrk asks it for one
# product as fast as it answers, once with the default configuration (a line per request)
# and once with RUST_LOG=warn (no line per request; requests are still traced, so
# warnings keep their trace ids), in alternating rounds.
#   BENCH_SECONDS=seconds a run (default 5)  ROUNDS=rounds (default 2)
# On a machine with more than one CPU the Catalog gets the last CPU and wrk the others,
# so that every run gets the same share of the machine and the figures repeat.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$LOCALMART_ROOT"

seconds=${BENCH_SECONDS:-5}
rounds=${ROUNDS:-2}
command -v wrk >/dev/null || { echo "wrk is missing: run make deps" >&2; exit 1; }
curl -sf "http://$CATALOG_HTTP_ADDR/readyz" >/dev/null ||
  { echo "no Catalog answers at $CATALOG_HTTP_ADDR: start the stack with make up" >&2; exit 1; }

DATABASE_URL="postgres://catalog_app:$(cat "$LOCALMART_STATE/catalog-app-password")@127.0.0.1:$LOCALMART_PG_PORT/catalog"
CATALOG_ADMIN_TOKEN=$(cat "$LOCALMART_STATE/admin-token")
export DATABASE_URL CATALOG_ADMIN_TOKEN
product=$(curl -sf "http://$CATALOG_HTTP_ADDR/v1/products?page_size=1" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["items"][0]["id"])')

cpus=$(nproc)
server_cpus=() client_cpus=() client_threads=2
if (( cpus > 1 )); then
  server_cpus=(taskset -c "$((cpus - 1))")
  client_cpus=(taskset -c "0-$((cpus - 2))")
  client_threads=$(( cpus - 1 < 2 ? 2 : cpus - 1 ))
fi
ticks=$(getconf CLK_TCK)
scratch=$(mktemp -d)

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

catalog=""
stop_catalog() {
  if [ -n "$catalog" ]; then
    kill -TERM "$catalog" 2>/dev/null || true
    wait "$catalog" 2>/dev/null || true
    catalog=""
  fi
}
trap 'stop_catalog; rm -rf "$scratch"' EXIT

# One run: the Catalog with the given environment; prints "req/s p99_ms cpu_us_per_request".
run() {
  local port grpc_port url
  port=$(free_port)
  grpc_port=$(free_port)
  env "$@" CATALOG_HTTP_ADDR="127.0.0.1:$port" CATALOG_GRPC_ADDR="127.0.0.1:$grpc_port" \
    "${server_cpus[@]}" "$LOCALMART_BIN/catalog" serve > >(cat >/dev/null) 2>&1 &
  catalog=$!
  wait_for "a Catalog on port $port" 30 curl -sf "http://127.0.0.1:$port/readyz"
  url="http://127.0.0.1:$port/v1/products/$product"
  "${client_cpus[@]}" wrk -t"$client_threads" -c32 -d2s "$url" >/dev/null  # warm-up
  local before after
  before=$(awk '{print $14 + $15}' "/proc/$catalog/stat")
  "${client_cpus[@]}" wrk -t"$client_threads" -c32 -d"${seconds}s" --latency "$url" >"$scratch/wrk"
  after=$(awk '{print $14 + $15}' "/proc/$catalog/stat")
  stop_catalog
  python3 - "$scratch/wrk" "$before" "$after" "$ticks" <<'EOF'
import re, sys
report = open(sys.argv[1]).read()
before, after, ticks = map(float, sys.argv[2:])
requests = int(re.search(r"(\d+) requests in", report).group(1))
rate = float(re.search(r"Requests/sec:\s+([\d.]+)", report).group(1))
value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", report).groups()
p99_ms = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", report)
if errors:
    sys.exit(f"{errors.group(1)} requests failed:\n{report}")
cpu_us = (after - before) / ticks * 1e6 / requests
print(f"{rate:.0f} {p99_ms:.2f} {cpu_us:.1f}")
EOF
}

echo "The Catalog's REST get-product, ${seconds}s a run, 32 connections, ${rounds} rounds"
printf '| %-36s | %9s | %7s | %11s |\n' configuration "req/s" "p99 ms" "CPU us/req"
printf '|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..38})" "-----------" "---------" "-------------"
declare -A rates
for _ in $(seq "$rounds"); do
  for config in default RUST_LOG=warn; do
    if [ "$config" = default ]; then
      run >"$scratch/run"
      label="default (a line per request)"
    else
      run RUST_LOG=warn >"$scratch/run"
      label="RUST_LOG=warn (no line per request)"
    fi
    read -r rate p99 cpu <"$scratch/run"
    printf '| %-36s | %9s | %7s | %11s |\n' "$label" "$rate" "$p99" "$cpu"
    rates[$config]="${rates[$config]:-} $rate"
  done
done
python3 - "${rates[default]}" "${rates[RUST_LOG=warn]}" <<'EOF'
import statistics, sys
on, off = (statistics.median(map(float, rates.split())) for rates in sys.argv[1:])
print(f"The lines cost {100 * (1 - on / off):.0f} % of the throughput "
      f"({on:.0f} against {off:.0f} req/s, medians).")
EOF
