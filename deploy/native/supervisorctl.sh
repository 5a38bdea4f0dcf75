#!/usr/bin/env bash
# supervisorctl for the native stack, e.g. `deploy/native/supervisorctl.sh status`.
set -euo pipefail
source "$(dirname "$0")/env.sh"
ctl "$@"
