import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { registerUser, type TestUser } from '@finder/testing/accounts';
import { gql, ok } from '@finder/testing/graphql-client';
import { freePort, uniqueEmail } from '@finder/testing/ports';
import { startNginx } from '@finder/testing/nginx';
import { startNode, waitForReady, type Service } from '@finder/testing/processes';
import { connect, type TestClient } from '@finder/testing/ws-client';
import type { Env } from '../lib/stack.ts';
import type { SuiteReport } from '../../bench/lib/report.ts';
import type { AttackOutcome, AttackPlan, AttackTally } from './attacker.ts';
import { cpuByGroup, stackPids, type CpuGroups } from './cpu-share.ts';

/**
 * The abuse drill: ordinary users chat and ask tiny queries through two gateways of the drill's
 * own running the production defaults of every limit and budget (the stack's own gateways run with
 * budgets raised for the test suites), first alone, then while an attacker from one address sends
 * alias bombs, deep recursions, cost-heavy searches, login guesses, reset floods and socket floods.
 * Everything goes through an nginx of the drill's own with production's per-address limits, each
 * client from a loopback address of its own, as the production topology would see them.
 */
export interface AbuseOptions {
  /** Seconds of each phase (without, then with the attacker). */
  phaseSeconds: number;
  pairs?: number;
  attackers?: number;
  log?: (line: string) => void;
}

interface Latencies {
  samples: number[];
}

export interface PhaseResult {
  queries: number;
  queryP50: number;
  queryP99: number;
  messages: number;
  deliveryP50: number;
  deliveryP99: number;
  serverErrors: number;
  /** Cores used during the phase, by group of processes (CPU ms / phase ms). */
  cores: Record<string, number>;
}

export type { AttackTally };

export interface AbuseReport {
  baseline: PhaseResult;
  attacked: PhaseResult;
  attacks: AttackTally[];
  /** Messages acknowledged to ordinary users, and of those not delivered / not stored. */
  acknowledged: number;
  undelivered: number;
  unstored: number;
}

const run_ = promisify(execFile);
/** nginx's per-address limits on /graphql in production (scripts/dev/nginx.sh). */
const PRODUCTION_NGINX_LIMITS = { ratePerSecond: 20, burst: 40, connections: 100 };
const RAISED = /^(BUDGET_|WS_MAX_CONNECTIONS_PER_|WS_CONNECT_RATE_PER_ADDRESS$)/;

const percentile = (values: number[], p: number) => {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};

