import { query } from '@finder/testing/database';
import { errorCodes, gql, ok, type GraphQLResult } from '@finder/testing/graphql-client';
import { tokenFromLink, waitForMail } from '@finder/testing/mail';
import { uniqueEmail } from '@finder/testing/ports';
import { stackEnv } from '@finder/testing/stack';
import { startSubgraphVariant, type SubgraphVariant } from '@finder/testing/subgraph-variant';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signLinkToken, type LinkToken } from '../src/services/tokens.ts';

/**
 * Registration by email (startRegistration, then completeRegistration with the mailed link): no
 * answer tells whether an email has an account, and a link works once, until it expires.
 */
const env = stackEnv();
const url = env.PUBLIC_URL!;
const PASSWORD = 'correct horse battery staple';

const START = 'mutation($i: StartRegistrationInput!) { startRegistration(input: $i) }';
const COMPLETE = /* GraphQL */ `
  mutation($i: CompleteRegistrationInput!) {
    completeRegistration(input: $i) { accessToken refreshToken user { id email emailVerified displayName role } }
  }`;
const REGISTER = 'mutation($i: RegisterInput!) { register(input: $i) { user { id } } }';
const ME = '{ me { id email emailVerified displayName role } }';
const LOGIN = 'mutation($i: LoginInput!) { login(input: $i) { user { id } } }';

const completion = (token: string, displayName = 'Grace Hopper') => ({ i: { token, password: PASSWORD, displayName, role: 'PROFESSIONAL' } });

/** Asks for a registration link for `email` and returns its token, waiting for a mail not seen yet. */
async function registrationLink(email: string, seen: string[] = [], at = url): Promise<string> {
  expect(ok(await gql(at, START, { i: { email } }))).toEqual({ startRegistration: true });
  const mail = await waitForMail(env.MAIL_DIR!, email, 'complete-registration', 20_000, seen);
  seen.push(mail.eventId);
  return tokenFromLink(mail.link);
}

function expectBadToken(result: GraphQLResult) {
  expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
  expect(result.errors![0]!.extensions!.field).toBe('input.token');
  expect(result.errors![0]!.message).toMatch(/registration link is invalid, expired, was already used/i);
}

const claimsOf = (token: string): Extract<LinkToken, { purpose: 'complete-registration' }> =>
  JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString());

