import { errorCodes, gql, ok, type GraphQLResult } from '@finder/testing/graphql-client';
import { tokenFromLink, waitForMail } from '@finder/testing/mail';
import { freePort, uniqueEmail } from '@finder/testing/ports';
import { startNode, until, waitForReady } from '@finder/testing/processes';
import { stackEnv } from '@finder/testing/stack';
import { connect, type TestClient } from '@finder/testing/ws-client';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * Access tokens stop working when their login ends (logout, refresh-token reuse, password reset),
 * at every gateway, instead of living out their 15 minutes: asked of each of the stack's gateways
 * directly (nginx would pick one), plus a gateway started after the revocation.
 */
const env = stackEnv();
const stack = env.PUBLIC_URL!;
const gateways = (env.GATEWAY_URLS ?? '').split(',').filter(Boolean);
const PASSWORD = 'correct horse battery staple';

const REGISTER = 'mutation($i: RegisterInput!) { register(input: $i) { accessToken refreshToken user { id } } }';
const LOGIN = 'mutation($i: LoginInput!) { login(input: $i) { accessToken refreshToken } }';
const REFRESH = 'mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken refreshToken } }';
const LOGOUT = 'mutation($t: String!) { logout(refreshToken: $t) }';
const ME = '{ me { id } }';

interface Login {
  accessToken: string;
  refreshToken: string;
}

async function signUp(name: string): Promise<Login & { email: string; id: string }> {
  const email = uniqueEmail(name);
  const { register } = ok(await gql(stack, REGISTER, { i: { email, password: PASSWORD, displayName: name, role: 'BUSINESS' } }));
  return { email, id: register.user.id, accessToken: register.accessToken, refreshToken: register.refreshToken };
}

const signIn = async (email: string, password = PASSWORD): Promise<Login> => ok(await gql(stack, LOGIN, { i: { email, password } })).login;

const isRevoked = (result: GraphQLResult) =>
  result.status === 401 && errorCodes(result).join() === 'UNAUTHENTICATED' && result.errors![0]!.extensions!.reason === 'TOKEN_REVOKED';

/** Every gateway refuses the token as revoked within `withinMs` (pub/sub: at once, give or take a hop). */
async function expectRefusedEverywhere(token: string, withinMs = 1_000, urls = gateways): Promise<void> {
  for (const url of urls) {
    await until(async () => isRevoked(await gql(url, ME, {}, { token })), withinMs, `${url} to refuse the revoked token`).catch(async (err: Error) => {
      throw new Error(`${err.message}; it answered ${JSON.stringify(await gql(url, ME, {}, { token }))}`);
    });
  }
}

async function expectAccepted(token: string, userId: string, urls = gateways): Promise<void> {
  for (const url of urls) expect(ok(await gql(url, ME, {}, { token })).me.id, url).toBe(userId);
}

/** A socket to each gateway, authenticated with `token` and following a subscription. */
async function openSockets(token: string): Promise<TestClient[]> {
  const sockets = gateways.map((url) => connect(url.replace(/^http/, 'ws'), { authorization: `Bearer ${token}` }));
  await Promise.all(sockets.map((socket) => new Promise<void>((resolve) => socket.client.on('connected', () => resolve()))));
  for (const socket of sockets) socket.subscribe('subscription { conversationUpdated { id } }');
  return sockets;
}

/** Each socket is closed with 4401 within `withinMs` of `since`. */
async function expectClosed(sockets: TestClient[], since: number, withinMs = 2_000): Promise<void> {
  for (const socket of sockets) {
    await until(async () => socket.closes.length > 0, withinMs + 1_000, 'the socket to close').catch(() => {
      throw new Error(`socket still open ${Date.now() - since} ms after the revocation`);
    });
    expect(socket.closes[0]).toEqual({ code: 4401, reason: 'Unauthorized: access token revoked' });
  }
  expect(Date.now() - since).toBeLessThan(withinMs);
}

