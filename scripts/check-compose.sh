#!/usr/bin/env bash
# docker-compose.yml is valid with its secrets set, refuses to render without them (no public
# defaults that production could run with), and gives each service the same Postgres role and the
# same keys and secrets as ./dev gives the process of that name (PROCESS_ENVS in
# scripts/dev/stack-env.sh), and no others: the identity root secret to the gateways alone, each
# subgraph's identity key to that subgraph's server alone. A developer's .env is left out of every
# check.
set -euo pipefail
empty_env=$(mktemp)
rendered=$(mktemp)
trap 'rm -f "$empty_env" "$rendered"' EXIT
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/dev/stack-env.sh # PROCESS_ENVS, SUBGRAPH_SCHEMAS, db_role

# The subgraphs' identity keys (<SUBGRAPH>_IDENTITY_SECRET, each given to its own server as
# SUBGRAPH_IDENTITY_SECRET) are derived from IDENTITY_SECRET in a real .env; here each is as random
# as the rest, so that every value tells which secret it is.
IDENTITY_KEYS=()
for subgraph in "${SUBGRAPH_SCHEMAS[@]}"; do IDENTITY_KEYS+=("${subgraph^^}_IDENTITY_SECRET"); done
SECRETS=(IDENTITY_SECRET "${IDENTITY_KEYS[@]}" USERS_TOKEN_SECRET FILES_URL_SECRET FINDER_CURSOR_SECRET USERS_DB_PASSWORD CHAT_DB_PASSWORD FINDER_DB_PASSWORD FILES_DB_PASSWORD MONITOR_DB_PASSWORD GRAFANA_ADMIN_PASSWORD)
for name in "${SECRETS[@]}"; do
  if [[ $name == *_DB_PASSWORD ]]; then export "$name=$(openssl rand -hex 24)"; else export "$name=$(openssl rand -base64 48 | tr -d '\n')"; fi
done
docker-compose --env-file "$empty_env" -f docker-compose.yml config >"$rendered"
for name in "${SECRETS[@]}"; do
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

# Compose services by the ./dev process they run as.
declare -A PROCESS_OF=(
  [users]=users [users-persister]=users-persister [users-mailer]=users-mailer
  [chat]=chat [chat-persister]=chat-persister [finder]=finder [finder-persister]=finder-persister
  [files]=files [files-persister]=files-persister [files-worker]=files-worker
  [gateway-1]=gateway [gateway-2]=gateway
  [migrate]=migrate-users [chat-migrate]=migrate-chat [finder-migrate]=migrate-finder [migrate-files]=migrate-files
)
expected=""
for entry in "${PROCESS_ENVS[@]}"; do
  IFS='|' read -r process subgraph secrets <<<"$entry"
  role=-
  [[ $subgraph == - ]] || role=$(db_role "$subgraph")
  for service in "${!PROCESS_OF[@]}"; do
    [[ ${PROCESS_OF[$service]} == "$process" ]] && expected+="$service|$subgraph|$role|$secrets"$'\n'
  done
done

# Each service: the user of its DATABASE_URL (and replica URLs), the keys and secrets it is given
# (a PEM key by *_FILE; S3 credentials come from the deployment, not from this file), the
# signing-key volumes it mounts, and which identity secret's value it holds: the root one
# (IDENTITY_SECRET) the gateways alone, a subgraph's key (<SUBGRAPH>_IDENTITY_SECRET) that
# subgraph's server alone, as its SUBGRAPH_IDENTITY_SECRET.
python3 - "$rendered" "$expected" "${IDENTITY_KEYS[*]}" <<'PY'
import os, sys, re, yaml
from urllib.parse import urlparse

compose = yaml.safe_load(open(sys.argv[1]))
services = compose["services"]
problems = []
listed = set()

def environment(service):
    env = service.get("environment") or {}
    return dict(item.split("=", 1) for item in env) if isinstance(env, list) else env

# Who may hold each identity secret's value: IDENTITY_SECRET the gateways, <SUBGRAPH>_IDENTITY_SECRET
# the server of that subgraph, as SUBGRAPH_IDENTITY_SECRET.
identity_holders = {name: set() for name in ["IDENTITY_SECRET", *sys.argv[3].split()]}
for line in filter(None, sys.argv[2].split("\n")):
    service, subgraph, role, secrets = line.split("|")
    listed.add(service)
    if "IDENTITY_SECRET" in secrets.split():
        identity_holders["IDENTITY_SECRET"].add((service, "IDENTITY_SECRET"))
    if "SUBGRAPH_IDENTITY_SECRET" in secrets.split():
        if f"{subgraph.upper()}_IDENTITY_SECRET" not in identity_holders:
            problems.append(f"{service}: verifies identities for {subgraph}, which has no identity key here")
        else:
            identity_holders[f"{subgraph.upper()}_IDENTITY_SECRET"].add((service, "SUBGRAPH_IDENTITY_SECRET"))
    if service not in services:
        problems.append(f"{service}: missing from docker-compose.yml")
        continue
    env = environment(services[service])
    users = {urlparse(url).username for key in ("DATABASE_URL", "DATABASE_REPLICA_URLS") for url in str(env.get(key) or "").split(",") if url}
    if users != (set() if role == "-" else {role}):
        problems.append(f"{service}: connects to Postgres as {sorted(users) or 'nobody'}, want {role}")
    want = {s + "_FILE" if s.endswith("_KEY") else s for s in secrets.split() if s != "S3_CREDENTIALS"}
    have = {k for k in env if re.search(r"(_KEY|_KEY_FILE|_SECRET|_PASSWORD|_TOKEN)$", k)}
    if have != want:
        problems.append(f"{service}: holds {sorted(have)}, want {sorted(want)}")
    mounts = {str(v.get("source") if isinstance(v, dict) else v).split(":")[0] for v in services[service].get("volumes") or []}
    if "jwt-signing" in mounts and "JWT_PRIVATE_KEY_FILE" not in want:
        problems.append(f"{service}: mounts jwt-signing but does not sign with it")
for name, service in services.items():
    env = environment(service)
    for secret, holders in identity_holders.items():
        value = os.environ[secret]
        held = {(name, k) for k, v in env.items() if value in str(v)}
        if held - holders:
            problems.append(f"{name}: holds {secret}'s value as {sorted(k for _, k in held - holders)}")
        if any(service_name == name for service_name, _ in holders) and not held & holders:
            problems.append(f"{name}: does not hold {secret}'s value as {sorted(k for s, k in holders if s == name)}")
    if name in listed or name == "keys":
        continue
    leaked = [k for k in env if re.search(r"(_KEY_FILE|_SECRET)$|^DATABASE_URL$", k)]
    mounts = {str(v.get("source") if isinstance(v, dict) else v).split(":")[0] for v in service.get("volumes") or []}
    if leaked or "jwt-signing" in mounts:
        problems.append(f"{name}: not a process of PROCESS_ENVS, yet given {sorted(leaked + (['jwt-signing'] if 'jwt-signing' in mounts else []))}")
if problems:
    print("docker-compose.yml does not give each service what PROCESS_ENVS (scripts/dev/stack-env.sh) says:", file=sys.stderr)
    for p in problems:
        print(f"  - {p}", file=sys.stderr)
    sys.exit(1)
PY
echo "compose config ok"
