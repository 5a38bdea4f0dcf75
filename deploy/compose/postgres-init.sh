#!/usr/bin/env bash
# The roles and databases LocalMart needs, made once when the PostgreSQL container first
# initialises its data (from /docker-entrypoint-initdb.d, as the postgres superuser): the
# catalog database's owner (who migrates and seeds), the role the Catalog serves with (who
# reads and writes rows, and nothing more), each with the password secrets.sh chose. The
# same rights as deploy/native/up.sh gives natively.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username postgres --dbname postgres \
  -v owner="$CATALOG_OWNER_PASSWORD" -v app="$CATALOG_APP_PASSWORD" <<'SQL'
CREATE ROLE catalog_owner LOGIN PASSWORD :'owner';
CREATE ROLE catalog_app LOGIN PASSWORD :'app';
CREATE DATABASE catalog OWNER catalog_owner;
REVOKE ALL ON DATABASE catalog FROM PUBLIC;
GRANT CONNECT ON DATABASE catalog TO catalog_app;
SQL
psql -v ON_ERROR_STOP=1 --username postgres --dbname catalog <<'SQL'
ALTER SCHEMA public OWNER TO catalog_owner;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO catalog_app;
ALTER DEFAULT PRIVILEGES FOR ROLE catalog_owner IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO catalog_app;
ALTER DEFAULT PRIVILEGES FOR ROLE catalog_owner IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO catalog_app;
SQL
