# The environments: .state/env/<process>.env, what each service runs with, and .state/stack.env,
# what tests and tools run with (`source .state/stack.env`). Written by ./dev up once Kafka's
# bootstrap list is known.

gateway_urls() {
  local port urls=""
  for port in ${GATEWAY_PORTS//,/ }; do urls+="${urls:+,}http://127.0.0.1:$port/graphql"; done
  echo "$urls"
}

# env_line KEY VALUE: an `export KEY=VALUE` line, shell-quoted only when the value needs it.
env_line() {
  if [[ $2 =~ ^[A-Za-z0-9_./:,@%+=-]*$ ]]; then
    printf 'export %s=%s\n' "$1" "$2"
  else
    printf 'export %s=%q\n' "$1" "$2"
  fi
}

# --- what each process is given ------------------------------------------------------------------
# The one place that decides it for ./dev (docker-compose.yml gives each service the same; see
# scripts/check-compose.sh): "process|Postgres role's subgraph (- for none)|keys and secrets". A
# process holds only the keys it uses: the gateways sign identities (the root identity secret),
# each subgraph server verifies them with its own key derived from it, which signs for no other
# subgraph; only the users server signs access tokens; persisters, the mailer and the files worker
# hold no identity or access-token key.
PROCESS_ENVS=(
  "users|users|SUBGRAPH_IDENTITY_SECRET JWT_PRIVATE_KEY USERS_TOKEN_SECRET"
  "users-persister|users|"
  "users-mailer|users|USERS_TOKEN_SECRET"
  "chat|chat|SUBGRAPH_IDENTITY_SECRET"
  "chat-persister|chat|"
  "finder|finder|SUBGRAPH_IDENTITY_SECRET FINDER_CURSOR_SECRET"
  "finder-persister|finder|"
  "files|files|SUBGRAPH_IDENTITY_SECRET FILES_URL_SECRET S3_CREDENTIALS"
  "files-persister|files|"
  "files-worker|files|S3_CREDENTIALS"
  "gateway|-|IDENTITY_SECRET JWT_PUBLIC_KEY"
  "migrate-users|users|"
  "migrate-chat|chat|"
  "migrate-finder|finder|"
  "migrate-files|files|"
  "finder-seed|finder|"
)
SUBGRAPH_SCHEMAS=(users chat finder files)

# The Postgres role a subgraph's processes connect as (infra/postgres/service-role.sql).
db_role() { echo "${1}_service"; }
# Local Postgres trusts 127.0.0.1 (initdb --auth=trust), so the URL names the role only; compose
# gives each role a password.
database_url() { echo "postgres://$1@127.0.0.1:$PG_PORT/$PG_DATABASE"; }

# secret_line NAME SUBGRAPH: NAME's value, for the keys and secrets of PROCESS_ENVS. PEM keys go by file.
secret_line() {
  case $1 in
    IDENTITY_SECRET) env_line IDENTITY_SECRET "$(<"$KEYS_DIR/identity.secret")" ;;
    SUBGRAPH_IDENTITY_SECRET) env_line SUBGRAPH_IDENTITY_SECRET "$(subgraph_identity_secret "$2")" ;;
    JWT_PRIVATE_KEY) env_line JWT_PRIVATE_KEY_FILE "$KEYS_DIR/jwt-private.pem" ;;
    JWT_PUBLIC_KEY) env_line JWT_PUBLIC_KEY_FILE "$KEYS_DIR/jwt-public.pem" ;;
    USERS_TOKEN_SECRET) env_line USERS_TOKEN_SECRET "$(<"$KEYS_DIR/users-token.secret")" ;;
    FILES_URL_SECRET) env_line FILES_URL_SECRET "$(<"$KEYS_DIR/files-url.secret")" ;;
    FINDER_CURSOR_SECRET) env_line FINDER_CURSOR_SECRET "$(<"$KEYS_DIR/finder-cursor.secret")" ;;
    # The object store's credentials, when .env sets them (FILES_S3_BUCKET): for whoever stores bytes.
    S3_CREDENTIALS)
      [[ -z ${AWS_ACCESS_KEY_ID:-} ]] || env_line AWS_ACCESS_KEY_ID "$AWS_ACCESS_KEY_ID"
      [[ -z ${AWS_SECRET_ACCESS_KEY:-} ]] || env_line AWS_SECRET_ACCESS_KEY "$AWS_SECRET_ACCESS_KEY"
      ;;
    *) echo "unknown secret $1 in PROCESS_ENVS" >&2; return 1 ;;
  esac
}
# subgraph_identity_secret SUBGRAPH: the key the gateways sign SUBGRAPH's identity headers with,
# derived from identity.secret as subgraphIdentitySecret does (packages/platform/src/auth/identity.ts).
subgraph_identity_secret() {
  openssl kdf -keylen 32 -kdfopt digest:SHA256 -kdfopt "key:$(<"$KEYS_DIR/identity.secret")" \
    -kdfopt "salt:finder-realtime identity v1" -kdfopt "info:$1" -binary HKDF | base64 -w0 | tr '+/' '-_' | tr -d '='
}

