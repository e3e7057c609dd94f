import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createTokenIssuer, signIdentity, signIdentityWithKey, subgraphIdentitySecret } from '@finder/platform/auth';
import { query } from '@finder/testing/database';
import { randomSecret } from '@finder/testing/keys';
import { errorCodes, gql, ok } from '@finder/testing/graphql-client';
import { uniqueEmail } from '@finder/testing/ports';
import { stackEnv } from '@finder/testing/stack';
import { beforeAll, describe, expect, it } from 'vitest';

const env = stackEnv();
const identitySecret = env.IDENTITY_SECRET!;
const url = env.PUBLIC_URL!;
const REGISTER = `mutation($input: RegisterInput!) { register(input: $input) { accessToken user { id } } }`;
const LOGIN = `mutation($input: LoginInput!) { login(input: $input) { accessToken } }`;

const usersWithEmail = async (email: string) =>
  (await query<{ n: string }>(env.DATABASE_URL!, 'select count(*) as n from users.users where email_normalized = $1', [email.toLowerCase()]))[0]!.n;

async function post(body: string | Buffer, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  const response = await fetch(url, { method: 'POST', headers, body });
  return { status: response.status, body: (await response.json()) as { errors?: { message: string; extensions?: { code?: string } }[] } };
}

describe('bad input is refused clearly and changes nothing', () => {
  let account: { email: string; accessToken: string; id: string };
  beforeAll(async () => {
    const email = uniqueEmail('victim');
    const { register } = ok(await gql(url, REGISTER, { input: { email, password: 'correct horse battery', displayName: 'Victim', role: 'BUSINESS' } }));
    account = { email, accessToken: register.accessToken, id: register.user.id };
  });

  it('names the bad field of a registration and stores nothing', async () => {
    const cases = [
      { input: { email: 'not-an-email', password: 'correct horse battery', displayName: 'A', role: 'BUSINESS' }, field: 'input.email' },
      { input: { email: uniqueEmail('short'), password: 'short', displayName: 'A', role: 'BUSINESS' }, field: 'input.password' },
      { input: { email: uniqueEmail('admin'), password: 'correct horse battery', displayName: 'A', role: 'ADMIN' }, field: 'input.role' },
      { input: { email: uniqueEmail('name'), password: 'correct horse battery', displayName: 'x'.repeat(500), role: 'BUSINESS' }, field: 'input.displayName' },
    ];
    for (const { input, field } of cases) {
      const result = await gql(url, REGISTER, { input });
      expect(errorCodes(result), field).toEqual(['BAD_USER_INPUT']);
      expect(result.errors![0]!.extensions!.field).toBe(field);
      expect(result.errors![0]!.message).toContain(field);
      expect(await usersWithEmail(input.email)).toBe('0');
    }
    const wrongType = await gql(url, REGISTER, { input: { email: 42, password: true, displayName: null, role: 'KING' } });
    expect(wrongType.status).toBe(400);
    expect(errorCodes(wrongType)[0]).toBe('BAD_USER_INPUT');
  });

  it('answers a wrong password exactly like an unknown email', async () => {
    const wrong = await gql(url, LOGIN, { input: { email: account.email, password: 'not the password' } });
    const unknown = await gql(url, LOGIN, { input: { email: uniqueEmail('ghost'), password: 'not the password' } });
    expect(errorCodes(wrong)).toEqual(['UNAUTHENTICATED']);
    expect(wrong.errors![0]!.message).toBe(unknown.errors![0]!.message);
    expect(wrong.errors![0]!.extensions).toEqual(unknown.errors![0]!.extensions);
  });

  it('refuses expired and forged access tokens with 401 and a reason', async () => {
    const privateKeyPem = readFileSync(env.JWT_PRIVATE_KEY_FILE!, 'utf8');
    const expired = await (await createTokenIssuer({ privateKeyPem, issuer: env.JWT_ISSUER ?? 'finder-realtime', ttlSeconds: -120 })).sign({
      id: account.id,
      role: 'BUSINESS',
      sessionId: 'x',
    });
    const forgedKey = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const forged = await (await createTokenIssuer({ privateKeyPem: forgedKey, issuer: 'finder-realtime', ttlSeconds: 600 })).sign({
      id: account.id,
      role: 'ADMIN',
      sessionId: 'x',
    });
    for (const [token, reason] of [
      [expired.token, 'TOKEN_EXPIRED'],
      [forged.token, 'TOKEN_INVALID'],
      ['not-a-jwt', 'TOKEN_INVALID'],
    ] as const) {
      const result = await gql(url, '{ me { id } }', {}, { token });
      expect(result.status, reason).toBe(401);
      expect(errorCodes(result)).toEqual(['UNAUTHENTICATED']);
      expect(result.errors![0]!.extensions!.reason).toBe(reason);
    }
    expect(ok(await gql(url, '{ me { id } }', {}, { token: account.accessToken })).me.id).toBe(account.id);
  });

  it('refuses requests sent straight to a subgraph without the gateway signature', async () => {
    const subgraph = env.SUBGRAPH_USERS_URL!;
    const unsigned = await gql(subgraph, '{ me { id } }');
    expect(unsigned.status).toBe(401);
    expect(errorCodes(unsigned)).toEqual(['UNAUTHENTICATED']);
    const scope = { audience: 'users', method: 'POST', body: JSON.stringify({ query: '{ me { id } }', variables: {} }) };
    // Signed under a secret that is not the gateways'.
    const wronglySigned = await gql(subgraph, '{ me { id } }', {}, { headers: { 'x-finder-identity': signIdentity(null, randomSecret(), scope) } });
    expect(wronglySigned.status).toBe(401);
    const correctlySigned = await gql(subgraph, '{ me { id } }', {}, { headers: { 'x-finder-identity': signIdentity(null, identitySecret, scope) } });
    expect(correctlySigned.status).toBe(200);
  });

  it('refuses a captured identity header replayed to another subgraph, with another body or after 30 s', async () => {
    const viewer = { id: randomUUID(), role: 'BUSINESS' as const, sessionId: 'captured' };
    const body = JSON.stringify({ query: '{ me { id } }', variables: {} });
    const captured = signIdentity(viewer, identitySecret, { audience: 'users', method: 'POST', body });
    const send = (url: string, sent: string, identity: string) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-finder-identity': identity }, body: sent });

    const genuine = await send(env.SUBGRAPH_USERS_URL!, body, captured);
    expect(genuine.status).toBe(200);
    expect(((await genuine.json()) as { errors?: unknown[] }).errors).toBeUndefined();

    const refusals = [
      // Each subgraph verifies with its own key: users' signature means nothing to chat...
      [await send(env.SUBGRAPH_CHAT_URL!, JSON.stringify({ query: '{ __typename }', variables: {} }), captured), 'wrong identity signature'],
      // ...and chat's key (all a compromised chat holds) speaks for nobody to users.
      [await send(env.SUBGRAPH_USERS_URL!, body, signIdentityWithKey(viewer, subgraphIdentitySecret(identitySecret, 'chat'), { audience: 'users', method: 'POST', body })), 'wrong identity signature'],
      [await send(env.SUBGRAPH_USERS_URL!, JSON.stringify({ query: '{ me { id email } }', variables: {} }), captured), 'another body'],
      [await send(env.SUBGRAPH_USERS_URL!, `${body} `, captured), 'another body'],
      [await send(env.SUBGRAPH_USERS_URL!, body, signIdentity(viewer, identitySecret, { audience: 'users', method: 'POST', body }, Date.now() - 31_000)), 'expired'],
    ] as const;
    for (const [response, reason] of refusals) {
      expect(response.status, reason).toBe(401);
      const answer = (await response.json()) as { errors: { message: string; extensions: { code: string } }[] };
      expect(answer.errors[0]!.extensions.code, reason).toBe('UNAUTHENTICATED');
      expect(answer.errors[0]!.message, reason).toContain(reason);
    }
  });

  it('refuses a body over 1 MB, malformed JSON, invalid documents and cross-site requests', async () => {
    const huge = JSON.stringify({ query: '{ me { id } }', variables: { pad: 'x'.repeat(1024 * 1024 + 10) } });
    const tooLarge = await post(huge);
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.body.errors![0]!.extensions!.code).toBe('PAYLOAD_TOO_LARGE');

    const malformed = await post('{"query": "{ me { id } }"');
    expect(malformed.status).toBe(400);
    expect(malformed.body.errors![0]!.message).toMatch(/Malformed JSON/);

    const parse = await gql(url, '{ me { id }');
    expect(errorCodes(parse)).toEqual(['GRAPHQL_PARSE_FAILED']);
    const unknownField = await gql(url, '{ me { id favouriteColour } }');
    expect(errorCodes(unknownField)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(unknownField.errors![0]!.message).toMatch(/favouriteColour/);

    // A form post from another site: CSRF prevention refuses it before executing anything.
    const csrf = await fetch(url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ query: 'mutation { logout(refreshToken: "x") }' }) });
    expect(csrf.status).toBe(400);
  });
});
