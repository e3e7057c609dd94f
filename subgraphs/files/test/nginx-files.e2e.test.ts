import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { startNginx } from '@finder/testing/nginx';
import { until } from '@finder/testing/processes';
import { freePort } from '@finder/testing/ports';
import { stackEnv } from '@finder/testing/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser, upload, type TestUser } from './helpers.ts';

const env = stackEnv();
const hostPort = (u: string) => new URL(u).host;

/** A request with its path exactly as written: fetch() would normalize `\` and `..` first. */
function rawGet(base: string, path: string): Promise<{ status: number; body: string; type: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body, type: String(res.headers['content-type'] ?? '') }));
    });
    req.on('error', reject);
    req.end();
  });
}

// A private nginx rendered from the template as it is now, in front of the stack's gateways and
// files service, so what it logs and refuses is this checkout's configuration.
describe('nginx in front of the files routes', () => {
  let nginx: Awaited<ReturnType<typeof startNginx>>;
  let alice: TestUser;
  const filesBase = env.SUBGRAPH_FILES_URL!.replace(/\/graphql$/, '');

  beforeAll(async () => {
    const gateways = env.GATEWAY_URLS!.split(',').map(hostPort);
    nginx = await startNginx(await freePort(), gateways, hostPort(filesBase));
    alice = await registerUser(env.PUBLIC_URL!, 'Alice');
  }, 120_000);
  afterAll(() => nginx?.stop());

  it('logs a signed download by its path, never its signature', async () => {
    const file = await upload(env.PUBLIC_URL!, alice, 'notes.txt', 'text/plain', Buffer.from('hello\n'));
    const signed = new URL(file.downloadUrl);
    const response = await fetch(`${nginx.url}${signed.pathname}${signed.search}`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('hello\n');

    const sig = signed.searchParams.get('sig')!;
    const log = join(nginx.logDir, 'access.log');
    let line = '';
    await until(async () => (line = readFileSync(log, 'utf8').split('\n').find((l) => l.includes(file.id)) ?? '') !== '', 5_000, 'the access log line');
    expect(JSON.parse(line)).toMatchObject({ method: 'GET', path: `/files/download/${file.id}`, status: 200 });
    expect(line).not.toContain(sig);
    expect(line).not.toContain('sig=');
    expect(line).not.toContain('expires=');
  });

  it('refuses paths that Node would read as another route: backslashes, encoded backslashes and dots', async () => {
    // What is behind them: the files service's internal metrics, reachable from its own port.
    expect((await rawGet(filesBase, '/metrics')).body).toContain('# HELP');
    const tricks = [
      '/files/..\\metrics',
      '/files/download/..\\..\\metrics',
      '/files/..%5cmetrics',
      '/files/..%5Cmetrics',
      '/files/%2e%2e%5cmetrics',
      '/files/%2e%2e\\metrics',
      '/files/%2E%2E/metrics',
      '/files/download/%2e%2e/%2e%2e/metrics',
      '/files/.%2e/metrics',
    ];
    for (const path of tricks) {
      const { status, body, type } = await rawGet(nginx.url, path);
      expect(body, path).not.toContain('# HELP');
      // Refused, unless nginx's own decoding took it out of /files/ (then it is the web app's page).
      if (!type.startsWith('text/html')) expect([400, 404], path).toContain(status);
    }
    // The files service refuses them too when reached directly (behind another proxy).
    for (const path of tricks.slice(0, 6)) {
      const { status, body } = await rawGet(filesBase, path);
      expect(status, path).toBe(400);
      expect(body, path).not.toContain('# HELP');
    }
  });
});
