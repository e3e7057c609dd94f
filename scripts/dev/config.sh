# Configuration of the local stack: ports, paths, Kafka topics and system packages.
# Expects ROOT_DIR. Any variable below can be set in the environment or in a git-ignored .env file
# at the repository root (see .env.example); the environment wins over .env.

load_dotenv "$ROOT_DIR/.env"

: "${PG_PORT:=55432}"
: "${REDIS_PORT:=56379}"
: "${NGINX_PORT:=8080}"
: "${GATEWAY_PORTS:=4001,4002}"
: "${USERS_PORT:=4101}"
: "${USERS_PERSISTER_PORT:=9201}"
: "${USERS_MAILER_PORT:=9202}"
: "${CHAT_PORT:=4103}"
: "${CHAT_PERSISTER_PORT:=9204}"
: "${FINDER_PORT:=4102}"
: "${FINDER_PERSISTER_PORT:=9203}"
: "${FILES_PORT:=4104}"
: "${FILES_PERSISTER_PORT:=9205}"
: "${FILES_WORKER_PORT:=9206}"
: "${PROMETHEUS_PORT:=59090}"
# 15 s as in compose: a scrape costs each process about 3 ms of CPU, 0.06% of a core every 5 s.
: "${PROMETHEUS_SCRAPE_INTERVAL:=15s}"
: "${OTEL_TRACES_EXPORTER:=file}"
: "${OTEL_TRACES_SAMPLER_ARG:=0}"
: "${LOG_LEVEL:=info}"
: "${KAFKA_MOCK_BROKERS:=1}"
# Seconds a service gets to answer GET /readyz with 200 after it was started.
: "${READY_TIMEOUT:=120}"
# Seconds a service gets to shut down gracefully before it is killed.
: "${STOP_TIMEOUT:=20}"

# nginx's per-address limits in front of /graphql (requests per second, burst above it, open
# connections; nginx takes at most 65535). Tests and benchmarks all come from 127.0.0.1, hence far
# above production's (PRODUCTION_GRAPHQL_* in scripts/dev/nginx.sh).
: "${NGINX_GRAPHQL_RATE_PER_SECOND:=100000}"
: "${NGINX_GRAPHQL_BURST:=100000}"
: "${NGINX_GRAPHQL_CONNECTIONS_PER_ADDRESS:=60000}"
for limit_var in NGINX_GRAPHQL_RATE_PER_SECOND NGINX_GRAPHQL_BURST NGINX_GRAPHQL_CONNECTIONS_PER_ADDRESS; do
  [[ ${!limit_var} =~ ^[1-9][0-9]*$ ]] || die "$limit_var must be a positive whole number, got '${!limit_var}'"
done
unset limit_var

# Topics the local Kafka broker creates when it starts, as name:partitions. A new subgraph adds its
# topics here. (Against real Kafka the services create them, falling back to auto-creation.)
: "${KAFKA_TOPICS:=users.events:4 users.events.dlq:1 finder.events:4 finder.events.dlq:1 finder.facts:4 finder.facts.dlq:1 chat.events:4 chat.events.dlq:1 files.events:4 files.events.dlq:1 files.facts:4 files.facts.dlq:1 chat.facts:4 chat.facts.dlq:1 users.facts:4 users.facts.dlq:1}"

for port_var in PG_PORT REDIS_PORT NGINX_PORT PROMETHEUS_PORT USERS_PORT USERS_PERSISTER_PORT USERS_MAILER_PORT FINDER_PORT FINDER_PERSISTER_PORT \
  CHAT_PORT CHAT_PERSISTER_PORT FILES_PORT FILES_PERSISTER_PORT FILES_WORKER_PORT; do
  [[ ${!port_var} =~ ^[0-9]+$ ]] || die "$port_var must be a port number, got '${!port_var}'"
done
[[ $GATEWAY_PORTS =~ ^[0-9]+(,[0-9]+)*$ ]] || die "GATEWAY_PORTS must be comma-separated port numbers, got '$GATEWAY_PORTS'"
unset port_var
# The exporters' ports follow Prometheus' so that stacks with their own PROMETHEUS_PORT do not collide.
: "${POSTGRES_EXPORTER_PORT:=$((PROMETHEUS_PORT + 1))}"
: "${REDIS_EXPORTER_PORT:=$((PROMETHEUS_PORT + 2))}"
[[ $POSTGRES_EXPORTER_PORT =~ ^[0-9]+$ ]] || die "POSTGRES_EXPORTER_PORT must be a port number, got '$POSTGRES_EXPORTER_PORT'"
[[ $REDIS_EXPORTER_PORT =~ ^[0-9]+$ ]] || die "REDIS_EXPORTER_PORT must be a port number, got '$REDIS_EXPORTER_PORT'"

