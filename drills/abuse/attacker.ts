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
  urls: string[];
  wsUrls: string[];
  /** The attacker's client address (X-Forwarded-For). */
  address: string;
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
  const { urls, wsUrls, address, token, victimEmail, deadline } = plan;
  const at = (i: number) => urls[i % urls.length]!;
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
  const asAttacker = { 'x-forwarded-for': address };
  const http = async (t: AttackTally, query: string, variables: Record<string, unknown>, refusals: string[], token?: string, admittedWhen?: (r: Awaited<ReturnType<typeof gql>>) => boolean) => {
    const result = await gql(at(t.sent), query, variables, { token, headers: asAttacker });
    const code = result.errors?.[0]?.extensions?.code as string | undefined;
    const admitted = admittedWhen ? admittedWhen(result) : !result.errors;
    record(t, result.status >= 500 ? `http ${result.status}` : admitted ? 'admitted' : (code ?? `http ${result.status}`), refusals, admitted && result.status < 500);
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
    const sockets = socketFlood(wsUrls, address, token, tally('socket flood (address)', 2 * DEFAULT_BUDGETS.socketsPerAddress), tally('socket flood (user)', 2 * DEFAULT_BUDGETS.socketsPerUser), record);
    const workers = Array.from({ length: plan.workers }, async (_, w) => {
      for (let i = w; Date.now() < deadline; i++) await attacks[i % attacks.length]!();
    });
    await Promise.all([...workers, sockets]);
  };

  await attackFor(deadline);
  return [...tallies.values()];
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
  record: RecordOutcome,
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
      const results = await Promise.all(Array.from({ length: DEFAULT_BUDGETS.socketsPerAddress + 20 }, () => attempt(url, false)));
      for (const r of results) record(byAddress, r, ['http 429'], r === 'admitted');
    }
  } finally {
    for (const ws of open) ws.terminate();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const plan = JSON.parse(process.argv[2]!) as AttackPlan;
  process.stdout.write(`${JSON.stringify(await attack(plan))}\n`);
}
