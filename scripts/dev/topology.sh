# The production topology on this machine (DEV_TOPOLOGY=production ./dev up): the processes
# docker-compose.yml runs, as processes instead of containers. Every long-running service gets the
# replicas PRODUCTION_REPLICAS gives it, a balancer (one nginx, the stand-in for compose's service
# names and Kubernetes' Services) fronts each subgraph server's replicas for the gateways' HTTP
# fetches, and a Postgres streaming replica serves the subgraphs' reads (DATABASE_REPLICA_URLS).
# In the dev topology (the default) none of this runs and every service has one process.

# Production topology: the replicas 2..N of each service join SERVICES as NAME-2.. (the environment
# file stays NAME's: process_env_file drops the suffix), started, watched and stopped like the first.
add_replica_services() {
  local entry name port command i extra=()
  if ! production_topology; then return 0; fi
  local gateways=(${GATEWAY_PORTS//,/ })
  ((${#gateways[@]} == $(replicas_of gateway))) ||
    die "the production topology runs $(replicas_of gateway) gateways: GATEWAY_PORTS must list as many ports, got '$GATEWAY_PORTS'"
  for entry in "${SERVICES[@]}"; do
    IFS='|' read -r name port command <<<"$entry"
    [[ $name == gateway-* ]] && continue
    for ((i = 2; i <= $(replicas_of "$name"); i++)); do extra+=("$name-$i|$(replica_port "$port" "$i")|$command"); done
  done
  SERVICES+=("${extra[@]}")
}
add_replica_services

# What the topology adds to every process's environment (nothing in the dev topology, so that its
# environment files stay as they were): the gateways, which reach a subgraph's HTTP endpoint through
# the balancer (subgraph_http_port), open their subscriptions on each replica, as the replica
# drills' gateways do.
render_topology_env() {
  local subgraph port upper ws=() address
  production_topology || return 0
  env_line DEV_TOPOLOGY production
  env_line PG_REPLICA_PORT "$PG_REPLICA_PORT"
  for subgraph in "${BALANCED_SUBGRAPHS[@]}"; do
    port=$(subgraph_port "$subgraph") upper=${subgraph^^} ws=()
    for address in $(replica_addresses "$port" "$subgraph"); do ws+=("ws://$address/graphql"); done
    env_line "SUBGRAPH_${upper}_WS_URLS" "$(IFS=,; echo "${ws[*]}")"
  done
}

# render_replica_database_env NAME SUBGRAPH: the read replica's URL for the long-running services
# (as compose gives them; migrations and the seed write, on the primary alone).
render_replica_database_env() {
  local entry
  production_topology && [[ $2 != - ]] || return 0
  for entry in "${PRODUCTION_REPLICAS[@]}"; do
    [[ ${entry%%|*} == "$1" ]] || continue
    env_line DATABASE_REPLICA_URLS "postgres://$(db_role "$2")@127.0.0.1:$PG_REPLICA_PORT/$PG_DATABASE"
  done
}

# --- the balancer in front of the subgraph servers -----------------------------------------------
BALANCER_PREFIX="$STATE_DIR/balancer"

render_balancer_conf() {
  local subgraph port address
  cat <<EOF
# Written by ./dev up (production topology) on every start; do not edit. One listener per
# subgraph, balancing over its server replicas: what compose's service names and Kubernetes'
# Services do for the gateways' HTTP fetches.
worker_processes 1;
pid $BALANCER_PREFIX/logs/nginx.pid;
error_log $BALANCER_PREFIX/logs/error.log warn;
events {
    worker_connections 4096;
}
http {
    access_log off;
    client_body_temp_path $BALANCER_PREFIX/temp/client_temp;
    proxy_temp_path $BALANCER_PREFIX/temp/proxy_temp;
    fastcgi_temp_path $BALANCER_PREFIX/temp/fastcgi_temp;
    uwsgi_temp_path $BALANCER_PREFIX/temp/uwsgi_temp;
    scgi_temp_path $BALANCER_PREFIX/temp/scgi_temp;
    client_max_body_size 0;
EOF
  for subgraph in "${BALANCED_SUBGRAPHS[@]}"; do
    port=$(subgraph_port "$subgraph")
    printf '    upstream %s {\n' "$subgraph"
    for address in $(replica_addresses "$port" "$subgraph"); do
      printf '        server %s max_fails=1 fail_timeout=5s;\n' "$address"
    done
    cat <<EOF
        keepalive 32;
    }
    server {
        listen 127.0.0.1:$(balancer_port "$port");
        location / {
            proxy_pass http://$subgraph;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$host;
            # A replica that is down or draining: the request goes to the other one.
            proxy_next_upstream error timeout http_502 http_503;
            proxy_read_timeout 60s;
        }
    }
EOF
  done
  echo "}"
}

balancer_ready() {
  local subgraph
  for subgraph in "${BALANCED_SUBGRAPHS[@]}"; do
    port_in_use "$(balancer_port "$(subgraph_port "$subgraph")")" || return 1
  done
}

start_balancer() {
  local pid conf="$BALANCER_PREFIX/conf/nginx.conf"
  mkdir -p "$BALANCER_PREFIX/conf" "$BALANCER_PREFIX/logs" "$BALANCER_PREFIX/temp"
  if [[ $(id -u) == 0 ]]; then ensure_traversable nobody "$BALANCER_PREFIX/temp"; fi
  render_balancer_conf >"$conf.new"
  nginx -p "$BALANCER_PREFIX/" -c conf/nginx.conf.new -t -q
  if pid=$(running balancer); then
    if cmp -s "$conf.new" "$conf"; then
      rm -f "$conf.new"
      note "already up (pid $pid)"
      return 0
    fi
    mv -f "$conf.new" "$conf"
    kill -HUP "$pid"
    note "configuration changed: reloaded (pid $pid)"
    return 0
  fi
  mv -f "$conf.new" "$conf"
  nohup nginx -p "$BALANCER_PREFIX/" -c conf/nginx.conf -g 'daemon off;' >"$LOG_DIR/balancer.log" 2>&1 </dev/null 9>&- &
  pid=$!
  write_pid balancer "$pid" "$BALANCER_PREFIX"
  await_start "$pid" 10000 0.05 balancer_ready "$LOG_DIR/balancer.log" "$BALANCER_PREFIX/logs/error.log"
  note "started (pid $pid, $(for s in "${BALANCED_SUBGRAPHS[@]}"; do printf '%s 127.0.0.1:%s ' "$s" "$(balancer_port "$(subgraph_port "$s")")"; done))"
}

stop_balancer() { stop_process balancer QUIT 15; }

# --- the Postgres streaming replica --------------------------------------------------------------
# Cloned from the primary with pg_basebackup (-R: standby settings) on every start, as the local
# Redis keeps no data across restarts either: a fresh clone always matches the primary it follows.

postgres_replica_pid() { postmaster_pid "$PG_REPLICA_DATA"; }

start_postgres_replica() {
  local pid log="$LOG_DIR/postgres-replica.log"
  postmaster_up postgres-replica "$PG_REPLICA_DATA" "$PG_REPLICA_PORT" PG_REPLICA_PORT stop_postgres_replica && return 0
  require_free_port "$PG_REPLICA_PORT" PG_REPLICA_PORT
  PG_BIN=$(pg_bin) || return 1
  rm -rf "$PG_REPLICA_DATA"
  install -d -o postgres -g postgres -m 700 "$PG_REPLICA_DATA"
  as_postgres "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$PG_PORT" -U postgres -D "$PG_REPLICA_DATA" -R -X stream -c fast \
    >"$LOG_DIR/pg_basebackup.log" 2>&1 || { show_log_tail "$LOG_DIR/pg_basebackup.log"; return 1; }
  # The clone carries the primary's finder-local.conf: its own port instead.
  cat >"$PG_REPLICA_DATA/finder-local.conf" <<EOF
# Written by ./dev up on every start of the replica.
listen_addresses = '127.0.0.1'
port = $PG_REPLICA_PORT
unix_socket_directories = '$PG_SOCKET_DIR'
hot_standby = on
max_connections = 300
EOF
  chown postgres:postgres "$PG_REPLICA_DATA/finder-local.conf"
  touch "$log"
  chown postgres "$log"
  as_postgres "$PG_BIN/pg_ctl" -D "$PG_REPLICA_DATA" -l "$log" -w -t 60 start >/dev/null || { show_log_tail "$log"; return 1; }
  pid=$(postgres_replica_pid) || { show_log_tail "$log"; return 1; }
  write_pid postgres-replica "$pid" "$PG_REPLICA_DATA"
  note "started (pid $pid, streaming from 127.0.0.1:$PG_PORT, 127.0.0.1:$PG_REPLICA_PORT)"
}

stop_postgres_replica() {
  local pid
  if pid=$(postgres_replica_pid); then write_pid postgres-replica "$pid" "$PG_REPLICA_DATA"; fi
  stop_process postgres-replica INT 60
}

# Its receiver's state as the replica sees it ("streaming"), and how far it has replayed.
postgres_replica_status() {
  local pid check
  if pid=$(postgres_replica_pid); then
    check=$(PGCONNECT_TIMEOUT=3 psql -X -q -h 127.0.0.1 -p "$PG_REPLICA_PORT" -U postgres -d "$PG_DATABASE" -tAc \
      "select coalesce((select status from pg_stat_wal_receiver), 'no receiver') || ', in recovery: ' || pg_is_in_recovery()" 2>&1 | head -n1) || true
    status_line postgres-replica "$pid" up "127.0.0.1:$PG_REPLICA_PORT ${check:-no answer}"
  else
    status_line postgres-replica - down "127.0.0.1:$PG_REPLICA_PORT"
  fi
}

# --- up, down, status ----------------------------------------------------------------------------
# Infrastructure of the production topology, before the services; in the dev topology, what a
# previous production `up` left running is stopped (its replicas, balancer and Postgres replica).
start_topology() {
  if production_topology; then
    step postgres-replica start_postgres_replica
    step balancer start_balancer
  else
    stop_production_extras
  fi
}

stop_production_extras() {
  local entry name i
  for entry in "${PRODUCTION_REPLICAS[@]}"; do
    name=${entry%%|*}
    [[ $name == gateway ]] && continue
    for ((i = 2; i <= ${entry#*|}; i++)); do
      if running "$name-$i" >/dev/null; then step "$name-$i" stop_process "$name-$i" TERM "$STOP_TIMEOUT"; fi
    done
  done
  if running balancer >/dev/null; then step balancer stop_balancer; fi
  if postgres_replica_pid >/dev/null; then step postgres-replica stop_postgres_replica; fi
  return 0
}
