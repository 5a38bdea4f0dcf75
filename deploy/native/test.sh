#!/usr/bin/env bash
# The native stack tested as `make up` runs it: up.sh and down.sh on private ports, with the
# state folder inside a fresh `mktemp -d` (mode 0700, as in root's home), then checks that a
# shopper's calls work through the edge and that `make down` leaves nothing running.
#   test.sh [PROFILE]   the cargo profile to build (default dev: the tests need no speed)
set -euo pipefail
cd "$(dirname "$0")/../.."

private=$(mktemp -d)
export LOCALMART_STATE=$private/.localmart
export LOCALMART_PROFILE=${1:-dev}
read -r pg redis ferretdb catalog grpc cart reviews edge \
  otlp_grpc otlp_http collector_metrics collector_prometheus zipkin victorialogs prometheus alertmanager < <(python3 -c '
import socket
sockets = [socket.socket() for _ in range(16)]
for s in sockets:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in sockets))
')
export LOCALMART_PG_PORT=$pg LOCALMART_REDIS_PORT=$redis LOCALMART_FERRETDB_PORT=$ferretdb
export CATALOG_HTTP_ADDR=127.0.0.1:$catalog CATALOG_GRPC_ADDR=127.0.0.1:$grpc
export CART_HTTP_ADDR=127.0.0.1:$cart REVIEWS_HTTP_ADDR=127.0.0.1:$reviews
export STOREFRONT_ADDR=127.0.0.1:$edge
export LOCALMART_OTLP_GRPC_ADDR=127.0.0.1:$otlp_grpc LOCALMART_OTLP_HTTP_ADDR=127.0.0.1:$otlp_http
export LOCALMART_COLLECTOR_METRICS_PORT=$collector_metrics
export LOCALMART_COLLECTOR_PROMETHEUS_ADDR=127.0.0.1:$collector_prometheus
export LOCALMART_ZIPKIN_PORT=$zipkin LOCALMART_VICTORIALOGS_ADDR=127.0.0.1:$victorialogs
export LOCALMART_PROMETHEUS_ADDR=127.0.0.1:$prometheus LOCALMART_ALERTMANAGER_ADDR=127.0.0.1:$alertmanager
all_ports=("$pg" "$redis" "$ferretdb" "$catalog" "$grpc" "$cart" "$reviews" "$edge" "$otlp_grpc" "$otlp_http"
  "$collector_metrics" "$collector_prometheus" "$zipkin" "$victorialogs" "$prometheus" "$alertmanager")
source deploy/native/env.sh

cleanup() {
  deploy/native/down.sh >/dev/null 2>&1 || true
  cluster=$(pg_data)
  if [ "$cluster" != "$LOCALMART_STATE/postgres" ]; then
    rm -rf "$(dirname "$cluster")"
  fi
  rm -rf "$private"
}
trap cleanup EXIT

