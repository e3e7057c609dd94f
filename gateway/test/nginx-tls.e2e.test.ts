import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNginx } from '@finder/testing/nginx';
import { freePort } from '@finder/testing/ports';
import { stackEnv } from '@finder/testing/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The production nginx's TLS shape (the template's #TLS lines rendered on) in front of the stack's
 * gateways, with a certificate made for 127.0.0.1 by the test.
 */
describe('nginx with TLS on', () => {
  const env = stackEnv();
  const dir = mkdtempSync(join(tmpdir(), 'finder-tls-'));
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  let nginx: Awaited<ReturnType<typeof startNginx>>;
  let httpPort: number;

  beforeAll(async () => {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyFile, '-out', certFile], { stdio: 'ignore' });
    httpPort = await freePort();
    const upstreams = env.GATEWAY_URLS!.split(',').map((u) => new URL(u).host);
    nginx = await startNginx(await freePort(), upstreams, undefined, undefined, { certFile, keyFile, httpPort });
  });
  afterAll(async () => {
    await nginx?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A request over HTTPS trusting only the test's certificate. */
  const https = (path: string, body?: string) =>
    new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>((resolve, reject) => {
      const req = request(`${nginx.url}${path}`, { method: body ? 'POST' : 'GET', ca: readFileSync(certFile), headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
      });
      req.on('error', reject);
      req.end(body);
    });

  it('serves GraphQL over HTTPS with Strict-Transport-Security', async () => {
    const answer = await https('/graphql', JSON.stringify({ query: '{ __typename }' }));
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ data: { __typename: 'Query' } });
    expect(answer.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    expect(answer.headers['x-content-type-options']).toBe('nosniff');
  });

  it('answers health checks over plain HTTP and sends everything else to HTTPS', async () => {
    expect((await fetch(`http://127.0.0.1:${httpPort}/healthz`)).status).toBe(200);
    const redirect = await fetch(`http://127.0.0.1:${httpPort}/graphql?query=%7B__typename%7D`, { redirect: 'manual' });
    expect(redirect.status).toBe(301);
    expect(redirect.headers.get('location')).toMatch(/^https:\/\/127\.0\.0\.1(:\d+)?\/graphql\?query=/);
  });
});
