import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { afterEach, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { createSubscriptionMetrics } from '../src/subscriptions/metrics.ts';
import { WsClose } from '@finder/platform/realtime';
import { directDelivery } from '../src/subscriptions/ws-server.ts';

let server: Server | null = null;
afterEach(() => {
  server?.closeAllConnections();
  return new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
});

/** A real socket pair: the server side is handed to `use`, the client side returned. */
async function pair(use: (socket: WebSocket) => void): Promise<WebSocket> {
  const wss = new WebSocketServer({ noServer: true });
  server = createServer();
  server.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, use));
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
}

it('writes each event as the graphql-ws next message of its subscription', async () => {
  const metrics = createSubscriptionMetrics(new Registry());
  const client = await pair((socket) => {
    const deliver = directDelivery(socket, 'sub "1"', 1024 * 1024, metrics);
    deliver(JSON.stringify({ data: { tick: { seq: 1 } } }));
    deliver(JSON.stringify({ errors: [{ message: 'no', extensions: { code: 'FORBIDDEN' } }] }));
  });
  const received: unknown[] = [];
  await new Promise<void>((resolve) => client.on('message', (data) => received.push(JSON.parse(String(data))) === 2 && resolve()));
  expect(received).toEqual([
    { id: 'sub "1"', type: 'next', payload: { data: { tick: { seq: 1 } } } },
    { id: 'sub "1"', type: 'next', payload: { errors: [{ message: 'no', extensions: { code: 'FORBIDDEN' } }] } },
  ]);
  client.close();
});

it('closes the connection of a client that leaves more than the limit unread (1008), and counts it', async () => {
  const registry = new Registry();
  const metrics = createSubscriptionMetrics(registry);
  const event = JSON.stringify({ data: { body: 'x'.repeat(256 * 1024) } });
  let writes = 0;
  const client = await pair((socket) => {
    const deliver = directDelivery(socket, 's', 1024 * 1024, metrics);
    // The client reads nothing: what the kernel does not take stays in the gateway's buffer.
    const timer = setInterval(() => {
      for (let i = 0; i < 8 && socket.readyState === socket.OPEN; i++, writes++) deliver(event);
      if (socket.readyState !== socket.OPEN) clearInterval(timer);
    }, 5);
  });
  client.on('open', () => (client as unknown as { _socket: { pause(): void } })._socket.pause());
  const closed = await new Promise<{ code: number; reason: string }>((resolve) => {
    client.on('close', (code, reason) => resolve({ code, reason: String(reason) }));
    // The client's own socket stays paused: resume it only to read the close frame, late.
    setTimeout(() => (client as unknown as { _socket: { resume(): void } })._socket.resume(), 1_000);
  });
  expect(closed).toEqual({ code: WsClose.TOO_SLOW, reason: 'Client too slow: over 1048576 bytes of events unread' });
  expect(writes).toBeGreaterThan(4);
  expect((await registry.getSingleMetric('ws_connections_too_slow_total')!.get()).values[0]!.value).toBe(1);
});