export async function runAbuse(env: Env, options: AbuseOptions): Promise<AbuseReport> {
  const log = options.log ?? (() => undefined);
  const stack = env.PUBLIC_URL!;
  // Each client has a loopback address of its own (Linux routes all of 127.0.0.0/8 to lo), so
  // nginx's per-address limits and the gateways' per-address budgets tell them apart. A run's
  // third octet is its own: budgets kept in Redis by an earlier run do not carry over.
  const run = Math.floor(Math.random() * 250) + 1;
  const addressOf = (i: number) => `127.${run}.${Math.floor(i / 250)}.${(i % 250) + 1}`;
  const attackerAddress = addressOf(9_999);

  // Two gateways with production limits: the raised budgets of the stack's env are left out.
  for (const key of Object.keys(process.env)) if (RAISED.test(key)) delete process.env[key];
  const gatewayEnv = Object.fromEntries(Object.entries(env).filter(([key]) => !RAISED.test(key)));
  const ports = [await freePort(), await freePort()];
  const gateways: Service[] = ports.map((port) => startNode('gateway/src/index.ts', [], { ...gatewayEnv, PORT: String(port) }));
  const clients: TestClient[] = [];
  let nginx: Awaited<ReturnType<typeof startNginx>> | undefined;
  try {
    await Promise.all(ports.map((port, i) => waitForReady(`http://127.0.0.1:${port}/readyz`, 240_000, gateways[i])));
    // nginx in front, with production's per-address limits (scripts/dev/nginx.sh).
    nginx = await startNginx(await freePort(), ports.map((p) => `127.0.0.1:${p}`), undefined, PRODUCTION_NGINX_LIMITS);
    const url = `${nginx.url}/graphql`;
    const wsUrl = url.replace('http', 'ws');

    // Ordinary users: pairs in a conversation each, registered through the stack's nginx.
    const pairs = options.pairs ?? 4;
    const users: TestUser[] = [];
    for (let i = 0; i < pairs * 2; i++) users.push(await registerUser(stack, `Ordinary ${i}`));
    const conversations: string[] = [];
    for (let p = 0; p < pairs; p++) {
      const result = await gql(stack, 'mutation($i: StartConversationInput!) { startConversation(input: $i) { id } }', { i: { participantIds: [users[2 * p + 1]!.id] } }, { token: users[2 * p]!.token });
      conversations.push(ok(result).startConversation.id);
    }

    // Receivers follow their conversation on alternating gateways; each message body carries its send time.
    const delivered = new Map<string, number>();
    const deliveries: Latencies = { samples: [] };
    for (let p = 0; p < pairs; p++) {
      const client = connect(wsUrl, { authorization: `Bearer ${users[2 * p + 1]!.token}` });
      clients.push(client);
      const sub = client.subscribe<{ messageAdded: { id: string; body: string } }>('subscription($c: ID!) { messageAdded(conversationId: $c) { id body } }', { c: conversations[p] });
      const seen = sub.events;
      let read = 0;
      const poll = setInterval(() => {
        for (; read < seen.length; read++) {
          const message = seen[read]!.data?.messageAdded;
          if (!message) continue;
          const sentAt = Number(message.body.split(' ')[1]);
          if (!delivered.has(message.id)) {
            delivered.set(message.id, Date.now());
            deliveries.samples.push(Date.now() - sentAt);
          }
        }
      }, 5);
      client.client.on('closed', () => clearInterval(poll));
    }
    await new Promise((r) => setTimeout(r, 1_000));

    // Where the CPU goes in each phase: the attacker reports its own; the rest is read from /proc.
    const groups: CpuGroups = { 'drill gateways': gateways.map((g) => g.process.pid!), 'drill nginx': [nginx.pid], stack: stackPids() };
    let attackerCpuMs = 0;
    const acknowledged: { id: string; conversation: string }[] = [];
    const phase = async (attack: boolean, seconds = options.phaseSeconds): Promise<PhaseResult> => {
      const cpu = cpuByGroup(groups);
      const ownCpu = process.cpuUsage();
      const phaseStarted = performance.now();
      const queries: number[] = [];
      deliveries.samples = [];
      let serverErrors = 0;
      let messages = 0;
      const deadline = Date.now() + seconds * 1_000;
      const querier = async (u: number) => {
        while (Date.now() < deadline) {
          const started = performance.now();
          const result = await gql(url, '{ me { id } }', {}, { token: users[u]!.token, localAddress: addressOf(u) });
          queries.push(performance.now() - started);
          if (result.status >= 500 || result.errors) serverErrors++;
          await new Promise((r) => setTimeout(r, 100));
        }
      };
      const sender = async (p: number) => {
        while (Date.now() < deadline) {
          const body = `at ${Date.now()}`;
          const result = await gql(url, 'mutation($i: SendMessageInput!) { sendMessage(input: $i) { id } }', { i: { conversationId: conversations[p], body, idempotencyKey: randomUUID() } }, { token: users[2 * p]!.token, localAddress: addressOf(2 * p) });
          if (result.data?.sendMessage) {
            acknowledged.push({ id: result.data.sendMessage.id, conversation: conversations[p]! });
            messages++;
          } else serverErrors++;
          await new Promise((r) => setTimeout(r, 250));
        }
      };
      const attackDone = attack ? attackFrom(deadline) : Promise.resolve();
      await Promise.all([...users.map((_, u) => querier(u)), ...conversations.map((_, p) => sender(p)), attackDone]);
      await new Promise((r) => setTimeout(r, 1_500)); // the last deliveries
      const elapsed = performance.now() - phaseStarted;
      const own = process.cpuUsage(ownCpu);
      const cores = Object.fromEntries(Object.entries(cpu.since()).map(([group, ms]) => [group, ms / elapsed]));
      cores['ordinary users (drill)'] = (own.user + own.system) / 1000 / elapsed;
      if (attack) cores['attacker (nice 19)'] = attackerCpuMs / elapsed;
      return {
        cores,
        queries: queries.length,
        queryP50: percentile(queries, 50),
        queryP99: percentile(queries, 99),
        messages,
        deliveryP50: percentile(deliveries.samples, 50),
        deliveryP99: percentile(deliveries.samples, 99),
        serverErrors,
      };
    };

    // The attacker: one address, its own accounts, and a victim account whose password it guesses.
    const attacker = await registerUser(stack, 'Attacker');
    const victimEmail = uniqueEmail('victim');
    ok(await gql(stack, 'mutation($i: RegisterInput!) { register(input: $i) { accessToken } }', { i: { email: victimEmail, password: 'correct horse battery', displayName: 'Victim', role: 'BUSINESS' } }));
    let tallies: AttackTally[] = [];
    const attackFrom = async (deadline: number) => {
      const plan: AttackPlan = { url, wsUrl, address: attackerAddress, socketAddresses: [addressOf(9_998), addressOf(9_997)], token: attacker.token, victimEmail, deadline, workers: options.attackers ?? 4 };
      // At the lowest priority: on one machine its own CPU (on another host in an attack) would
      // otherwise be taken from the stack it attacks; what it costs the stack is still measured.
      const { stdout } = await run_('nice', ['-n', '19', process.execPath, new URL('./attacker.ts', import.meta.url).pathname, JSON.stringify(plan)], { maxBuffer: 16 * 1024 * 1024 });
      const outcome = JSON.parse(stdout) as AttackOutcome;
      tallies = outcome.tallies;
      attackerCpuMs = outcome.cpuMs;
    };

    // The same traffic first, unmeasured: the drill's new gateways and nginx warm up (JIT, plans,
    // connections) before either phase, or the first phase would pay for it alone.
    const warmup = Math.min(10, Math.ceil(options.phaseSeconds / 3));
    log(`abuse: ${warmup} s of warm-up, ${options.phaseSeconds} s without the attacker, then ${options.phaseSeconds} s with it`);
    await phase(false, warmup);
    const baseline = await phase(false);
    const attacked = await phase(true);

    // Nothing lost: every acknowledged message delivered and stored.
    await new Promise((r) => setTimeout(r, 1_000));
    const undelivered = acknowledged.filter((m) => !delivered.has(m.id)).length;
    let unstored = 0;
    for (const [p, conversation] of conversations.entries()) {
      const ids = new Set<string>();
      let after: string | null = null;
      for (;;) {
        const page: { conversation: { messages: { edges: { node: { id: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string } } } } = ok(
          await gql(stack, 'query($c: ID!, $a: String) { conversation(id: $c) { messages(first: 100, after: $a) { edges { node { id } } pageInfo { hasNextPage endCursor } } } }', { c: conversation, a: after }, { token: users[2 * p]!.token }),
        );
        for (const e of page.conversation.messages.edges) ids.add(e.node.id);
        if (!page.conversation.messages.pageInfo.hasNextPage) break;
        after = page.conversation.messages.pageInfo.endCursor;
      }
      unstored += acknowledged.filter((m) => m.conversation === conversation && !ids.has(m.id)).length;
    }
    return { baseline, attacked, attacks: tallies, acknowledged: acknowledged.length, undelivered, unstored };
  } finally {
    await Promise.all(clients.map((c) => c.dispose()));
    await nginx?.stop();
    await Promise.all(gateways.map((g) => g.kill()));
  }
}

export function renderAbuseReport(r: AbuseReport): string {
  const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : '-');
  const row = (name: string, p: PhaseResult) =>
    `  ${name.padEnd(16)} tiny queries ${String(p.queries).padStart(5)}, p50 ${p.queryP50.toFixed(1)} ms, p99 ${p.queryP99.toFixed(1)} ms; messages ${String(p.messages).padStart(4)}, delivery p50 ${p.deliveryP50.toFixed(0)} ms, p99 ${p.deliveryP99.toFixed(0)} ms; errors ${p.serverErrors}`;
  return [
    'abuse drill',
    row('without attacker', r.baseline),
    row('with attacker', r.attacked),
    `  p99 ratio (with / without): tiny queries ${ratio(r.attacked.queryP99, r.baseline.queryP99)}×, deliveries ${ratio(r.attacked.deliveryP99, r.baseline.deliveryP99)}× (target ≤ 1.5×)`,
    '  attacks:',
    ...r.attacks.map((t) => `    ${t.kind.padEnd(26)} sent ${String(t.sent).padStart(5)}, admitted ${t.admitted} (≤ ${t.allowed}), unexpected ${t.unexpected}: ${Object.entries(t.outcomes).map(([k, n]) => `${k} ${n}`).join(', ')}`),
    `  messages: ${r.acknowledged} acknowledged, ${r.undelivered} undelivered, ${r.unstored} not stored`,
    `  cores used without / with the attacker: ${coreGroups(r).map((g) => `${g} ${(r.baseline.cores[g] ?? 0).toFixed(2)} / ${(r.attacked.cores[g] ?? 0).toFixed(2)}`).join('; ')}`,
  ].join('\n');
}

