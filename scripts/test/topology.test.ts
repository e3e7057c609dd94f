import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT_DIR } from '@finder/testing/stack';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PROCESSES } from '../../deploy/k8s/manifests.ts';

/**
 * The production topology on this machine (DEV_TOPOLOGY=production ./dev up) is what
 * docker-compose.yml describes: the same long-running services, as many replicas of each (the
 * table PRODUCTION_REPLICAS of scripts/dev/config.sh, which deploy/k8s follows too), the same
 * commands, and each process given the same settings but for the differences listed below. Offline:
 * the mode's process list and environments come from ./dev's own scripts, compose's from its file.
 */

interface ComposeService {
  command?: string[];
  restart?: string;
  deploy?: { replicas?: number };
  environment?: Record<string, string | number | null>;
}
const compose = parse(readFileSync(join(ROOT_DIR, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, ComposeService> };

/** Compose's one-shot migrations by the ./dev process that runs them (PROCESS_ENVS). */
const MIGRATIONS: Record<string, string> = { migrate: 'migrate-users', 'chat-migrate': 'migrate-chat', 'finder-migrate': 'migrate-finder', 'migrate-files': 'migrate-files' };
/** Compose's services that run the application (not the one-shot that generates the keys). */
const runsApp = (service: ComposeService) => service.command?.[0] === 'node' && Boolean(service.command[1]?.endsWith('.ts'));
/** A compose service's ./dev process: gateway-1 and gateway-2 are the two gateways. */
const processOf = (service: string) => MIGRATIONS[service] ?? service.replace(/^gateway-\d+$/, 'gateway');

/** Settings compose gives that the mode does not, and why. */
const COMPOSE_ONLY: Record<string, string> = {
  HOST: 'containers listen on every interface; local processes on 127.0.0.1',
  PORT: './dev passes each process its own port when it starts it',
  OTEL_EXPORTER_OTLP_ENDPOINT: "compose's OpenTelemetry collector; locally spans go to files (OTEL_TRACES_DIR)",
  SMTP_URL: "compose's mail catcher; locally the mailer writes to MAIL_DIR",
  REGISTRATION: 'production default (email) set explicitly; locally direct registration, which the tests use',
};
/** Settings the mode gives that compose does not, and why. */
const LOCAL_ONLY: Record<string, string> = {
  MAIL_DIR: 'the mailer writes mails to a folder (see SMTP_URL)',
  OTEL_TRACES_DIR: 'spans to files (see OTEL_EXPORTER_OTLP_ENDPOINT)',
  SUBGRAPH_USERS_WS_URLS: "each replica's graphql-ws endpoint; compose's gateways reach one by the service name",
  SUBGRAPH_CHAT_WS_URLS: 'as SUBGRAPH_USERS_WS_URLS',
  SUBGRAPH_FINDER_WS_URLS: 'as SUBGRAPH_USERS_WS_URLS',
  SUBGRAPH_FILES_WS_URLS: 'as SUBGRAPH_USERS_WS_URLS',
  CHAT_PERSISTER_URL: 'health endpoints tests and drills probe',
  FILES_PERSISTER_URL: 'as CHAT_PERSISTER_URL',
  FILES_WORKER_URL: 'as CHAT_PERSISTER_URL',
  PROMETHEUS_URL: 'the local Prometheus, for tests',
  STATE_DIR: './dev paths, for tests and tools',
  ROOT_DIR: 'as STATE_DIR',
  KAFKA_MOCK_BIN: 'the local Kafka-protocol broker, for tests that start their own',
  PG_PORT: 'local ports, for tests and tools',
  PG_REPLICA_PORT: 'as PG_PORT',
  REDIS_PORT: 'as PG_PORT',
  NGINX_PORT: 'as PG_PORT',
  REDIS_MODE: 'which Redis ./dev runs, for tests and drills',
  DEV_TOPOLOGY: 'which topology ./dev runs, for tests and drills',
  WS_MAX_CONNECTIONS_PER_ADDRESS: 'tests and benchmarks all come from 127.0.0.1',
  WS_MAX_CONNECTIONS_PER_USER: 'as WS_MAX_CONNECTIONS_PER_ADDRESS',
};
const isLocalOnly = (key: string) => key in LOCAL_ONLY || key.startsWith('BUDGET_');

const scratch = mkdtempSync(join(tmpdir(), 'finder-topology-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** SERVICES and every PROCESS_ENVS process's environment, as ./dev would start them in the production topology. */
function productionTopology(): { services: { name: string; port: number; command: string }[]; env: Map<string, Map<string, string>> } {
  writeFileSync(join(scratch, 'kafka.bootstrap'), '127.0.0.1:9092\n');
  for (const secret of ['identity', 'users-token', 'files-url', 'finder-cursor']) writeFileSync(join(scratch, `${secret}.secret`), 'x'.repeat(48));
  const script = `ROOT_DIR="$1"; set -e
    for m in lib config stack-env services topology; do source "$ROOT_DIR/scripts/dev/$m.sh"; done
    KAFKA_BOOTSTRAP_FILE="$2" KEYS_DIR="$2"
    printf 'service|%s\\n' "\${SERVICES[@]}"
    for entry in "\${PROCESS_ENVS[@]}"; do
      IFS='|' read -r name subgraph secrets <<<"$entry"
      render_process_env "$name" "$subgraph" "$secrets" | sed -n "s/^export \\([A-Z0-9_]*\\)=\\(.*\\)$/env|$name|\\1|\\2/p"
    done`;
  const out = execFileSync('bash', ['-c', script, 'topology', ROOT_DIR, scratch], {
    // Two gateways, as compose runs: a developer's .env may run another number in the dev topology.
    env: { PATH: process.env.PATH!, HOME: scratch, DEV_TOPOLOGY: 'production', REDIS_MODE: 'cluster', GATEWAY_PORTS: '4001,4002' },
    encoding: 'utf8',
  });
  const services: { name: string; port: number; command: string }[] = [];
  const env = new Map<string, Map<string, string>>();
  for (const line of out.trim().split('\n')) {
    const [kind, ...fields] = line.split('|');
    if (kind === 'service') services.push({ name: fields[0]!, port: Number(fields[1]), command: fields[2]! });
    else {
      if (!env.has(fields[0]!)) env.set(fields[0]!, new Map());
      env.get(fields[0]!)!.set(fields[1]!, fields.slice(2).join('|'));
    }
  }
  return { services, env };
}

const topology = productionTopology();
/** ./dev's long-running processes by service: users and users-2 are two replicas of users. */
const devReplicas = new Map<string, { count: number; command: string; ports: number[] }>();
const unlikeTheirFirst: string[] = [];
for (const { name, port, command } of topology.services) {
  const base = name.replace(/-\d+$/, '');
  const entry = devReplicas.get(base) ?? { count: 0, command, ports: [] };
  entry.count += 1;
  entry.ports.push(port);
  if (entry.command !== command) unlikeTheirFirst.push(name);
  devReplicas.set(base, entry);
}
/** Compose's long-running application services (those it builds the image for) by ./dev process. */
const composeReplicas = new Map<string, { count: number; command: string }>();
for (const [name, service] of Object.entries(compose.services)) {
  if (!runsApp(service) || service.restart === 'no') continue;
  const process = processOf(name);
  const entry = composeReplicas.get(process) ?? { count: 0, command: service.command!.slice(1).join(' ') };
  entry.count += service.deploy?.replicas ?? 1;
  composeReplicas.set(process, entry);
}

describe('the production topology is what docker-compose.yml runs', () => {
  it('runs the same services, with as many replicas of each, running the same commands', () => {
    const summary = (m: Map<string, { count: number; command: string }>) =>
      Object.fromEntries([...m].map(([name, { count, command }]) => [name, { count, command }]).sort());
    expect(summary(devReplicas)).toEqual(summary(composeReplicas));
    expect([...devReplicas.values()].some((r) => r.count === 2)).toBe(true);
    expect(unlikeTheirFirst, 'replicas running another command than their first').toEqual([]);
  });

  it('gives every replica a port of its own', () => {
    const ports = topology.services.map((s) => s.port);
    expect(new Set(ports).size).toBe(ports.length);
  });

  it('has the replica counts of the Kubernetes manifests', () => {
    const k8s = Object.fromEntries(PROCESSES.map((p) => [p.name, p.replicas]));
    expect(Object.fromEntries([...devReplicas].map(([name, r]) => [name, r.count]))).toEqual(k8s);
  });

  it('gives each process the settings compose gives it, but for the listed differences', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      if (!runsApp(service)) continue;
      const process = processOf(name);
      const local = topology.env.get(process);
      expect(local, `${name}: no PROCESS_ENVS row ${process}`).toBeDefined();
      // An empty value is compose's way of saying "not this one" (migrations get no replica URLs).
      const composeKeys = Object.entries(service.environment ?? {}).filter(([, v]) => v !== '' && v !== null).map(([k]) => k);
      const localKeys = [...local!.keys()];
      expect(composeKeys.filter((k) => !local!.has(k) && !(k in COMPOSE_ONLY)), `${name}: set by compose, missing from ./dev's ${process}`).toEqual([]);
      expect(localKeys.filter((k) => !composeKeys.includes(k) && !isLocalOnly(k)), `${name}: set by ./dev's ${process}, missing from compose`).toEqual([]);
    }
  });

  it('runs a Redis Cluster of three masters with a replica each, as ./dev does, which every process uses', () => {
    const nodes = Object.keys(compose.services).filter((name) => /^redis-\d+$/.test(name));
    expect(nodes).toHaveLength(6);
    const create = (text: string) => /--cluster create .*--cluster-replicas (\d+)/.exec(text)?.[1];
    expect(create(JSON.stringify(compose.services.redis!.command))).toBe('1');
    expect(create(readFileSync(join(ROOT_DIR, 'scripts/dev/infra.sh'), 'utf8'))).toBe('1');
    for (const [name, service] of Object.entries(compose.services)) {
      if (!runsApp(service)) continue;
      expect(service.environment?.REDIS_URL, name).toBeUndefined();
      expect(String(service.environment?.REDIS_CLUSTER_NODES).split(',').every((seed) => nodes.includes(seed.replace(/:6379$/, ''))), name).toBe(true);
    }
  });

  it('has the subgraphs read from the Postgres replica as their own role, and migrate on the primary alone', () => {
    for (const [process, env] of topology.env) {
      const replicas = env.get('DATABASE_REPLICA_URLS');
      if (devReplicas.has(process) && env.has('DATABASE_URL')) {
        expect(replicas, process).toBeDefined();
        expect(new URL(replicas!).username, process).toBe(new URL(env.get('DATABASE_URL')!).username);
        expect(new URL(replicas!).port, process).not.toBe(new URL(env.get('DATABASE_URL')!).port);
      } else {
        expect(replicas, process).toBeUndefined();
      }
    }
  });

  it("points the gateways at every subgraph replica: HTTP through the balancer, subscriptions on each", () => {
    const gateway = topology.env.get('gateway')!;
    for (const subgraph of ['users', 'chat', 'finder', 'files']) {
      const upper = subgraph.toUpperCase();
      const ports = devReplicas.get(subgraph)!.ports;
      expect(gateway.get(`SUBGRAPH_${upper}_WS_URLS`)!.split(','), subgraph).toEqual(ports.map((p) => `ws://127.0.0.1:${p}/graphql`));
      expect(ports, subgraph).not.toContain(Number(new URL(gateway.get(`SUBGRAPH_${upper}_URL`)!).port));
    }
  });
});