STATE_DIR="$ROOT_DIR/.state"
LOG_DIR="$STATE_DIR/logs"
PID_DIR="$STATE_DIR/pids"
BIN_DIR="$STATE_DIR/bin"
KEYS_DIR="$STATE_DIR/keys"
MAIL_DIR="$STATE_DIR/mail"
FILES_STORAGE_DIR="$STATE_DIR/files"
STACK_ENV="$STATE_DIR/stack.env"
PROCESS_ENV_DIR="$STATE_DIR/env"

# Postgres: the major version of an existing data directory, else PG_MAJOR if set, else the newest
# installed, which on a fresh machine is the distribution's own (the `postgresql` package).
: "${PG_MAJOR:=}"
# Where the distribution installs each major version's binaries (one directory per version).
: "${PG_LIB_DIR:=/usr/lib/postgresql}"
[[ -z $PG_MAJOR || $PG_MAJOR =~ ^[0-9]+$ ]] || die "PG_MAJOR must be a Postgres major version such as 16, got '$PG_MAJOR'"
PG_DATA="$STATE_DIR/postgres"
PG_SOCKET_DIR="$STATE_DIR/postgres-socket"
PG_DATABASE=finder

# dev: one process of each service (the default). production: what docker-compose.yml runs, on this
# machine (scripts/dev/topology.sh): two replicas of every service compose runs two of, a Postgres
# streaming replica the subgraphs read from, and the Redis Cluster unless REDIS_MODE says single.
: "${DEV_TOPOLOGY:=dev}"
[[ $DEV_TOPOLOGY == dev || $DEV_TOPOLOGY == production ]] || die "DEV_TOPOLOGY must be dev or production, got '$DEV_TOPOLOGY'"
# Production topology: replica N of a service listens on its port + (N-1) x REPLICA_PORT_OFFSET, the
# balancer in front of a subgraph server's replicas on its port + 2 x REPLICA_PORT_OFFSET, and the
# Postgres replica on PG_REPLICA_PORT.
: "${REPLICA_PORT_OFFSET:=10}"
: "${PG_REPLICA_PORT:=$((PG_PORT + 1))}"
[[ $REPLICA_PORT_OFFSET =~ ^[1-9][0-9]*$ ]] || die "REPLICA_PORT_OFFSET must be a positive whole number, got '$REPLICA_PORT_OFFSET'"
[[ $PG_REPLICA_PORT =~ ^[0-9]+$ ]] || die "PG_REPLICA_PORT must be a port number, got '$PG_REPLICA_PORT'"
PG_REPLICA_DATA="$STATE_DIR/postgres-replica"

# Replicas of each service of SERVICES in the production topology: the one table this mode,
# docker-compose.yml (`deploy.replicas`, gateway-1 and gateway-2) and deploy/k8s/manifests.ts
# follow; scripts/test/topology.test.ts fails when either disagrees. Gateways are one per
# GATEWAY_PORTS port in both topologies, so that list must have as many.
PRODUCTION_REPLICAS=(
  "users|2"
  "users-persister|2"
  "users-mailer|1"
  "chat|2"
  "chat-persister|2"
  "finder|2"
  "finder-persister|2"
  "files|2"
  "files-persister|2"
  "files-worker|1"
  "gateway|2"
)
# The subgraph servers the balancer fronts, by the variable naming their (first) port.
BALANCED_SUBGRAPHS=(users chat finder files)

production_topology() { [[ $DEV_TOPOLOGY == production ]]; }

# replicas_of NAME: how many processes of NAME the current topology runs.
replicas_of() {
  local entry
  if production_topology; then
    for entry in "${PRODUCTION_REPLICAS[@]}"; do
      [[ ${entry%%|*} == "$1" ]] && { echo "${entry#*|}"; return 0; }
    done
  fi
  echo 1
}

