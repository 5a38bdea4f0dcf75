# Shared settings of the native stack, sourced by the scripts beside it.
# Every value can be overridden from the environment.

LOCALMART_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export LOCALMART_ROOT
export LOCALMART_STATE=${LOCALMART_STATE:-$LOCALMART_ROOT/.localmart}
export LOCALMART_TOOLS=${LOCALMART_TOOLS:-$HOME/.cache/localmart/tools}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/localmart/target}
# `make up` builds with this cargo profile (`dev` builds faster, unoptimised) and copies
# the binaries into $LOCALMART_BIN, so what runs stays what this checkout built even when
# another checkout shares the target directory.
export LOCALMART_PROFILE=${LOCALMART_PROFILE:-release}
export LOCALMART_BIN=$LOCALMART_STATE/bin
export PATH="$LOCALMART_TOOLS/bin:$PATH"

export LOCALMART_PG_PORT=${LOCALMART_PG_PORT:-55432}
export CATALOG_HTTP_ADDR=${CATALOG_HTTP_ADDR:-127.0.0.1:18080}
export CATALOG_GRPC_ADDR=${CATALOG_GRPC_ADDR:-127.0.0.1:18081}
# DATABASE_URL, with the serving role's password, is set by up.sh.

export LOCALMART_REDIS_PORT=${LOCALMART_REDIS_PORT:-56379}
# REDIS_URL, with this installation's Redis password, is set by up.sh.
export CART_HTTP_ADDR=${CART_HTTP_ADDR:-127.0.0.1:18082}
export CATALOG_GRPC_URL=${CATALOG_GRPC_URL:-http://$CATALOG_GRPC_ADDR}

export LOCALMART_FERRETDB_PORT=${LOCALMART_FERRETDB_PORT:-57017}
# Set MONGODB_URI to use a real MongoDB instead of the bundled FerretDB.
export MONGODB_URI=${MONGODB_URI:-mongodb://127.0.0.1:$LOCALMART_FERRETDB_PORT/}
export REVIEWS_HTTP_ADDR=${REVIEWS_HTTP_ADDR:-127.0.0.1:18083}
export CATALOG_HTTP_URL=${CATALOG_HTTP_URL:-http://$CATALOG_HTTP_ADDR}

export STOREFRONT_ADDR=${STOREFRONT_ADDR:-127.0.0.1:18000}

# The telemetry stack (docs/observability.md): the OpenTelemetry Collector's OTLP
# receivers, its own metrics and the endpoint with what it makes of the traces; Zipkin,
# VictoriaLogs, Prometheus and Alertmanager.
export LOCALMART_OTLP_GRPC_ADDR=${LOCALMART_OTLP_GRPC_ADDR:-127.0.0.1:14317}
export LOCALMART_OTLP_HTTP_ADDR=${LOCALMART_OTLP_HTTP_ADDR:-127.0.0.1:14318}
export LOCALMART_COLLECTOR_METRICS_PORT=${LOCALMART_COLLECTOR_METRICS_PORT:-18888}
export LOCALMART_COLLECTOR_PROMETHEUS_ADDR=${LOCALMART_COLLECTOR_PROMETHEUS_ADDR:-127.0.0.1:18889}
export LOCALMART_ZIPKIN_PORT=${LOCALMART_ZIPKIN_PORT:-19411}
export LOCALMART_VICTORIALOGS_ADDR=${LOCALMART_VICTORIALOGS_ADDR:-127.0.0.1:19428}
export LOCALMART_PROMETHEUS_ADDR=${LOCALMART_PROMETHEUS_ADDR:-127.0.0.1:19090}
export LOCALMART_ALERTMANAGER_ADDR=${LOCALMART_ALERTMANAGER_ADDR:-127.0.0.1:19093}
# The services send their traces, metrics and logs to the collector. Set it empty
# (OTEL_EXPORTER_OTLP_ENDPOINT=) to export nothing.
export OTEL_EXPORTER_OTLP_ENDPOINT=${OTEL_EXPORTER_OTLP_ENDPOINT-http://$LOCALMART_OTLP_GRPC_ADDR}

SUPERVISOR_CONF=$LOCALMART_ROOT/deploy/native/supervisord.conf

# The newest PostgreSQL server binaries Debian installed.
pg_bin() {
  if [ -n "${PG_BIN_DIR:-}" ]; then echo "$PG_BIN_DIR"; return; fi
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

# Where the PostgreSQL cluster lives. PostgreSQL refuses to run as root, so as root it runs
# as the `postgres` system user, which cannot enter a private directory (root's home, one
# made by `mktemp -d`). Then the cluster lives in /var/lib/localmart, one per state folder,
# and up.sh links $LOCALMART_STATE/postgres to it.
pg_data() {
  if [ "$(id -u)" -ne 0 ] || as_postgres test -x "$LOCALMART_STATE"; then
    echo "$LOCALMART_STATE/postgres"
  else
    echo "/var/lib/localmart/$(printf %s "$LOCALMART_STATE" | sha256sum | cut -c1-16)/postgres"
  fi
}

# PostgreSQL refuses to run as root; as root, run it as the `postgres` system user.
as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then
    # From /, which it can enter (the checkout may be private); every path passed is absolute.
    (cd / && setpriv --reuid=postgres --regid=postgres --init-groups -- "$@")
  else
    "$@"
  fi
}

ctl() {
  supervisorctl -c "$SUPERVISOR_CONF" "$@"
}

# Polls a command until it succeeds or the deadline (seconds) passes.
wait_for() {
  local what=$1 deadline=$2
  shift 2
  local started=$SECONDS
  until "$@" >/dev/null 2>&1; do
    if (( SECONDS - started > deadline )); then
      echo "$what did not happen within ${deadline}s" >&2
      return 1
    fi
    sleep 0.2
  done
}
