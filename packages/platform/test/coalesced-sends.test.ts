import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterEach, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { coalesceSends } from '../src/realtime/coalesced-sends.ts';

const MESSAGES = 200;
let server: Server | null = null;

afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

/**
 * A server that sends MESSAGES frames in one event-loop turn to the client that connects, and
 * counts how many times its socket went to the kernel (`_write` and `_writev` calls).
 */
async function burst(coalesce: boolean): Promise<{ received: string[]; writes: number }> {
  const wss = new WebSocketServer({ noServer: true });
  server = createServer();
  let writes = 0;
  server.on('upgrade', (req, socket: Duplex, head) => {
    for (const method of ['_write', '_writev'] as const) {
      const original = (socket as unknown as Record<string, (...args: unknown[]) => unknown>)[method]!;
      (socket as unknown as Record<string, unknown>)[method] = function (this: unknown, ...args: unknown[]) {
        writes++;
        return original.apply(this, args);
      };
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (coalesce) coalesceSends(ws, socket);
      writes = 0;
      for (let i = 0; i < MESSAGES; i++) ws.send(JSON.stringify({ i }));
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
  const received: string[] = [];
  await new Promise<void>((resolve, reject) => {
    client.on('message', (data) => {
      received.push(String(data));
      if (received.length === MESSAGES) resolve();
    });
    client.on('error', reject);
  });
  client.close();
  wss.close();
  return { received, writes };
}

it('sends the frames of one event-loop turn in one write, every frame intact and in order', async () => {
  const expected = Array.from({ length: MESSAGES }, (_, i) => JSON.stringify({ i }));
  const plain = await burst(false);
  const coalesced = await burst(true);
  expect(plain.received).toEqual(expected);
  expect(coalesced.received).toEqual(expected);
  // Without coalescing each frame is a write of its own; with it, the turn's frames leave together.
  expect(plain.writes).toBeGreaterThan(MESSAGES / 2);
  expect(coalesced.writes).toBeLessThanOrEqual(2);
});
