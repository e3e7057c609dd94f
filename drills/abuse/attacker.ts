/**
 * The abuse drill's attacker, in a process of its own so that its work does not share an event
 * loop with the ordinary users whose latencies the drill measures. Run by run-abuse.ts as
 * `node drills/abuse/attacker.ts '<AttackPlan as JSON>'`; prints its tallies as JSON.
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { gql } from '@finder/testing/graphql-client';
import { WebSocket } from 'ws';

export interface AttackPlan {
  /** nginx's /graphql, over HTTP and WebSocket. */
  url: string;
  wsUrl: string;
  /** The attacker's loopback address (its requests leave from it). */
  address: string;
  /** Two more of its addresses, for the socket floods by user and by address. */
  socketAddresses: [string, string];
  /** A signed-in attacker's access token. */
  token: string;
  /** The account whose password the attacker guesses and whose reset it floods. */
  victimEmail: string;
  /** Until when to attack (ms since epoch). */
  deadline: number;
  workers: number;
}

export interface AttackTally {
  kind: string;
  sent: number;
  /** Answers by outcome: an error code, `admitted` (served), or `http <status>` / `ws <code>`. */
  outcomes: Record<string, number>;
  /** Served within a budget (not refused); at most `allowed`. */
  admitted: number;
  allowed: number;
  /** Outcomes that are neither the expected refusal nor an admission within budget. */
  unexpected: number;
}

/** The budgets the attacks run into, at their production defaults (gateway/src/env.ts). */
export const DEFAULT_BUDGETS = { loginPerAccount: 10, resetPerAddress: 5, searchPerUser: 120, socketsPerAddress: 200, socketsPerUser: 20 };

const aliasBomb = `query { ${Array.from({ length: 60 }, (_, i) => `s${i}: searchProfessionals(query: "tax") { pageInfo { hasNextPage } }`).join(' ')} }`;
const recursion = `query { me { conversations(first: 100) { edges { node { messages(first: 100) { edges { node {
  sender { conversations(first: 100) { edges { node { id } } } } } } } } } } } }`;
const heavySearch = 'query($q: String!) { searchProfessionals(query: $q, first: 50) { edges { node { headline hourlyRate user { displayName } } } } }';

type RecordOutcome = (t: AttackTally, outcome: string, expected: string[], admitted: boolean) => void;

export async function attack(plan: AttackPlan): Promise<AttackTally[]> {
  const { url, wsUrl, address, token, victimEmail, deadline } = plan;
  const tallies = new Map<string, AttackTally>();
  const tally = (kind: string, allowed: number) => {
    if (!tallies.has(kind)) tallies.set(kind, { kind, sent: 0, outcomes: {}, admitted: 0, allowed, unexpected: 0 });
    return tallies.get(kind)!;
  };
  const record: RecordOutcome = (t, outcome, expected, admitted) => {
    t.sent++;
    t.outcomes[outcome] = (t.outcomes[outcome] ?? 0) + 1;
    if (admitted) t.admitted++;
    else if (!expected.includes(outcome)) t.unexpected++;
  };

  const http = async (t: AttackTally, query: string, variables: Record<string, unknown>, refusals: string[], token?: string, admittedWhen?: (r: Awaited<ReturnType<typeof gql>>) => boolean) => {
    const result = await gql(url, query, variables, { token, localAddress: address });
    const code = result.errors?.[0]?.extensions?.code as string | undefined;
    const admitted = admittedWhen ? admittedWhen(result) : !result.errors;
    // RATE_LIMITED is always an expected refusal: nginx's per-address rate refuses first.
    record(t, result.status >= 500 ? `http ${result.status}` : admitted ? 'admitted' : (code ?? `http ${result.status}`), [...refusals, 'RATE_LIMITED'], admitted && result.status < 500);
  };
  const attacks: (() => Promise<void>)[] = [
    () => http(tally('alias bomb', 0), aliasBomb, {}, ['OPERATION_LIMIT'], token),
    () => http(tally('deep recursion', 0), recursion, {}, ['COST_LIMIT_EXCEEDED', 'OPERATION_LIMIT'], token),
    () => http(tally('cost-heavy search', 2 * DEFAULT_BUDGETS.searchPerUser), heavySearch, { q: 'tax audit accounting' }, ['RATE_LIMITED'], token),
    // A wrong password is served (UNAUTHENTICATED) within the per-account budget, refused beyond it.
    () => http(tally('login guess', 2 * DEFAULT_BUDGETS.loginPerAccount), 'mutation($i: LoginInput!) { login(input: $i) { accessToken } }', { i: { email: victimEmail, password: `guess-${randomUUID()}` } }, ['RATE_LIMITED'], undefined, (r) => r.errors?.[0]?.extensions?.code === 'UNAUTHENTICATED'),
    () => http(tally('password reset flood', 2 * DEFAULT_BUDGETS.resetPerAddress), 'mutation($e: String!) { requestPasswordReset(email: $e) }', { e: victimEmail }, ['RATE_LIMITED']),
  ];
  const attackFor = async (deadline: number) => {
    const sockets = socketFlood(wsUrl, plan.socketAddresses, token, tally('socket flood (address)', 2 * DEFAULT_BUDGETS.socketsPerAddress), tally('socket flood (user)', 2 * DEFAULT_BUDGETS.socketsPerUser), record);
    const workers = Array.from({ length: plan.workers }, async (_, w) => {
      for (let i = w; Date.now() < deadline; i++) await attacks[i % attacks.length]!();
    });
    await Promise.all([...workers, sockets]);
  };

  await attackFor(deadline);
  return [...tallies.values()];
}

