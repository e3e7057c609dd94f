# Renders nginx.conf from infra/nginx/nginx.conf.template, in two flavours:
#   production  the repository's nginx.conf, used by docker-compose.yml
#   local       .state/nginx/conf/nginx.conf, everything under .state/nginx, gateways on 127.0.0.1

# Gateway containers in docker-compose.yml, as host:port.
PRODUCTION_GATEWAYS=(gateway-1:4000 gateway-2:4000)
# The files service (signed uploads and downloads), as host:port (locally: each of its replicas).
PRODUCTION_FILES=files:4000
# Per-address limits in front of /graphql in production: requests per second, the burst allowed
# above that rate, open connections (WebSockets included). Locally: NGINX_GRAPHQL_* (config.sh).
PRODUCTION_GRAPHQL_RATE=20
PRODUCTION_GRAPHQL_BURST=40
PRODUCTION_GRAPHQL_CONNECTIONS=100
# Where the nginx container finds the web app's build (docker-compose.yml mounts web/dist there).
PRODUCTION_WEB_ROOT=/usr/share/nginx/html
# TLS in production: HTTPS on 443 with this certificate (docker-compose.yml mounts ./tls there),
# plain HTTP on 80 for health checks and redirects. The local stack serves plain HTTP.
PRODUCTION_TLS_CERT=/etc/nginx/tls/fullchain.pem
PRODUCTION_TLS_KEY=/etc/nginx/tls/privkey.pem

# explore_location DIST: the /explore/ block serving the built API explorer from DIST.
explore_location() {
  cat <<EOF
        # The API explorer (GraphiQL, built from explorer/ by ./dev up): development only, absent
        # from the production rendering. Bundled, so it loads nothing from outside this server.
        location = /explore {
            return 301 /explore/;
        }
        location /explore/ {
            alias "$1/";
            index index.html;
            types {
                text/html html;
                text/javascript js;
                text/css css;
            }
            add_header Cache-Control "no-cache";
            add_header X-Request-Id \$req_id always;
        }
EOF
}

# render_nginx_conf production|local: prints the rendered configuration.
render_nginx_conf() {
  local listen workers pid_file log_dir temp_dir servers="" files_servers="" addr port out files explore= web_root rate burst connections
  local tls='#TLS ' tls_listen='' tls_cert=none tls_key=none http_listen=none
  local -a gateways=()
  case $1 in
    production)
      listen=443 workers=auto pid_file=/var/run/nginx.pid
      tls='' tls_listen=' ssl http2' tls_cert=$PRODUCTION_TLS_CERT tls_key=$PRODUCTION_TLS_KEY http_listen=80
      log_dir=/var/log/nginx temp_dir=/var/cache/nginx
      gateways=("${PRODUCTION_GATEWAYS[@]}")
      files=$PRODUCTION_FILES
      web_root=$PRODUCTION_WEB_ROOT
      rate=$PRODUCTION_GRAPHQL_RATE burst=$PRODUCTION_GRAPHQL_BURST connections=$PRODUCTION_GRAPHQL_CONNECTIONS
      ;;
    local)
      listen=127.0.0.1:$NGINX_PORT workers=2 pid_file=$NGINX_PREFIX/logs/nginx.pid
      log_dir=$NGINX_PREFIX/logs temp_dir=$NGINX_PREFIX/temp
      for port in ${GATEWAY_PORTS//,/ }; do gateways+=("127.0.0.1:$port"); done
      files=$(replica_addresses "$FILES_PORT" files)
      if explorer_served; then explore=$(explore_location "$EXPLORER_DIR/dist"); fi
      web_root=$ROOT_DIR/web/dist
      rate=$NGINX_GRAPHQL_RATE_PER_SECOND burst=$NGINX_GRAPHQL_BURST connections=$NGINX_GRAPHQL_CONNECTIONS_PER_ADDRESS
      ;;
    *)
      echo "render_nginx_conf: unknown flavour '$1'" >&2
      return 1
      ;;
  esac
  for addr in "${gateways[@]}"; do
    servers+="${servers:+$'\n'}        server $addr max_fails=3 fail_timeout=10s;"
  done
  out=$(<"$NGINX_TEMPLATE") || return 1
  # Quoted replacements: bash 5.2 would otherwise expand & in them.
  out=${out//@LISTEN@/"$listen"}
  out=${out//@TLS_LISTEN@/"$tls_listen"}
  out=${out//@TLS_CERT@/"$tls_cert"}
  out=${out//@TLS_KEY@/"$tls_key"}
  out=${out//@HTTP_LISTEN@/"$http_listen"}
  out=${out//@TLS@/"$tls"}
  out=${out//@WORKER_PROCESSES@/"$workers"}
  out=${out//@PID_FILE@/"$pid_file"}
  out=${out//@LOG_DIR@/"$log_dir"}
  out=${out//@TEMP_DIR@/"$temp_dir"}
  out=${out//@UPSTREAM_SERVERS@/"$servers"}
  out=${out//@WEB_ROOT@/"$web_root"}
  out=${out//@GRAPHQL_RATE@/"$rate"}
  out=${out//@GRAPHQL_BURST@/"$burst"}
  out=${out//@GRAPHQL_CONNECTIONS@/"$connections"}
  for addr in $files; do
    files_servers+="${files_servers:+$'\n'}        server $addr max_fails=3 fail_timeout=10s;"
  done
  out=${out//@FILES_SERVERS@/"$files_servers"}
  out=${out//@EXPLORE_LOCATION@/"${explore:-        # /explore: the API explorer, served in development only.}"}
  if [[ $out =~ @[A-Z_]+@ ]]; then
    echo "render_nginx_conf: unknown placeholder ${BASH_REMATCH[0]} in $NGINX_TEMPLATE" >&2
    return 1
  fi
  printf '%s\n' "$out"
}

prepare_nginx_prefix() {
  mkdir -p "$NGINX_PREFIX/conf" "$NGINX_PREFIX/logs" "$NGINX_PREFIX/temp"
}

# Writes the repository's nginx.conf.
write_production_nginx_conf() {
  local out
  out=$(render_nginx_conf production) || return 1
  printf '%s\n' "$out" >"$ROOT_DIR/nginx.conf"
}
