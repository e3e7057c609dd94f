import { errorCodes, gql, ok } from '@finder/testing/graphql-client';
import { tokenFromLink, waitForMail } from '@finder/testing/mail';
import { uniqueEmail } from '@finder/testing/ports';
import { stackEnv } from '@finder/testing/stack';
import { describe, expect, it } from 'vitest';

const env = stackEnv();
const url = env.PUBLIC_URL!;
const PASSWORD = 'correct horse battery staple';

const REGISTER = /* GraphQL */ `
  mutation Register($input: RegisterInput!) {
    register(input: $input) { accessToken refreshToken expiresAt user { id email emailVerified role displayName } }
  }`;
const LOGIN = /* GraphQL */ `
  mutation Login($input: LoginInput!) { login(input: $input) { accessToken refreshToken user { id email } } }`;
const REFRESH = /* GraphQL */ `
  mutation Refresh($token: String!) { refreshSession(refreshToken: $token) { accessToken refreshToken user { id } } }`;
const ME = /* GraphQL */ `{ me { id email emailVerified displayName role } }`;

describe('account lifecycle through nginx → gateway → users → Kafka → persister → Postgres', () => {
  it('registers, verifies the email, logs in, reads me, refreshes and logs out', async () => {
    const email = uniqueEmail('lifecycle');
    const registered = ok(
      await gql(url, REGISTER, { input: { email, password: PASSWORD, displayName: 'Ada Lovelace', role: 'PROFESSIONAL' } }),
    ).register;
    expect(registered.user).toMatchObject({ email, emailVerified: false, role: 'PROFESSIONAL', displayName: 'Ada Lovelace' });
    expect(new Date(registered.expiresAt).getTime()).toBeGreaterThan(Date.now());

    // Read-your-writes: the account is readable the moment register answered.
    expect(ok(await gql(url, ME, {}, { token: registered.accessToken })).me).toMatchObject({ id: registered.user.id, email });

    const mail = await waitForMail(env.MAIL_DIR!, email, 'verify-email');
    expect(mail.subject).toMatch(/confirm/i);
    const verified = ok(await gql(url, `mutation($t: String!) { verifyEmail(token: $t) { id emailVerified } }`, { t: tokenFromLink(mail.link) }));
    expect(verified.verifyEmail).toEqual({ id: registered.user.id, emailVerified: true });

    const login = ok(await gql(url, LOGIN, { input: { email: email.toUpperCase(), password: PASSWORD } })).login;
    expect(login.user.id).toBe(registered.user.id);
    const me = ok(await gql(url, ME, {}, { token: login.accessToken })).me;
    expect(me).toMatchObject({ id: registered.user.id, emailVerified: true });

    const refreshed = ok(await gql(url, REFRESH, { token: login.refreshToken })).refreshSession;
    expect(refreshed.refreshToken).not.toBe(login.refreshToken);
    expect(ok(await gql(url, ME, {}, { token: refreshed.accessToken })).me.id).toBe(registered.user.id);

    expect(ok(await gql(url, `mutation($t: String!) { logout(refreshToken: $t) }`, { t: refreshed.refreshToken })).logout).toBe(true);
    const afterLogout = await gql(url, REFRESH, { token: refreshed.refreshToken });
    expect(errorCodes(afterLogout)).toEqual(['UNAUTHENTICATED']);
  });

  it('revokes the whole login when a rotated refresh token is used again', async () => {
    const email = uniqueEmail('reuse');
    const first = ok(await gql(url, REGISTER, { input: { email, password: PASSWORD, displayName: 'Reuse', role: 'BUSINESS' } })).register;
    const second = ok(await gql(url, REFRESH, { token: first.refreshToken })).refreshSession;

    const replay = await gql(url, REFRESH, { token: first.refreshToken });
    expect(errorCodes(replay)).toEqual(['UNAUTHENTICATED']);
    expect(replay.errors![0]!.extensions!.reason).toBe('REFRESH_TOKEN_REUSED');

    // The legitimate holder's newer token died with the family.
    const victim = await gql(url, REFRESH, { token: second.refreshToken });
    expect(errorCodes(victim)).toEqual(['UNAUTHENTICATED']);

    // A separate login is a separate family and keeps working.
    const other = ok(await gql(url, LOGIN, { input: { email, password: PASSWORD } })).login;
    expect(ok(await gql(url, REFRESH, { token: other.refreshToken })).refreshSession.user.id).toBe(first.user.id);
  });

  it('resets a password with a single-use link and never reveals unknown emails', async () => {
    const email = uniqueEmail('reset');
    const user = ok(await gql(url, REGISTER, { input: { email, password: PASSWORD, displayName: 'Reset', role: 'BUSINESS' } })).register;
    const RESET_REQUEST = `mutation($e: String!) { requestPasswordReset(email: $e) }`;
    expect(ok(await gql(url, RESET_REQUEST, { e: uniqueEmail('nobody') })).requestPasswordReset).toBe(true);
    expect(ok(await gql(url, RESET_REQUEST, { e: email })).requestPasswordReset).toBe(true);

    const token = tokenFromLink((await waitForMail(env.MAIL_DIR!, email, 'reset-password')).link);
    const RESET = `mutation($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) }`;
    expect(errorCodes(await gql(url, RESET, { t: token, p: 'short' }))).toEqual(['BAD_USER_INPUT']);
    expect(ok(await gql(url, RESET, { t: token, p: 'a brand new passphrase' })).resetPassword).toBe(true);
    expect(errorCodes(await gql(url, RESET, { t: token, p: 'yet another passphrase' }))).toEqual(['BAD_USER_INPUT']);

    expect(errorCodes(await gql(url, LOGIN, { input: { email, password: PASSWORD } }))).toEqual(['UNAUTHENTICATED']);
    expect(ok(await gql(url, LOGIN, { input: { email, password: 'a brand new passphrase' } })).login.user.id).toBe(user.user.id);
    // Resetting signed out the sessions that existed before.
    expect(errorCodes(await gql(url, REFRESH, { token: user.refreshToken }))).toEqual(['UNAUTHENTICATED']);
  });

  it('updates the profile and honours idempotency keys', async () => {
    const email = uniqueEmail('profile');
    const input = { email, password: PASSWORD, displayName: 'Before', role: 'BUSINESS', idempotencyKey: `reg-${email}` };
    const first = ok(await gql(url, REGISTER, { input })).register;
    // A retried registration answers with the same account rather than failing or creating another.
    const retried = ok(await gql(url, REGISTER, { input })).register;
    expect(retried.user.id).toBe(first.user.id);

    const UPDATE = `mutation($input: UpdateProfileInput!) { updateProfile(input: $input) { id displayName avatar { id } } }`;
    const updated = ok(await gql(url, UPDATE, { input: { displayName: 'After', idempotencyKey: 'rename-1' } }, { token: first.accessToken }));
    expect(updated.updateProfile).toEqual({ id: first.user.id, displayName: 'After', avatar: null });
    expect(errorCodes(await gql(url, UPDATE, { input: { displayName: 'x'.repeat(81) } }, { token: first.accessToken }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await gql(url, UPDATE, { input: { displayName: 'Anon' } }))).toEqual(['UNAUTHENTICATED']);

    const other = ok(await gql(url, REGISTER, { input: { email: uniqueEmail('viewer'), password: PASSWORD, displayName: 'Other', role: 'BUSINESS' } })).register;
    const seen = await gql(url, `query($id: ID!) { user(id: $id) { id displayName email } }`, { id: first.user.id }, { token: other.accessToken });
    expect(errorCodes(seen)).toEqual(['FORBIDDEN']);
    const visible = ok(await gql(url, `query($id: ID!) { user(id: $id) { id displayName } }`, { id: first.user.id }, { token: other.accessToken }));
    expect(visible.user).toEqual({ id: first.user.id, displayName: 'After' });
  });

  it('shows emailVerified to the user themself only, null to anyone else', async () => {
    const owner = ok(await gql(url, REGISTER, { input: { email: uniqueEmail('verified'), password: PASSWORD, displayName: 'Owner', role: 'BUSINESS' } })).register;
    const other = ok(await gql(url, REGISTER, { input: { email: uniqueEmail('curious'), password: PASSWORD, displayName: 'Curious', role: 'BUSINESS' } })).register;
    const USER = `query($id: ID!) { user(id: $id) { id emailVerified } }`;
    expect(ok(await gql(url, USER, { id: owner.user.id }, { token: owner.accessToken })).user).toEqual({ id: owner.user.id, emailVerified: false });
    expect(ok(await gql(url, USER, { id: owner.user.id }, { token: other.accessToken })).user).toEqual({ id: owner.user.id, emailVerified: null });
  });
});
