#!/usr/bin/env bash
# The compose stack, run as a user with podman would run it, in `make test`: builds the
# images (images.sh), brings compose.yaml with compose.local.yaml up under podman-compose as
# a project of its own, on private ports with fresh secrets, waits for the shop by polling,
# drives a shopper's journey through the compose edge (browse, search, add to cart, write a
# review), then takes everything down (containers, network, volumes) and checks that nothing
# of it is left.
#   test.sh [PROFILE]   the cargo profile of the binaries in the images (default dev)
set -euo pipefail
cd "$(dirname "$0")/../.."
source deploy/native/env.sh
source deploy/compose/podman.sh

PROFILE=${1:-dev} deploy/compose/images.sh

private=$(mktemp -d)
project=localmart-test-$$
read -r edge catalog catalog_grpc cart reviews postgres redis mongodb otlp_grpc otlp_http prometheus alertmanager < <(python3 -c '
import socket
sockets = [socket.socket() for _ in range(12)]
for s in sockets:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in sockets))
')
secret() {
  python3 -c 'import secrets; print(secrets.token_urlsafe(32))'
}
cat >"$private/env" <<ENV
POSTGRES_PASSWORD=$(secret)
CATALOG_OWNER_PASSWORD=$(secret)
CATALOG_APP_PASSWORD=$(secret)
REDIS_PASSWORD=$(secret)
ADMIN_TOKEN=$(secret)
VOTER_KEY=$(secret)
EDGE_PORT=$edge
CATALOG_PORT=$catalog
CATALOG_GRPC_PORT=$catalog_grpc
CART_PORT=$cart
REVIEWS_PORT=$reviews
POSTGRES_PORT=$postgres
REDIS_PORT=$redis
MONGODB_PORT=$mongodb
OTLP_GRPC_PORT=$otlp_grpc
OTLP_HTTP_PORT=$otlp_http
PROMETHEUS_PORT=$prometheus
ALERTMANAGER_PORT=$alertmanager
ENV

compose() {
  podman-compose --in-pod false --project-name "$project" --env-file "$private/env" \
    -f deploy/compose/compose.yaml -f deploy/compose/compose.local.yaml "$@"
}
cleanup() {
  compose down --volumes >/dev/null 2>&1 || true
  rm -rf "$private"
}
trap cleanup EXIT

fail() {
  echo "compose stack: $*" >&2
  for container in $(podman ps -a --format '{{.Names}}' --filter "label=io.podman.compose.project=$project"); do
    echo "--- $container" >&2
    podman logs --tail 15 "$container" >&2 2>&1 || true
  done
  exit 1
}

# podman-compose does not wait for health, and podman 4.3 cannot start a container whose
# running dependencies have dependencies of their own (podman-compose#921), so everything
# starts at once (`--no-deps`: no podman `--requires`): the one-shot seeds and the services
# retry until what they need is there. Poll until the shop answers.
started=$SECONDS
compose up -d --no-deps >"$private/up.log" 2>&1 || { cat "$private/up.log" >&2; fail "podman-compose up failed"; }
shop=http://127.0.0.1:$edge
wait_for "the shop through the compose edge" 300 curl -fsS -o /dev/null "$shop/api/reviews/v1/products/00000000-0000-4000-8000-000000000000/rating-summary" ||
  fail "the shop did not come up"
wait_for "the seeded catalog" 120 bash -c "curl -fsS '$shop/api/catalog/v1/products?page_size=1' | grep -q '\"items\":\[{'" ||
  fail "the catalog was not seeded"
echo "compose stack: up in $((SECONDS - started)) s"

curl -fsS "$shop/" | grep -q '<div id="main"' || fail "the edge does not serve the storefront"
json() {
  python3 -c "import json, sys; print(eval(sys.argv[1], {}, {'d': json.load(sys.stdin)}))" "$1"
}
# Browse: a category's listing; search; a product.
category=$(curl -fsS "$shop/api/catalog/v1/categories" | json 'd["items"][0]["slug"]') || fail "no categories"
listed=$(curl -fsS "$shop/api/catalog/v1/products?category=$category&page_size=5" | json 'len(d["items"])') ||
  fail "browsing $category failed"
[ "$listed" -ge 1 ] || fail "the category $category lists nothing"
name=$(curl -fsS "$shop/api/catalog/v1/products?page_size=1" | json 'd["items"][0]["name"].split()[0]')
found=$(curl -fsS --get "$shop/api/catalog/v1/products" --data-urlencode "q=$name" | json 'd["total_items"]') ||
  fail "searching failed"
[ "$found" -ge 1 ] || fail "searching for '$name' found nothing"
product=$(curl -fsS "$shop/api/catalog/v1/products?page_size=1" | json 'd["items"][0]["id"]')
curl -fsS -o /dev/null "$shop/api/catalog/v1/products/$product" || fail "the product page's data failed"
# Add to cart: the Cart asks the Catalog over gRPC and keeps the cart in Redis.
cart_id=$(curl -fsS -X POST "$shop/api/cart/v1/carts" | json 'd["id"]') || fail "no cart"
total=$(curl -fsS -X POST "$shop/api/cart/v1/carts/$cart_id/lines" -H 'Content-Type: application/json' \
  -d "{\"product_id\": \"$product\", \"quantity\": 2}" | json 'd["subtotal"]["amount_minor"]') || fail "adding a line failed"
[ "$total" -gt 0 ] || fail "the cart's total is $total"
# A review, through the MongoDB wire protocol; Reviews asks the Catalog over REST.
curl -fsS -o /dev/null -X POST "$shop/api/reviews/v1/products/$product/reviews" -H 'Content-Type: application/json' \
  -d '{"author": "Composer", "rating": 5, "title": "Ran in containers", "body": "Every service in its own."}' ||
  fail "writing a review failed"
count=$(curl -fsS "$shop/api/reviews/v1/products/$product/rating-summary" | json 'd["count"]') || fail "no rating summary"
[ "$count" -ge 1 ] || fail "the review is not counted"
# The admin routes are not offered through the edge.
status=$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$shop/api/catalog/v1/products/$product")
[ "$status" = 403 ] || fail "deleting a product through the edge answered $status, not 403"

compose down --volumes >/dev/null 2>&1 || fail "podman-compose down failed"
left=$(podman ps -a -q --filter "label=io.podman.compose.project=$project" | wc -l)
[ "$left" = 0 ] || fail "$left containers left after down"
volumes=$(podman volume ls -q | grep -c "^${project}_" || true)
[ "$volumes" = 0 ] || fail "$volumes volumes left after down"
echo "compose stack: images, up, browse, search, add to cart, review through the edge, down: ok ($((SECONDS - started)) s)"