fail() {
  echo "native stack: $*" >&2
  tail -n 20 "$LOCALMART_STATE"/logs/*.log >&2 || true
  # A backtrace can push a failure's cause out of those tails.
  grep -E '"level":"ERROR"|^Error' "$LOCALMART_STATE"/logs/*.log >&2 || true
  exit 1
}

# The first `make up` meets a telemetry part that cannot start (something else holds
# Alertmanager's port): it says so, and the shop runs without it.
python3 -c 'import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(); time.sleep(600)' "$alertmanager" &
squatter=$!
deploy/native/up.sh >"$private/up.log" 2>&1 || { cat "$private/up.log" >&2; fail "up.sh failed"; }
kill "$squatter"
grep -q "LocalMart is up" "$private/up.log" || fail "up.sh did not print the URLs"
grep -q "telemetry: alertmanager is not answering" "$private/up.log" ||
  fail "up.sh did not say that Alertmanager is not running"
grep -q "Not running   alertmanager" "$private/up.log" || fail "up.sh's URLs do not name Alertmanager as not running"

shop=http://$STOREFRONT_ADDR
curl -fsS "$shop/" | grep -q '<div id="main"' || fail "the edge does not serve the storefront"
product=$(curl -fsS "$shop/api/catalog/v1/products?page_size=1" | python3 -c \
  'import json, sys; print(json.load(sys.stdin)["items"][0]["id"])') || fail "no seeded product"
cart_id=$(curl -fsS -X POST "$shop/api/cart/v1/carts" | python3 -c \
  'import json, sys; print(json.load(sys.stdin)["id"])') || fail "no cart"
quantity=$(curl -fsS -X POST "$shop/api/cart/v1/carts/$cart_id/lines" -H 'Content-Type: application/json' \
  -d "{\"product_id\": \"$product\", \"quantity\": 2}" | python3 -c \
  'import json, sys; print(json.load(sys.stdin)["lines"][0]["quantity"])') || fail "adding a line failed"
[ "$quantity" = 2 ] || fail "the cart holds $quantity, not 2"
reviewed=$(curl -fsS "$shop/api/reviews/v1/products/$product/rating-summary" | python3 -c \
  'import json, sys; print(json.load(sys.stdin)["count"])') || fail "no rating summary"
[ "$reviewed" -ge 1 ] || fail "the seeded product has no demo reviews"
# A helpful vote through the shop, as a voter Reviews issued and signed with the
# installation's key.
[ -s "$LOCALMART_STATE/voter-key" ] || fail "make up made no voter key"
review=$(curl -fsS -X POST "$shop/api/reviews/v1/products/$product/reviews" -H 'Content-Type: application/json' \
  -d '{"author": "Ada", "rating": 5, "title": "Bright", "body": "Lasts all night."}' | python3 -c \
  'import json, sys; print(json.load(sys.stdin)["id"])') || fail "writing a review failed"
voter=$(curl -fsS -X POST "$shop/api/reviews/v1/voters") || fail "no voter issued"
helpful=$(curl -fsS -X POST "$shop/api/reviews/v1/reviews/$review/helpful" -H 'Content-Type: application/json' \
  -d "$voter" | python3 -c 'import json, sys; print(json.load(sys.stdin)["helpful_count"])') || fail "voting failed"
[ "$helpful" = 1 ] || fail "the review counts $helpful helpful votes, not 1"

# The logs follow a click across services: an add-to-cart sent with a traceparent is
# logged under its trace id by the Cart and by the Catalog, which the Cart asked over
# gRPC; and every request line of every service carries a trace id. The product added
# is one the Catalog has not read by id yet, so it asks PostgreSQL.
second=$(curl -fsS "$shop/api/catalog/v1/products?page_size=2&sort=newest" | python3 -c \
  'import json, sys; print(json.load(sys.stdin)["items"][1]["id"])') || fail "no second product"
trace=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
curl -fsS -o /dev/null -X POST "$shop/api/cart/v1/carts/$cart_id/lines" -H 'Content-Type: application/json' \
  -H "traceparent: 00-$trace-00f067aa0ba902b7-01" -d "{\"product_id\": \"$second\", \"quantity\": 1}" ||
  fail "adding a line with a traceparent failed"
for service in cart catalog; do
  wait_for "the $service logging trace $trace" 10 \
    grep -q "\"trace_id\":\"$trace\"" "$LOCALMART_STATE/logs/$service.log" ||
    fail "the $service's log has no line of trace $trace"
done
# The same click is one trace in Zipkin, through the collector, each span named and
# placed as the OpenTelemetry conventions say: the Cart's request, its Redis calls and
# its gRPC call, the Catalog's side of that call, and the Catalog's query, each under the
# span that made it (deploy/native/trace.py).
zipkin_url=http://127.0.0.1:$zipkin
# Waits for trace $1 in Zipkin to be as the spans after $2 say (deploy/native/trace.py),
# else fails with $2 and what the trace has.
expect_trace() {
  local trace=$1 problem=$2
  shift 2
  wait_for "trace $trace in Zipkin" 30 python3 deploy/native/trace.py "$zipkin_url" "$trace" "$@" ||
    { python3 deploy/native/trace.py "$zipkin_url" "$trace" "$@"; fail "$problem"; }
}
request="cart SERVER post /v1/carts/{cart_id}/lines"
call="localmart.catalog.v1.catalogservice/validateproducts"
cart_trace=("$request < -" "cart CLIENT multi < $request" "cart CLIENT evalsha < $request"
  "cart CLIENT $call < $request" "catalog SERVER $call < cart CLIENT $call"
  "catalog CLIENT select products < catalog SERVER $call")
expect_trace "$trace" "Zipkin lacks spans of the traced add-to-cart" "${cart_trace[@]}"
# Its log lines reach VictoriaLogs over OTLP too, each with the trace id and its span's.
logged_by() {
  curl -fsS "http://127.0.0.1:$victorialogs/select/logsql/query" --data-urlencode "query=trace_id:$1" |
    python3 -c 'import json, sys
lines = [json.loads(line) for line in sys.stdin if line.strip()]
print(" ".join(sorted({l["service.name"] for l in lines if len(l.get("span_id", "")) == 16})))'
}
export -f logged_by
export victorialogs
wait_for "trace $trace in VictoriaLogs" 30 bash -c '[ "$(logged_by "$0")" = "cart catalog" ]' "$trace" ||
  fail "VictoriaLogs has lines of trace $trace from '$(logged_by "$trace")', not from the cart and the catalog"
# A review written through the shop: Reviews asks the Catalog over REST and writes through
# the MongoDB wire protocol.
trace=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
curl -fsS -o /dev/null -X POST "$shop/api/reviews/v1/products/$second/reviews" -H 'Content-Type: application/json' \
  -H "traceparent: 00-$trace-00f067aa0ba902b7-01" \
  -d '{"author": "Tracy", "rating": 4, "title": "Traced", "body": "Followed all the way."}' ||
  fail "writing a review with a traceparent failed"
request="reviews SERVER post /v1/products/{product_id}/reviews"
context="get /internal/v1/products/{product_id}/review-context"
review_trace=("$request < -" "reviews CLIENT $context < $request" "catalog SERVER $context < reviews CLIENT $context"
  "reviews CLIENT insert reviews < $request")
expect_trace "$trace" "Zipkin lacks spans of the traced review" "${review_trace[@]}"
# The storefront is the root: a shopper in a real browser loads the shop, opens a product
# (a route change), adds it to the cart, writes a review and leaves (deploy/native/shopper.py).
# The page sends its spans and its Web Vitals through the edge to the collector; each
# action is one trace from the browser's span through the services to their datastores.
#
# The newest trace whose root is the storefront's span $1 (with $2 `error`, a failed one).
newest_root() {
  curl -fsS --get "$zipkin_url/api/v2/traces" --data-urlencode serviceName=storefront \
    --data-urlencode "spanName=$1" ${2:+--data-urlencode annotationQuery=$2} --data-urlencode limit=1 |
    python3 -c 'import json, sys; print(next(s["traceId"] for s in json.load(sys.stdin)[0] if "parentId" not in s))'
}
export -f newest_root
export zipkin_url
# The same, once Zipkin has it.
browser_trace() {
  wait_for "the storefront's '$1' in Zipkin" 30 newest_root "$@" || fail "Zipkin has no '$1' trace from the storefront"
  newest_root "$@"
}
# The shopper's browser stays open until Zipkin has the page's actions: the page sends its
# last spans as it is left.
SHOPPER_UNTIL='newest_root "add to cart" && newest_root "post review"' \
  python3 deploy/native/shopper.py journey "$shop" >"$private/shopper.log" 2>&1 ||
  { cat "$private/shopper.log" >&2; fail "the shopper's journey in the browser failed"; }
add="storefront - add to cart"
line_call="storefront CLIENT post /v1/carts/{cart_id}/lines"
request="cart SERVER post /v1/carts/{cart_id}/lines"
browser_cart=("$add < -" "$line_call < $add" "$request < $line_call" "cart CLIENT evalsha < $request"
  "cart CLIENT $call < $request" "catalog SERVER $call < cart CLIENT $call")
added=$(browser_trace "add to cart")
expect_trace "$added" "the browser's add-to-cart trace is not whole" "${browser_cart[@]}"
post="storefront - post review"
review_call="storefront CLIENT post /v1/products/{product_id}/reviews"
request="reviews SERVER post /v1/products/{product_id}/reviews"
browser_review=("$post < -" "$review_call < $post" "$request < $review_call"
  "reviews CLIENT $context < $request" "catalog SERVER $context < reviews CLIENT $context"
  "reviews CLIENT insert reviews < $request")
reviewed=$(browser_trace "post review")
expect_trace "$reviewed" "the browser's review trace is not whole" "${browser_review[@]}"
for name in "page load" "route change"; do
  browser_trace "$name" >/dev/null
done
# Screenshots of each UI as a learner sees it, for docs/observability.md (which has copies):
# $LOCALMART_SCREENSHOTS, else screenshots/ in the cargo target directory. Each is taken
# once the page shows the data it was opened for.
shots=${LOCALMART_SCREENSHOTS:-$CARGO_TARGET_DIR/screenshots}
mkdir -p "$shots"
shoot() {
  python3 deploy/native/shopper.py screenshot "$1" "$shots/$2.png" "$3" >"$private/shot.log" 2>&1 ||
    { cat "$private/shot.log" >&2; fail "no screenshot of $2 ($1)"; }
}
shoot "$zipkin_url/zipkin/traces/$added" trace-add-to-cart "xpath://*[contains(text(), 'validateproducts')]"

# The Catalog fails: the shopper's next add-to-cart cannot be done, and a learner sees it
# where they would look. The trace marks the failed spans, from the browser's action down
# to the Cart's gRPC call; the Cart's error line is in the log store under the trace id; and
# the add-to-cart SLO's error ratio rises.
SHOPPER_UNTIL='newest_root "add to cart" error' \
  python3 deploy/native/shopper.py failing-add "$shop" "deploy/native/supervisorctl.sh stop catalog" \
  >"$private/shopper.log" 2>&1 || { cat "$private/shopper.log" >&2; fail "the failing add-to-cart in the browser went wrong"; }
failed=$(browser_trace "add to cart" error)
request="cart SERVER post /v1/carts/{cart_id}/lines"
failed_cart=("!$add < -" "!$line_call < $add" "!$request < $line_call" "!cart CLIENT $call < $request")
expect_trace "$failed" "the failed add-to-cart's trace does not show the failure" "${failed_cart[@]}"
logged_error() {
  curl -fsS "http://127.0.0.1:$victorialogs/select/logsql/query" \
    --data-urlencode "query=trace_id:$1 severity_text:ERROR" | grep -q '"service.name":"cart"'
}
export -f logged_error
wait_for "the Cart's error line in VictoriaLogs" 30 logged_error "$failed" ||
  fail "VictoriaLogs has no error line of the Cart under trace $failed"
# The SLO's error ratio: a counter's first sample is no increase, so a second failure
# (after Prometheus has seen the first) is what raises the rate.
prometheus_url=http://127.0.0.1:$prometheus
answers() {
  curl -fsS "$prometheus_url/api/v1/query" --data-urlencode "query=$1" |
    python3 -c 'import json, sys; sys.exit(0 if json.load(sys.stdin)["data"]["result"] else 1)'
}
export -f answers
export prometheus_url
wait_for "Prometheus to count the failed add-to-cart" 30 \
  answers 'localmart_requests_total{service="cart", route="/v1/carts/{cart_id}/lines", status="503"}' ||
  fail "Prometheus did not count the Cart's 503"
curl -s -o /dev/null -X POST "$shop/api/cart/v1/carts/$cart_id/lines" -H 'Content-Type: application/json' \
  -d "{\"product_id\": \"$product\", \"quantity\": 1}"
wait_for "the add-to-cart SLO to burn" 60 answers 'slo:sli_error:ratio_rate5m{slo="add_to_cart"} > 0' ||
  fail "the add-to-cart SLO's error ratio did not rise while the Catalog was down"
shoot "$zipkin_url/zipkin/traces/$failed" trace-failed-add-to-cart "xpath://*[contains(text(), 'validateproducts')]"
shoot "http://127.0.0.1:$victorialogs/select/vmui/#/?query=trace_id%3A$failed&g0.range_input=1h&g0.relative_time=last_1h" \
  logs-failed-add-to-cart "xpath://*[contains(text(), 'the catalog is unreachable')]"
shoot "$prometheus_url/consoles/slo-add-to-cart.html" dashboard-slo-add-to-cart "svg path"
deploy/native/supervisorctl.sh start catalog >/dev/null || fail "the Catalog did not start again"
wait_for "the Catalog to be ready again" 30 curl -fsS -o /dev/null "http://$CATALOG_HTTP_ADDR/readyz" ||
  fail "the Catalog is not ready after it started again"

untraced=$(cat "$LOCALMART_STATE"/logs/{catalog,cart,reviews}.log |
  grep -E '"message":"(request|call) served"' | grep -Evc '"trace_id":"[0-9a-f]{32}".*"span_id":"[0-9a-f]{16}"' || true)
[ "$untraced" = 0 ] || fail "$untraced request lines without a trace id and a span id"

# The installation's admin token works on a service's own port; the old default does not,
# and a service refuses to start with it.
token=$(cat "$LOCALMART_STATE/admin-token")
[ "${#token}" -ge 24 ] || fail "the generated admin token is short"
missing=http://$CATALOG_HTTP_ADDR/v1/products/00000000-0000-4000-8000-000000000000
status=$(curl -s -o /dev/null -w '%{http_code}' -X DELETE -H "Authorization: Bearer $token" "$missing")
[ "$status" = 404 ] || fail "an admin delete with the installation's token answered $status, not 404"
status=$(curl -s -o /dev/null -w '%{http_code}' -X DELETE -H "Authorization: Bearer localmart-admin" "$missing")
[ "$status" = 401 ] || fail "the old default token answered $status, not 401"
if refusal=$(CATALOG_ADMIN_TOKEN=localmart-admin CATALOG_HTTP_ADDR=127.0.0.1:0 CATALOG_GRPC_ADDR=127.0.0.1:0 \
  timeout 20 "$LOCALMART_BIN/catalog" serve 2>&1); then
  fail "the Catalog started with the well-known admin token"
fi
grep -q "well-known" <<<"$refusal" || fail "the Catalog's refusal does not say why: $refusal"

# Redis asks for the installation's password (the Cart, which added the line above, has
# it) and has a memory bound that evicts the carts closest to expiring first.
reply=$(redis-cli -p "$redis" ping 2>&1 || true)
grep -q NOAUTH <<<"$reply" || fail "Redis answered without a password: $reply"
policy=$(REDISCLI_AUTH=$(cat "$LOCALMART_STATE/redis-password") redis-cli -p "$redis" config get maxmemory-policy | tail -n 1)
[ "$policy" = volatile-ttl ] || fail "Redis's eviction policy is '$policy', not volatile-ttl"

# PostgreSQL asks every role for its password, and the role the Catalog serves with may
# read and write rows but not change the schema.
if psql -w -h 127.0.0.1 -p "$pg" -U localmart -d postgres -c 'SELECT 1' >/dev/null 2>&1; then
  fail "PostgreSQL let its superuser in without a password"
fi
denied=$(PGPASSWORD=$(cat "$LOCALMART_STATE/catalog-app-password") psql -w -h 127.0.0.1 -p "$pg" \
  -U catalog_app -d catalog -c 'CREATE TABLE intruder ()' 2>&1 || true)
grep -q "permission denied" <<<"$denied" || fail "the Catalog's role could change the schema: $denied"

# `make load`: every journey through the edge, none failing, and the stack's memory.
RATE=20 DURATION=5s deploy/native/load.sh >"$private/load.log" 2>&1 ||
  { cat "$private/load.log" >&2; fail "make load failed"; }
for journey in "browse a category" "search" "open a product" "fill a cart" "read and write reviews"; do
  grep -q "^| $journey " "$private/load.log" || fail "make load ran no '$journey' journey"
done
grep -q "memory at its peak" "$private/load.log" || fail "make load did not print the stack's peak memory"

# With that traffic, every query of the dashboards and the rules answers from the real
# Prometheus (deploy/native/promql.py; the span metrics take a flush of the collector and
# a scrape to appear), and the latency buckets of the span metrics carry exemplars: trace
# ids a dashboard links to.
wait_for "every dashboard and rule query to answer" 90 python3 deploy/native/promql.py "http://127.0.0.1:$prometheus" ||
  { python3 deploy/native/promql.py "http://127.0.0.1:$prometheus"; fail "a dashboard or rule query does not answer"; }
exemplars=$(curl -fsS "http://127.0.0.1:$prometheus/api/v1/query_exemplars" \
  --data-urlencode 'query=traces_span_metrics_duration_milliseconds_bucket' \
  --data-urlencode "start=$(( $(date +%s) - 600 ))" --data-urlencode "end=$(date +%s)" | python3 -c \
  'import json, sys; print(sum(1 for s in json.load(sys.stdin)["data"] for e in s["exemplars"] if len(e["labels"].get("trace_id", "")) == 32))')
[ "$exemplars" -gt 0 ] || fail "Prometheus holds no exemplars with trace ids"
shoot "$prometheus_url/consoles/overview.html" dashboard-services "svg path"
shoot "$prometheus_url/consoles/browser.html" dashboard-browser "svg path"

# The native dashboards draw in a real browser: every panel of every console page becomes
# a graph, and the page logs no script error (a wrong asset path or parameter shows here).
for page in "$LOCALMART_ROOT"/deploy/observability/consoles/*.html; do
  name=$(basename "$page")
  [ "$name" = index.html ] && continue
  profile=$(mktemp -d)
  dom=$(timeout 60 chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
    --user-data-dir="$profile" --window-size=1200,1000 --virtual-time-budget=10000 --enable-logging=stderr --v=0 \
    --dump-dom "http://127.0.0.1:$prometheus/consoles/$name" 2>"$profile/log") || true
  panels=$(grep -c '<div id="panel' "$page")
  graphs=$(grep -o '<svg' <<<"$dom" | wc -l)
  errors=$(grep -E 'CONSOLE.*(Uncaught|Refused|Error loading)' "$profile/log" || true)
  rm -rf "$profile"
  [ -z "$errors" ] || fail "the console $name logged errors: $errors"
  [ "$graphs" -ge "$panels" ] || fail "the console $name drew $graphs graphs for $panels panels"
done

# A second `make up` reuses the cluster and keeps the data (and the token), and makes the
# running Prometheus read its configuration and rules again.
configured() {
  curl -fsS "http://127.0.0.1:$prometheus/api/v1/status/runtimeinfo" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["data"]["lastConfigTime"])'
}
first_configured=$(configured)
deploy/native/up.sh >"$private/up2.log" 2>&1 || { cat "$private/up2.log" >&2; fail "a second up.sh failed"; }
[ "$(configured)" != "$first_configured" ] || fail "a second make up left Prometheus with the rules it had"
curl -fsS "$shop/api/cart/v1/carts/$cart_id" | grep -q "\"$product\"" || fail "the cart did not survive a second make up"
[ "$(cat "$LOCALMART_STATE/admin-token")" = "$token" ] || fail "a second make up changed the admin token"
# and starts what had failed, now that its port is free.
grep -q "Not running" "$private/up2.log" && fail "after a second make up, telemetry is still not running"

deploy/native/down.sh >/dev/null || fail "down.sh failed"
for path in "$LOCALMART_STATE" "$(pg_data)"; do
  if pgrep -f "$path" >/dev/null; then
    pgrep -af "$path" >&2
    fail "processes are still running after down.sh"
  fi
done
for port in "${all_ports[@]}"; do
  if ss -Htln "sport = :$port" | grep -q .; then
    ss -Htlnp "sport = :$port" >&2
    fail "port $port is still listened on after down.sh"
  fi
done
echo "native stack: up (one telemetry part failing, then all), a cart line through the edge traced into Zipkin, make load, up again, down: ok (state in a 0700 directory, cluster in $(pg_data))"
