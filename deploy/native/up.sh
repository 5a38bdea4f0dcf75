#!/usr/bin/env bash
# `make up`: install what is missing, build, start the native stack, print the URLs.
# Idempotent: a second run reuses the cluster and the data, and restarts the services on
# the newly built binaries.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$LOCALMART_ROOT"
stage=deploy/native/stage.sh

$stage deps deploy/native/deps.sh
$stage build cargo build --profile "$LOCALMART_PROFILE" --locked -p catalog -p cart -p reviews
$stage storefront cargo xtask storefront

mkdir -p "$LOCALMART_STATE/logs" "$LOCALMART_STATE/redis" "$LOCALMART_STATE/ferretdb" "$LOCALMART_BIN" \
  "$LOCALMART_STATE/prometheus" "$LOCALMART_STATE/victorialogs" "$LOCALMART_STATE/alertmanager"
# Prometheus reads no environment, so its configuration is written out with this stack's
# addresses.
python3 - deploy/observability/prometheus/prometheus-native.yml "$LOCALMART_STATE/prometheus/prometheus.yml" <<'PY'
import os, re, sys
text = open(sys.argv[1]).read()
missing = sorted(set(re.findall(r"\$\{(\w+)\}", text)) - set(os.environ))
if missing:
    sys.exit(f"prometheus-native.yml names unset variables: {', '.join(missing)}")
