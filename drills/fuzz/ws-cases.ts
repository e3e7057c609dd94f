import type { GraphQLSchema } from 'graphql';
import { WebSocket } from 'ws';
import { mangle, randomOperation } from './documents.ts';
import type { Random } from './random.ts';

export interface WsCase {
  kind: string;
  protocol: string | undefined;
  frames: (string | Buffer)[];
}

export interface WsOutcome {
  /** The close code, 0 when the socket was still open at the end (then closed by the fuzzer). */
  closeCode: number;
  /** Status of a refused upgrade (0 when it was accepted). */
  upgradeStatus: number;
  /** Codes of `error` messages and of errors inside `next` payloads. */
  codes: string[];
}

/** Close codes that name a client's mistake or a documented limit, never a server failure. */
export const CLIENT_CLOSE_CODES = new Set([
  0, 1000, 1001, 1002, 1003, 1005, 1006, 1007, 1008, 1009, 1012, 1013, 4400, 4401, 4403, 4406, 4408, 4409, 4429,
]);

/**
 * A short random session of graphql-ws frames, often out of order: subscribe before
 * connection_init, a second init, duplicate ids, unknown types, broken JSON, binary frames,
 * completes for unknown ids, and subscriptions generated from the schema (some mangled).
 */
export function randomWsCase(random: Random, schema: GraphQLSchema, token: string): WsCase {
  const protocol = random.chance(0.9) ? 'graphql-transport-ws' : random.pick([undefined, 'graphql-ws', 'nonsense']);
  const frames: (string | Buffer)[] = [];
  const init = () => JSON.stringify({ type: 'connection_init', payload: random.chance(0.8) ? { authorization: `Bearer ${token}` } : random.pick<unknown>([{}, null, 'x', { authorization: 'Bearer nope' }, { authorization: 42 }]) });
  if (random.chance(0.75)) frames.push(init());
  for (let i = random.int(1, 5); i > 0; i--) {
    const id = random.pick(['1', '1', '2', '', '__proto__', 'x'.repeat(300)]);
    frames.push(
      random.pick<() => string | Buffer>([
        () => {
          const op = randomOperation(random, schema);
          const query = random.chance(0.2) ? mangle(random, op.query) : op.query;
          return JSON.stringify({ id, type: 'subscribe', payload: { query, variables: op.variables, operationName: 'Fuzz' } });
        },
        () => JSON.stringify({ id, type: 'subscribe', payload: { query: 'subscription { notificationAdded(after: 0) { seq } }' } }),
        () => JSON.stringify({ id, type: 'subscribe', payload: random.pick<unknown>([null, 'x', {}, { query: 7 }, { query: '{ __typename }', variables: 'x' }]) }),
        () => JSON.stringify({ id, type: 'complete' }),
        () => JSON.stringify({ type: random.pick(['ping', 'pong']), payload: random.pick<unknown>([undefined, {}, 'x']) }),
        () => JSON.stringify({ type: random.pick(['next', 'error', 'connection_ack', 'start', 'stop', 'constructor', '']) , id, payload: {} }),
        init,
        () => random.pick(['{', 'null', '[]', '"x"', '{"type": null}', '{"type": {"a": 1}}', 'x'.repeat(70_000)]),
        () => Buffer.from([0, 1, 2, 255]),
      ])(),
    );
  }
  return { kind: `ws ${frames.length} frames`, protocol, frames };
}

/** Runs a session and reports how the server ended it (the socket is closed after `settleMs`). */
export function runWsCase(wsUrl: string, c: WsCase, settleMs = 300): Promise<WsOutcome> {
  return new Promise((resolve) => {
    const outcome: WsOutcome = { closeCode: 0, upgradeStatus: 0, codes: [] };
    const ws = new WebSocket(wsUrl, c.protocol ? [c.protocol] : []);
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      ws.terminate();
      resolve(outcome);
    };
    const timer = setTimeout(finish, 10_000);
    ws.on('unexpected-response', (_req, res) => {
      outcome.upgradeStatus = res.statusCode ?? 0;
      res.resume();
      finish();
    });
    ws.on('error', () => finish());
    ws.on('message', (data) => {
      try {
        const message = JSON.parse(String(data)) as { type?: string; payload?: unknown };
        const errors = message.type === 'error' ? message.payload : message.type === 'next' ? (message.payload as { errors?: unknown })?.errors : undefined;
        if (Array.isArray(errors)) for (const e of errors as { extensions?: { code?: string } }[]) outcome.codes.push(e?.extensions?.code ?? '(none)');
      } catch {
        outcome.codes.push('(unparseable message)');
      }
    });
    ws.on('close', (code) => {
      outcome.closeCode = code;
      finish();
    });
    ws.on('open', () => {
      for (const frame of c.frames) ws.send(frame);
      setTimeout(finish, settleMs);
    });
  });
}
