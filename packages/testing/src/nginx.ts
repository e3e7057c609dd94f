import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT_DIR } from './stack.ts';
import { stopChild, until } from './processes.ts';

/**
 * A private nginx in front of test gateways, rendered from the same template as the stack's and
 * production's configuration (infra/nginx/nginx.conf.template).
 */
export async function startNginx(
  port: number,
  upstreams: string[],
  filesUpstream = '127.0.0.1:9',
  /** Per-address limits on /graphql; by default far above what any test sends from 127.0.0.1. */
  graphqlLimits: { ratePerSecond: number; burst: number; connections: number } = { ratePerSecond: 100_000, burst: 100_000, connections: 60_000 },
  /** HTTPS on `port` with this certificate, and plain HTTP on `httpPort` (health and redirects). */
  tls?: { certFile: string; keyFile: string; httpPort: number },
): Promise<{ url: string; logDir: string; pid: number; stop(): Promise<void> }> {
  const prefix = mkdtempSync(join(tmpdir(), 'finder-nginx-'));
  for (const dir of ['conf', 'logs', 'temp']) mkdirSync(join(prefix, dir), { recursive: true });
  const values: Record<string, string> = {
    LISTEN: `127.0.0.1:${port}`,
    WORKER_PROCESSES: '1',
    PID_FILE: join(prefix, 'logs/nginx.pid'),
    LOG_DIR: join(prefix, 'logs'),
    TEMP_DIR: join(prefix, 'temp'),
    UPSTREAM_SERVERS: upstreams.map((u) => `        server ${u} max_fails=3 fail_timeout=10s;`).join('\n'),
    // The files service: tests of the gateways alone leave it at a port nothing listens on.
    FILES_SERVERS: `        server ${filesUpstream} max_fails=3 fail_timeout=10s;`,
    // The API explorer is the stack's (./dev up), not a test nginx's.
    EXPLORE_LOCATION: '        # /explore: not served by test nginx instances.',
    // The web app's build (served at /): whatever web/dist holds, missing in tests that need none.
    WEB_ROOT: join(ROOT_DIR, 'web/dist'),
    GRAPHQL_RATE: String(graphqlLimits.ratePerSecond),
    GRAPHQL_BURST: String(graphqlLimits.burst),
    GRAPHQL_CONNECTIONS: String(graphqlLimits.connections),
    TLS: tls ? '' : '#TLS ',
    TLS_LISTEN: tls ? ' ssl http2' : '',
    TLS_CERT: tls?.certFile ?? 'none',
    TLS_KEY: tls?.keyFile ?? 'none',
    HTTP_LISTEN: tls ? `127.0.0.1:${tls.httpPort}` : 'none',
  };
  const template = readFileSync(join(ROOT_DIR, 'infra/nginx/nginx.conf.template'), 'utf8');
  const config = template.replace(/@([A-Z_]+)@/g, (_, key: string) => {
    if (!(key in values)) throw new Error(`unknown placeholder @${key}@ in the nginx template`);
    return values[key]!;
  });
  writeFileSync(join(prefix, 'conf/nginx.conf'), config);
  const child = spawn('nginx', ['-p', prefix, '-c', 'conf/nginx.conf', '-e', 'logs/error.log', '-g', 'daemon off;'], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = tls ? `https://127.0.0.1:${port}` : `http://127.0.0.1:${port}`;
  const health = tls ? `http://127.0.0.1:${tls.httpPort}/healthz` : `${url}/healthz`;
  await until(() => fetch(health).then((r) => r.ok, () => false), 10_000, 'nginx to answer /healthz');
  return {
    url,
    logDir: join(prefix, 'logs'),
    pid: child.pid!,
    async stop() {
      await stopChild(child, 'SIGQUIT');
      // Its configuration, logs and buffers are of no use once it is gone.
      rmSync(prefix, { recursive: true, force: true });
    },
  };
}