describe('access-token revocation at the gateways', () => {
  const opened: TestClient[] = [];
  afterAll(async () => {
    await Promise.all(opened.map((socket) => socket.dispose()));
  });

  it('has two gateways to ask', () => {
    expect(gateways.length).toBeGreaterThanOrEqual(2);
  });

  it('logout: the access token is refused over HTTP by every gateway and its sockets close with 4401', async () => {
    const user = await signUp('logout');
    const other = await signIn(user.email);
    await expectAccepted(user.accessToken, user.id);
    const sockets = await openSockets(user.accessToken);
    const otherSockets = await openSockets(other.accessToken);
    opened.push(...sockets, ...otherSockets);

    expect(ok(await gql(stack, LOGOUT, { t: user.refreshToken })).logout).toBe(true);
    const loggedOut = Date.now();
    await expectRefusedEverywhere(user.accessToken);
    await expectClosed(sockets, loggedOut);
    // Refreshing is refused too, so the SDK signs out rather than looping.
    expect(errorCodes(await gql(stack, REFRESH, { t: user.refreshToken }))).toEqual(['UNAUTHENTICATED']);

    // The same user's other login is not touched.
    await expectAccepted(other.accessToken, user.id);
    expect(otherSockets.every((socket) => socket.closes.length === 0)).toBe(true);

    // A socket opened afterwards with the revoked token is refused at connection_init.
    const late = connect(gateways[0]!.replace(/^http/, 'ws'), { authorization: `Bearer ${user.accessToken}` });
    opened.push(late);
    await until(async () => late.closes.length > 0, 5_000, 'the late socket to be refused');
    expect(late.closes[0]).toEqual({ code: 4401, reason: 'Unauthorized: access token revoked' });
  });

  it('refresh-token reuse: every access token of that login is refused, other logins keep working', async () => {
    const user = await signUp('reuse');
    const rotated = ok(await gql(stack, REFRESH, { t: user.refreshToken })).refreshSession as Login;
    const other = await signIn(user.email);
    await expectAccepted(rotated.accessToken, user.id);

    const replay = await gql(stack, REFRESH, { t: user.refreshToken });
    expect(replay.errors?.[0]?.extensions?.reason).toBe('REFRESH_TOKEN_REUSED');
    await expectRefusedEverywhere(user.accessToken);
    await expectRefusedEverywhere(rotated.accessToken);
    await expectAccepted(other.accessToken, user.id);
  });

  it('password reset: every access token of every login of the user is refused, and their sockets close', async () => {
    const user = await signUp('reset');
    const second = await signIn(user.email);
    const sockets = await openSockets(second.accessToken);
    opened.push(...sockets);

    ok(await gql(stack, 'mutation($e: String!) { requestPasswordReset(email: $e) }', { e: user.email }));
    const token = tokenFromLink((await waitForMail(env.MAIL_DIR!, user.email, 'reset-password')).link);
    const NEW_PASSWORD = 'a brand new passphrase';
    ok(await gql(stack, 'mutation($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) }', { t: token, p: NEW_PASSWORD }));
    const reset = Date.now();
    await expectRefusedEverywhere(user.accessToken);
    await expectRefusedEverywhere(second.accessToken);
    await expectClosed(sockets, reset);

    const fresh = await signIn(user.email, NEW_PASSWORD);
    await expectAccepted(fresh.accessToken, user.id);
  });

  it('a gateway started after the revocation refuses the token too', async () => {
    const user = await signUp('late-gateway');
    const kept = await signIn(user.email);
    ok(await gql(stack, LOGOUT, { t: user.refreshToken }));
    await expectRefusedEverywhere(user.accessToken);

    const port = await freePort();
    const gateway = startNode('gateway/src/index.ts', [], { ...env, PORT: String(port) });
    try {
      // Generous: a gateway starts in seconds, but minutes on a loaded two-core machine.
      await waitForReady(`http://127.0.0.1:${port}/readyz`, 240_000, gateway);
      const url = `http://127.0.0.1:${port}/graphql`;
      const answer = await gql(url, ME, {}, { token: user.accessToken });
      expect(isRevoked(answer), JSON.stringify(answer)).toBe(true);
      await expectAccepted(kept.accessToken, user.id, [url]);

      const socket = connect(url.replace(/^http/, 'ws'), { authorization: `Bearer ${user.accessToken}` });
      opened.push(socket);
      await until(async () => socket.closes.length > 0, 5_000, 'the socket to be refused');
      expect(socket.closes[0]).toEqual({ code: 4401, reason: 'Unauthorized: access token revoked' });
    } finally {
      await gateway.kill();
    }
  }, 300_000);
});
