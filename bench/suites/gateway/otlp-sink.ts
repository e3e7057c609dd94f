import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Where the traced gateway sends its spans: an OTLP/HTTP endpoint that reads each export and
 * answers success, as a collector would, and keeps only a count (the cost measured is the
 * gateway's: making, batching and sending spans, not storing them).
 */
export async function startOtlpSink(): Promise<{ url: string; exports(): number; close(): Promise<void> }> {
  let exports = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/v1/traces') exports++;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    exports: () => exports,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
