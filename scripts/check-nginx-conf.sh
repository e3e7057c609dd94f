#!/usr/bin/env bash
# Checks nginx.conf against its template: the committed nginx.conf must equal a fresh production
# render of infra/nginx/nginx.conf.template, and the local render must pass `nginx -t`.
set -euo pipefail
ROOT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
source "$ROOT_DIR/scripts/dev/lib.sh"
source "$ROOT_DIR/scripts/dev/config.sh"
source "$ROOT_DIR/scripts/dev/explorer.sh"
source "$ROOT_DIR/scripts/dev/nginx.sh"

fresh=$(render_nginx_conf production)
if ! diff -u --label "nginx.conf (committed)" --label "nginx.conf (fresh render)" \
  "$ROOT_DIR/nginx.conf" <(printf '%s\n' "$fresh"); then
  echo "nginx.conf is stale: edit infra/nginx/nginx.conf.template and run ./dev nginx-conf" >&2
  exit 1
fi
echo "nginx.conf matches infra/nginx/nginx.conf.template"

prepare_nginx_prefix
check_conf="$NGINX_PREFIX/conf/nginx.check.conf"
render_nginx_conf local >"$check_conf"
at_exit 'rm -f "$check_conf"'
nginx -t -q -p "$NGINX_PREFIX/" -c "conf/${check_conf##*/}" -e logs/error.log
echo "local nginx configuration passes nginx -t"