const coreGroups = (r: AbuseReport) => [...new Set([...Object.keys(r.baseline.cores), ...Object.keys(r.attacked.cores)])];

/** Every abusive request refused with its code (or served within its budget), nothing lost, no 5xx. */
export const abuseHeld = (r: AbuseReport): boolean =>
  r.attacks.every((t) => t.unexpected === 0 && t.admitted <= t.allowed) &&
  r.undelivered === 0 &&
  r.unstored === 0 &&
  r.baseline.serverErrors === 0 &&
  r.attacked.serverErrors === 0;

/** The run as a results entry for bench/RESULTS.md (the full run's figures, side by side). */
export function abuseResults(r: AbuseReport, phaseSeconds: number): SuiteReport {
  const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)}×` : '-');
  const phaseRow = (name: string, p: PhaseResult) => [name, p.queries, p.queryP50.toFixed(1), p.queryP99.toFixed(1), p.messages, p.deliveryP50.toFixed(0), p.deliveryP99.toFixed(0), p.serverErrors];
  const met = (a: number, b: number) => (b > 0 && a / b <= 1.5 ? 'met' : 'not met');
  return {
    title: 'Abuse drill',
    packages: ['@apollo/gateway', 'rate-limiter-flexible', 'graphql-ws'],
    tables: [
      {
        caption: `Ordinary users (${phaseSeconds} s each phase): tiny queries and message deliveries`,
        columns: ['phase', 'queries', 'query p50 ms', 'query p99 ms', 'messages', 'delivery p50 ms', 'delivery p99 ms', 'errors'],
        rows: [phaseRow('without the attacker', r.baseline), phaseRow('with the attacker', r.attacked)],
      },
      {
        caption: 'Abusive requests',
        columns: ['attack', 'sent', 'admitted (budget)', 'unexpected', 'outcomes'],
        rows: r.attacks.map((t) => [t.kind, t.sent, `${t.admitted} (≤ ${t.allowed})`, t.unexpected, Object.entries(t.outcomes).map(([k, n]) => `${k} ${n}`).join(', ')]),
      },
      {
        caption: 'Where the CPU went: cores used in each phase, by group of processes (from /proc; the attacker its own)',
        columns: ['group', 'without the attacker', 'with the attacker'],
        rows: coreGroups(r).map((g) => [g, (r.baseline.cores[g] ?? 0).toFixed(2), (r.attacked.cores[g] ?? 0).toFixed(2)]),
      },
    ],
    notes: [
      `Target "ordinary p99 within 1.5× of the run without the attacker": tiny queries ${ratio(r.attacked.queryP99, r.baseline.queryP99)} (${met(r.attacked.queryP99, r.baseline.queryP99)}), deliveries ${ratio(r.attacked.deliveryP99, r.baseline.deliveryP99)} (${met(r.attacked.deliveryP99, r.baseline.deliveryP99)}).`,
      `Messages: ${r.acknowledged} acknowledged, ${r.undelivered} undelivered, ${r.unstored} not stored.`,
      'Method: an nginx with production\'s per-address limits (20 requests/s, burst 40, 100 connections) in front of two gateways with the production defaults of every limit and budget; four pairs of users chatting (a message every 250 ms per pair) and every user asking { me { id } } every 100 ms, each from a loopback address of its own; then the same with an attacker process (4 workers and a socket flood, at nice 19) from one address; both phases after 10 s of the same traffic unmeasured. All on the same 2 cores as the stack.',
    ],
  };
}
