import { errorCodes, gql, ok, type GraphQLResult } from '@finder/testing/graphql-client';
import { tokenFromLink, waitForMail } from '@finder/testing/mail';
import { uniqueEmail } from '@finder/testing/ports';
import { stackEnv } from '@finder/testing/stack';
import { describe, expect, it } from 'vitest';

/**
 * Verification and reset links carry a nonce stored with the user: each works once, and asking for
 * a new reset link makes the older one stop working (the HMAC over user, purpose and expiry alone
 * allowed neither).
 */
const env = stackEnv();
const url = env.PUBLIC_URL!;
const PASSWORD = 'correct horse battery staple';

const REGISTER = 'mutation($i: RegisterInput!) { register(input: $i) { user { id } } }';
const VERIFY = 'mutation($t: String!) { verifyEmail(token: $t) { id emailVerified } }';
const REQUEST_RESET = 'mutation($e: String!) { requestPasswordReset(email: $e) }';
const RESET = 'mutation($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) }';
const LOGIN = 'mutation($i: LoginInput!) { login(input: $i) { user { id } } }';

async function register(name: string): Promise<{ id: string; email: string }> {
  const email = uniqueEmail(name);
  const { register } = ok(await gql(url, REGISTER, { i: { email, password: PASSWORD, displayName: name, role: 'BUSINESS' } }));
  return { id: register.user.id, email };
}

function expectBadToken(result: GraphQLResult) {
  expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
  expect(result.errors![0]!.extensions!.field).toBe('token');
}

/** Asks for a reset link and returns its token, waiting for a mail other than the ones already seen. */
async function resetLink(email: string, seen: string[]): Promise<string> {
  expect(ok(await gql(url, REQUEST_RESET, { e: email })).requestPasswordReset).toBe(true);
  const mail = await waitForMail(env.MAIL_DIR!, email, 'reset-password', 20_000, seen);
  seen.push(mail.eventId);
  return tokenFromLink(mail.link);
}

describe('verification and reset links', () => {
  it('a verification link works once', async () => {
    const user = await register('verify-once');
    const token = tokenFromLink((await waitForMail(env.MAIL_DIR!, user.email, 'verify-email')).link);
    expect(ok(await gql(url, VERIFY, { t: token })).verifyEmail).toEqual({ id: user.id, emailVerified: true });
    expectBadToken(await gql(url, VERIFY, { t: token }));
  });

  it('a reset link works once', async () => {
    const user = await register('reset-once');
    const token = await resetLink(user.email, []);
    expect(ok(await gql(url, RESET, { t: token, p: 'the first new passphrase' })).resetPassword).toBe(true);
    expectBadToken(await gql(url, RESET, { t: token, p: 'the second new passphrase' }));
    expect(ok(await gql(url, LOGIN, { i: { email: user.email, password: 'the first new passphrase' } })).login.user.id).toBe(user.id);
  });

  it('asking for a new reset link makes the older one stop working', async () => {
    const user = await register('reset-newest');
    const seen: string[] = [];
    const older = await resetLink(user.email, seen);
    const newer = await resetLink(user.email, seen);
    expect(newer).not.toBe(older);

    expectBadToken(await gql(url, RESET, { t: older, p: 'from the older link' }));
    expect(errorCodes(await gql(url, LOGIN, { i: { email: user.email, password: 'from the older link' } }))).toEqual(['UNAUTHENTICATED']);
    expect(ok(await gql(url, RESET, { t: newer, p: 'from the newer link' })).resetPassword).toBe(true);
    expect(ok(await gql(url, LOGIN, { i: { email: user.email, password: 'from the newer link' } })).login.user.id).toBe(user.id);
  });
});
