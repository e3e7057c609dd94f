import { readFileSync } from 'node:fs';
import { createTokenIssuer, type Viewer } from '@finder/platform/auth';
import { gql, ok } from '@finder/testing/graphql-client';
import { devUp } from '@finder/testing/processes';
import { stackEnv } from '@finder/testing/stack';
import type { Progress } from './progress.ts';

export type StackEnv = Record<string, string>;

/**
 * The suites that measure the real subgraphs run against `./dev up`'s stack: it is started (or
 * left as it is when already up) and left running, since it is shared with tests and other work.
 */
export async function useDevStack(progress: Progress): Promise<StackEnv> {
  progress('./dev up (starts the stack unless it is already running)');
  await devUp();
  return stackEnv();
}

export const DEMO_PASSWORD = 'demo-password-2026';
export const DEMO_BUSINESS = 'business@demo.finder.local';
export const DEMO_PROFESSIONALS = ['cfo@demo.finder.local', 'tax@demo.finder.local'];

/** Logs in through nginx and returns who that is (from the access token's claims). */
export async function login(env: StackEnv, email: string, password = DEMO_PASSWORD): Promise<Viewer> {
  const data = ok(await gql(env.PUBLIC_URL!, 'mutation($input: LoginInput!) { login(input: $input) { accessToken } }', { input: { email, password } }));
  const claims = JSON.parse(Buffer.from(data.login.accessToken.split('.')[1], 'base64url').toString());
  return { id: claims.sub, role: claims.role, sessionId: claims.sid };
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
