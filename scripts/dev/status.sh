# ./dev status, ./dev logs, and the summary ./dev up ends with.

INFRA_COMPONENTS=(postgres postgres-replica redis kafka-mock nginx balancer prometheus postgres-exporter redis-exporter)

status_line() { printf '%-18s %-8s %-5s %s\n' "$@"; }

# One line per cluster node: its role and, for a master, its slots; the cluster's state on each.
redis_cluster_status() {
  local i pid port role state
  for ((i = 1; i <= REDIS_CLUSTER_NODE_COUNT; i++)); do
    port=$(redis_cluster_port "$i")
    if pid=$(running "redis-node-$i"); then
      role=$(redis-cli -p "$port" cluster nodes 2>/dev/null | awk '/myself/ { split($3, f, ","); r = f[2]; for (i = 9; i <= NF; i++) s = s " " $i; print r s }')
      state=$(redis-cli -p "$port" cluster info 2>/dev/null | sed -n 's/^cluster_state:\(.*\)\r\{0,1\}$/\1/p')
      status_line "redis-node-$i" "$pid" up "127.0.0.1:$port ${role:-?}, cluster_state: ${state:-no answer}"
    else
      status_line "redis-node-$i" - down "127.0.0.1:$port"
    fi
  done
}

cmd_status() {
  local pid check entry name port command bootstrap first
  # The production topology's processes when they are what runs, whatever DEV_TOPOLOGY this shell has.
  if ! production_topology && running balancer >/dev/null; then DEV_TOPOLOGY=production exec "$DEV" status; fi
  status_line COMPONENT PID STATE CHECK

  if pid=$(postgres_pid); then
    check=$(PGCONNECT_TIMEOUT=3 psql_local -d "$PG_DATABASE" -tAc 'select 1' 2>&1 | head -n1) || true
    status_line postgres "$pid" up "127.0.0.1:$PG_PORT select 1: $([[ $check == 1 ]] && echo ok || echo "${check:-no answer}")"
  else
    status_line postgres - down ""
  fi
  if production_topology; then postgres_replica_status; fi

  # The cluster's nodes when they are what runs, whatever REDIS_MODE this shell has.
  if [[ $REDIS_MODE == cluster ]] || running redis-node-1 >/dev/null; then
    redis_cluster_status
  fi
  if [[ $REDIS_MODE == cluster ]]; then
    :
  elif pid=$(running redis); then
    status_line redis "$pid" up "127.0.0.1:$REDIS_PORT ping: $(redis-cli -p "$REDIS_PORT" ping 2>&1 | head -n1)"
  else
    status_line redis - down ""
  fi

  if pid=$(running kafka-mock); then
    bootstrap=$(cat "$KAFKA_BOOTSTRAP_FILE" 2>/dev/null) || true
    check="no bootstrap list"
    if [[ -n $bootstrap ]]; then
      first=${bootstrap%%,*}
      check="$bootstrap $(port_in_use_at "$first" && echo "(accepting)" || echo "(not accepting)")"
    fi
    status_line kafka-mock "$pid" up "$check"
  else
    status_line kafka-mock - down ""
  fi

  if pid=$(running nginx); then
    status_line nginx "$pid" up "/healthz: $(http_status "http://127.0.0.1:$NGINX_PORT/healthz")"
  else
    status_line nginx - down ""
  fi

  if production_topology; then
    if pid=$(running balancer); then
      check=""
      for name in "${BALANCED_SUBGRAPHS[@]}"; do
        port=$(balancer_port "$(subgraph_port "$name")")
        check+="$name :$port /readyz: $(http_status "http://127.0.0.1:$port/readyz")  "
      done
      status_line balancer "$pid" up "$check"
    else
      status_line balancer - down ""
    fi
  fi

  if pid=$(running prometheus); then
    status_line prometheus "$pid" up "/-/ready: $(http_status "http://127.0.0.1:$PROMETHEUS_PORT/-/ready"), targets up: $(prometheus_targets_up)"
  else
    status_line prometheus - down ""
  fi

  if pid=$(running postgres-exporter); then
    status_line postgres-exporter "$pid" up "pg_up: $(postgres_exporter_ready && echo 1 || echo 0)"
  else
    status_line postgres-exporter - down ""
  fi
  if pid=$(running redis-exporter); then
    status_line redis-exporter "$pid" up "redis_up: $(redis_exporter_ready && echo 1 || echo 0)"
  else
    status_line redis-exporter - down ""
  fi

  for entry in "${SERVICES[@]}"; do
    IFS='|' read -r name port command <<<"$entry"
    if pid=$(running "$name"); then
      status_line "$name" "$pid" up "/readyz: $(http_status "http://127.0.0.1:$port/readyz")"
    else
      status_line "$name" - down ""
    fi
  done
}

