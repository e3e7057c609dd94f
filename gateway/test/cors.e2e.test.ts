import { freePort } from '@finder/testing/ports';
import { startNode, waitForReady, type Service } from '@finder/testing/processes';
import { stackEnv } from '@finder/testing/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const env = stackEnv();
const url = env.PUBLIC_URL!;
/** The default allowlist: the app's own origin (APP_URL's). */
const appOrigin = new URL(env.APP_URL!).origin;
const stranger = 'https://evil.example';
const QUERY = JSON.stringify({ query: '{ __typename }' });

const post = (target: string, origin?: string) =>
  fetch(target, { method: 'POST', headers: { 'content-type': 'application/json', ...(origin ? { origin } : {}) }, body: QUERY });

const preflight = (target: string, origin: string, requestHeaders = 'authorization, content-type, apollo-require-preflight, x-apollo-operation-name') =>
  fetch(target, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': requestHeaders },
  });

const corsHeaders = (response: Response) =>
  [...response.headers.keys()].filter((name) => name.startsWith('access-control-')).sort();

describe('CORS on /graphql through nginx (default allowlist: the app origin)', () => {
  it('echoes an allowed origin on a request and still answers it', async () => {
    const response = await post(url, appOrigin);
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe(appOrigin);
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
    expect(response.headers.get('vary')).toMatch(/\bOrigin\b/i);
    expect(await response.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it('gives a disallowed origin no CORS header at all', async () => {
    const response = await post(url, stranger);
    expect(corsHeaders(response)).toEqual([]);
    expect(response.headers.get('vary')).toMatch(/\bOrigin\b/i);
  });

  it('answers the preflight of an allowed origin with the methods and headers clients send', async () => {
    const response = await preflight(url, appOrigin);
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(appOrigin);
    expect(response.headers.get('access-control-allow-methods')!.split(/,\s*/)).toEqual(expect.arrayContaining(['GET', 'POST', 'OPTIONS']));
    const allowed = response.headers.get('access-control-allow-headers')!.split(/,\s*/);
    expect(allowed).toEqual(expect.arrayContaining(['authorization', 'content-type', 'apollo-require-preflight', 'x-apollo-operation-name']));
    expect(Number(response.headers.get('access-control-max-age'))).toBeGreaterThan(0);
    // nginx's request id on every answer, the preflight's too.
    expect(response.headers.get('x-request-id')).toBeTruthy();
  });

  it('answers the preflight of a disallowed origin without CORS headers, so the browser stops there', async () => {
    const response = await preflight(url, stranger);
    expect(response.status).toBe(204);
    expect(corsHeaders(response)).toEqual([]);
  });

  it('leaves requests without Origin (curl, servers) as they were', async () => {
    const response = await post(url);
    expect(response.status).toBe(200);
    expect(corsHeaders(response)).toEqual([]);
  });
});

describe('CORS_ORIGINS', () => {
  let gateway: Service;
  let direct: string;
  const studio = 'https://studio.apollographql.com';

  beforeAll(async () => {
    const port = await freePort();
    gateway = startNode('gateway/src/index.ts', [], { ...env, PORT: String(port), CORS_ORIGINS: `${studio}, http://localhost:3000` });
    // Generous: a gateway starts in seconds, but minutes on a loaded two-core machine.
    await waitForReady(`http://127.0.0.1:${port}/readyz`, 240_000, gateway);
    direct = `http://127.0.0.1:${port}/graphql`;
  }, 300_000);

  afterAll(async () => {
    await gateway?.kill();
  });

  it('replaces the default: only the listed origins are allowed', async () => {
    for (const origin of [studio, 'http://localhost:3000']) {
      const response = await preflight(direct, origin);
      expect(response.headers.get('access-control-allow-origin'), origin).toBe(origin);
      expect((await post(direct, origin)).headers.get('access-control-allow-origin'), origin).toBe(origin);
    }
    expect(corsHeaders(await preflight(direct, appOrigin))).toEqual([]);
    expect(corsHeaders(await post(direct, appOrigin))).toEqual([]);
  });

  it('refuses to start with a value that is not an origin, naming it', async () => {
    const bad = startNode('gateway/src/index.ts', [], { ...env, PORT: '0', CORS_ORIGINS: `${studio},https://app.example/path` });
    // 'close': after the exit and after its output was read.
    const code = await new Promise<number | null>((resolve) => bad.process.once('close', resolve));
    expect(code).toBe(1);
    expect(bad.output.join('\n')).toMatch(/CORS_ORIGINS: "https:\/\/app\.example\/path" is not an origin/);
  }, 180_000);
});
