import { randomUUID } from 'node:crypto';
import { registerUser, type TestUser } from '@finder/testing/accounts';
import { gql, ok } from '@finder/testing/graphql-client';
import { freePort, uniqueEmail } from '@finder/testing/ports';
import { startNode, waitForReady, type Service } from '@finder/testing/processes';
import { connect, type TestClient } from '@finder/testing/ws-client';
import { WebSocket } from 'ws';
import type { Env } from '../lib/stack.ts';

/**
 * The abuse drill: ordinary users chat and ask tiny queries through two gateways of the drill's
 * own running the production defaults of every limit and budget (the stack's own gateways run with
 * budgets raised for the test suites), first alone, then while an attacker from one address sends
 * alias bombs, deep recursions, cost-heavy searches, login guesses, reset floods and socket floods.
 * Every request carries its sender's address in X-Forwarded-For, trusted from 127.0.0.1 as from
 * nginx, so the attacker and each user have their own.
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
}

export interface AttackTally {
  kind: string;
  sent: number;
  /** Answers by outcome: an error code, `admitted` (served), or `http <status>`. */
  outcomes: Record<string, number>;
  /** Served within a budget (not refused); at most `allowed`. */
  admitted: number;
  allowed: number;
  /** Outcomes that are neither the expected refusal nor an admission within budget. */
  unexpected: number;
}

export interface AbuseReport {
  baseline: PhaseResult;
  attacked: PhaseResult;
  attacks: AttackTally[];
  /** Messages acknowledged to ordinary users, and of those not delivered / not stored. */
  acknowledged: number;
  undelivered: number;
  unstored: number;
}

/** The budgets the drill relies on, at their production defaults (gateway/src/env.ts). */
const DEFAULTS = { loginPerAccount: 10, resetPerAddress: 5, searchPerUser: 120, socketsPerAddress: 200, socketsPerUser: 20 };
const RAISED = /^(BUDGET_|WS_MAX_CONNECTIONS_PER_|WS_CONNECT_RATE_PER_ADDRESS$)/;

const percentile = (values: number[], p: number) => {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};

const aliasBomb = `query { ${Array.from({ length: 60 }, (_, i) => `s${i}: searchProfessionals(query: "tax") { pageInfo { hasNextPage } }`).join(' ')} }`;
const recursion = `query { me { conversations(first: 100) { edges { node { messages(first: 100) { edges { node {
  sender { conversations(first: 100) { edges { node { id } } } } } } } } } } } }`;
const heavySearch = 'query($q: String!) { searchProfessionals(query: $q, first: 50) { edges { node { headline hourlyRate user { displayName } } } } }';