# The log files of a component; nginx writes its own under .state/nginx/logs.
log_files_of() {
  case $1 in
    nginx) echo "$NGINX_PREFIX/logs/access.log" "$NGINX_PREFIX/logs/error.log" "$LOG_DIR/nginx.log" ;;
    *) echo "$LOG_DIR/$1.log" ;;
  esac
}

cmd_logs() {
  local f name file files known
  if (($# == 0)); then
    echo "usage: ./dev logs <name>   (tail -F of its log)"
    known=$(printf '%s\n' "${INFRA_COMPONENTS[@]}" $(service_names))
    for f in "$LOG_DIR"/*.log; do
      [[ -e $f ]] && known+=$'\n'$(basename "$f" .log)
    done
    while read -r name; do
      printf '  %-18s %s\n' "$name" "$(log_files_of "$name" | sed "s|$ROOT_DIR/||g")"
    done < <(awk '!seen[$0]++' <<<"$known")
    return 0
  fi
  name=$1
  read -ra files <<<"$(log_files_of "$name")"
  for file in "${files[@]}"; do
    [[ -e $file ]] && exec tail -n 100 -F "${files[@]}"
  done
  die "no log for '$name' yet (./dev logs lists them)"
}

print_urls() {
  local kafka
  kafka=$(cat "$KAFKA_BOOTSTRAP_FILE" 2>/dev/null) || true
  echo
  if [[ ${SKIP_SERVICES:-} == 1 ]]; then
    echo "Infrastructure is up (SKIP_SERVICES=1: no migrations, services or seed)."
  else
    echo "Finder Realtime is up$(production_topology && echo " in the production topology (two replicas of each service but the mailer and the files worker; ./dev status lists them)")."
  fi
  cat <<EOF
  GraphQL (nginx)   http://127.0.0.1:$NGINX_PORT/graphql  (WebSocket: ws://127.0.0.1:$NGINX_PORT/graphql)
  API explorer      $(if explorer_served; then echo "http://127.0.0.1:$NGINX_PORT/explore/  (GraphiQL; Apollo Sandbox at /graphql)"; else echo "not served (NODE_ENV=production)"; fi)
  gateways          $(gateway_urls | sed 's/,/  /g')
  users subgraph    http://127.0.0.1:$USERS_PORT/graphql
  chat subgraph     http://127.0.0.1:$CHAT_PORT/graphql
  files subgraph    http://127.0.0.1:$FILES_PORT/graphql  (uploads and downloads: http://127.0.0.1:$NGINX_PORT/files/)
  stored files      ${FILES_STORAGE_DIR#"$ROOT_DIR/"}/
  Postgres          postgres://postgres@127.0.0.1:$PG_PORT/$PG_DATABASE  (services: <subgraph>_service)$(production_topology && printf '\n  Postgres replica  postgres://postgres@127.0.0.1:%s/%s  (streaming; the services read from it)' "$PG_REPLICA_PORT" "$PG_DATABASE")
  Redis             $(if [[ $REDIS_MODE == cluster ]]; then echo "cluster of 3 masters and 3 replicas: $(redis_cluster_nodes)"; else echo "redis://127.0.0.1:$REDIS_PORT"; fi)
  Kafka (mock)      $kafka
  Prometheus        http://127.0.0.1:$PROMETHEUS_PORT  (alerts: http://127.0.0.1:$PROMETHEUS_PORT/alerts)
  outgoing mail     ${MAIL_DIR#"$ROOT_DIR/"}/
  environment       source ${STACK_ENV#"$ROOT_DIR/"}  (each service's own: ${PROCESS_ENV_DIR#"$ROOT_DIR/"}/<name>.env)
  ./dev status   ./dev logs <name>   ./dev down
EOF
  if [[ ${SKIP_SERVICES:-} != 1 && -s $LOG_DIR/seed.log ]]; then
    echo "Demo accounts:"
    cat "$LOG_DIR/seed.log"
  fi
}
