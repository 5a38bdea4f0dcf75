#!/usr/bin/env bash
# What the services' logs and telemetry cost, measured on the stack that `make up` started.
# A second Catalog runs beside it on spare ports, on the same database, with its output
# read through a pipe as supervisord reads the stack's; wrk asks it for one product as fast
# as it answers, in alternating rounds of two configurations:
#   cost.sh logs        `make bench-logs`: a JSON line per request, against RUST_LOG=warn
#                       (no line per request; requests are still traced, so warnings keep
#                       their trace ids), nothing exported over OTLP in either;
#   cost.sh telemetry   `make bench-telemetry`: the traces, metrics and logs exported over
#                       OTLP to the stack's collector, against nothing exported (the lines
#                       are written in both).
# Each run reports the throughput, the 99th percentile, the CPU per request and the
# Catalog's memory (RSS) at the end of the run.
#   BENCH_SECONDS=seconds a run (default 5)  ROUNDS=rounds (default 2)
# On a machine with more than one CPU the Catalog gets the last CPU and wrk the others,
# so that every run gets the same share of the machine and the figures repeat.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$LOCALMART_ROOT"

case ${1:-} in
  logs)
    what="The lines"
    labels=("a line per request" "RUST_LOG=warn (no line per request)")
    configs=("OTEL_EXPORTER_OTLP_ENDPOINT=" "OTEL_EXPORTER_OTLP_ENDPOINT= RUST_LOG=warn")
    ;;
  telemetry)
    what="Exporting the telemetry"
    labels=("traces, metrics, logs over OTLP" "nothing exported")
    configs=("OTEL_EXPORTER_OTLP_ENDPOINT=http://$LOCALMART_OTLP_GRPC_ADDR" "OTEL_EXPORTER_OTLP_ENDPOINT=")
    curl -sf -o /dev/null "http://127.0.0.1:$LOCALMART_COLLECTOR_METRICS_PORT/metrics" ||
      { echo "the stack's collector is not running: start the stack with make up" >&2; exit 1; }
    ;;
  *)
    echo "usage: cost.sh logs|telemetry" >&2
    exit 2
    ;;
esac
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

# One run: the Catalog with the given environment; prints
# "req/s p99_ms cpu_us_per_request rss_mib".
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
  local rss
  rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$catalog/status")
  stop_catalog
  python3 - "$scratch/wrk" "$before" "$after" "$ticks" "$rss" <<'EOF'
import re, sys
report = open(sys.argv[1]).read()
before, after, ticks, rss = map(float, sys.argv[2:])
requests = int(re.search(r"(\d+) requests in", report).group(1))
rate = float(re.search(r"Requests/sec:\s+([\d.]+)", report).group(1))
value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", report).groups()
p99_ms = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", report)
if errors:
    sys.exit(f"{errors.group(1)} requests failed:\n{report}")
cpu_us = (after - before) / ticks * 1e6 / requests
print(f"{rate:.0f} {p99_ms:.2f} {cpu_us:.1f} {rss / 1024:.1f}")
EOF
}

echo "The Catalog's REST get-product, ${seconds}s a run, 32 connections, ${rounds} rounds"
printf '| %-36s | %9s | %7s | %11s | %8s |\n' configuration "req/s" "p99 ms" "CPU us/req" "RSS MiB"
printf '|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..38})" "-----------" "---------" "-------------" "----------"
rates=("" "") memory=("" "")
for _ in $(seq "$rounds"); do
  for i in 0 1; do
    # Each configuration is a list of VAR=value words.
    # shellcheck disable=SC2086
    run ${configs[$i]} >"$scratch/run"
    read -r rate p99 cpu rss <"$scratch/run"
    printf '| %-36s | %9s | %7s | %11s | %8s |\n' "${labels[$i]}" "$rate" "$p99" "$cpu" "$rss"
    rates[i]="${rates[i]} $rate"
    memory[i]="${memory[i]} $rss"
  done
done
python3 - "$what" "${rates[0]}" "${rates[1]}" "${memory[0]}" "${memory[1]}" <<'EOF'
import statistics, sys
what = sys.argv[1]
on, off, rss_on, rss_off = (statistics.median(map(float, values.split())) for values in sys.argv[2:])
print(f"{what} cost {100 * (1 - on / off):.0f} % of the throughput "
      f"({on:.0f} against {off:.0f} req/s) and {rss_on - rss_off:+.1f} MiB of memory "
      f"({rss_on:.1f} against {rss_off:.1f} MiB), medians.")
EOF
