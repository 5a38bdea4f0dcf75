#!/usr/bin/env bash
# `make down`: stop everything `make up` started. The data stays for the next `make up`.
set -euo pipefail
source "$(dirname "$0")/env.sh"
if ctl pid >/dev/null 2>&1; then
  ctl shutdown >/dev/null
  # supervisord answers before its children are gone; wait until the socket is closed.
  wait_for "supervisord to stop" 60 bash -c '! supervisorctl -c "$0" pid' "$SUPERVISOR_CONF"
  echo "LocalMart stopped; data kept in $LOCALMART_STATE"
else
  echo "LocalMart is not running"
fi