# replica_port PORT N: where replica N of the service on PORT listens.
replica_port() { echo $(($1 + ($2 - 1) * REPLICA_PORT_OFFSET)); }
balancer_port() { echo $(($1 + 2 * REPLICA_PORT_OFFSET)); }
# subgraph_http_port PORT: where the subgraph server on PORT is reached over HTTP: the balancer in
# the production topology.
subgraph_http_port() { if production_topology; then balancer_port "$1"; else echo "$1"; fi; }

# replica_addresses PORT NAME: host:port of every replica of NAME, space-separated.
replica_addresses() {
  local i out=()
  for ((i = 1; i <= $(replicas_of "$2"); i++)); do out+=("127.0.0.1:$(replica_port "$1" "$i")"); done
  echo "${out[*]}"
}

subgraph_port() { local var="${1^^}_PORT"; echo "${!var}"; }

REDIS_DIR="$STATE_DIR/redis"
# single: one redis-server on REDIS_PORT. cluster: a Redis Cluster of three masters and three
# replicas from the same binary, nodes on REDIS_CLUSTER_PORT..+5 and their cluster bus on +6..+11;
# every service then gets REDIS_CLUSTER_NODES instead of REDIS_URL. The default is below Linux's
# ephemeral range (32768-60999): a port there can be taken by any outgoing connection, and a stack
# switched to cluster mode after a busy while found a bus port so taken.
if [[ $DEV_TOPOLOGY == production ]]; then : "${REDIS_MODE:=cluster}"; else : "${REDIS_MODE:=single}"; fi
[[ $REDIS_MODE == single || $REDIS_MODE == cluster ]] || die "REDIS_MODE must be single or cluster, got '$REDIS_MODE'"
: "${REDIS_CLUSTER_PORT:=30001}"
[[ $REDIS_CLUSTER_PORT =~ ^[0-9]+$ ]] && ((REDIS_CLUSTER_PORT >= 1 && REDIS_CLUSTER_PORT <= 65524)) ||
  die "REDIS_CLUSTER_PORT must be a port number (the first of 12), got '$REDIS_CLUSTER_PORT'"
REDIS_CLUSTER_DIR="$STATE_DIR/redis-cluster"
REDIS_CLUSTER_NODE_COUNT=6
redis_cluster_port() { echo $((REDIS_CLUSTER_PORT + $1 - 1)); }                            # node 1..6
redis_cluster_bus_port() { echo $((REDIS_CLUSTER_PORT + REDIS_CLUSTER_NODE_COUNT + $1 - 1)); } # node 1..6
# The Redis the exporter reads: the server, or the cluster's first node.
redis_exporter_port() { if [[ $REDIS_MODE == cluster ]]; then redis_cluster_port 1; else echo "$REDIS_PORT"; fi; }
# host:port of every node, the form REDIS_CLUSTER_NODES takes.
redis_cluster_nodes() {
  local i nodes=()
  for ((i = 1; i <= REDIS_CLUSTER_NODE_COUNT; i++)); do nodes+=("127.0.0.1:$(redis_cluster_port "$i")"); done
  (IFS=,; echo "${nodes[*]}")
}

PROMETHEUS_DIR="$STATE_DIR/prometheus"
PROMETHEUS_RULES="$ROOT_DIR/infra/prometheus/alerts.yml"
# The role the Postgres exporter reads statistics as (pg_monitor only).
MONITOR_DB_ROLE=finder_monitor

NGINX_PREFIX="$STATE_DIR/nginx"
NGINX_TEMPLATE="$ROOT_DIR/infra/nginx/nginx.conf.template"

KAFKA_MOCK_SRC_DIR="$ROOT_DIR/infra/kafka-mock"
KAFKA_MOCK_BIN="$BIN_DIR/kafka-mock"
KAFKA_BOOTSTRAP_FILE="$STATE_DIR/kafka.bootstrap"

NODE_BIN="$ROOT_DIR/node_modules/.bin/node"
NODE_MAJOR=24

# Debian packages the stack needs (`postgresql` is the distribution's current major version) (chromium: the browser tests); only missing ones are installed.
APT_PACKAGES=("postgresql${PG_MAJOR:+-$PG_MAJOR}" redis-server nginx librdkafka-dev build-essential docker-compose
  curl openssl procps ca-certificates chromium prometheus prometheus-postgres-exporter prometheus-redis-exporter)

export PATH="$ROOT_DIR/node_modules/.bin:$PATH"