open(sys.argv[2], "w").write(os.path.expandvars(text))
PY
# The secrets of this installation: each made on the first `make up` and kept, readable by
# the owner alone, in the state folder, never the same on two machines.
secret() {
  local file=$LOCALMART_STATE/$1
  if [ ! -s "$file" ]; then
    (umask 077 && python3 -c 'import secrets; print(secrets.token_urlsafe(32))' >"$file")
  fi
  cat "$file"
}
# The admin token; the services refuse to start with a guessable one.
token_file=$LOCALMART_STATE/admin-token
admin_token=$(secret admin-token)
export CATALOG_ADMIN_TOKEN=${CATALOG_ADMIN_TOKEN:-$admin_token}
export REVIEWS_ADMIN_TOKEN=${REVIEWS_ADMIN_TOKEN:-$admin_token}
# The key Reviews signs the voters it issues with: whoever holds it can make up voters.
voter_key=$(secret voter-key)
export REVIEWS_VOTER_KEY=${REVIEWS_VOTER_KEY:-$voter_key}
# PostgreSQL's superuser, the catalog database's owner (who migrates and seeds) and the
# role the Catalog serves with (who reads and writes rows, and nothing more) each have a
# password; connections from anywhere need one.
pg_superuser_password=$(secret postgres-password)
pg_owner_password=$(secret catalog-owner-password)
pg_app_password=$(secret catalog-app-password)
catalog_owner_url=postgres://catalog_owner:$pg_owner_password@127.0.0.1:$LOCALMART_PG_PORT/catalog
export DATABASE_URL=${DATABASE_URL:-postgres://catalog_app:$pg_app_password@127.0.0.1:$LOCALMART_PG_PORT/catalog}
export PGPASSWORD=$pg_superuser_password
# Redis asks for a password too. Its settings file, readable by the owner alone, holds it,
# so it is on no command line.
redis_password=$(secret redis-password)
(umask 077 && cat >"$LOCALMART_STATE/redis/redis.conf" <<CONF
requirepass $redis_password
# Every cart and idempotency record expires; when memory runs short, the keys closest to
# expiring (the carts abandoned longest) go first and the carts in use stay.
maxmemory ${LOCALMART_REDIS_MAXMEMORY:-256mb}
maxmemory-policy volatile-ttl
CONF
)
export REDIS_URL=${REDIS_URL:-redis://:$redis_password@127.0.0.1:$LOCALMART_REDIS_PORT}
# FerretDB keeps the reviews in a PostgreSQL database of their own, as a role that owns
# that database and nothing else. It reads the URL from its environment.
reviews_store_password=$(secret reviews-store-password)
export FERRETDB_POSTGRESQL_URL=postgres://reviews_store:$reviews_store_password@127.0.0.1:$LOCALMART_PG_PORT/reviews
# What runs is a copy of what was just built: a build in another checkout that shares the
# target directory cannot swap the binaries under a running stack.
built=$CARGO_TARGET_DIR/$([ "$LOCALMART_PROFILE" = dev ] && echo debug || echo "$LOCALMART_PROFILE")
for binary in catalog cart reviews; do
  install -m 0755 "$built/$binary" "$LOCALMART_BIN/$binary.new"
  mv -f "$LOCALMART_BIN/$binary.new" "$LOCALMART_BIN/$binary"
done
export STOREFRONT_BUNDLE=$LOCALMART_STATE/storefront
rm -rf "$STOREFRONT_BUNDLE.new"
cp -R "$CARGO_TARGET_DIR/storefront" "$STOREFRONT_BUNDLE.new"
rm -rf "$STOREFRONT_BUNDLE"
mv "$STOREFRONT_BUNDLE.new" "$STOREFRONT_BUNDLE"

data=$(pg_data)
link=$LOCALMART_STATE/postgres
if [ "$data" != "$link" ]; then
  # The cluster is outside the state folder (see pg_data); the link is the record that
  # this folder owns it. No link means the folder was deleted to start from scratch, so a
  # cluster still there is the old one.
  if [ ! -L "$link" ]; then
    rm -rf "$data"
  fi
  mkdir -p "$data"
  ln -sfn "$data" "$link"
fi
if [ ! -f "$data/PG_VERSION" ]; then
  echo "==> creating a PostgreSQL cluster in $data"
  mkdir -p "$data"
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres:postgres "$data"
  fi
  pwfile=$(umask 077 && mktemp)
  echo "$pg_superuser_password" >"$pwfile"
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres "$pwfile"
  fi
  as_postgres "$(pg_bin)/initdb" -D "$data" -U localmart --auth=scram-sha-256 --pwfile="$pwfile" \
    -E UTF8 --no-locale >"$LOCALMART_STATE/logs/initdb.log"
  rm -f "$pwfile"
fi

# supervisord expands its configuration with the environment it was started with, so
# when either (or the collector's configuration) has changed since, it is restarted (the
# data stays); otherwise it is reused.
fingerprint=$({ cat "$SUPERVISOR_CONF" deploy/observability/collector/*.yaml; env | grep -E '^(LOCALMART_|CATALOG_|CART_|REDIS_|REVIEWS_|STOREFRONT_|MONGODB_|FERRETDB_|DATABASE_URL|OTEL_|RUST_LOG|LOG_FORMAT)' | sort; } | sha256sum | cut -d' ' -f1)
fingerprint_file=$LOCALMART_STATE/supervisord.fingerprint
if ctl pid >/dev/null 2>&1; then
  if [ "$(cat "$fingerprint_file" 2>/dev/null)" = "$fingerprint" ]; then
    echo "==> supervisord is running; reusing it"
    # Whatever stopped or gave up since is started again (a no-op for what runs).
    ctl start postgres redis otelcol zipkin victorialogs prometheus alertmanager >/dev/null || true
  else
    echo "==> the stack's configuration changed; restarting supervisord (data is kept)"
    deploy/native/down.sh >/dev/null
  fi
fi
if ! ctl pid >/dev/null 2>&1; then
  echo "==> starting supervisord"
  supervisord -c "$SUPERVISOR_CONF"
  echo "$fingerprint" >"$fingerprint_file"
fi
wait_for "PostgreSQL accepting connections" 60 pg_isready -q -h 127.0.0.1 -p "$LOCALMART_PG_PORT"
wait_for "Redis answering" 60 env REDISCLI_AUTH="$redis_password" redis-cli -p "$LOCALMART_REDIS_PORT" ping
# What a failed step logged: its error lines (a backtrace would push them out of a tail),
# else the end of its log.
show_failure() {
  grep -E '"level":"ERROR"|^Error' "$1" >&2 || tail -n 20 "$1" >&2
}
# Something else listening on one of the ports would answer the checks above (and below);
# make sure the answers come from the stack's own processes.
running() {
  for program in "$@"; do
    if ! wait_for "$program to be running" 30 bash -c 'supervisorctl -c "$0" status "$1" | grep -q RUNNING' \
      "$SUPERVISOR_CONF" "$program"; then
      echo "$program is not running; is another server using its port? Its log:" >&2
      tail -n 15 "$LOCALMART_STATE/logs/$program.log" >&2
      exit 1
    fi
  done
}
running postgres redis
# The roles and their rights, made (or brought up to date) on every run: a cluster made
# before passwords were asked for still trusts every local process until the new
# pg_hba.conf is loaded at the end.
pg_sql() {
  psql -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$LOCALMART_PG_PORT" -U localmart "$@"
}
pg_sql -d postgres -v superuser="$pg_superuser_password" -v owner="$pg_owner_password" \
  -v app="$pg_app_password" -v reviews_store="$reviews_store_password" <<'SQL' >/dev/null
ALTER ROLE localmart PASSWORD :'superuser';
SELECT 'CREATE ROLE reviews_store LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'reviews_store') \gexec
ALTER ROLE reviews_store PASSWORD :'reviews_store';
SELECT 'CREATE DATABASE reviews OWNER reviews_store' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'reviews') \gexec
REVOKE ALL ON DATABASE reviews FROM PUBLIC;
SELECT 'CREATE ROLE catalog_owner LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'catalog_owner') \gexec
SELECT 'CREATE ROLE catalog_app LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'catalog_app') \gexec
ALTER ROLE catalog_owner PASSWORD :'owner';
ALTER ROLE catalog_app PASSWORD :'app';
SELECT 'CREATE DATABASE catalog OWNER catalog_owner' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'catalog') \gexec
ALTER DATABASE catalog OWNER TO catalog_owner;
REVOKE ALL ON DATABASE catalog FROM PUBLIC;
GRANT CONNECT ON DATABASE catalog TO catalog_app;
SQL
pg_sql -d catalog <<'SQL' >/dev/null
ALTER SCHEMA public OWNER TO catalog_owner;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO catalog_app;
-- Tables made before the owner role existed (by the superuser) go to it.
SELECT format('ALTER TABLE public.%I OWNER TO catalog_owner', tablename) FROM pg_tables
  WHERE schemaname = 'public' AND tableowner <> 'catalog_owner' \gexec
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO catalog_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO catalog_app;
ALTER DEFAULT PRIVILEGES FOR ROLE catalog_owner IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO catalog_app;
ALTER DEFAULT PRIVILEGES FOR ROLE catalog_owner IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO catalog_app;
SQL
# Every connection, over TCP or the socket, with a password.
as_postgres tee "$data/pg_hba.conf" >/dev/null <<'HBA'
# Written by deploy/native/up.sh: every connection needs its role's password.
local all all scram-sha-256
host all all 127.0.0.1/32 scram-sha-256
host all all ::1/128 scram-sha-256
HBA
pg_sql -d postgres -c "SELECT pg_reload_conf()" >/dev/null

ctl start ferretdb >/dev/null || true
wait_for "FerretDB accepting connections" 60 bash -c "</dev/tcp/127.0.0.1/$LOCALMART_FERRETDB_PORT"
running ferretdb
# An installation whose reviews FerretDB kept in SQLite files (before it ran on
# PostgreSQL) has them copied over once; the files stay where they were.
sqlite_store=$LOCALMART_STATE/ferretdb
if compgen -G "$sqlite_store/*.sqlite" >/dev/null && [ ! -e "$sqlite_store/moved-to-postgresql" ]; then
  copy_log=$LOCALMART_STATE/logs/reviews-copy.log
  echo "==> copying the reviews from FerretDB's SQLite files to PostgreSQL (log: $copy_log)"
  ctl stop reviews >/dev/null || true
  sqlite_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  ferretdb --handler=sqlite --sqlite-url="file:$sqlite_store/" --state-dir="$sqlite_store" \
    --listen-addr="127.0.0.1:$sqlite_port" --telemetry=disable --debug-addr=- >>"$copy_log" 2>&1 &
  sqlite_ferretdb=$!
  copied=0
  if wait_for "the SQLite FerretDB" 30 bash -c "</dev/tcp/127.0.0.1/$sqlite_port" &&
    "$LOCALMART_BIN/reviews" copy-store --from "mongodb://127.0.0.1:$sqlite_port/" >>"$copy_log" 2>&1; then
    copied=1
  fi
  kill "$sqlite_ferretdb" 2>/dev/null || true
  wait "$sqlite_ferretdb" 2>/dev/null || true
  if [ "$copied" != 1 ]; then
    show_failure "$copy_log"
    exit 1
  fi
  touch "$sqlite_store/moved-to-postgresql"
fi

seed_log=$LOCALMART_STATE/logs/catalog-seed.log
echo "==> migrating and seeding the catalog (log: $seed_log)"
if ! DATABASE_URL=$catalog_owner_url "$LOCALMART_BIN/catalog" seed >>"$seed_log" 2>&1; then
  show_failure "$seed_log"
  exit 1
fi

ctl restart catalog >/dev/null
wait_for "the Catalog to be ready" 60 curl -fsS "http://$CATALOG_HTTP_ADDR/readyz"
# The demo reviews of the products the Catalog lists, into an empty review store only.
reviews_seed_log=$LOCALMART_STATE/logs/reviews-seed.log
echo "==> seeding the demo reviews (log: $reviews_seed_log)"
if ! "$LOCALMART_BIN/reviews" seed >>"$reviews_seed_log" 2>&1; then
  show_failure "$reviews_seed_log"
  exit 1
fi
ctl restart cart reviews >/dev/null
wait_for "the Cart to be ready" 60 curl -fsS "http://$CART_HTTP_ADDR/readyz"
wait_for "Reviews to be ready" 60 curl -fsS "http://$REVIEWS_HTTP_ADDR/readyz"
ctl restart edge >/dev/null
if ! wait_for "the storefront's edge to answer" 30 curl -fsS "http://$STOREFRONT_ADDR/api/catalog/v1/categories"; then
  tail -n 15 "$LOCALMART_STATE/logs/edge.log" >&2
  exit 1
fi

# The telemetry stack is for watching the shop, which runs without it: a part that does
# not answer is named, with its log, and `make up` goes on.
telemetry_down=()
telemetry() {
  local program=$1 url=$2 started=$SECONDS
  until curl -fsS --max-time 2 -o /dev/null "$url" 2>/dev/null; do
    # FATAL: supervisord gave up on it (it exited at once, a few times over).
    if (( SECONDS - started > 90 )) || ctl status "$program" | grep -q FATAL; then
      echo "telemetry: $program is not answering at $url; the shop runs without it (log: $LOCALMART_STATE/logs/$program.log)" >&2
      telemetry_down+=("$program")
      return
    fi
    sleep 0.2
  done
}
zipkin_url=http://127.0.0.1:$LOCALMART_ZIPKIN_PORT
telemetry otelcol "http://127.0.0.1:$LOCALMART_COLLECTOR_METRICS_PORT/metrics"
telemetry zipkin "$zipkin_url/health"
telemetry victorialogs "http://$LOCALMART_VICTORIALOGS_ADDR/health"
telemetry prometheus "http://$LOCALMART_PROMETHEUS_ADDR/-/ready"
telemetry alertmanager "http://$LOCALMART_ALERTMANAGER_ADDR/-/ready"
# A Prometheus and an Alertmanager that were already running (supervisord reused) read
# their configuration, rules and templates again, so they use what this checkout says.
# (The collector cannot reload: its configuration is in the fingerprint above, so a change
# to it restarts the stack.)
for part in prometheus alertmanager; do
  [[ " ${telemetry_down[*]} " == *" $part "* ]] && continue
  address_variable=LOCALMART_${part^^}_ADDR
  curl -fsS --max-time 10 -o /dev/null -X POST "http://${!address_variable}/-/reload" ||
    echo "telemetry: $part did not reload its configuration (log: $LOCALMART_STATE/logs/$part.log)" >&2
done

product=$(curl -fsS "http://$CATALOG_HTTP_ADDR/v1/products?page_size=1" | sed -E 's/.*"id":"([0-9a-f-]{36})".*/\1/')
cat <<MSG

LocalMart is up. Shop at

  http://$STOREFRONT_ADDR/

  Catalog REST  http://$CATALOG_HTTP_ADDR   (health /healthz, readiness /readyz, metrics /metrics)
  API docs      http://$CATALOG_HTTP_ADDR/docs/  http://$CART_HTTP_ADDR/docs/  http://$REVIEWS_HTTP_ADDR/docs/
                (Swagger UI over each service's live document, /openapi.json)
  Catalog gRPC  $CATALOG_GRPC_ADDR
  Cart REST     http://$CART_HTTP_ADDR
  Reviews REST  http://$REVIEWS_HTTP_ADDR
  Edge (nginx)  http://$STOREFRONT_ADDR   (/api/catalog/, /api/cart/, /api/reviews/ route to the services)
  PostgreSQL    postgres://catalog_app@127.0.0.1:$LOCALMART_PG_PORT/catalog  (data in $data;
                passwords in $LOCALMART_STATE/*-password)
  Redis         redis://127.0.0.1:$LOCALMART_REDIS_PORT  (append-only, data in $LOCALMART_STATE/redis)
  FerretDB      $MONGODB_URI  (MongoDB wire protocol, documents in PostgreSQL's
                reviews database; set MONGODB_URI for a real MongoDB)
  Logs          $LOCALMART_STATE/logs/

Watch it (docs/observability.md):

  Traces        $zipkin_url/zipkin/   (Zipkin; a trace by id: $zipkin_url/zipkin/traces/<trace id>)
  Log search    http://$LOCALMART_VICTORIALOGS_ADDR/select/vmui/   (VictoriaLogs; query trace_id:<id>)
  Metrics       http://$LOCALMART_PROMETHEUS_ADDR/   (Prometheus; dashboards at /consoles/index.html)
  Alerts        http://$LOCALMART_ALERTMANAGER_ADDR/   (Alertmanager; the SLO burn-rate alerts)
  OTLP          grpc://$LOCALMART_OTLP_GRPC_ADDR  http://$LOCALMART_OTLP_HTTP_ADDR  (the collector)${telemetry_down[*]:+
  Not running   ${telemetry_down[*]} (see above)}
  Admin token   in $token_file (this installation's own; for the services' own ports,
                the edge passes none; README: Calling the Catalog)

Try:
  curl 'http://$CATALOG_HTTP_ADDR/v1/products?q=coffee&page_size=3'
  curl 'http://$CATALOG_HTTP_ADDR/v1/products/$product'
  buf curl --schema specs/proto --protocol grpc --http2-prior-knowledge \\
    -d '{"product_id": "$product", "quantity": 2}' \\
    http://$CATALOG_GRPC_ADDR/localmart.catalog.v1.CatalogService/ValidateProduct
  cart=\$(curl -s -X POST http://$CART_HTTP_ADDR/v1/carts | sed -E 's/.*"id":"([^"]+)".*/\1/')
  curl -s -X POST "http://$CART_HTTP_ADDR/v1/carts/\$cart/lines" -H 'Content-Type: application/json' \\
    -d '{"product_id": "$product", "quantity": 2}'
  curl -s -X POST "http://$REVIEWS_HTTP_ADDR/v1/products/$product/reviews" -H 'Content-Type: application/json' \\
    -d '{"author": "Ada", "rating": 5, "title": "Bright and light", "body": "Lasts a whole night hike."}'
  curl -s "http://$REVIEWS_HTTP_ADDR/v1/products/$product/rating-summary"

Stop with 'make down'; the data stays in $LOCALMART_STATE.
MSG
