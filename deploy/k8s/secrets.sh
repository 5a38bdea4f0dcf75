#!/usr/bin/env bash
# Creates the `localmart-secrets` Secret the manifests read, in the current kubectl
# context's `localmart` namespace, from freshly chosen values, once: an existing Secret is
# kept (its passwords are already in the databases' volumes). Tilt runs it before it
# deploys; nothing secret is committed.
set -euo pipefail
namespace=localmart
kubectl get namespace "$namespace" >/dev/null 2>&1 || kubectl create namespace "$namespace" >/dev/null
if kubectl -n "$namespace" get secret localmart-secrets >/dev/null 2>&1; then
  exit 0
fi
secret() {
  python3 -c 'import secrets; print(secrets.token_urlsafe(32))'
}
owner=$(secret) app=$(secret) redis=$(secret)
kubectl -n "$namespace" create secret generic localmart-secrets \
  --from-literal=postgres-password="$(secret)" \
  --from-literal=catalog-owner-password="$owner" \
  --from-literal=catalog-app-password="$app" \
  --from-literal=catalog-owner-database-url="postgres://catalog_owner:$owner@postgres:5432/catalog" \
  --from-literal=catalog-database-url="postgres://catalog_app:$app@postgres:5432/catalog" \
  --from-literal=redis-password="$redis" \
  --from-literal=redis-url="redis://:$redis@redis:6379" \
  --from-literal=admin-token="$(secret)" \
  --from-literal=voter-key="$(secret)" >/dev/null
echo "secrets: created localmart-secrets in namespace $namespace"
