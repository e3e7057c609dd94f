# Bootstrap: system packages, npm dependencies, Node 24, the Kafka mock binary and local secrets.
# Each piece does nothing when it is already in place.

BOOTSTRAP_LOG_NAME=bootstrap

bootstrap() {
  step "apt packages" ensure_apt_packages
  step "npm ci" ensure_node_modules
  step "node" check_node_version
  step "kafka-mock build" build_kafka_mock
  step "secrets" ensure_secrets
}

apt_installed() { [[ $(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null) == installed ]]; }

ensure_apt_packages() {
  local pkg missing=() log="$LOG_DIR/$BOOTSTRAP_LOG_NAME.log"
  for pkg in "${APT_PACKAGES[@]}"; do apt_installed "$pkg" || missing+=("$pkg"); done
  # npm comes with the machine's Node; without any npm, Debian's lets the first `npm ci` run.
  command -v npm >/dev/null || missing+=(npm)
  if ((${#missing[@]} == 0)); then
    note "all present"
    return 0
  fi
  [[ $(id -u) == 0 ]] || { echo "missing packages: ${missing[*]}; run as root or install them" >&2; return 1; }
  echo "== apt-get install ${missing[*]}" >>"$log"
  if ! { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"; } >>"$log" 2>&1; then
    show_log_tail "$log"
    return 1
  fi
  note "installed ${missing[*]}"
}

# npm ci when node_modules is missing or older than package-lock.json. On a fresh machine this
# first run uses the machine's Node; the `node` devDependency then provides Node 24.
ensure_node_modules() {
  local log="$LOG_DIR/$BOOTSTRAP_LOG_NAME.log"
  if [[ -f $ROOT_DIR/node_modules/.package-lock.json &&
    ! $ROOT_DIR/package-lock.json -nt $ROOT_DIR/node_modules/.package-lock.json ]]; then
    note "node_modules up to date"
    return 0
  fi
  local node_version
  node_version=$(node -v)
  echo "== npm ci (node $node_version)" >>"$log"
  if ! (cd "$ROOT_DIR" && npm ci --no-audit --no-fund) >>"$log" 2>&1; then
    show_log_tail "$log"
    return 1
  fi
  note "installed (npm ran on node $node_version)"
}

check_node_version() {
  local version
  version=$("$NODE_BIN" -v 2>/dev/null) || {
    echo "$NODE_BIN is missing: the 'node' devDependency was not installed (is it allowed in package.json's allowScripts?)" >&2
    return 1
  }
  [[ $version == "v$NODE_MAJOR."* ]] || { echo "$NODE_BIN is $version, want v$NODE_MAJOR" >&2; return 1; }
  [[ $(node -v) == "$version" ]] || { echo "PATH resolves node to $(command -v node), not $NODE_BIN" >&2; return 1; }
  note "$version"
}

build_kafka_mock() {
  local src stale=0
  for src in "$KAFKA_MOCK_SRC_DIR"/*.[ch]; do
    if [[ $src -nt $KAFKA_MOCK_BIN ]]; then stale=1; fi
  done
  if [[ -x $KAFKA_MOCK_BIN && $stale == 0 ]]; then
    note "up to date"
    return 0
  fi
  mkdir -p "$BIN_DIR"
  gcc -O2 -Wall -Wextra -o "$KAFKA_MOCK_BIN.tmp" "$KAFKA_MOCK_SRC_DIR"/*.c -lrdkafka
  mv -f "$KAFKA_MOCK_BIN.tmp" "$KAFKA_MOCK_BIN"
  note "compiled ${KAFKA_MOCK_BIN#"$ROOT_DIR/"}"
}

# Generated once and never overwritten: the key pair that signs access tokens (JWT), and the secrets
# that sign the identity gateways forward to subgraphs, users' links, files' URLs and finder's
# search cursors. Each process is given only the ones it uses (PROCESS_ENVS in stack-env.sh).
ensure_key_pair() { # NAME: NAME-private.pem and NAME-public.pem, Ed25519
  if [[ ! -s $KEYS_DIR/$1-private.pem ]]; then
    (umask 077 && openssl genpkey -algorithm ed25519 -out "$KEYS_DIR/$1-private.pem")
    rm -f "$KEYS_DIR/$1-public.pem" # derived from the private key just made
    created+=("$1-private.pem")
  fi
  if [[ ! -s $KEYS_DIR/$1-public.pem ]]; then
    openssl pkey -in "$KEYS_DIR/$1-private.pem" -pubout -out "$KEYS_DIR/$1-public.pem"
    created+=("$1-public.pem")
  fi
}

ensure_secret() { # NAME: NAME.secret, 48 random bytes in base64url
  [[ -s $KEYS_DIR/$1.secret ]] && return 0
  (umask 077 && openssl rand 48 | base64 -w0 | tr '+/' '-_' | tr -d '=' >"$KEYS_DIR/$1.secret")
  created+=("$1.secret")
}

ensure_secrets() {
  local created=() name
  mkdir -p "$KEYS_DIR"
  chmod 700 "$KEYS_DIR"
  ensure_key_pair jwt
  for name in identity users-token files-url finder-cursor; do ensure_secret "$name"; done
  # The Ed25519 identity key pair of earlier versions, replaced by identity.secret.
  rm -f "$KEYS_DIR/identity-private.pem" "$KEYS_DIR/identity-public.pem"
  if ((${#created[@]})); then note "created ${created[*]}"; else note "already present"; fi
}
