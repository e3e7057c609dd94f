/**
 * Direct answers (direct-answers.ts) against Apollo Server's pipeline over the stack's subgraphs:
 * two gateways of their own, one with GATEWAY_DIRECT_ANSWERS and one without, in production mode,
 * sharing the stack's Redis (budgets) and subgraphs. Every request must get the same status, headers
 * and body bytes from both; the metric of the first says which path answered, so a case meant for
 * the direct path cannot pass by going to Apollo Server.
 */
import { gql, ok } from '@finder/testing/graphql-client';
import { freePort, uniqueEmail } from '@finder/testing/ports';
import { startNode, waitForReady, type Service } from '@finder/testing/processes';
import { stackEnv } from '@finder/testing/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const env = stackEnv();
const run = Math.floor(Math.random() * 200) + 20;
let nextHost = 1;
/** A client address no other case (or earlier run) uses: each case starts with fresh budgets. */
const address = () => `10.${run}.${200 + Math.floor(nextHost / 250)}.${(nextHost++ % 250) + 1}`;

interface Case {
  name: string;
  body: unknown;
  headers?: Record<string, string>;
  /** Who must answer on the gateway with direct answers; one per time the request is sent, in turn. */
  by: 'direct' | 'apollo' | ('direct' | 'apollo')[];
  /** Sent by a user of its own (one per gateway: budgets are per viewer). */
  signedIn?: boolean;
}

const ME = 'query Me { me { id displayName role } }';
const PASSWORD = 'correct horse battery';
/** A login of the case's own user (its email is put in when sent). */
const login = (password: 'right' | 'wrong') => ({
  query: 'mutation Login($input: LoginInput!) { login(input: $input) { accessToken refreshToken user { id displayName } } }',
  variables: { input: { email: '<email>', password: password === 'right' ? PASSWORD : 'not the password' } },
});
const CASES: Case[] = [
  { name: 'a signed-in query', body: { query: ME }, signedIn: true, by: 'direct' },
  { name: 'operationName given', body: { query: ME, operationName: 'Me' }, signedIn: true, by: 'direct' },
  { name: 'operationName null', body: { query: ME, operationName: null }, signedIn: true, by: 'direct' },
  { name: 'client extensions', body: { query: ME, extensions: { clientLibrary: { name: 'sdk', version: '1' } } }, signedIn: true, by: 'direct' },
  {
    name: 'variables, defaults, aliases, fragments and @skip/@include',
    body: {
      query: `query Search($first: Int = 2, $withUser: Boolean!, $skipRate: Boolean = true) {
        found: searchProfessionals(first: $first) { edges { node { ...Pro hourlyRate @skip(if: $skipRate) user @include(if: $withUser) { id name: displayName } } } pageInfo { hasNextPage } }
        __typename
      }
      fragment Pro on ProfessionalProfile { headline rating }`,
      variables: { withUser: true },
    },
    signedIn: true,
    by: 'direct',
  },
  { name: 'a document of several operations, one picked', body: { query: `${ME} query Other { __typename }`, operationName: 'Other' }, by: 'direct' },
  { name: 'only __typename, no fetch', body: { query: '{ __typename }' }, by: 'direct' },
  { name: 'a field error from a subgraph (anonymous)', body: { query: 'query { searchProfessionals(first: 1) { edges { node { headline } } } }' }, by: 'apollo' },
  { name: 'variables that do not coerce', body: { query: 'query Q($n: Int!) { searchProfessionals(first: $n) { edges { cursor } } }', variables: { n: 'x' } }, signedIn: true, by: 'apollo' },
  { name: 'a missing variable', body: { query: 'query Q($n: Int!) { searchProfessionals(first: $n) { edges { cursor } } }' }, signedIn: true, by: 'apollo' },
  { name: 'variables null', body: { query: ME, variables: null }, signedIn: true, by: 'apollo' },
  { name: 'an invalid document', body: { query: '{ nope }' }, by: 'apollo' },
  { name: 'a document that does not parse', body: { query: '{ me { id ' }, by: 'apollo' },
  { name: 'an unknown operation name', body: { query: ME, operationName: 'Nope' }, by: 'apollo' },
  { name: 'several operations, none picked', body: { query: `${ME} query Other { __typename }` }, by: 'apollo' },
  { name: 'introspection (off in production)', body: { query: '{ __schema { queryType { name } } }' }, by: 'apollo' },
  { name: 'too deep', body: { query: `{ me { ${'conversations(first: 1) { edges { node { participants { '.repeat(6)}id${' } } } }'.repeat(6)} } }` }, signedIn: true, by: 'apollo' },
  { name: 'a bad token', body: { query: ME }, headers: { authorization: 'Bearer not-a-token' }, by: 'apollo' },
  { name: 'a mutation', body: { query: 'mutation { updateProfile(input: { displayName: "Renamed Person" }) { displayName role } }' }, signedIn: true, by: 'direct' },
  { name: 'a mutation with variables and an alias', body: { query: 'mutation Rename($input: UpdateProfileInput!) { renamed: updateProfile(input: $input) { displayName } }', variables: { input: { displayName: 'Named Again' } } }, signedIn: true, by: 'direct' },
  { name: 'a mutation refused by its subgraph', body: { query: 'mutation { updateProfile(input: { displayName: "" }) { displayName } }' }, signedIn: true, by: 'apollo' },
  { name: 'a mutation that needs a viewer, anonymous', body: { query: 'mutation { updateProfile(input: { displayName: "Nobody" }) { displayName } }' }, by: 'apollo' },
  { name: 'a mutation with a failing token', body: { query: 'mutation { logout(refreshToken: "not-a-refresh-token") }' }, by: 'apollo' },
  { name: 'an extra body field', body: { query: ME, surprise: 1 }, signedIn: true, by: 'apollo' },
  { name: 'the GraphQL response media type', body: { query: ME }, headers: { accept: 'application/graphql-response+json' }, signedIn: true, by: 'apollo' },
  // BUDGET_LOGIN_PER_ACCOUNT=2/1m, and a login that succeeds gives its point back: every right
  // password gets in, on the direct path; wrong ones use the account's budget up.
  { name: 'logins that succeed, more than the per-account budget', body: login('right'), signedIn: true, by: ['direct', 'direct', 'direct', 'direct'] },
  { name: 'logins that fail, then the per-account budget', body: login('wrong'), signedIn: true, by: ['apollo', 'apollo', 'apollo'] },
  // BUDGET_SEARCH_PROFESSIONALS=2/1m: two answers, then refusals (429 with Retry-After).
  { name: 'a budget running out', body: { query: 'query { searchProfessionals(first: 1) { edges { cursor } } }' }, signedIn: true, by: ['direct', 'direct', 'apollo', 'apollo'] },
  { name: 'a budget running out, anonymous', body: { query: 'query { searchProfessionals(first: 1) { edges { cursor } } }' }, by: ['apollo', 'apollo', 'apollo'] },
];

