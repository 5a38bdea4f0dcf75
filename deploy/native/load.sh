#!/usr/bin/env bash
# `make load`: shoppers' journeys against the stack `make up` started, through its edge,
# with the stack's memory before the run and at its peak during it.
#   RATE=journeys a second (default 10)  DURATION=how long, such as 30s or 2m (default 1m)
#   Further flags go to the generator: make load ARGS='--shoppers 50 --seed 7' (--help).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$LOCALMART_ROOT"
cargo build --quiet --profile "$LOCALMART_PROFILE" --locked -p load
built=$CARGO_TARGET_DIR/$([ "$LOCALMART_PROFILE" = dev ] && echo debug || echo "$LOCALMART_PROFILE")
flags=(--edge "http://$STOREFRONT_ADDR")
[ -n "${RATE:-}" ] && flags+=(--rate "$RATE")
[ -n "${DURATION:-}" ] && flags+=(--duration "$DURATION")
# shellcheck disable=SC2086 # ARGS is a list of flags, split on purpose
exec python3 deploy/native/memory.py --during "$built/load" "${flags[@]}" ${ARGS:-}
