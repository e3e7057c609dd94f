# The Node processes of the stack. A new subgraph adds lines to MIGRATIONS and SERVICES, not code.
# Every command runs from the repository root as `node_modules/.bin/node <command>`, with its own
# environment, .state/env/<name>.env (PROCESS_ENVS in stack-env.sh: its Postgres role and only the
# keys it uses); long-running services also get PORT and must answer GET /readyz with 200 once ready.

# One-shot commands run before any service starts: "name|command".
MIGRATIONS=(
  "users|subgraphs/users/src/main.ts migrate"
  "chat|subgraphs/chat/src/main.ts migrate"
  "finder|subgraphs/finder/src/main.ts migrate"
  "files|subgraphs/files/src/main.ts migrate"
)

# Long-running services, started together: "name|port|command".
SERVICES=(
  "users|$USERS_PORT|subgraphs/users/src/main.ts server"
  "users-persister|$USERS_PERSISTER_PORT|subgraphs/users/src/main.ts persister"
  "users-mailer|$USERS_MAILER_PORT|subgraphs/users/src/main.ts mailer"
  "chat|$CHAT_PORT|subgraphs/chat/src/main.ts server"
  "chat-persister|$CHAT_PERSISTER_PORT|subgraphs/chat/src/main.ts persister"
  "finder|$FINDER_PORT|subgraphs/finder/src/main.ts server"
  "finder-persister|$FINDER_PERSISTER_PORT|subgraphs/finder/src/main.ts persister"
  "files|$FILES_PORT|subgraphs/files/src/main.ts server"
  "files-persister|$FILES_PERSISTER_PORT|subgraphs/files/src/main.ts persister"
  "files-worker|$FILES_WORKER_PORT|subgraphs/files/src/main.ts worker"
)
# One gateway per port in GATEWAY_PORTS: gateway-1, gateway-2, ... (stopped first by `down`).
gateway_index=1
for gateway_port in ${GATEWAY_PORTS//,/ }; do
  SERVICES+=("gateway-$gateway_index|$gateway_port|gateway/src/index.ts")
  gateway_index=$((gateway_index + 1))
done
unset gateway_index gateway_port

# One-shot command run once every service is ready; skipped while the file does not exist.
SEED_COMMAND="scripts/seed.ts"

service_names() {
  local entry
  for entry in "${SERVICES[@]}"; do echo "${entry%%|*}"; done
}

# Fails with a clear message when a command's script has not been written yet.
require_script() {
  [[ -f $ROOT_DIR/$1 ]] && return 0
  echo "$1 does not exist (yet); start the infrastructure alone with SKIP_SERVICES=1 ./dev up" >&2
  return 1
}

# run_node NAME COMMAND [ENV_FILE]: runs a one-shot Node command with ENV_FILE (default: the stack
# environment), logging to .state/logs/NAME.log. It listens on nothing, but the shared
# configuration schema requires PORT of every process: PORT=0.
run_node() {
  local name=$1 log="$LOG_DIR/$1.log" env_file=${3:-$STACK_ENV} argv
  read -ra argv <<<"$2"
  require_script "${argv[0]}"
  if ! (cd "$ROOT_DIR" && export PORT=0 && exec_with_env "$env_file" "$NODE_BIN" "${argv[@]}") >"$log" 2>&1 </dev/null 9>&-; then
    echo "'node $2' failed" >&2
    show_log_tail "$log"
    return 1
  fi
}

# exec_with_env ENV_FILE COMMAND...: execs COMMAND with ./dev's environment (settings from .env or
# the shell) minus every key, secret, password, token and database URL, plus ENV_FILE: a process
# holds the secrets its file gives it and no others, even when ./dev runs in a shell that sourced
# .state/stack.env.
exec_with_env() {
  local env_file=$1 name
  shift
  for name in $(compgen -e); do
    if [[ $name =~ (_KEY|_KEY_FILE|_SECRET|_PASSWORD|_TOKEN)$ || $name == DATABASE_URL ]]; then unset "$name"; fi
  done
  source "$env_file"
  exec "$@"
}

# Each subgraph's migrations run as its own role, which owns its schema.
run_migration() {
  run_node "migrate-$1" "$2" "$(process_env_file "migrate-$1")"
  note "node $2"
}

# A service is restarted by `up` when what it was started with changed: its environment (Kafka's
# ports change on every broker restart), its port, its command, or the code (any source file's content).
service_config_hash() { # NAME PORT COMMAND
  { cat "$(process_env_file "$1")" && echo "$2|$3" && source_fingerprint; } | sha256sum | cut -c1-16
}

SOURCE_FINGERPRINT=""
source_fingerprint() {
  if [[ -z $SOURCE_FINGERPRINT ]]; then
    # Only what services run: sources and schemas, not tests.
    SOURCE_FINGERPRINT=$(cd "$ROOT_DIR" && find packages/*/src gateway/src subgraphs/*/src schema \
      -type f \( -name '*.ts' -o -name '*.graphql' \) -print0 | sort -z | xargs -0 cat | sha256sum | cut -c1-16)
  fi
  echo "$SOURCE_FINGERPRINT"
}

# start_service NAME PORT COMMAND
start_service() {
  local name=$1 port=$2 command=$3 log="$LOG_DIR/$1.log" pid hash argv
  read -ra argv <<<"$command"
  hash=$(service_config_hash "$name" "$port" "$command")
  if pid=$(running "$name"); then
    if [[ $(config_hash_of "$name") == "$hash" ]]; then
      wait_ready "$name" "$pid" "$port"
      note "already up (pid $pid)"
      return 0
    fi
    note "configuration or code changed, restarting"
    stop_process "$name" TERM "$STOP_TIMEOUT"
  fi
  require_script "${argv[0]}"
  require_free_port "$port" "the port of $name"
  [[ -f $log ]] && mv -f "$log" "$log.1"
  (
    cd "$ROOT_DIR"
    export PORT=$port
    exec_with_env "$(process_env_file "$name")" nohup "$NODE_BIN" "${argv[@]}"
  ) >"$log" 2>&1 </dev/null 9>&- &
  pid=$!
  write_pid "$name" "$pid" "$command" "$hash"
  wait_ready "$name" "$pid" "$port"
  note "started (pid $pid, http://127.0.0.1:$port)"
}

# wait_ready NAME PID PORT: until GET /readyz answers 200; fails early when the process exits.
wait_ready() {
  local name=$1 pid=$2 url="http://127.0.0.1:$3/readyz" deadline status
  deadline=$(($(now_ms) + READY_TIMEOUT * 1000))
  while :; do
    status=$(http_status "$url")
    [[ $status == 200 ]] && return 0
    if ! pid_alive "$pid"; then
      echo "$name exited before it was ready" >&2
      show_log_tail "$LOG_DIR/$name.log"
      return 1
    fi
    if (($(now_ms) > deadline)); then
      echo "$name was not ready after ${READY_TIMEOUT}s ($url answered $status)" >&2
      show_log_tail "$LOG_DIR/$name.log"
      return 1
    fi
    sleep 0.2
  done
}

run_seed() {
  if [[ ! -f $ROOT_DIR/$SEED_COMMAND ]]; then
    warn "$SEED_COMMAND does not exist yet: no demo data"
    note "$SEED_COMMAND not found"
    return "$SKIPPED"
  fi
  run_node seed "$SEED_COMMAND"
  note "demo accounts seeded"
}

# Migrations first, then every service at once (each step waits for its own /readyz), then the seed.
start_services() {
  local entry name port command pids=() pid failed=0
  for entry in "${MIGRATIONS[@]}"; do
    step "migrate ${entry%%|*}" run_migration "${entry%%|*}" "${entry#*|}"
  done
  for entry in "${SERVICES[@]}"; do
    IFS='|' read -r name port command <<<"$entry"
    step "$name" start_service "$name" "$port" "$command" &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
  ((failed == 0)) || { echo "some services did not start: ./dev logs <name>" >&2; return 1; }
  # SKIP_SEED=1: restart what is missing without re-running the (idempotent, slow) seed.
  [[ ${SKIP_SEED:-} == 1 ]] || step "seed" run_seed
}

# Stops every service with a pid file, in reverse start order (gateways first), including ones
# no longer in the table.
stop_services() {
  local f name names=() i
  mapfile -t names < <(service_names)
  for f in "$PID_DIR"/*.pid; do
    [[ -e $f ]] || continue
    name=$(basename "$f" .pid)
    # Redis Cluster nodes are infrastructure too: stopped by the redis step, after the services.
    [[ $name == redis-node-* ]] && continue
    case " ${INFRA_COMPONENTS[*]} ${names[*]} " in *" $name "*) ;; *) names+=("$name") ;; esac
  done
  for ((i = ${#names[@]} - 1; i >= 0; i--)); do
    step "${names[i]}" stop_process "${names[i]}" TERM "$STOP_TIMEOUT"
  done
}
