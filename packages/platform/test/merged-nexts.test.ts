import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { mergeEqualNexts } from '../src/realtime/merged-nexts.ts';
import { ALSO_IDS } from '../src/realtime/protocol.ts';

let server: Server | null = null;
afterEach(() => {
  server?.closeAllConnections();
  return new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
});

/** graphql-ws's own encoding of a message: `{ id, type, payload }` in this order. */
const next = (id: string, payload: object) => JSON.stringify({ id, type: 'next', payload });
const complete = (id: string) => JSON.stringify({ id, type: 'complete' });

/**
 * A server that sends `messages` in one event-loop turn (each with a send callback, as graphql-ws
 * does) to the client that connects; resolves with the frames the client received, parsed, and
 * how many send callbacks fired.
 */
async function turn(messages: string[], merge: boolean, frames: number): Promise<{ received: Record<string, unknown>[]; callbacks: number }> {
  const wss = new WebSocketServer({ noServer: true });
  server = createServer();
  let callbacks = 0;
  server.on('upgrade', (req, socket, head) =>
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (merge) mergeEqualNexts(ws);
      for (const message of messages) {
        ws.send(message, (err) => {
          if (!err) callbacks++;
        });
      }
    }),
  );
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
  const received: Record<string, unknown>[] = [];
  await new Promise<void>((resolve, reject) => {
    client.on('message', (data) => {
      received.push(JSON.parse(String(data)) as Record<string, unknown>);
      if (received.length === frames) resolve();
    });
    client.on('error', reject);
  });
  await new Promise((resolve) => setTimeout(resolve, 50));
  client.close();
  wss.close();
  return { received, callbacks };
}

const P = { data: { tick: { seq: 1, body: 'same for everyone' } } };
const Q = { data: { tick: { seq: 1, body: 'someone else' } } };
const P2 = { data: { tick: { seq: 2, body: 'same for everyone' } } };

it('sends equal next payloads of one turn as one frame naming every subscription, in order per subscription', async () => {
  const messages = [next('a', P), next('b', P), next('d', Q), next('c', P), complete('e'), next('a', P2), next('b', P2), '{"type":"pong"}'];
  const { received, callbacks } = await turn(messages, true, 5);
  expect(received).toEqual([
    // Held until the complete (which must not overtake them), grouped by payload in first-seen order.
    { id: 'a', type: 'next', payload: P, [ALSO_IDS]: ['b', 'c'] },
    { id: 'd', type: 'next', payload: Q },
    { id: 'e', type: 'complete' },
    // Any other message flushes the held ones before it too.
    { id: 'a', type: 'next', payload: P2, [ALSO_IDS]: ['b'] },
    { type: 'pong' },
  ]);
  // Every message's callback fires when the frame carrying it is written (graphql-ws awaits them).
  expect(callbacks).toBe(messages.length);
});

it('never puts two messages of one subscription into one turn out of order', async () => {
  // a gets P then P2, b gets P2 then P: merging b's P into a's first frame would reorder b.
  const { received } = await turn([next('a', P), next('b', P2), next('a', P2), next('b', P)], true, 3);
  const order = (id: string) => received.flatMap((frame) => (frame.id === id || (frame[ALSO_IDS] as string[] | undefined)?.includes(id) ? [frame.payload] : []));
  expect(order('a')).toEqual([P, P2]);
  expect(order('b')).toEqual([P2, P]);
});

it('reads ids that need escaping, and leaves sockets that did not ask for merging alone', async () => {
  const odd = 'id "with" \\ quotes';
  const merged = await turn([next(odd, P), next('plain', P)], true, 1);
  expect(merged.received).toEqual([{ id: odd, type: 'next', payload: P, [ALSO_IDS]: ['plain'] }]);
  const plain = await turn([next('a', P), next('b', P)], false, 2);
  expect(plain.received).toEqual([
    { id: 'a', type: 'next', payload: P },
    { id: 'b', type: 'next', payload: P },
  ]);
});