describe('registration by email', () => {
  it('answers a new and a taken email alike; the mailer tells them apart', async () => {
    const taken = uniqueEmail('taken');
    ok(await gql(url, REGISTER, { i: { email: taken, password: PASSWORD, displayName: 'Taken', role: 'BUSINESS' } }));
    const fresh = uniqueEmail('fresh');

    const [forTaken, forFresh] = await Promise.all([gql(url, START, { i: { email: taken.toUpperCase() } }), gql(url, START, { i: { email: fresh } })]);
    expect(forTaken).toEqual(forFresh);
    expect(forFresh).toEqual({ status: 200, data: { startRegistration: true } });

    const existing = await waitForMail(env.MAIL_DIR!, taken, 'account-exists');
    expect(existing.subject).toMatch(/already have an account/i);
    expect(existing.text).toMatch(/reset/i);
    expect(existing.link).not.toContain('token=');
    const invitation = await waitForMail(env.MAIL_DIR!, fresh, 'complete-registration');
    expect(invitation.subject).toMatch(/complete your registration/i);
    expect(claimsOf(tokenFromLink(invitation.link))).toMatchObject({ purpose: 'complete-registration', email: fresh });
    // Each got the one mail that fits it.
    await expect(waitForMail(env.MAIL_DIR!, taken, 'complete-registration', 1_000)).rejects.toThrow(/no complete-registration mail/);
    await expect(waitForMail(env.MAIL_DIR!, fresh, 'account-exists', 1_000)).rejects.toThrow(/no account-exists mail/);
  });

  it('completes with a working session, the email verified, and the link works once', async () => {
    const email = uniqueEmail('complete');
    const token = await registrationLink(email);
    const done = ok(await gql(url, COMPLETE, completion(token))).completeRegistration;
    expect(done.user).toMatchObject({ email, emailVerified: true, displayName: 'Grace Hopper', role: 'PROFESSIONAL' });
    expect(ok(await gql(url, ME, {}, { token: done.accessToken })).me).toEqual({ ...done.user });
    expect(ok(await gql(url, LOGIN, { i: { email, password: PASSWORD } })).login.user.id).toBe(done.user.id);

    expectBadToken(await gql(url, COMPLETE, completion(token, 'Second use')));
    // Asking again for a registered email now gets the "already have an account" mail.
    expect(ok(await gql(url, START, { i: { email } })).startRegistration).toBe(true);
    await waitForMail(env.MAIL_DIR!, email, 'account-exists');
  });

  it('refuses a forged or expired link, naming the field, and only the newest link works', async () => {
    const email = uniqueEmail('forged');
    const seen: string[] = [];
    const older = await registrationLink(email, seen);
    const claims = claimsOf(older);

    expectBadToken(await gql(url, COMPLETE, completion(signLinkToken(claims, 'a-secret-that-is-not-the-servers-one-at-all'))));
    expectBadToken(await gql(url, COMPLETE, completion(signLinkToken({ ...claims, email: uniqueEmail('other') }, env.USERS_TOKEN_SECRET!))));
    expectBadToken(await gql(url, COMPLETE, completion(signLinkToken({ ...claims, nonce: 'n'.repeat(43) }, env.USERS_TOKEN_SECRET!))));
    expectBadToken(await gql(url, COMPLETE, completion(signLinkToken({ ...claims, exp: Date.now() - 1000 }, env.USERS_TOKEN_SECRET!))));
    expectBadToken(await gql(url, COMPLETE, completion('not-a-token')));

    const newer = await registrationLink(email, seen);
    expectBadToken(await gql(url, COMPLETE, completion(older)));
    expect(ok(await gql(url, COMPLETE, completion(newer))).completeRegistration.user.email).toBe(email);
  });

  it('refuses a link for an email that got an account meanwhile, like a used one', async () => {
    const email = uniqueEmail('meanwhile');
    const token = await registrationLink(email);
    const first = ok(await gql(url, REGISTER, { i: { email, password: PASSWORD, displayName: 'First', role: 'BUSINESS' } })).register;
    expectBadToken(await gql(url, COMPLETE, completion(token)));
    expect(ok(await gql(url, LOGIN, { i: { email, password: PASSWORD } })).login.user.id).toBe(first.user.id);
  });

  it('honours idempotency keys: a retried request mails once, a retried completion answers with the same account', async () => {
    const email = uniqueEmail('idempotent');
    const key = `start-${email}`;
    expect(ok(await gql(url, START, { i: { email, idempotencyKey: key } })).startRegistration).toBe(true);
    expect(ok(await gql(url, START, { i: { email, idempotencyKey: key } })).startRegistration).toBe(true);
    const mail = await waitForMail(env.MAIL_DIR!, email, 'complete-registration');
    await expect(waitForMail(env.MAIL_DIR!, email, 'complete-registration', 2_000, [mail.eventId])).rejects.toThrow(/no complete-registration mail/);

    const input = { ...completion(tokenFromLink(mail.link)).i, idempotencyKey: `complete-${email}` };
    const first = ok(await gql(url, COMPLETE, { i: input })).completeRegistration;
    const retried = ok(await gql(url, COMPLETE, { i: input })).completeRegistration;
    expect(retried.user.id).toBe(first.user.id);
    expect(retried.refreshToken).not.toBe(first.refreshToken);
  });

  it('forgets requests whose links expired long ago as new ones come', async () => {
    const stale = uniqueEmail('stale');
    await query(env.DATABASE_URL!, "insert into users.registration_requests values ($1, $2, now() - interval '8 days')", [stale, 'f'.repeat(64)]);
    await registrationLink(uniqueEmail('fresh-request'));
    expect(await query(env.DATABASE_URL!, 'select 1 from users.registration_requests where email_normalized = $1', [stale])).toEqual([]);
  });

  it('validates the rest of the input, naming the field', async () => {
    const token = await registrationLink(uniqueEmail('validate'));
    const short = await gql(url, COMPLETE, { i: { token, password: 'short', displayName: 'X', role: 'BUSINESS' } });
    expect(errorCodes(short)).toEqual(['BAD_USER_INPUT']);
    expect(short.errors![0]!.extensions!.field).toBe('input.password');
    const admin = await gql(url, COMPLETE, { i: { token, password: PASSWORD, displayName: 'X', role: 'ADMIN' } });
    expect(admin.errors![0]!.extensions!.field).toBe('input.role');
    const email = await gql(url, START, { i: { email: 'not an email' } });
    expect(errorCodes(email)).toEqual(['BAD_USER_INPUT']);
    expect(email.errors![0]!.extensions!.field).toBe('input.email');
  });
});

/**
 * A users server of the test's own with REGISTRATION=email, and a gateway that sends the users
 * subgraph there; the rest (persister, mailer, Postgres, Redis, Kafka) is the running stack's.
 */
describe('REGISTRATION=email', () => {
  let variant: SubgraphVariant;
  let gateway: string;

  beforeAll(async () => {
    variant = await startSubgraphVariant(env, 'users', { REGISTRATION: 'email' });
    gateway = variant.gatewayUrl;
  }, 300_000);

  afterAll(() => variant?.stop());

  it('refuses register with FORBIDDEN, reason REGISTRATION_BY_EMAIL, whatever the email', async () => {
    const taken = uniqueEmail('taken-email-mode');
    ok(await gql(url, REGISTER, { i: { email: taken, password: PASSWORD, displayName: 'Taken', role: 'BUSINESS' } }));
    for (const email of [taken, uniqueEmail('new-email-mode')]) {
      const refused = await gql(gateway, REGISTER, { i: { email, password: PASSWORD, displayName: 'Nope', role: 'BUSINESS' } });
      expect(errorCodes(refused), email).toEqual(['FORBIDDEN']);
      expect(refused.errors![0]!.extensions!.reason).toBe('REGISTRATION_BY_EMAIL');
      expect(refused.errors![0]!.message).toMatch(/startRegistration/);
    }
  });

  it('registers by email', async () => {
    const email = uniqueEmail('email-mode');
    const token = await registrationLink(email, [], gateway);
    const done = ok(await gql(gateway, COMPLETE, completion(token))).completeRegistration;
    expect(done.user).toMatchObject({ email, emailVerified: true });
  });
});
