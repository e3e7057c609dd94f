# The API explorer (GraphiQL, explorer/): built into explorer/dist for nginx to serve at /explore/
# in development. Never served, so never built, under NODE_ENV=production.

EXPLORER_DIR="$ROOT_DIR/explorer"
EXPLORER_BUILT="$EXPLORER_DIR/dist/index.html"

explorer_served() { [[ ${NODE_ENV:-development} != production ]]; }

# The first explorer source (or dependency lock) newer than the build, if any.
explorer_change() {
  find "$EXPLORER_DIR/src" "$EXPLORER_DIR/index.html" "$EXPLORER_DIR/vite.config.ts" \
    "$EXPLORER_DIR/package.json" "$ROOT_DIR/package-lock.json" -newer "$EXPLORER_BUILT" -print -quit
}

build_explorer() {
  local log="$LOG_DIR/explorer-build.log" changed
  if ! explorer_served; then
    note "NODE_ENV=production: /explore is not served"
    return "$SKIPPED"
  fi
  if [[ -f $EXPLORER_BUILT ]]; then
    changed=$(explorer_change)
    if [[ -z $changed ]]; then
      note "up to date"
      return 0
    fi
    note "${changed#"$ROOT_DIR/"} changed"
  fi
  if ! (cd "$EXPLORER_DIR" && vite build) >"$log" 2>&1 </dev/null 9>&-; then
    echo "vite build of explorer/ failed" >&2
    show_log_tail "$log"
    return 1
  fi
  note "built explorer/dist ($(du -sh "$EXPLORER_DIR/dist" | cut -f1))"
}
