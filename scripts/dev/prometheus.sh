# Prometheus (the distribution's package) scraping every process of the stack, with the alert
# rules of infra/prometheus, and the distribution's Postgres and Redis exporters. Its configuration
# is rendered from SERVICES on every start.

# prometheus_config: the scrape configuration of the local stack, one target per service.
prometheus_config() {
  local entry name port
  cat <<EOF
# Written by ./dev up from the services it runs; do not edit.
global:
  scrape_interval: ${PROMETHEUS_SCRAPE_INTERVAL}
  evaluation_interval: ${PROMETHEUS_SCRAPE_INTERVAL}
rule_files:
  - $PROMETHEUS_RULES
scrape_configs:
  - job_name: finder
    static_configs:
EOF
  for entry in "${SERVICES[@]}"; do
    IFS='|' read -r name port _ <<<"$entry"
    printf '      - targets: ["127.0.0.1:%s"]\n        labels: { process: "%s" }\n' "$port" "$name"
  done
  cat <<EOF
  - job_name: postgres
    static_configs:
      - targets: ["127.0.0.1:$POSTGRES_EXPORTER_PORT"]
        labels: { process: "postgres-exporter" }
  - job_name: redis
    static_configs:
      - targets: ["127.0.0.1:$REDIS_EXPORTER_PORT"]
        labels: { process: "redis-exporter" }
EOF
}

prometheus_ready() { [[ $(http_status "http://127.0.0.1:$PROMETHEUS_PORT/-/ready") == 200 ]]; }

start_prometheus() {
  local pid conf="$PROMETHEUS_DIR/prometheus.yml"
  mkdir -p "$PROMETHEUS_DIR/data"
  prometheus_config >"$conf.new"
  promtool check config "$conf.new" >"$LOG_DIR/promtool.log" 2>&1 || { show_log_tail "$LOG_DIR/promtool.log"; return 1; }
  if pid=$(running prometheus); then
    if [[ $(config_hash_of prometheus) == "$PROMETHEUS_PORT" ]]; then
      # Targets and rules are read again on SIGHUP.
      mv -f "$conf.new" "$conf"
      kill -HUP "$pid"
      note "already up (pid $pid); configuration reloaded"
      return 0
    fi
    note "PROMETHEUS_PORT changed, restarting"
    stop_prometheus
  fi
  mv -f "$conf.new" "$conf"
  require_free_port "$PROMETHEUS_PORT" PROMETHEUS_PORT
  nohup prometheus --config.file="$conf" --storage.tsdb.path="$PROMETHEUS_DIR/data" \
    --storage.tsdb.retention.time=2d --web.listen-address="127.0.0.1:$PROMETHEUS_PORT" \
    >"$LOG_DIR/prometheus.log" 2>&1 </dev/null 9>&- &
  pid=$!
  write_pid prometheus "$pid" prometheus "$PROMETHEUS_PORT"
  await_start "$pid" 20000 0.1 prometheus_ready "$LOG_DIR/prometheus.log"
  note "started (pid $pid, http://127.0.0.1:$PROMETHEUS_PORT)"
}

stop_prometheus() { stop_process prometheus TERM 15; }

# --- exporters -----------------------------------------------------------------------------------
# The Postgres exporter reads the statistics views as a role with pg_monitor only
# (infra/postgres/monitor-role.sql, as in docker compose).
postgres_exporter_dsn() { printf 'postgresql://%s@127.0.0.1:%s/%s?sslmode=disable' "$MONITOR_DB_ROLE" "$PG_PORT" "$PG_DATABASE"; }
postgres_exporter_ready() { curl -fsS --max-time 2 "http://127.0.0.1:$POSTGRES_EXPORTER_PORT/metrics" 2>/dev/null | grep -q '^pg_up 1'; }
redis_exporter_ready() { curl -fsS --max-time 2 "http://127.0.0.1:$REDIS_EXPORTER_PORT/metrics" 2>/dev/null | grep -q '^redis_up 1'; }

# start_exporter NAME PORT_VAR READY COMMAND...: (re)starts an exporter when its command line or
# DATA_SOURCE_NAME changed, waiting until READY.
start_exporter() {
  local name=$1 port_var=$2 ready=$3 pid config
  shift 3
  config="$* ${DATA_SOURCE_NAME:-}"
  if pid=$(running "$name"); then
    if [[ $(config_hash_of "$name") == "$config" ]]; then
      note "$name already up (pid $pid)"
      return 0
    fi
    stop_process "$name" TERM 10 >/dev/null
  fi
  require_free_port "${!port_var}" "$port_var"
  nohup "$@" >"$LOG_DIR/$name.log" 2>&1 </dev/null 9>&- &
  pid=$!
  write_pid "$name" "$pid" "$1" "$config"
  await_start "$pid" 20000 0.1 "$ready" "$LOG_DIR/$name.log"
  note "$name started (pid $pid, 127.0.0.1:${!port_var})"
}

start_exporters() {
  psql_local -d "$PG_DATABASE" -v role="$MONITOR_DB_ROLE" -f "$ROOT_DIR/infra/postgres/monitor-role.sql" >/dev/null
  DATA_SOURCE_NAME=$(postgres_exporter_dsn) start_exporter postgres-exporter POSTGRES_EXPORTER_PORT postgres_exporter_ready \
    prometheus-postgres-exporter --web.listen-address="127.0.0.1:$POSTGRES_EXPORTER_PORT" --log.level=warn
  start_exporter redis-exporter REDIS_EXPORTER_PORT redis_exporter_ready \
    prometheus-redis-exporter -web.listen-address="127.0.0.1:$REDIS_EXPORTER_PORT" -redis.addr="redis://127.0.0.1:$(redis_exporter_port)"
}

stop_exporters() {
  stop_process postgres-exporter TERM 10
  stop_process redis-exporter TERM 10
}

# prometheus_targets_up: "<up>/<all>" scrape targets, from Prometheus' own API.
prometheus_targets_up() {
  curl -fsS --max-time 3 "http://127.0.0.1:$PROMETHEUS_PORT/api/v1/targets?state=active" 2>/dev/null |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const t=JSON.parse(s).data.activeTargets;console.log(`${t.filter(x=>x.health==="up").length}/${t.length}`)})' 2>/dev/null ||
    echo "unknown"
}
