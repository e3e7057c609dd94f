# Helpers shared by the ./dev modules: output, steps, exit hooks, pid files and waiting.

log() { printf '%s\n' "$*"; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

# Exit status of a step that chose not to do anything (a missing optional file): printed as "skip".
SKIPPED=100

# --- exit hooks: several modules need cleanup, and bash keeps a single EXIT trap -----------------
EXIT_HOOKS=()
at_exit() { EXIT_HOOKS+=("$1"); }
run_exit_hooks() {
  local hook
  for hook in "${EXIT_HOOKS[@]}"; do eval "$hook" || true; done
}
trap run_exit_hooks EXIT

# --- timing --------------------------------------------------------------------------------------
now_ms() {
  local us=${EPOCHREALTIME/[.,]/}
  echo $((us / 1000))
}
# elapsed START_MS: "1.23s"
elapsed() {
  local ms=$(($(now_ms) - $1))
  printf '%d.%02ds' $((ms / 1000)) $((ms % 1000 / 10))
}

# --- steps ---------------------------------------------------------------------------------------
# step LABEL COMMAND [ARGS...] runs COMMAND (usually a function) in a subshell with errexit on, then
# prints one line: status, label, duration, and what the command reported through `note`.
# Call it as a plain statement (or in the background with &), never under if / || / &&: bash turns
# errexit off inside functions run there, and a failing command in the middle of a step would go
# unnoticed. A failed step makes the caller exit (errexit).
step() {
  local label=$1 start rc status STEP_NOTE_FILE
  shift
  STEP_NOTE_FILE=$(mktemp)
  start=$(now_ms)
  set +e
  (
    set -e
    "$@"
  )
  rc=$?
  set -e
  case $rc in
    0) status=ok ;;
    "$SKIPPED") status=skip rc=0 ;;
    *) status=FAIL ;;
  esac
  printf '%-4s  %-18s %7s  %s\n' "$status" "$label" "$(elapsed "$start")" "$(<"$STEP_NOTE_FILE")"
  rm -f "$STEP_NOTE_FILE"
  return "$rc"
}

# note TEXT: adds TEXT to the current step's line.
note() {
  if [[ -s ${STEP_NOTE_FILE:-/dev/null} ]]; then printf '; ' >>"$STEP_NOTE_FILE"; fi
  printf '%s' "$*" >>"${STEP_NOTE_FILE:-/dev/stderr}"
}

# --- processes -----------------------------------------------------------------------------------
# Long-lived processes are launched with `9>&-`: fd 9 holds ./dev's lock (see lock_stack in dev),
# which a child inheriting it would keep held for its whole life.
# A pid file .state/pids/NAME.pid holds three lines: the pid; a string the process's command line
# must contain (so a recycled pid is never mistaken for ours); a hash of the configuration the
# process was started with (empty when not tracked).
pid_file() { printf '%s/%s.pid' "$PID_DIR" "$1"; }

write_pid() { # NAME PID MATCH [CONFIG_HASH]
  printf '%s\n%s\n%s\n' "$2" "$3" "${4:-}" >"$(pid_file "$1")"
}

# pid_alive PID [MATCH]: the process exists, is not a zombie (exited processes can linger as
# zombies for a while), and its command line contains MATCH.
pid_alive() {
  local pid=$1 match=${2:-} stat cmdline
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  stat=$(ps -o stat= -p "$pid" 2>/dev/null) || return 1
  [[ -n $stat && $stat != Z* ]] || return 1
  [[ -z $match ]] && return 0
  cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ $cmdline == *"$match"* ]]
}

# running NAME: prints NAME's pid when its process is alive.
running() {
  local f pid="" match=""
  f=$(pid_file "$1")
  [[ -f $f ]] || return 1
  { read -r pid && read -r match; } <"$f" || true
  pid_alive "$pid" "$match" || return 1
  echo "$pid"
}

