import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startNginx } from '@finder/testing/nginx';
import { until } from '@finder/testing/processes';
import { freePort } from '@finder/testing/ports';
import { stackEnv } from '@finder/testing/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser, upload, type TestUser } from './helpers.ts';

const env = stackEnv();
const hostPort = (u: string) => new URL(u).host;

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
});
