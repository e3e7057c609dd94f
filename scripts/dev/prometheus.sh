# Prometheus (the distribution's package) scraping every process of the stack, with the alert
# rules of infra/prometheus. Its configuration is rendered from SERVICES on every start.

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
}

start_prometheus() {
  local pid conf="$PROMETHEUS_DIR/prometheus.yml" deadline
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
  deadline=$(($(now_ms) + 20000))
  until [[ $(http_status "http://127.0.0.1:$PROMETHEUS_PORT/-/ready") == 200 ]]; do
    if ! pid_alive "$pid" || (($(now_ms) > deadline)); then
      show_log_tail "$LOG_DIR/prometheus.log"
      return 1
    fi
    sleep 0.1
  done
  note "started (pid $pid, http://127.0.0.1:$PROMETHEUS_PORT)"
}

stop_prometheus() { stop_process prometheus TERM 15; }

# prometheus_targets_up: "<up>/<all>" scrape targets, from Prometheus' own API.
prometheus_targets_up() {
  curl -fsS --max-time 3 "http://127.0.0.1:$PROMETHEUS_PORT/api/v1/targets?state=active" 2>/dev/null |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const t=JSON.parse(s).data.activeTargets;console.log(`${t.filter(x=>x.health==="up").length}/${t.length}`)})' 2>/dev/null ||
    echo "unknown"
}