/**
 * Opens sockets from two more of the attacker's addresses (its requests use up the first's rate)
 * until they are refused: nginx refuses upgrades past
 * its per-address rate and connection count (429), the gateways a user's sockets past their cap
 * (closed with 1013 after connection_init), and anonymous ones past the per-address cap (429).
 */
async function socketFlood(
  wsUrl: string,
  [userAddress, floodAddress]: [string, string],
  token: string,
  byAddress: AttackTally,
  byUser: AttackTally,
  record: RecordOutcome,
): Promise<void> {
  const open: WebSocket[] = [];
  const attempt = (url: string, signedIn: boolean) =>
    new Promise<string>((resolve) => {
      const ws = new WebSocket(url, ['graphql-transport-ws'], { localAddress: signedIn ? userAddress : floodAddress });
      open.push(ws);
      // Admitted is an answer, not a silence: the upgrade for an anonymous socket (refused with
      // 429 past the address's cap), connection_ack for a signed-in one (closed with 1013 past the
      // user's), so a slow machine cannot turn a late refusal into an admission.
      const timer = setTimeout(() => resolve('no answer'), 15_000);
      const settle = (outcome: string) => {
        clearTimeout(timer);
        resolve(outcome);
      };
      ws.on('unexpected-response', (_req, res) => {
        res.resume();
        settle(`http ${res.statusCode}`);
      });
      ws.on('error', () => undefined);
      ws.on('open', () => {
        if (!signedIn) return settle('admitted');
        ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
      });
      ws.on('message', (data) => {
        if ((JSON.parse(String(data)) as { type?: string }).type === 'connection_ack') settle('admitted');
      });
      ws.on('close', (code) => settle(`ws ${code}`));
    });
  try {
    // Two waves of 25, each within nginx's burst, balanced over the two gateways: 25 each, past
    // their cap of 20 per user, so the gateways refuse the last ones.
    for (let wave = 0; wave < 2; wave++) {
      if (wave > 0) await new Promise((r) => setTimeout(r, 1_500));
      const signedIn = await Promise.all(Array.from({ length: 25 }, () => attempt(wsUrl, true)));
      for (const r of signedIn) record(byUser, r, ['ws 1013', 'http 429'], r === 'admitted');
    }
    const anonymous = await Promise.all(Array.from({ length: DEFAULT_BUDGETS.socketsPerAddress + 20 }, () => attempt(wsUrl, false)));
    for (const r of anonymous) record(byAddress, r, ['http 429'], r === 'admitted');
  } finally {
    for (const ws of open) ws.terminate();
  }
}

/** What the attacker process prints: its tallies and the CPU it used itself. */
export interface AttackOutcome {
  tallies: AttackTally[];
  cpuMs: number;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const plan = JSON.parse(process.argv[2]!) as AttackPlan;
  const tallies = await attack(plan);
  const { user, system } = process.cpuUsage();
  process.stdout.write(`${JSON.stringify({ tallies, cpuMs: (user + system) / 1000 } satisfies AttackOutcome)}\n`);
}
