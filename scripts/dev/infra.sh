# Infrastructure processes: Postgres, Redis, the Kafka mock and nginx. Each runs in the foreground
# of its own background process, bound to 127.0.0.1, with its pid in .state/pids.

# --- Postgres ------------------------------------------------------------------------------------
# Postgres refuses to run as root: initdb and pg_ctl run as the postgres user, which therefore
# needs to reach the data directory.

as_postgres() { (cd / && runuser -u postgres -- "$@" 9>&-); }

# ensure_traversable USER DIR: gives others +x on every component of DIR that USER cannot enter.
ensure_traversable() {
  local user=$1 dir=$2 path="" part parts
  runuser -u "$user" -- test -x "$dir" 2>/dev/null && return 0
  IFS=/ read -ra parts <<<"${dir#/}"
  for part in "${parts[@]}"; do
    path+="/$part"
    if ! runuser -u "$user" -- test -x "$path" 2>/dev/null; then
      chmod o+x "$path"
      note "made $path traversable for $user"
    fi
  done
  runuser -u "$user" -- test -x "$dir" || { echo "user $user still cannot enter $dir" >&2; return 1; }
}

# pg_bin: the directory of the Postgres binaries to run: those of the data directory's major
# version when it exists (a data directory only opens with its own major), else PG_MAJOR's, else
# the newest installed.
pg_bin() {
  local major="" dir
  [[ -s $PG_DATA/PG_VERSION ]] && read -r major <"$PG_DATA/PG_VERSION"
  if [[ -n $major ]]; then
    [[ -z $PG_MAJOR || $PG_MAJOR == "$major" ]] ||
      { echo "PG_MAJOR=$PG_MAJOR but $PG_DATA holds a Postgres $major cluster: unset PG_MAJOR, or ./dev down and remove $PG_DATA" >&2; return 1; }
  else
    major=$PG_MAJOR
  fi
  if [[ -n $major ]]; then
    dir=$PG_LIB_DIR/$major/bin
    [[ -x $dir/initdb ]] || { echo "Postgres $major is not installed ($dir/initdb missing): apt-get install postgresql-$major" >&2; return 1; }
  else
    local initdb newest=0
    for initdb in "$PG_LIB_DIR"/*/bin/initdb; do
      [[ -x $initdb ]] || continue
      major=${initdb#"$PG_LIB_DIR"/}
      major=${major%%/*}
      [[ $major =~ ^[0-9]+$ ]] && ((major > newest)) && newest=$major
    done
    ((newest > 0)) || { echo "no Postgres server installed under $PG_LIB_DIR: apt-get install postgresql" >&2; return 1; }
    dir=$PG_LIB_DIR/$newest/bin
  fi
  echo "$dir"
}

# postmaster_pid DATA: the pid of the postmaster running on DATA, from its own postmaster.pid.
postmaster_pid() {
  local pid=""
  [[ -f $1/postmaster.pid ]] && read -r pid <"$1/postmaster.pid"
  pid_alive "$pid" "$1" && echo "$pid"
}

postgres_pid() { postmaster_pid "$PG_DATA"; }

# postmaster_up NAME DATA PORT VAR STOP: 0 when NAME's postmaster on DATA already listens on PORT
# (its pid recorded); one listening elsewhere (VAR changed) is stopped with STOP. 1: start it.
postmaster_up() {
  local pid
  pid=$(postmaster_pid "$2") || return 1
  write_pid "$1" "$pid" "$2"
  if grep -qx "port = $3" "$2/finder-local.conf" 2>/dev/null; then
    note "already up (pid $pid)"
    return 0
  fi
  note "$4 changed, restarting"
  "$5"
  return 1
}

start_postgres() {
  local pid log="$LOG_DIR/postgres.log"
  postmaster_up postgres "$PG_DATA" "$PG_PORT" PG_PORT stop_postgres && return 0
  require_free_port "$PG_PORT" PG_PORT
  PG_BIN=$(pg_bin) || return 1
  ensure_traversable postgres "$STATE_DIR"
  if [[ ! -s $PG_DATA/PG_VERSION ]]; then
    rm -rf "$PG_DATA"
    install -d -o postgres -g postgres -m 700 "$PG_DATA"
    as_postgres "$PG_BIN/initdb" -D "$PG_DATA" --auth=trust -U postgres -E UTF8 --locale=C.UTF-8 >"$LOG_DIR/initdb.log" 2>&1 ||
      { show_log_tail "$LOG_DIR/initdb.log"; return 1; }
    echo "include_if_exists = 'finder-local.conf'" >>"$PG_DATA/postgresql.conf"
    note "initdb done"
  fi
  install -d -o postgres -g postgres -m 755 "$PG_SOCKET_DIR"
  # Rewritten on every start so that port changes apply.
  cat >"$PG_DATA/finder-local.conf" <<EOF
# Written by ./dev up on every start.
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_SOCKET_DIR'
wal_level = replica
max_connections = 300
EOF
  chown postgres:postgres "$PG_DATA/finder-local.conf"
  touch "$log"
  chown postgres "$log"
  as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$log" -w -t 60 start >/dev/null ||
    { show_log_tail "$log"; return 1; }
  pid=$(postgres_pid) || { show_log_tail "$log"; return 1; }
  write_pid postgres "$pid" "$PG_DATA"
  note "started (pid $pid, Postgres $(<"$PG_DATA/PG_VERSION"), 127.0.0.1:$PG_PORT)"
}

psql_local() { psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres "$@"; }

ensure_database() {
  if [[ $(psql_local -d postgres -tAc "select 1 from pg_database where datname = '$PG_DATABASE'") == 1 ]]; then
    note "$PG_DATABASE exists"
  else
    psql_local -d postgres -c "create database $PG_DATABASE"
    note "created $PG_DATABASE"
  fi
}

# Each subgraph's role, owning its schema (infra/postgres/service-role.sql); idempotent, and moves
# what an older .state created as the superuser to the role.
ensure_service_roles() {
  local subgraph
  for subgraph in "${SUBGRAPH_SCHEMAS[@]}"; do
    psql_local -d "$PG_DATABASE" -v role="$(db_role "$subgraph")" -v schema="$subgraph" -f "$ROOT_DIR/infra/postgres/service-role.sql" >/dev/null
  done
  note "$(for subgraph in "${SUBGRAPH_SCHEMAS[@]}"; do printf '%s ' "$(db_role "$subgraph")"; done)"
}

stop_postgres() {
  local pid
  # Adopt a postmaster whose pid file we lost, so it still stops.
  if pid=$(postgres_pid); then write_pid postgres "$pid" "$PG_DATA"; fi
  stop_process postgres INT 60 # SIGINT: fast shutdown
}

# --- Redis ---------------------------------------------------------------------------------------
# One server or the local cluster, as REDIS_MODE says; switching stops the other.
start_redis() {
  if [[ $REDIS_MODE == cluster ]]; then
    stop_single_redis >/dev/null
    start_redis_cluster
  else
    stop_redis_cluster >/dev/null
    start_single_redis
  fi
}

stop_redis() {
  stop_single_redis
  stop_redis_cluster
}

start_single_redis() {
  local pid deadline
  if pid=$(running redis); then
    if [[ $(config_hash_of redis) == "$REDIS_PORT" ]]; then
      note "already up (pid $pid)"
      return 0
    fi
    note "REDIS_PORT changed, restarting"
    stop_single_redis
  fi
  require_free_port "$REDIS_PORT" REDIS_PORT
  mkdir -p "$REDIS_DIR"
  nohup redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
    --dir "$REDIS_DIR" --daemonize no >"$LOG_DIR/redis.log" 2>&1 </dev/null 9>&- &
  pid=$!
  write_pid redis "$pid" redis-server "$REDIS_PORT"
  deadline=$(($(now_ms) + 10000))
  until [[ $(redis-cli -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]]; do
    if ! pid_alive "$pid" || (($(now_ms) > deadline)); then
      show_log_tail "$LOG_DIR/redis.log"
      return 1
    fi
    sleep 0.05
  done
  note "started (pid $pid, 127.0.0.1:$REDIS_PORT)"
}

stop_single_redis() { stop_process redis TERM 10; }

# The local Redis Cluster: six redis-server processes (redis-node-1..6) with cluster mode on, made a
# cluster of three masters with one replica each by `redis-cli --cluster create`. Like the single
# server it keeps no data across restarts: when every node is down it starts from a fresh cluster
# configuration; a node that alone died rejoins with its own (nodes-<port>.conf).
start_redis_cluster() {
  local i name port bus pid started=() missing=0 deadline
  for ((i = 1; i <= REDIS_CLUSTER_NODE_COUNT; i++)); do
    name=redis-node-$i
    if pid=$(running "$name") && [[ $(config_hash_of "$name") == "$(redis_cluster_port "$i")" ]]; then continue; fi
    [[ -n ${pid:-} ]] && stop_process "$name" TERM 10 >/dev/null
    missing=$((missing + 1))
  done
  if ((missing == REDIS_CLUSTER_NODE_COUNT)); then rm -rf "$REDIS_CLUSTER_DIR"; fi
  mkdir -p "$REDIS_CLUSTER_DIR"
  for ((i = 1; i <= REDIS_CLUSTER_NODE_COUNT; i++)); do
    name=redis-node-$i
    port=$(redis_cluster_port "$i")
    bus=$(redis_cluster_bus_port "$i")
    running "$name" >/dev/null && continue
    require_free_port "$port" "REDIS_CLUSTER_PORT+$((i - 1)) (cluster node $i)"
    require_free_port "$bus" "REDIS_CLUSTER_PORT+$((REDIS_CLUSTER_NODE_COUNT + i - 1)) (cluster bus of node $i)"
    nohup redis-server --port "$port" --cluster-port "$bus" --bind 127.0.0.1 --cluster-enabled yes \
      --cluster-config-file "nodes-$port.conf" --cluster-node-timeout 2000 --save '' --appendonly no \
      --dir "$REDIS_CLUSTER_DIR" --daemonize no >"$LOG_DIR/$name.log" 2>&1 </dev/null 9>&- &
    pid=$!
    write_pid "$name" "$pid" redis-server "$port"
    started+=("$name")
  done
  deadline=$(($(now_ms) + 10000))
  for ((i = 1; i <= REDIS_CLUSTER_NODE_COUNT; i++)); do
    until [[ $(redis-cli -p "$(redis_cluster_port "$i")" ping 2>/dev/null) == PONG ]]; do
      if (($(now_ms) > deadline)); then
        show_log_tail "$LOG_DIR/redis-node-$i.log"
        return 1
      fi
      sleep 0.05
    done
  done
  if ! redis-cli -p "$(redis_cluster_port 1)" cluster info | grep -q '^cluster_slots_assigned:16384'; then
    # shellcheck disable=SC2046 # one argument per node
    redis-cli --cluster create $(redis_cluster_nodes | tr , ' ') --cluster-replicas 1 --cluster-yes >"$LOG_DIR/redis-cluster-create.log" 2>&1 ||
      { show_log_tail "$LOG_DIR/redis-cluster-create.log"; return 1; }
  fi
  deadline=$(($(now_ms) + 30000))
  until redis_cluster_ok; do
    if (($(now_ms) > deadline)); then
      echo "the Redis Cluster is not ok after 30 s:" >&2
      redis-cli -p "$(redis_cluster_port 1)" cluster nodes >&2 || true
      return 1
    fi
    sleep 0.2
  done
  if ((${#started[@]})); then note "cluster ok: 3 masters, 3 replicas on $(redis_cluster_nodes) (started ${started[*]})"; else note "already up, cluster ok"; fi
}

# Every node says cluster_state:ok and every replica has synced with its master (a replica that
# has not would refuse to take over).
redis_cluster_ok() {
  local i port
  for ((i = 1; i <= REDIS_CLUSTER_NODE_COUNT; i++)); do
    port=$(redis_cluster_port "$i")
    redis-cli -p "$port" cluster info 2>/dev/null | grep -q '^cluster_state:ok' || return 1
    redis-cli -p "$port" info replication 2>/dev/null | grep -Eq '^(role:master|master_link_status:up)' || return 1
  done
}

stop_redis_cluster() {
  local i
  for ((i = 1; i <= REDIS_CLUSTER_NODE_COUNT; i++)); do stop_process "redis-node-$i" TERM 10; done
}

# --- Kafka mock ----------------------------------------------------------------------------------
# Its ports are random on every start: the bootstrap list it prints goes to .state/kafka.bootstrap
# and from there into stack.env.
kafka_mock_args() { echo "$KAFKA_MOCK_BROKERS $KAFKA_TOPICS"; }

start_kafka_mock() {
  local pid args deadline
  args=$(kafka_mock_args)
  if pid=$(running kafka-mock); then
    if [[ $(config_hash_of kafka-mock) == "$args" && -s $KAFKA_BOOTSTRAP_FILE ]]; then
      note "already up (pid $pid, $(<"$KAFKA_BOOTSTRAP_FILE"))"
      return 0
    fi
    note "brokers or topics changed, restarting"
    stop_process kafka-mock TERM 10
  fi
  rm -f "$KAFKA_BOOTSTRAP_FILE"
  # shellcheck disable=SC2086 # the argument list is words on purpose
  nohup "$KAFKA_MOCK_BIN" $args >"$KAFKA_BOOTSTRAP_FILE" 2>"$LOG_DIR/kafka-mock.log" </dev/null 9>&- &
  pid=$!
  write_pid kafka-mock "$pid" "$KAFKA_MOCK_BIN" "$args"
  deadline=$(($(now_ms) + 10000))
  # The list is complete once its line ends.
  until [[ -s $KAFKA_BOOTSTRAP_FILE && $(tail -c1 "$KAFKA_BOOTSTRAP_FILE" | wc -l) == 1 ]]; do
    if ! pid_alive "$pid" || (($(now_ms) > deadline)); then
      show_log_tail "$LOG_DIR/kafka-mock.log"
      return 1
    fi
    sleep 0.02
  done
  note "started (pid $pid, $(<"$KAFKA_BOOTSTRAP_FILE"), topics $KAFKA_TOPICS)"
}

stop_kafka_mock() {
  stop_process kafka-mock TERM 10
  rm -f "$KAFKA_BOOTSTRAP_FILE"
}

# --- nginx ---------------------------------------------------------------------------------------
nginx_local() { nginx -p "$NGINX_PREFIX/" -c conf/nginx.conf -e logs/error.log "$@"; }

start_nginx() {
  local pid conf="$NGINX_PREFIX/conf/nginx.conf" deadline
  prepare_nginx_prefix
  # Workers run as nobody when the master runs as root, and buffer large bodies in temp/.
  if [[ $(id -u) == 0 ]]; then ensure_traversable nobody "$NGINX_PREFIX/temp"; fi
  render_nginx_conf local >"$conf.new"
  if pid=$(running nginx); then
    if cmp -s "$conf.new" "$conf"; then
      rm -f "$conf.new"
      note "already up (pid $pid)"
      return 0
    fi
    mv -f "$conf.new" "$conf"
    nginx_local -t -q
    kill -HUP "$pid"
    note "configuration changed: reloaded (pid $pid)"
    return 0
  fi
  mv -f "$conf.new" "$conf"
  nginx_local -t -q
  require_free_port "$NGINX_PORT" NGINX_PORT
  nohup nginx -p "$NGINX_PREFIX/" -c conf/nginx.conf -e logs/error.log -g 'daemon off;' \
    >"$LOG_DIR/nginx.log" 2>&1 </dev/null 9>&- &
  pid=$!
  write_pid nginx "$pid" "$NGINX_PREFIX"
  deadline=$(($(now_ms) + 10000))
  until [[ $(http_status "http://127.0.0.1:$NGINX_PORT/healthz") == 200 ]]; do
    if ! pid_alive "$pid" || (($(now_ms) > deadline)); then
      show_log_tail "$LOG_DIR/nginx.log"
      show_log_tail "$NGINX_PREFIX/logs/error.log"
      return 1
    fi
    sleep 0.05
  done
  note "started (pid $pid, http://127.0.0.1:$NGINX_PORT)"
}

stop_nginx() { stop_process nginx QUIT 15; } # SIGQUIT: graceful shutdown