export async function runAbuse(env: Env, options: AbuseOptions): Promise<AbuseReport> {
  const log = options.log ?? (() => undefined);
  const stack = env.PUBLIC_URL!;
  const run = Math.floor(Math.random() * 200) + 20;
  const addressOf = (i: number) => `10.${run}.${Math.floor(i / 250)}.${(i % 250) + 1}`;
  const attackerAddress = addressOf(9_999);

  // Two gateways with production limits: the raised budgets of the stack's env are left out.
  for (const key of Object.keys(process.env)) if (RAISED.test(key)) delete process.env[key];
  const gatewayEnv = Object.fromEntries(Object.entries(env).filter(([key]) => !RAISED.test(key)));
  const ports = [await freePort(), await freePort()];
  const gateways: Service[] = ports.map((port) => startNode('gateway/src/index.ts', [], { ...gatewayEnv, PORT: String(port) }));
  const clients: TestClient[] = [];
  try {
    await Promise.all(ports.map((port, i) => waitForReady(`http://127.0.0.1:${port}/readyz`, 240_000, gateways[i])));
    const urls = ports.map((p) => `http://127.0.0.1:${p}/graphql`);
    const wsUrls = urls.map((u) => u.replace('http', 'ws'));
    const at = (i: number) => urls[i % urls.length]!;

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
      const client = connect(wsUrls[p % 2]!, { authorization: `Bearer ${users[2 * p + 1]!.token}` });
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

    const acknowledged: { id: string; conversation: string }[] = [];
    const phase = async (attack: boolean): Promise<PhaseResult> => {
      const queries: number[] = [];
      deliveries.samples = [];
      let serverErrors = 0;
      let messages = 0;
      const deadline = Date.now() + options.phaseSeconds * 1_000;
      const querier = async (u: number) => {
        while (Date.now() < deadline) {
          const started = performance.now();
          const result = await gql(at(u), '{ me { id } }', {}, { token: users[u]!.token, headers: { 'x-forwarded-for': addressOf(u) } });
          queries.push(performance.now() - started);
          if (result.status >= 500 || result.errors) serverErrors++;
          await new Promise((r) => setTimeout(r, 50));
        }
      };
      const sender = async (p: number) => {
        while (Date.now() < deadline) {
          const body = `at ${Date.now()}`;
          const result = await gql(at(p + 1), 'mutation($i: SendMessageInput!) { sendMessage(input: $i) { id } }', { i: { conversationId: conversations[p], body, idempotencyKey: randomUUID() } }, { token: users[2 * p]!.token, headers: { 'x-forwarded-for': addressOf(2 * p) } });
          if (result.data?.sendMessage) {
            acknowledged.push({ id: result.data.sendMessage.id, conversation: conversations[p]! });
            messages++;
          } else serverErrors++;
          await new Promise((r) => setTimeout(r, 250));
        }
      };
      const attackDone = attack ? attackFor(deadline) : Promise.resolve();
      await Promise.all([...users.map((_, u) => querier(u)), ...conversations.map((_, p) => sender(p)), attackDone]);
      await new Promise((r) => setTimeout(r, 1_500)); // the last deliveries
      return {
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
    const tallies = new Map<string, AttackTally>();
    const tally = (kind: string, allowed: number) => {
      if (!tallies.has(kind)) tallies.set(kind, { kind, sent: 0, outcomes: {}, admitted: 0, allowed, unexpected: 0 });
      return tallies.get(kind)!;
    };
    const record = (t: AttackTally, outcome: string, expected: string[], admitted: boolean) => {
      t.sent++;
      t.outcomes[outcome] = (t.outcomes[outcome] ?? 0) + 1;
      if (admitted) t.admitted++;
      else if (!expected.includes(outcome)) t.unexpected++;
    };
    const asAttacker = { 'x-forwarded-for': attackerAddress };
    const http = async (t: AttackTally, query: string, variables: Record<string, unknown>, refusals: string[], token?: string, admittedWhen?: (r: Awaited<ReturnType<typeof gql>>) => boolean) => {
      const result = await gql(at(t.sent), query, variables, { token, headers: asAttacker });
      const code = result.errors?.[0]?.extensions?.code as string | undefined;
      const admitted = admittedWhen ? admittedWhen(result) : !result.errors;
      record(t, result.status >= 500 ? `http ${result.status}` : admitted ? 'admitted' : (code ?? `http ${result.status}`), refusals, admitted && result.status < 500);
    };
    const attacks: (() => Promise<void>)[] = [
      () => http(tally('alias bomb', 0), aliasBomb, {}, ['OPERATION_LIMIT'], attacker.token),
      () => http(tally('deep recursion', 0), recursion, {}, ['COST_LIMIT_EXCEEDED', 'OPERATION_LIMIT'], attacker.token),
      () => http(tally('cost-heavy search', 2 * DEFAULTS.searchPerUser), heavySearch, { q: 'tax audit accounting' }, ['RATE_LIMITED'], attacker.token),
      // A wrong password is served (UNAUTHENTICATED) within the per-account budget, refused beyond it.
      () => http(tally('login guess', 2 * DEFAULTS.loginPerAccount), 'mutation($i: LoginInput!) { login(input: $i) { accessToken } }', { i: { email: victimEmail, password: `guess-${randomUUID()}` } }, ['RATE_LIMITED'], undefined, (r) => r.errors?.[0]?.extensions?.code === 'UNAUTHENTICATED'),
      () => http(tally('password reset flood', 2 * DEFAULTS.resetPerAddress), 'mutation($e: String!) { requestPasswordReset(email: $e) }', { e: victimEmail }, ['RATE_LIMITED']),
    ];
    const attackFor = async (deadline: number) => {
      const sockets = socketFlood(wsUrls, attackerAddress, attacker.token, tally('socket flood (address)', 2 * DEFAULTS.socketsPerAddress), tally('socket flood (user)', 2 * DEFAULTS.socketsPerUser), record);
      const workers = Array.from({ length: options.attackers ?? 4 }, async (_, w) => {
        for (let i = w; Date.now() < deadline; i++) await attacks[i % attacks.length]!();
      });
      await Promise.all([...workers, sockets]);
    };

    log(`abuse: ${options.phaseSeconds} s without the attacker, then ${options.phaseSeconds} s with it`);
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
    return { baseline, attacked, attacks: [...tallies.values()], acknowledged: acknowledged.length, undelivered, unstored };
  } finally {
    await Promise.all(clients.map((c) => c.dispose()));
    await Promise.all(gateways.map((g) => g.kill()));
  }
}

/**
 * Opens sockets from the attacker's address on both gateways until they are refused: anonymous
 * ones count against the address (refused at the upgrade with 429), signed-in ones against the user
 * too (closed with 1013 after connection_init).
 */
async function socketFlood(
  wsUrls: string[],
  address: string,
  token: string,
  byAddress: AttackTally,
  byUser: AttackTally,
  record: (t: AttackTally, outcome: string, expected: string[], admitted: boolean) => void,
): Promise<void> {
  const open: WebSocket[] = [];
  const attempt = (url: string, signedIn: boolean) =>
    new Promise<string>((resolve) => {
      const ws = new WebSocket(url, ['graphql-transport-ws'], { headers: { 'x-forwarded-for': address } });
      open.push(ws);
      const timer = setTimeout(() => resolve('admitted'), 1_500);
      ws.on('unexpected-response', (_req, res) => {
        clearTimeout(timer);
        res.resume();
        resolve(`http ${res.statusCode}`);
      });
      ws.on('error', () => undefined);
      ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: signedIn ? { authorization: `Bearer ${token}` } : {} })));
      ws.on('close', (code) => {
        clearTimeout(timer);
        resolve(`ws ${code}`);
      });
    });
  try {
    for (const url of wsUrls) {
      const results = await Promise.all(Array.from({ length: 30 }, () => attempt(url, true)));
      for (const r of results) record(byUser, r, ['ws 1013'], r === 'admitted');
    }
    for (const url of wsUrls) {
      const results = await Promise.all(Array.from({ length: DEFAULTS.socketsPerAddress + 20 }, () => attempt(url, false)));
      for (const r of results) record(byAddress, r, ['http 429'], r === 'admitted');
    }
  } finally {
    for (const ws of open) ws.terminate();
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
  ].join('\n');
}

/** Every abusive request refused with its code (or served within its budget), nothing lost, no 5xx. */
export const abuseHeld = (r: AbuseReport): boolean =>
  r.attacks.every((t) => t.unexpected === 0 && t.admitted <= t.allowed) &&
  r.undelivered === 0 &&
  r.unstored === 0 &&
  r.baseline.serverErrors === 0 &&
  r.attacked.serverErrors === 0;