ALL_SECRETS=(IDENTITY_SECRET JWT_PRIVATE_KEY JWT_PUBLIC_KEY USERS_TOKEN_SECRET FILES_URL_SECRET FINDER_CURSOR_SECRET S3_CREDENTIALS)

# process_env_file NAME: the environment file NAME runs with (gateway-2 runs with gateway's).
process_env_file() { echo "$PROCESS_ENV_DIR/${1%-[0-9]*}.env"; }

render_process_env() { # NAME SUBGRAPH SECRETS
  local secret
  echo "# Written by ./dev up; do not edit. What $1 runs with (PROCESS_ENVS in scripts/dev/stack-env.sh)."
  render_common_env
  [[ $2 == - ]] || env_line DATABASE_URL "$(database_url "$(db_role "$2")")"
  render_replica_database_env "$1" "$2"
  for secret in $3; do secret_line "$secret" "$2"; done
}

# .state/stack.env: everything, for tests, drills, benchmarks and the seed, which sign identities and
# tokens themselves and read every schema (as the superuser).
render_stack_env() {
  local secret
  echo "# Written by ./dev up; do not edit. Load with: source .state/stack.env"
  echo "# Tests and tools only: each service runs with its own .state/env/<name>.env."
  render_common_env
  env_line DATABASE_URL "$(database_url postgres)"
  for secret in "${ALL_SECRETS[@]}"; do secret_line "$secret"; done
}

