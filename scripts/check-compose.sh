#!/usr/bin/env bash
# docker-compose.yml is valid with its secrets set, and refuses to render without them (no public
# defaults that production could run with). A developer's .env is left out of both checks.
set -euo pipefail
empty_env=$(mktemp)
trap 'rm -f "$empty_env"' EXIT
cd "$(dirname "${BASH_SOURCE[0]}")/.."
secret() { openssl rand -base64 48 | tr -d '\n'; }
IDENTITY_SECRET=$(secret) USERS_TOKEN_SECRET=$(secret) FILES_URL_SECRET=$(secret) GRAFANA_ADMIN_PASSWORD=$(secret)
export IDENTITY_SECRET USERS_TOKEN_SECRET FILES_URL_SECRET GRAFANA_ADMIN_PASSWORD
docker-compose --env-file "$empty_env" -f docker-compose.yml config -q
for name in IDENTITY_SECRET USERS_TOKEN_SECRET FILES_URL_SECRET GRAFANA_ADMIN_PASSWORD; do
  if out=$(env -u "$name" docker-compose --env-file "$empty_env" -f docker-compose.yml config -q 2>&1); then
    echo "docker-compose.yml renders without $name: it must have no default" >&2
    exit 1
  fi
  grep -q "$name" <<<"$out" || { echo "docker-compose.yml refused without $name but did not name it: $out" >&2; exit 1; }
done
if grep -nE '^\s*-\s*"\$\{MAIL_UI_PORT' docker-compose.yml; then
  echo "the mail catcher's port must be published on 127.0.0.1 only" >&2
  exit 1
fi
echo "compose config ok"
