#!/usr/bin/env bash
# `make compose-up`: the whole shop in containers, at http://127.0.0.1:18000/ (docs/deploy.md).
# With Docker and its compose plugin, compose.yaml alone: Docker pulls the upstream images
# and builds LocalMart's from source. Without Docker, with podman (as on the development
# machines, which have no registry): images.sh builds every image here (LocalMart's from
# this checkout's release build), and podman-compose runs compose.yaml with
# compose.local.yaml. The secrets are this installation's (secrets.sh); the data stays in
# named volumes (`deploy/compose/down.sh --volumes` removes them).
set -euo pipefail
cd "$(dirname "$0")/../.."
deploy/compose/secrets.sh
if command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then
  exec docker compose -f deploy/compose/compose.yaml up -d --build
fi
source deploy/native/env.sh
source deploy/compose/podman.sh
cargo build --release --locked -p catalog -p cart -p reviews
cargo xtask storefront
PROFILE=release deploy/compose/images.sh
# podman 4.3 cannot start a container whose running dependencies have their own
# (podman-compose#921): everything starts at once, and what needs another service retries
# until it answers.
podman-compose --in-pod false -f deploy/compose/compose.yaml -f deploy/compose/compose.local.yaml up -d --no-deps
wait_for "the shop at http://127.0.0.1:18000/" 300 curl -fsS -o /dev/null "http://127.0.0.1:18000/api/catalog/v1/categories"
echo "LocalMart is up in containers: http://127.0.0.1:18000/ (Prometheus http://127.0.0.1:19090/; make compose-down stops it)"
