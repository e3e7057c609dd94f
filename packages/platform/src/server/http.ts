import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Gauge, type Registry } from 'prom-client';
import type { Logger } from '../config/logger.ts';
import { httpRequestHistogram } from '../config/metrics.ts';

export type Check = { ok: boolean; detail?: string };
export type ReadinessProbe = () => Promise<Record<string, Check>> | Record<string, Check>;
/** Returns true when it answered the request. */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean> | boolean;

export interface HttpServerOptions {
  logger: Logger;
  registry: Registry;
  readiness: ReadinessProbe;
  routes?: RouteHandler[];
}

export interface HttpServer {
  server: Server;
  listen(port: number, host: string): Promise<number>;
  /** Flips /readyz to 503 so load balancers stop sending work before shutdown. */
  drain(): void;
  close(): Promise<void>;
}

/**
 * A path that Node's URL parser would read as another one: a backslash (a separator to it), an
 * encoded dot (`%2e%2e` is a `..` segment) or backslash, or a dot segment. nginx passes such
 * paths on as sent, so `/files/..\\metrics` would otherwise reach the internal `/metrics`.
 */
function ambiguousPath(raw: string): boolean {
  const path = raw.split('?', 1)[0]!;
  return /\\|%2e|%5c/i.test(path) || /(^|\/)\.\.?(\/|$)/.test(path);
}

/** Every process serves /healthz, /readyz and /metrics; services add their routes. */
export function createHttpServer(options: HttpServerOptions): HttpServer {
  const { logger, registry } = options;
  const histogram = httpRequestHistogram(registry);
  let draining = false;
  const readiness = async () => (draining ? { shutdown: { ok: false, detail: 'draining' } } : await options.readiness());
  // What /readyz answers, at every scrape: an alert sees a process that is up but not ready.
  new Gauge({
    name: 'service_ready',
    help: '1 when the process would answer /readyz with 200, else 0',
    registers: [registry],
    async collect() {
      this.set(Object.values(await readiness().catch(() => ({ probe: { ok: false } }))).every((c) => c.ok) ? 1 : 0);
    },
  });

  const server = createServer(async (req, res) => {
    if (ambiguousPath(req.url ?? '/')) {
      req.resume();
      return sendJson(res, 400, { error: 'malformed path' }, { connection: 'close' });
    }
    const url = new URL(req.url ?? '/', 'http://local');
    const stop = histogram.startTimer({ method: req.method ?? 'GET' });
    res.on('finish', () => stop({ route: routeLabel(url.pathname), status: String(res.statusCode) }));
    try {
      if (url.pathname === '/healthz') return sendJson(res, 200, { status: 'ok' });
      if (url.pathname === '/readyz') {
        const checks = await readiness();
        const ok = Object.values(checks).every((c) => c.ok);
        return sendJson(res, ok ? 200 : 503, { status: ok ? 'ready' : 'not ready', checks });
      }
      if (url.pathname === '/metrics') {
        res.writeHead(200, { 'content-type': registry.contentType });
        return res.end(await registry.metrics());
      }
      for (const route of options.routes ?? []) {
        if (await route(req, res, url)) return;
      }
      sendJson(res, 404, { error: `no route for ${req.method} ${url.pathname}` });
    } catch (err) {
      logger.error({ err, url: url.pathname }, 'unhandled HTTP error');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      else res.destroy();
    }
  });
  // Longer than nginx's upstream keep-alive, so nginx never reuses a socket the server just closed.
  server.keepAliveTimeout = 75_000;
  server.headersTimeout = 76_000;
  server.requestTimeout = 60_000;

  return {
    server,
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          const address = server.address();
          resolve(typeof address === 'object' && address ? address.port : port);
        });
      }),
    drain: () => void (draining = true),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(payload), ...headers });
  res.end(payload);
}

function routeLabel(path: string): string {
  return ['/graphql', '/healthz', '/readyz', '/metrics'].includes(path) ? path : 'other';
}

export interface ShutdownStep {
  name: string;
  run: () => Promise<unknown> | unknown;
}

/**
 * Graceful shutdown on SIGTERM/SIGINT: steps run in order (stop accepting, drain, close sockets,
 * commit offsets, close pools); a step that hangs cannot keep the process alive past `graceMs`.
 */
export function registerShutdown(logger: Logger, graceMs: number, steps: ShutdownStep[]): () => Promise<void> {
  let shuttingDown: Promise<void> | null = null;
  const shutdown = () => {
    shuttingDown ??= (async () => {
      logger.info('shutting down');
      const timer = setTimeout(() => {
        logger.error({ graceMs }, 'shutdown timed out; exiting');
        process.exit(1);
      }, graceMs);
      timer.unref();
      for (const step of steps) {
        try {
          await step.run();
        } catch (err) {
          logger.warn({ err, step: step.name }, 'shutdown step failed');
        }
      }
      logger.info('shutdown complete');
      logger.flush?.();
    })();
    return shuttingDown;
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => void shutdown().then(() => process.exit(0)));
  }
  return shutdown;
}
