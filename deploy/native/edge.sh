#!/usr/bin/env bash
# Runs the storefront's edge (nginx, in the foreground): fills in nginx.conf beside this
# script from the environment, writes otlp.conf (where the storefront's telemetry goes),
# and execs nginx with a runtime directory of its own. Used by supervisord under
# `make up`, and by the storefront's browser tests on private ports.
set -euo pipefail
source "$(dirname "$0")/env.sh"

runtime=${EDGE_RUNTIME_DIR:-$LOCALMART_STATE/edge}
bundle=${STOREFRONT_BUNDLE:-$CARGO_TARGET_DIR/storefront}
if [ ! -f "$bundle/index.html" ]; then
  echo "no storefront bundle in $bundle; build it with 'cargo xtask storefront'" >&2
  exit 1
fi
mkdir -p "$runtime"
sed -e "s|@@RUNTIME@@|$runtime|g" -e "s|@@BUNDLE@@|$bundle|g" -e "s|@@LISTEN@@|$STOREFRONT_ADDR|g" \
  -e "s|@@CATALOG@@|$CATALOG_HTTP_ADDR|g" -e "s|@@CART@@|$CART_HTTP_ADDR|g" \
  -e "s|@@REVIEWS@@|$REVIEWS_HTTP_ADDR|g" "$LOCALMART_ROOT/deploy/native/nginx.conf" >"$runtime/nginx.conf"
# The storefront's telemetry goes to the collector's OTLP/HTTP receiver when the shop
# exports telemetry (OTEL_EXPORTER_OTLP_ENDPOINT set), and is dropped otherwise.
if [ -n "${OTEL_EXPORTER_OTLP_ENDPOINT:-}" ]; then
  printf 'rewrite ^/otlp(/.*)$ $1 break;\nproxy_pass http://%s;\n' "$LOCALMART_OTLP_HTTP_ADDR" >"$runtime/otlp.conf"
else
  echo 'return 204;' >"$runtime/otlp.conf"
fi

args=(-p "$runtime" -c "$runtime/nginx.conf" -e stderr)
# Run as root (as in CI), nginx would hand its workers to `nobody`, who cannot read a
# bundle under root's home; keep them on the invoking user instead.
if [ "$(id -u)" -eq 0 ]; then
  args+=(-g "user root;")
fi
exec nginx "${args[@]}"
