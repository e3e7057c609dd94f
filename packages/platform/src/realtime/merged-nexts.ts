import type { WebSocket } from 'ws';
import { ALSO_IDS } from './protocol.ts';

/**
 * Merged `next` frames: an extension of graphql-transport-ws between the gateway and subgraphs.
 *
 * The gateway keeps one upstream subscription per viewer for streams that may differ between
 * viewers, so one published event reaches a subgraph's socket to the gateway as many `next`
 * messages (a thousand for a thousand viewers of one conversation), each executed for its own
 * viewer and most often with the same result. A gateway that says so in `connection_init`
 * (`MERGED_NEXT_PARAM` set to true) reads a `next` message whose `alsoIds` (`ALSO_IDS`) lists more
 * subscriptions: the payload is the next result of each of them too. The subgraph still executes
 * every subscription for its own viewer; only equal results of one event-loop turn leave as one
 * frame, which the gateway parses once.
 */

/**
 * The start of a `next` message for subscription `id`, as graphql-ws writes it (`stringifyMessage`,
 * no replacer: `{ id, type, payload }` in this order); the payload's JSON and `}` complete it. For
 * endpoints that write events themselves, so merging (below) recognises their messages.
 */
export const nextMessagePrefix = (id: string): string => `{"id":${JSON.stringify(id)},"type":"next","payload":`;

const NEXT_PREFIX = /^\{"id":("(?:[^"\\]|\\.)*"),"type":"next","payload":/;

type SendCallback = (err?: Error) => void;
interface Merge {
  /** The first message as graphql-ws wrote it, sent as is when no other id shares its payload. */
  first: string;
  /** Each subscription's id as JSON text. */
  ids: string[];
  callbacks: SendCallback[];
}

/**
 * Holds the socket's `next` messages of the current event-loop turn and sends each distinct
 * payload once, with every subscription id it is for. Anything else flushes the held messages
 * first, and a subscription's second message in a turn flushes its first: per subscription the
 * order is kept exactly. Send callbacks (graphql-ws waits on them) fire when the merged frame's
 * write does.
 */
export function mergeEqualNexts(ws: WebSocket): void {
  const send = ws.send.bind(ws) as (data: unknown, ...rest: unknown[]) => void;
  let held: Map<string, Merge> | null = null;
  const heldIds = new Set<string>();

  const flush = () => {
    const batch = held;
    if (!batch) return;
    held = null;
    heldIds.clear();
    for (const [payload, merge] of batch) {
      // Closed meanwhile: graphql-ws drops messages to a closed socket without an error too.
      if (ws.readyState !== ws.OPEN) {
        for (const callback of merge.callbacks) callback();
        continue;
      }
      const done = merge.callbacks.length ? (err?: Error) => merge.callbacks.forEach((callback) => callback(err)) : undefined;
      const frame =
        merge.ids.length === 1
          ? merge.first
          : `{"id":${merge.ids[0]},"type":"next","payload":${payload},"${ALSO_IDS}":[${merge.ids.slice(1).join(',')}]}`;
      send(frame, done);
    }
  };

  ws.send = ((data: unknown, ...rest: unknown[]) => {
    const match = typeof data === 'string' && (rest.length === 0 || typeof rest[0] === 'function') ? NEXT_PREFIX.exec(data) : null;
    if (!match || typeof data !== 'string') {
      flush();
      return send(data, ...rest);
    }
    const id = match[1]!;
    if (heldIds.has(id)) flush();
    if (!held) {
      held = new Map();
      process.nextTick(flush);
    }
    heldIds.add(id);
    const payload = data.slice(match[0].length, -1);
    const callback = rest[0] as SendCallback | undefined;
    const merge = held.get(payload);
    if (merge) {
      merge.ids.push(id);
      if (callback) merge.callbacks.push(callback);
    } else {
      held.set(payload, { first: data, ids: [id], callbacks: callback ? [callback] : [] });
    }
  }) as WebSocket['send'];
}