# await_start PID TIMEOUT_MS POLL_S CHECK [LOG...]: waits until the command CHECK (a function)
# succeeds; if PID dies or TIMEOUT_MS passes first, shows the tail of each LOG and fails.
await_start() {
  local pid=$1 deadline=$(($(now_ms) + $2)) poll=$3 check=$4 log
  shift 4
  until "$check"; do
    if ! pid_alive "$pid" || (($(now_ms) > deadline)); then
      for log in "$@"; do show_log_tail "$log"; done
      return 1
    fi
    sleep "$poll"
  done
}

# config_hash_of NAME: the configuration hash recorded when NAME was started.
config_hash_of() {
  local f
  f=$(pid_file "$1")
  [[ -f $f ]] && sed -n 3p "$f"
}

# wait_gone PID MATCH TIMEOUT_S
wait_gone() {
  local deadline=$(($(now_ms) + $3 * 1000))
  while pid_alive "$1" "$2"; do
    (($(now_ms) < deadline)) || return 1
    sleep 0.1
  done
}

# stop_process NAME SIGNAL TIMEOUT_S: stops NAME by pid, escalating to SIGKILL after TIMEOUT_S.
stop_process() {
  local name=$1 signal=$2 timeout=$3 f pid="" match=""
  f=$(pid_file "$name")
  if [[ ! -f $f ]]; then
    note "not running"
    return 0
  fi
  { read -r pid && read -r match; } <"$f" || true
  if ! pid_alive "$pid" "$match"; then
    rm -f "$f"
    note "not running (stale pid file removed)"
    return 0
  fi
  kill -s "$signal" "$pid" 2>/dev/null || true
  if wait_gone "$pid" "$match" "$timeout"; then
    note "stopped (pid $pid)"
  else
    kill -s KILL "$pid" 2>/dev/null || true
    wait_gone "$pid" "$match" 5 || { note "pid $pid survived SIGKILL"; return 1; }
    note "killed after ${timeout}s (pid $pid)"
  fi
  rm -f "$f"
}

# --- network -------------------------------------------------------------------------------------
# port_in_use PORT: something accepts connections on 127.0.0.1:PORT.
port_in_use() { port_in_use_at "127.0.0.1:$1"; }
port_in_use_at() { (: <"/dev/tcp/${1%:*}/${1##*:}") 2>/dev/null; } # HOST:PORT

# require_free_port PORT VARIABLE
require_free_port() {
  local waited=0
  # A process just stopped can hold its port a moment longer (it lingers as a zombie here).
  while port_in_use "$1" && ((waited < 20)); do
    sleep 0.5
    waited=$((waited + 1))
  done
  if port_in_use "$1"; then
    echo "port $1 is already taken by a process this script did not start; free it or set $2" >&2
    return 1
  fi
}

# http_status URL: the HTTP status code, or 000 when nothing answered.
http_status() { curl -s -o /dev/null -m 2 -w '%{http_code}' "$1" 2>/dev/null || true; }

# show_log_tail FILE: the end of a log, for failure messages.
show_log_tail() {
  [[ -s $1 ]] || { echo "  ($1 is empty)" >&2; return 0; }
  echo "  --- last lines of $1 ---" >&2
  tail -n "${2:-40}" "$1" | sed 's/^/  | /' >&2
}

# --- files ---------------------------------------------------------------------------------------
# load_dotenv FILE: exports KEY=VALUE lines from FILE for keys the environment does not set.
load_dotenv() {
  local line key value
  [[ -f $1 ]] || return 0
  while IFS= read -r line || [[ -n $line ]]; do
    [[ $line =~ ^[[:space:]]*(export[[:space:]]+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]] || continue
    key=${BASH_REMATCH[2]} value=${BASH_REMATCH[3]}
    [[ -z ${!key+set} ]] || continue
    if [[ $value =~ ^\"(.*)\"$ || $value =~ ^\'(.*)\'$ ]]; then value=${BASH_REMATCH[1]}; fi
    export "$key=$value"
  done <"$1"
}
