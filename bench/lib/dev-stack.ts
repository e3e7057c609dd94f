import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createTokenIssuer, type Viewer } from '@finder/platform/auth';
import { errorCodes, gql, ok } from '@finder/testing/graphql-client';
import { devUp } from '@finder/testing/processes';
import { stackEnv } from '@finder/testing/stack';
import type { Progress } from './progress.ts';

export type StackEnv = Record<string, string>;

/**
 * The suites that measure the real subgraphs run against `./dev up`'s stack: used as it is when
 * every gateway and subgraph answers ready, otherwise started with `./dev up`; left running either
 * way, since it is shared with tests and other work.
 */
export async function useDevStack(progress: Progress): Promise<StackEnv> {
  if (await stackIsReady()) {
    progress('the ./dev stack is up and ready');
  } else {
    progress('./dev up (the stack is not up, or not all of it is ready)');
    await devUp();
  }
  return stackEnv();
}

/**
 * For measurements that need only the infrastructure (Postgres, Redis, the broker): uses the
 * stack as it is when it is up, services included; otherwise starts the infrastructure alone
 * (`SKIP_SERVICES=1 ./dev up`), so the idle services (about 0.4 of the 2 cores here, their
 * consumers polling the local broker) do not share the machine with the measurement.
 * `servicesBeside` says which it was; `useDevStack` later starts the rest.
 */
export async function useDevInfrastructure(progress: Progress): Promise<{ env: StackEnv; servicesBeside: boolean }> {
  if (await stackIsReady()) {
    progress('the ./dev stack is up and ready (its idle services stay beside the measurement)');
    return { env: stackEnv(), servicesBeside: true };
  }
  progress('SKIP_SERVICES=1 ./dev up (the infrastructure only, for now)');
  await devUp({ SKIP_SERVICES: '1' });
  return { env: stackEnv(), servicesBeside: false };
}

async function stackIsReady(): Promise<boolean> {
  let env: StackEnv;
  try {
    env = stackEnv();
  } catch {
    return false;
  }
  const urls = [
    ...(env.GATEWAY_URLS ?? '').split(',').filter(Boolean),
    ...Object.entries(env).filter(([key]) => /^SUBGRAPH_\w+_URL$/.test(key)).map(([, url]) => url),
  ].map((url) => url.replace(/\/graphql$/, '/readyz'));
  const ready = await Promise.all(urls.map((url) => fetch(url, { signal: AbortSignal.timeout(10_000) }).then((r) => r.ok, () => false)));
  return urls.length > 0 && ready.every(Boolean);
}

const LOGIN = 'mutation($input: LoginInput!) { login(input: $input) { accessToken } }';

export const DEMO_PASSWORD = 'demo-password-2026';
export const DEMO_BUSINESS = 'business@demo.finder.local';
export const DEMO_PROFESSIONALS = ['cfo@demo.finder.local', 'tax@demo.finder.local'];

/**
 * Logs in through nginx and returns who that is (from the access token's claims). A login is a
 * write; on a loaded machine it can answer WRITE_PENDING, and the same idempotency key then asks
 * for its outcome.
 */
export async function login(env: StackEnv, email: string, password = DEMO_PASSWORD): Promise<Viewer> {
  const data = await mutate(env, LOGIN, { email, password, idempotencyKey: `bench-login-${randomUUID()}` });
  const claims = JSON.parse(Buffer.from(data.login.accessToken.split('.')[1], 'base64url').toString());
  return { id: claims.sub, role: claims.role, sessionId: claims.sid };
}

/**
 * A mutation through nginx whose `input` carries an idempotency key: a WRITE_PENDING answer (a
 * loaded machine) is retried with the same key, which answers with the first attempt's outcome.
 */
export async function mutate(env: StackEnv, query: string, input: Record<string, unknown> & { idempotencyKey: string }, token?: string): Promise<any> {
  const options = token ? { token } : {};
  let result = await gql(env.PUBLIC_URL!, query, { input }, options);
  for (let attempt = 1; attempt < 6 && errorCodes(result).includes('WRITE_PENDING'); attempt++) result = await gql(env.PUBLIC_URL!, query, { input }, options);
  return ok(result);
}

/**
 * Access tokens signed with the stack's key that outlive a long run (the regular ones last 15
 * minutes); every gateway verifies them exactly as it verifies a login's token.
 */
export async function createBenchTokens(env: StackEnv, ttlSeconds = 4 * 3600) {
  const issuer = await createTokenIssuer({
    privateKeyPem: readFileSync(env.JWT_PRIVATE_KEY_FILE!, 'utf8'),
    issuer: env.JWT_ISSUER ?? 'finder-realtime',
    ttlSeconds,
  });
  return async (viewer: Viewer) => (await issuer.sign(viewer)).token;
}
