#!/usr/bin/env bash
# Chooses this installation's secrets for the compose stack, once: writes
# deploy/compose/.env (mode 0600, not committed), which compose reads for the ${...} in
# compose.yaml. Run again, it keeps what is there. Supply your own by writing the file.
set -euo pipefail
env_file=$(dirname "$0")/.env
if [ -s "$env_file" ]; then
  exit 0
fi
secret() {
  python3 -c 'import secrets; print(secrets.token_urlsafe(32))'
}
umask 077
{
  echo "POSTGRES_PASSWORD=$(secret)"
  echo "CATALOG_OWNER_PASSWORD=$(secret)"
  echo "CATALOG_APP_PASSWORD=$(secret)"
  echo "REDIS_PASSWORD=$(secret)"
  echo "ADMIN_TOKEN=$(secret)"
  echo "VOTER_KEY=$(secret)"
} >"$env_file"
echo "secrets: wrote $env_file"
