#!/usr/bin/env bash
# `make down`: stop everything `make up` started. The data stays for the next `make up`.
set -euo pipefail
source "$(dirname "$0")/env.sh"
if ctl pid >/dev/null 2>&1; then
  pid=$(ctl pid)
  ctl shutdown >/dev/null
  # supervisord stops answering before it has stopped its children; it exits only after
  # they are gone, so wait for the process itself.
  wait_for "supervisord and its processes to stop" 90 bash -c '! kill -0 "$0" 2>/dev/null' "$pid"
  echo "LocalMart stopped; data kept in $LOCALMART_STATE"
else
  echo "LocalMart is not running"
fi
