#!/usr/bin/env bash
# What compose relies on of the official postgres image, for the Debian stand-in: on first
# start, a cluster whose `postgres` superuser has $POSTGRES_PASSWORD, every connection from
# the network asked for a password, and the scripts in /docker-entrypoint-initdb.d run
# once against it; then PostgreSQL in the foreground.
set -euo pipefail
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  pwfile=$(mktemp)
  printf '%s' "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is not set}" >"$pwfile"
  initdb --username=postgres --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 \
    -E UTF8 --no-locale >/dev/null
  rm -f "$pwfile"
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
  # Listening on the socket only while the scripts run, as the official image does.
  pg_ctl -D "$PGDATA" -w -o "-c listen_addresses='' -c unix_socket_directories=/run/postgresql" start >/dev/null
  for script in /docker-entrypoint-initdb.d/*.sh; do
    [ -e "$script" ] || continue
    echo "postgres-entrypoint: running $script"
    PGHOST=/run/postgresql bash "$script"
  done
  pg_ctl -D "$PGDATA" -w stop >/dev/null
fi
exec postgres -D "$PGDATA" -c listen_addresses='*' -c unix_socket_directories=/run/postgresql
