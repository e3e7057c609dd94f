# The web app: a Vite production build in web/dist, which nginx serves at /. `up` rebuilds it when
# anything it is built from is newer than the last build.

WEB_DIR="$ROOT_DIR/web"
WEB_DIST="$WEB_DIR/dist"
# Written after a successful build (vite empties dist/ first, so a half-done build leaves none).
WEB_STAMP="$WEB_DIST/.built"

web_build_stale() {
  [[ -f $WEB_STAMP ]] || return 0
  local newer
  newer=$(find "$WEB_DIR/src" "$WEB_DIR/index.html" "$WEB_DIR/vite.config.ts" "$WEB_DIR/package.json" \
    "$ROOT_DIR/packages/client/src" "$ROOT_DIR/packages/client/package.json" "$ROOT_DIR/package-lock.json" \
    -newer "$WEB_STAMP" -print -quit 2>/dev/null || true)
  [[ -n $newer ]]
}

build_web() {
  if ! web_build_stale; then
    note "up to date (${WEB_DIST#"$ROOT_DIR/"})"
    web_readable_by_nginx
    return 0
  fi
  local log="$LOG_DIR/web-build.log"
  # The repository's Node first on PATH: the size report is TypeScript run by Node 24.
  if ! (cd "$WEB_DIR" && PATH="$ROOT_DIR/node_modules/.bin:$PATH" npm run --silent build) >"$log" 2>&1 </dev/null 9>&-; then
    echo "the web build failed (${log#"$ROOT_DIR/"})" >&2
    show_log_tail "$log"
    return 1
  fi
  touch "$WEB_STAMP"
  web_readable_by_nginx
  note "built ${WEB_DIST#"$ROOT_DIR/"}; $(grep -m1 '^JavaScript total' "$log" || echo 'no size report')"
}

# nginx's workers run as nobody when the master runs as root: they must reach web/dist.
web_readable_by_nginx() {
  if [[ $(id -u) == 0 ]]; then ensure_traversable nobody "$WEB_DIST"; fi
}
