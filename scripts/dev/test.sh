# ./dev test: bootstrap and start the stack, then run every suite against it. Exits non-zero when
# anything failed. The stack keeps running afterwards, unless CI=true or DEV_TEST_DOWN=1.

TEST_RESULTS=()
TEST_FAILURES=0

# suite LABEL COMMAND [ARGS...]: runs an external command with its output shown, and records the
# result. (External commands only: a shell function here would run with errexit off.)
suite() {
  local label=$1 start rc=0 status
  shift
  printf '\n== %s: %s\n' "$label" "$*"
  start=$(now_ms)
  (cd "$ROOT_DIR" && "$@") || rc=$?
  if ((rc == 0)); then status=ok; else status=FAIL TEST_FAILURES=$((TEST_FAILURES + 1)); fi
  TEST_RESULTS+=("$(printf '%-4s  %-18s %7s' "$status" "$label" "$(elapsed "$start")")")
}

skip_suite() {
  warn "$1: $2"
  TEST_RESULTS+=("$(printf '%-4s  %-18s %7s  %s' skip "$1" - "$2")")
}

npm_script_exists() {
  node -e 'const p = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
           process.exit(p.scripts && p.scripts[process.argv[2]] ? 0 : 1)' "$ROOT_DIR/package.json" "$1"
}

# npm_suite SCRIPT: `npm run SCRIPT`, skipped with a warning when package.json has no such script.
npm_suite() {
  if npm_script_exists "$1"; then
    suite "$1" npm run "$1"
  else
    skip_suite "$1" "package.json has no \"$1\" script"
  fi
}


cmd_test() {
  local stack_up=1 line
  rm -f "$STATE_DIR/vitest-results.json" "$STATE_DIR/vitest-cluster-results.json"
  if [[ ${CI:-} == true || ${DEV_TEST_DOWN:-} == 1 ]]; then
    # One line here: the end of the output belongs to the summary (its log has the details).
    at_exit '"$DEV" down >"$LOG_DIR/down.log" 2>&1 && echo "stack stopped" || echo "stopping the stack failed: see $LOG_DIR/down.log"'
  fi

  suite up "$DEV" up
  [[ ${TEST_RESULTS[-1]} == ok* ]] || stack_up=0

  npm_suite typecheck
  npm_suite lint
  npm_suite check:generated
  suite "compose config" "$ROOT_DIR/scripts/check-compose.sh"
  suite "nginx config" "$ROOT_DIR/scripts/check-nginx-conf.sh"
  if ((stack_up)); then
    # shellcheck disable=SC2016 # expanded by the inner shell
    suite vitest bash -c 'source "$1" && exec vitest run --reporter=default --reporter=json --outputFile.json="$2"' \
      vitest "$STACK_ENV" "$STATE_DIR/vitest-results.json"
  else
    skip_suite vitest "the stack did not start"
  fi
  # The Redis Cluster failover drill needs the stack on the local cluster: last, the stack is
  # switched (REDIS_MODE=cluster) and the drill run on it; the stack stays in cluster mode
  # (`./dev up` switches it back). DEV_TEST_CLUSTER=0 skips it.
  if ((stack_up)) && [[ ${DEV_TEST_CLUSTER:-1} != 0 ]]; then
    # shellcheck disable=SC2016 # expanded by the inner shell
    suite "cluster drill" bash -c 'REDIS_MODE=cluster SKIP_SEED=1 "$1" up && source "$2" && exec vitest run --project drills drills/test/drills.drill.test.ts -t redis-master-failover --reporter=default --reporter=json --outputFile.json="$3"' \
      cluster "$DEV" "$STACK_ENV" "$STATE_DIR/vitest-cluster-results.json"
  fi

  printf '\n== summary\n'
  for line in "${TEST_RESULTS[@]}"; do echo "$line"; done
  if ((TEST_FAILURES)); then echo "$TEST_FAILURES failed"; else echo "all passed"; fi
  node "$ROOT_DIR/scripts/dev/test-report.ts" "$STATE_DIR/vitest-results.json,$STATE_DIR/vitest-cluster-results.json" "$LOG_DIR" "$ROOT_DIR" || true
  ((TEST_FAILURES == 0))
}