# Settings every process gets: none of them is a secret.
render_common_env() {
  env_line NODE_ENV development
  env_line LOG_LEVEL "$LOG_LEVEL"
  if [[ $REDIS_MODE == cluster ]]; then
    env_line REDIS_CLUSTER_NODES "$(redis_cluster_nodes)"
  else
    env_line REDIS_URL "redis://127.0.0.1:$REDIS_PORT"
  fi
  env_line KAFKA_BROKERS "$(<"$KAFKA_BOOTSTRAP_FILE")"
  env_line KAFKA_IDEMPOTENT false
  env_line KAFKAJS_NO_PARTITIONER_WARNING 1
  # kafkajs on Node 24 warns about a negative timeout it clamps itself; nothing to act on.
  env_line NODE_OPTIONS --disable-warning=TimeoutNegativeWarning
  env_line MAIL_DIR "$MAIL_DIR"
  env_line PUBLIC_URL "http://127.0.0.1:$NGINX_PORT/graphql"
  env_line APP_URL "http://127.0.0.1:$NGINX_PORT"
  env_line GATEWAY_URLS "$(gateway_urls)"
  env_line SUBGRAPH_USERS_URL "http://127.0.0.1:$(subgraph_http_port "$USERS_PORT")/graphql"
  env_line USERS_PERSISTER_URL "http://127.0.0.1:$USERS_PERSISTER_PORT"
  env_line USERS_MAILER_URL "http://127.0.0.1:$USERS_MAILER_PORT"
  env_line SUBGRAPH_CHAT_URL "http://127.0.0.1:$(subgraph_http_port "$CHAT_PORT")/graphql"
  env_line CHAT_PERSISTER_URL "http://127.0.0.1:$CHAT_PERSISTER_PORT"
  env_line SUBGRAPH_FINDER_URL "http://127.0.0.1:$(subgraph_http_port "$FINDER_PORT")/graphql"
  env_line FINDER_PERSISTER_URL "http://127.0.0.1:$FINDER_PERSISTER_PORT"
  env_line SUBGRAPH_FILES_URL "http://127.0.0.1:$(subgraph_http_port "$FILES_PORT")/graphql"
  env_line FILES_PERSISTER_URL "http://127.0.0.1:$FILES_PERSISTER_PORT"
  env_line FILES_WORKER_URL "http://127.0.0.1:$FILES_WORKER_PORT"
  env_line FILES_PUBLIC_URL "http://127.0.0.1:$NGINX_PORT"
  env_line FILES_STORAGE_DIR "$FILES_STORAGE_DIR"
  env_line PROMETHEUS_URL "http://127.0.0.1:$PROMETHEUS_PORT"
  # Spans to .state/traces, only of requests whose traceparent asks for them (sampled flag).
  env_line OTEL_TRACES_EXPORTER "$OTEL_TRACES_EXPORTER"
  env_line OTEL_TRACES_SAMPLER_ARG "$OTEL_TRACES_SAMPLER_ARG"
  env_line OTEL_TRACES_DIR "$STATE_DIR/traces"
  env_line STATE_DIR "$STATE_DIR"
  env_line ROOT_DIR "$ROOT_DIR"
  env_line PG_PORT "$PG_PORT"
  env_line REDIS_PORT "$REDIS_PORT"
  env_line REDIS_MODE "$REDIS_MODE"
  env_line NGINX_PORT "$NGINX_PORT"
  env_line KAFKA_MOCK_BIN "$KAFKA_MOCK_BIN"
  render_topology_env
  # Budgets and socket caps: tests, drills and benchmarks all come from 127.0.0.1 and sign in
  # again and again, so the local stack allows far more than production would; the budget tests
  # start their own gateways with small ones.
  local budget
  for budget in COST LOGIN_PER_ACCOUNT LOGIN_PER_ADDRESS REGISTER REQUEST_PASSWORD_RESET CREATE_UPLOAD \
    REQUEST_CONVERSION START_CONVERSATION REQUEST_ENGAGEMENT SEARCH_PROFESSIONALS; do
    env_line "BUDGET_$budget" 100000000/1m
  done
  env_line WS_MAX_CONNECTIONS_PER_ADDRESS 100000
  env_line WS_MAX_CONNECTIONS_PER_USER 100000
}

# write_if_changed FILE CONTENT: 0 when FILE was (re)written.
write_if_changed() {
  [[ -f $1 && $(<"$1") == "$2" ]] && return 1
  (umask 077 && printf '%s\n' "$2" >"$1.tmp")
  mv -f "$1.tmp" "$1"
}

write_stack_env() {
  local entry name subgraph secrets written=()
  [[ -s $KAFKA_BOOTSTRAP_FILE ]] || { echo "no Kafka bootstrap list in $KAFKA_BOOTSTRAP_FILE" >&2; return 1; }
  mkdir -p "$MAIL_DIR" "$FILES_STORAGE_DIR" "$PROCESS_ENV_DIR"
  chmod 700 "$PROCESS_ENV_DIR"
  if write_if_changed "$STACK_ENV" "$(render_stack_env)"; then written+=(stack.env); fi
  for entry in "${PROCESS_ENVS[@]}"; do
    IFS='|' read -r name subgraph secrets <<<"$entry"
    if write_if_changed "$PROCESS_ENV_DIR/$name.env" "$(render_process_env "$name" "$subgraph" "$secrets")"; then written+=("env/$name.env"); fi
  done
  if ((${#written[@]})); then note "written ${written[*]}"; else note "unchanged"; fi
}
