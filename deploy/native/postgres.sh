#!/usr/bin/env bash
# The native stack's PostgreSQL, in the foreground under supervisord. Its cluster lives in
# $LOCALMART_STATE/postgres (or where that links to, see pg_data in env.sh) and listens on
# 127.0.0.1:$LOCALMART_PG_PORT only.
set -euo pipefail
source "$(dirname "$0")/env.sh"
data=$(pg_data)
exec_postgres=(exec)
if [ "$(id -u)" -eq 0 ]; then
  exec_postgres=(exec setpriv --reuid=postgres --regid=postgres --init-groups --)
  # The postgres user may not be able to enter the checkout it was started from.
  cd /
fi
"${exec_postgres[@]}" "$(pg_bin)/postgres" -D "$data" -p "$LOCALMART_PG_PORT" \
  -c listen_addresses=127.0.0.1 -k "$data"
