#!/usr/bin/env bash
# `make compose-down`: stops the compose stack and removes its containers and network; the
# named volumes (the data) stay. `deploy/compose/down.sh --volumes` removes them too.
set -euo pipefail
cd "$(dirname "$0")/../.."
if command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then
  exec docker compose -f deploy/compose/compose.yaml down "$@"
fi
source deploy/native/env.sh
source deploy/compose/podman.sh
podman-compose --in-pod false -f deploy/compose/compose.yaml -f deploy/compose/compose.local.yaml down "$@"