interface User {
  id: string;
  name: string;
  email: string;
  token: string;
}

/** A user of the case's own, registered through nginx (whose gateways have the stack's large budgets). */
async function register(name: string): Promise<User> {
  const email = uniqueEmail('direct');
  const { register: registered } = ok(
    await gql(env.PUBLIC_URL!, 'mutation($i: RegisterInput!) { register(input: $i) { accessToken user { id } } }', {
      i: { email, password: PASSWORD, displayName: name, role: 'BUSINESS' },
    }),
  );
  return { id: registered.user.id, name, email, token: registered.accessToken };
}

const IGNORED_HEADERS = new Set(['date', 'connection', 'keep-alive']);

describe('direct answers against Apollo Server', () => {
  const services: Service[] = [];
  let direct: string;
  let apollo: string;

  beforeAll(async () => {
    const ports = [await freePort(), await freePort()];
    const settings = { NODE_ENV: 'production', BUDGET_SEARCH_PROFESSIONALS: '2/1m', BUDGET_LOGIN_PER_ACCOUNT: '2/1m', GRAPHQL_MAX_DEPTH: '8' };
    services.push(startNode('gateway/src/index.ts', [], { ...env, ...settings, GATEWAY_DIRECT_ANSWERS: 'true', PORT: String(ports[0]) }));
    services.push(startNode('gateway/src/index.ts', [], { ...env, ...settings, GATEWAY_DIRECT_ANSWERS: 'false', PORT: String(ports[1]) }));
    await Promise.all(ports.map((port, i) => waitForReady(`http://127.0.0.1:${port}/readyz`, 240_000, services[i])));
    [direct, apollo] = ports.map((port) => `http://127.0.0.1:${port}`) as [string, string];
  }, 300_000);

  afterAll(async () => {
    await Promise.all(services.map((s) => s.kill()));
  });

  async function send(base: string, testCase: Case, from: string, user: User | undefined) {
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-forwarded-for': from, ...testCase.headers };
    if (user) headers.authorization = `Bearer ${user.token}`;
    const body = user ? JSON.stringify(testCase.body).replace('<email>', user.email) : JSON.stringify(testCase.body);
    const response = await fetch(`${base}/graphql`, { method: 'POST', headers, body });
    const kept = [...response.headers].filter(([name]) => !IGNORED_HEADERS.has(name));
    // The two users' ids and names differ, and so does the time left of a budget; nothing else may.
    let text = (await response.text())
      .replace(/"retryAfterMs":(\d+)/, (_, ms: string) => `"retryAfterMs":${Number(ms) > 0 && Number(ms) <= 60_000 ? '<within a minute>' : ms}`)
      .replace(/"(accessToken|refreshToken)":"[^"]+"/g, '"$1":"<token>"');
    if (user) text = text.replaceAll(user.id, '<viewer>').replaceAll(user.name, '<name>').replaceAll(user.email, '<email>');
    return { status: response.status, headers: kept, body: text };
  }

  async function answeredBy(): Promise<Record<string, number>> {
    const text = await (await fetch(`${direct}/metrics`)).text();
    const counts: Record<string, number> = { direct: 0, apollo: 0 };
    for (const match of text.matchAll(/^gateway_http_answers_total\{by="(\w+)"[^}]*\} (\d+)/gm)) counts[match[1]!] = Number(match[2]);
    return counts;
  }

  for (const testCase of CASES) {
    it(`answers the same: ${testCase.name}`, { timeout: 60_000 }, async () => {
      const [fromDirect, fromApollo] = [address(), address()];
      const [userDirect, userApollo] = testCase.signedIn ? await Promise.all([register('Direct One'), register('Direct Two')]) : [undefined, undefined];
      const answerers = Array.isArray(testCase.by) ? testCase.by : [testCase.by];
      for (const [i, by] of answerers.entries()) {
        const before = await answeredBy();
        const [a, b] = [await send(direct, testCase, fromDirect, userDirect), await send(apollo, testCase, fromApollo, userApollo)];
        expect(a, `answer ${i + 1}`).toEqual(b);
        const after = await answeredBy();
        expect(after[by]! - before[by]!, `answer ${i + 1} by ${by}`).toBe(1);
      }
    });
  }
});
