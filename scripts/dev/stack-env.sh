# .state/stack.env: the environment services and tests run with (`source .state/stack.env`).
# Written by ./dev up once Kafka's bootstrap list is known.

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

render_stack_env() {
  echo "# Written by ./dev up; do not edit. Load with: source .state/stack.env"
  env_line NODE_ENV development
  env_line LOG_LEVEL "$LOG_LEVEL"
  env_line DATABASE_URL "postgres://postgres@127.0.0.1:$PG_PORT/$PG_DATABASE"
  env_line REDIS_URL "redis://127.0.0.1:$REDIS_PORT"
  env_line KAFKA_BROKERS "$(<"$KAFKA_BOOTSTRAP_FILE")"
  env_line KAFKA_IDEMPOTENT false
  env_line KAFKAJS_NO_PARTITIONER_WARNING 1
  # kafkajs on Node 24 warns about a negative timeout it clamps itself; nothing to act on.
  env_line NODE_OPTIONS --disable-warning=TimeoutNegativeWarning
  env_line IDENTITY_SECRET "$(<"$KEYS_DIR/identity.secret")"
  env_line JWT_PRIVATE_KEY_FILE "$KEYS_DIR/jwt-private.pem"
  env_line JWT_PUBLIC_KEY_FILE "$KEYS_DIR/jwt-public.pem"
  env_line MAIL_DIR "$MAIL_DIR"
  env_line PUBLIC_URL "http://127.0.0.1:$NGINX_PORT/graphql"
  env_line APP_URL "http://127.0.0.1:$NGINX_PORT"
  env_line GATEWAY_URLS "$(gateway_urls)"
  env_line SUBGRAPH_USERS_URL "http://127.0.0.1:$USERS_PORT/graphql"
  env_line USERS_PERSISTER_URL "http://127.0.0.1:$USERS_PERSISTER_PORT"
  env_line USERS_MAILER_URL "http://127.0.0.1:$USERS_MAILER_PORT"
  env_line SUBGRAPH_CHAT_URL "http://127.0.0.1:$CHAT_PORT/graphql"
  env_line CHAT_PERSISTER_URL "http://127.0.0.1:$CHAT_PERSISTER_PORT"
  env_line SUBGRAPH_FINDER_URL "http://127.0.0.1:$FINDER_PORT/graphql"
  env_line FINDER_PERSISTER_URL "http://127.0.0.1:$FINDER_PERSISTER_PORT"
  env_line SUBGRAPH_FILES_URL "http://127.0.0.1:$FILES_PORT/graphql"
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
  env_line NGINX_PORT "$NGINX_PORT"
  env_line KAFKA_MOCK_BIN "$KAFKA_MOCK_BIN"
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

write_stack_env() {
  local new
  [[ -s $KAFKA_BOOTSTRAP_FILE ]] || { echo "no Kafka bootstrap list in $KAFKA_BOOTSTRAP_FILE" >&2; return 1; }
  mkdir -p "$MAIL_DIR" "$FILES_STORAGE_DIR"
  new=$(render_stack_env)
  if [[ -f $STACK_ENV && $(<"$STACK_ENV") == "$new" ]]; then
    note "unchanged"
    return 0
  fi
  printf '%s\n' "$new" >"$STACK_ENV.tmp"
  mv -f "$STACK_ENV.tmp" "$STACK_ENV"
  note "written"
}
