import { registerUser, type TestUser } from '@finder/testing/accounts';
import { errorCodes, gql, ok, type GraphQLResult } from '@finder/testing/graphql-client';
import { freePort, uniqueEmail } from '@finder/testing/ports';
import { startNode, until, waitForReady, type Service } from '@finder/testing/processes';
import { stackEnv } from '@finder/testing/stack';
import { startNginx } from '@finder/testing/nginx';
import { connect } from '@finder/testing/ws-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';

/**
 * Budgets against the real stack: two gateways of their own with small budgets, sharing the
 * stack's Redis, in front of the stack's subgraphs. Each case comes from its own client address
 * (X-Forwarded-For, trusted from 127.0.0.1 as from nginx) and its own users, so cases never share
 * a budget. Accounts are registered through nginx, whose gateways have the stack's large budgets.
 */
const env = stackEnv();
const stack = env.PUBLIC_URL!;
const run = Math.floor(Math.random() * 200) + 20;
let nextHost = 1;
/** A client address no other case (or earlier run) uses. */
const address = () => `10.${run}.${Math.floor(nextHost / 250)}.${(nextHost++ % 250) + 1}`;

const budgets = {
  BUDGET_COST: '100/1m',
  BUDGET_LOGIN_PER_ACCOUNT: '3/1m',
  BUDGET_LOGIN_PER_ADDRESS: '5/1m',
  BUDGET_REGISTER: '2/1m',
  BUDGET_REQUEST_PASSWORD_RESET: '1/1m',
  BUDGET_CREATE_UPLOAD: '1/1m',
  BUDGET_REQUEST_CONVERSION: '1/1m',
  BUDGET_START_CONVERSATION: '1/1m',
  BUDGET_REQUEST_ENGAGEMENT: '1/1m',
  BUDGET_SEARCH_PROFESSIONALS: '1/1m',
  WS_MAX_CONNECTIONS_PER_ADDRESS: '3',
  WS_MAX_CONNECTIONS_PER_USER: '2',
};

const LOGIN = 'mutation($i: LoginInput!) { login(input: $i) { accessToken } }';
const PASSWORD = 'correct horse battery';

function expectRateLimited(result: GraphQLResult, label = '') {
  expect(errorCodes(result), label).toEqual(['RATE_LIMITED']);
  const retryAfterMs = Number(result.errors![0]!.extensions!.retryAfterMs);
  expect(retryAfterMs, label).toBeGreaterThan(0);
  expect(retryAfterMs, label).toBeLessThanOrEqual(60_000);
  expect(result.status, label).toBe(429);
}

describe('budgets shared by two gateways (Redis)', () => {
  const gateways: Service[] = [];
  let urls: [string, string];
  let wsUrls: [string, string];
  const from = (addr: string) => ({ headers: { 'x-forwarded-for': addr } });

  beforeAll(async () => {
    const ports = [await freePort(), await freePort()];
    for (const port of ports) gateways.push(startNode('gateway/src/index.ts', [], { ...env, ...budgets, PORT: String(port) }));
    // Generous: a gateway starts in seconds, but minutes on a loaded two-core machine.
    await Promise.all(ports.map((port, i) => waitForReady(`http://127.0.0.1:${port}/readyz`, 240_000, gateways[i])));
    urls = [`http://127.0.0.1:${ports[0]}/graphql`, `http://127.0.0.1:${ports[1]}/graphql`];
    wsUrls = [urls[0].replace('http', 'ws'), urls[1].replace('http', 'ws')];
  }, 300_000);

  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.kill()));
  });
  /** The gateways' ports, for an nginx of the test's own in front of them. */
  const upstreams = () => urls.map((u) => new URL(u).host);

  it("charges each operation's estimated cost per viewer, refusing past the budget on either gateway, over HTTP and WebSocket", async () => {
    const user = await registerUser(stack, 'Cost');
    // me (1) + conversations (1) + 30 edges × (edge 1 + node 1): about 62 of the 100.
    const query = '{ me { id conversations(first: 30) { edges { node { id } } } } }';
    ok(await gql(urls[0], query, {}, { token: user.token, ...from(address()) }));
    const refused = await gql(urls[1], query, {}, { token: user.token, ...from(address()) });
    expectRateLimited(refused, 'second query, other gateway, other address: the viewer is charged');
    const response = await fetch(urls[0], {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${user.token}` },
      body: JSON.stringify({ query: '{ me { id } }' }),
    });
    expect(response.status).toBe(429);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);

    const client = connect(wsUrls[1], { authorization: `Bearer ${user.token}` });
    try {
      const sub = client.subscribe('subscription { notificationAdded(after: 0) { seq } }');
      await until(async () => sub.errors.length > 0 || sub.events.length > 0, 20_000, 'the subscribe answer');
      const errors = sub.errors[0] as { extensions?: { code?: string; retryAfterMs?: number } }[];
      expect(errors[0]?.extensions?.code).toBe('RATE_LIMITED');
      expect(errors[0]?.extensions?.retryAfterMs).toBeGreaterThan(0);
    } finally {
      await client.dispose();
    }
  }, 60_000);

  it('limits login guesses per account across addresses and gateways; right passwords give their point back', async () => {
    const victim = await registerUser(stack, 'Victim');
    const email = (ok(await gql(stack, '{ me { email } }', {}, { token: victim.token })) as { me: { email: string } }).me.email;
    for (let i = 0; i < 3; i++) {
      const guess = await gql(urls[i % 2]!, LOGIN, { i: { email, password: `wrong guess ${i}` } }, from(address()));
      expect(errorCodes(guess), `guess ${i}`).toEqual(['UNAUTHENTICATED']);
    }
    // The account's budget is used up: even the right password from a fresh address waits.
    expectRateLimited(await gql(urls[1], LOGIN, { i: { email: email.toUpperCase(), password: PASSWORD } }, from(address())), 'after 3 guesses');

    // Right passwords do not use up an account's budget.
    const regular = await registerUser(stack, 'Regular');
    const regularEmail = (ok(await gql(stack, '{ me { email } }', {}, { token: regular.token })) as { me: { email: string } }).me.email;
    for (let i = 0; i < 5; i++) ok(await gql(urls[i % 2]!, LOGIN, { i: { email: regularEmail, password: PASSWORD } }, from(address())));
  }, 60_000);

  it('limits logins per address, whichever accounts they name', async () => {
    const addr = address();
    for (let i = 0; i < 5; i++) {
      const attempt = await gql(urls[i % 2]!, LOGIN, { i: { email: uniqueEmail('nobody'), password: 'not the one' } }, from(addr));
      expect(errorCodes(attempt), `attempt ${i}`).toEqual(['UNAUTHENTICATED']);
    }
    expectRateLimited(await gql(urls[0], LOGIN, { i: { email: uniqueEmail('nobody'), password: 'not the one' } }, from(addr)));
    // Another address is not affected.
    expect(errorCodes(await gql(urls[0], LOGIN, { i: { email: uniqueEmail('nobody'), password: 'not the one' } }, from(address())))).toEqual(['UNAUTHENTICATED']);
  }, 60_000);

  it('limits registrations and password-reset mails per address', async () => {
    const addr = address();
    const REGISTER = 'mutation($i: RegisterInput!) { register(input: $i) { accessToken } }';
    const input = () => ({ i: { email: uniqueEmail('budget'), password: PASSWORD, displayName: 'Budget', role: 'BUSINESS' } });
    ok(await gql(urls[0], REGISTER, input(), from(addr)));
    ok(await gql(urls[1], REGISTER, input(), from(addr)));
    expectRateLimited(await gql(urls[0], REGISTER, input(), from(addr)), 'third registration');

    // startRegistration draws on the same budget: another way to the same registration mail.
    const START = 'mutation($i: StartRegistrationInput!) { startRegistration(input: $i) }';
    expectRateLimited(await gql(urls[1], START, { i: { email: uniqueEmail('budget') } }, from(addr)), 'a registration by email after two');
    const other = address();
    ok(await gql(urls[0], START, { i: { email: uniqueEmail('budget') } }, from(other)));
    ok(await gql(urls[1], REGISTER, input(), from(other)));
    expectRateLimited(await gql(urls[0], START, { i: { email: uniqueEmail('budget') } }, from(other)), 'third, by email');

    const RESET = 'mutation($e: String!) { requestPasswordReset(email: $e) }';
    ok(await gql(urls[1], RESET, { e: uniqueEmail('reset') }, from(addr)));
    expectRateLimited(await gql(urls[0], RESET, { e: uniqueEmail('reset') }, from(addr)), 'second reset mail');
  }, 60_000);

  it('limits every mutation that costs CPU or storage, and search, per viewer', async () => {
    const cases: [string, string, Record<string, unknown>][] = [
      ['createUpload', 'mutation($i: CreateUploadInput!) { createUpload(input: $i) { uploadUrl } }', { i: { name: 'a.exe', mimeType: 'application/x-msdownload', size: 1 } }],
      ['requestConversion', 'mutation($i: RequestConversionInput!) { requestConversion(input: $i) { id } }', { i: { fileId: 'not-a-file', target: 'THUMBNAIL' } }],
      ['startConversation', 'mutation($i: StartConversationInput!) { startConversation(input: $i) { id } }', { i: { participantIds: [] } }],
      ['requestEngagement', 'mutation($i: RequestEngagementInput!) { requestEngagement(input: $i) { id } }', { i: { professionalId: 'nobody', message: 'hi' } }],
      ['searchProfessionals', '{ searchProfessionals(query: "tax", first: 1) { edges { cursor } } }', {}],
    ];
    for (const [field, query, variables] of cases) {
      // A fresh viewer per field: each budget allows one call a minute (whatever its outcome).
      const user: TestUser = await registerUser(stack, `Budget ${field}`);
      const first = await gql(urls[0], query, variables, { token: user.token, ...from(address()) });
      expect(errorCodes(first), `${field} first`).not.toContain('RATE_LIMITED');
      expectRateLimited(await gql(urls[1], query, variables, { token: user.token, ...from(address()) }), `${field} second`);
    }
  }, 120_000);

  it('caps open sockets per address (429 at the upgrade) and per user (close 1013)', async () => {
    const addr = address();
    const open = (url: string) =>
      new Promise<{ socket: WebSocket; status?: number; body?: string }>((resolve) => {
        const socket = new WebSocket(url, 'graphql-transport-ws', { headers: { 'x-forwarded-for': addr } });
        socket.once('open', () => resolve({ socket }));
        socket.once('unexpected-response', (_req, res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => (body += chunk.toString()));
          res.on('end', () => resolve({ socket, status: res.statusCode, body }));
        });
      });
    const sockets = [await open(wsUrls[0]), await open(wsUrls[0]), await open(wsUrls[0])];
    expect(sockets.map((s) => s.status)).toEqual([undefined, undefined, undefined]);
    const fourth = await open(wsUrls[0]);
    expect(fourth.status).toBe(429);
    expect(fourth.body).toMatch(/Too many connections from this address \(limit 3\)/);
    // A socket that closes makes room again.
    await new Promise((resolve) => {
      sockets[0]!.socket.once('close', resolve);
      sockets[0]!.socket.close();
    });
    const again = await open(wsUrls[0]);
    expect(again.status).toBeUndefined();
    for (const s of [...sockets, again]) s.socket.close();

    const user = await registerUser(stack, 'Sockets');
    const clients = [connect(wsUrls[1], { authorization: `Bearer ${user.token}` }), connect(wsUrls[1], { authorization: `Bearer ${user.token}` })];
    try {
      // Acknowledged: a subscribe is answered (with an event or an error, not a close).
      for (const c of clients) {
        const sub = c.subscribe('subscription { notificationAdded(after: 0) { seq } }');
        await new Promise((r) => setTimeout(r, 300));
        expect(c.closes).toEqual([]);
        sub.stop();
      }
      const third = connect(wsUrls[1], { authorization: `Bearer ${user.token}` });
      clients.push(third);
      await until(async () => third.closes.length > 0, 20_000, 'the third socket to close');
      expect(third.closes[0]).toEqual({ code: 1013, reason: 'Too many connections for this user (limit 2)' });
    } finally {
      await Promise.all(clients.map((c) => c.dispose()));
    }
  }, 60_000);

  it('nginx refuses past its per-address request rate and open connections with RATE_LIMITED', async () => {
    const nginx = await startNginx(await freePort(), upstreams(), undefined, { ratePerSecond: 1, burst: 5, connections: 2 });
    const sockets: WebSocket[] = [];
    try {
      const ws = nginx.url.replace('http', 'ws') + '/graphql';
      const handshake = () =>
        new Promise<number>((resolve) => {
          const socket = new WebSocket(ws, 'graphql-transport-ws');
          sockets.push(socket);
          socket.once('open', () => resolve(101));
          socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
          socket.once('error', () => resolve(0));
        });
      // Two open sockets are this address's connections; a third is refused.
      expect([await handshake(), await handshake(), await handshake()]).toEqual([101, 101, 429]);
      for (const socket of sockets) socket.close();
      await new Promise((r) => setTimeout(r, 200));

      // 1 request a second, 5 more at once: a burst of 10 has some refused, in the GraphQL error shape.
      const results = await Promise.all(Array.from({ length: 10 }, () => gql(`${nginx.url}/graphql`, '{ __typename }')));
      const refused = results.filter((r) => r.status === 429);
      expect(refused.length).toBeGreaterThanOrEqual(3);
      expect(refused.length).toBeLessThanOrEqual(8);
      expect(errorCodes(refused[0]!)).toEqual(['RATE_LIMITED']);
      expect(refused[0]!.errors![0]!.extensions!.retryAfterMs).toBe(1000);
    } finally {
      for (const socket of sockets) socket.terminate();
      await nginx.stop();
    }
  }, 60_000);
});
