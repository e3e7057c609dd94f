import { signIdentity } from '@finder/platform/auth';
import type { Logger } from '@finder/platform/config';
import { ALSO_IDS, CONNECTION_PARAM, connectScope, GATEWAY_PARAM, MERGED_NEXT_PARAM, WsClose } from '@finder/platform/realtime';
import { MessageType, createClient, type Client, type FormattedExecutionResult, type SubscribePayload } from 'graphql-ws';
import { WebSocket } from 'ws';
import type { SubscriptionMetrics } from './metrics.ts';

/** What a subgraph puts on each event's `extensions` (protocol.ts names them). */
// A type, not an interface: it must stay assignable to the clients' `Record<string, unknown>`.
export type UpstreamExtensions = {
  cursor?: number;
  authorized?: boolean;
  traceparent?: string;
  publishedAt?: number;
};

export interface UpstreamSink {
  next(result: FormattedExecutionResult<Record<string, unknown>, UpstreamExtensions>): void;
  /** The subgraph refused or failed the subscription itself (GraphQL errors): final. */
  refused(errors: readonly { message: string; extensions?: Record<string, unknown> }[]): void;
  /** The socket went away (replica died, restart, network): the caller re-subscribes. */
  lost(reason: string): void;
  complete(): void;
}

type UpstreamResult = Parameters<UpstreamSink['next']>[0];

interface Connection {
  url: string;
  client: Client;
  connected: boolean;
  downUntil: number;
  /** Closes in a row without a successful connect: how long the socket is passed over grows with them. */
  failures: number;
  /** Live subscriptions by id, for the further ids of merged `next` frames (merged-nexts.ts). */
  routes: Map<string, (result: UpstreamResult) => void>;
}

/**
 * A few long-lived graphql-ws sockets per subgraph, shared by every subscription. A socket that
 * closes fails its subscriptions over to the caller (which re-subscribes with its cursor), and is
 * passed over (longer while it keeps failing) so re-subscriptions land on another replica.
 *
 * Subscriptions with the same affinity (the same operation and variables, for different viewers)
 * go to the same socket, so the subgraph can send their equal results as one merged frame.
 */
export function createUpstreamPool(options: {
  endpoints: Record<string, string[]>;
  socketsPerEndpoint: number;
  identitySecret: string;
  logger: Logger;
  metrics: SubscriptionMetrics;
}) {
  const { logger, metrics } = options;
  const pools = new Map<string, Connection[]>();
  const ids = new WeakMap<SubscribePayload, string>();

  function connectionsFor(subgraph: string): Connection[] {
    let pool = pools.get(subgraph);
    if (pool) return pool;
    const urls = options.endpoints[subgraph];
    if (!urls?.length) throw new Error(`no WebSocket URL for subgraph ${subgraph}: set SUBGRAPH_${subgraph.toUpperCase()}_WS_URLS`);
    pool = [];
    for (let slot = 0; slot < options.socketsPerEndpoint; slot++) {
      for (const url of urls) {
        const connection: Connection = { url, connected: false, downUntil: 0, failures: 0, client: null as unknown as Client, routes: new Map() };
        connection.client = createClient({
          url,
          webSocketImpl: WebSocket,
          generateID: (payload) => ids.get(payload) ?? crypto.randomUUID(),
          lazy: true,
          lazyCloseTimeout: 5_000,
          // Re-subscribing is the caller's job: it knows the cursor to resume from.
          retryAttempts: 0,
          keepAlive: 10_000,
          connectionParams: () => {
            // Signed for this subgraph and this socket: the params carry a fresh connection id (protocol.ts).
            const params = { [CONNECTION_PARAM]: crypto.randomUUID(), [MERGED_NEXT_PARAM]: true };
            return { ...params, [GATEWAY_PARAM]: signIdentity(null, options.identitySecret, connectScope(subgraph, params)) };
          },
          on: {
            // graphql-ws hands a `next` to the subscription of its `id`; its further ids are ours.
            message: (message) => {
              if (message.type !== MessageType.Next) return;
              metrics.frames.inc({ subgraph });
              const also = (message as { [ALSO_IDS]?: unknown })[ALSO_IDS];
              if (!Array.isArray(also)) return;
              for (const id of also) connection.routes.get(id)?.(message.payload as UpstreamResult);
            },
            connected: () => {
              connection.connected = true;
              connection.failures = 0;
              metrics.upstreamSockets.inc({ subgraph });
              logger.debug({ subgraph, url }, 'upstream socket connected');
            },
            closed: (event) => {
              if (connection.connected) metrics.upstreamSockets.dec({ subgraph });
              connection.connected = false;
              const { code, reason } = (event ?? {}) as { code?: number; reason?: string };
              if (code !== WsClose.NORMAL) {
                // Passed over for 1 s, then 2, 4... up to 30 s while it keeps failing: a replica that
                // is gone must not win every re-subscription whose backoff outlasts a fixed window.
                connection.downUntil = Date.now() + Math.min(30_000, 1_000 * 2 ** connection.failures++);
                logger.warn({ subgraph, url, code, reason }, 'upstream socket closed');
              }
            },
          },
        });
        pool.push(connection);
      }
    }
    pools.set(subgraph, pool);
    return pool;
  }

  function pick(subgraph: string, affinity: string): Connection {
    const pool = connectionsFor(subgraph);
    const start = hash(affinity) % pool.length;
    const now = Date.now();
    for (let i = 0; i < pool.length; i++) {
      const candidate = pool[(start + i) % pool.length]!;
      if (candidate.downUntil <= now) return candidate;
    }
    return pool[start % pool.length]!;
  }

  return {
    /** `affinity`: subscriptions whose results may be equal (same operation and variables) share it. */
    subscribe(subgraph: string, payload: SubscribePayload, sink: UpstreamSink, affinity: string): () => void {
      const connection = pick(subgraph, affinity);
      const id = crypto.randomUUID();
      ids.set(payload, id);
      let finished = false;
      const next = (result: UpstreamResult) => {
        if (!finished) sink.next(result);
      };
      const finish = () => {
        finished = true;
        connection.routes.delete(id);
      };
      connection.routes.set(id, next);
      const unsubscribe = connection.client.subscribe<Record<string, unknown>, UpstreamExtensions>(payload, {
        next,
        error: (error) => {
          finish();
          if (Array.isArray(error)) return sink.refused(error);
          const { code, reason } = error as { code?: number; reason?: string };
          sink.lost(code ? `socket closed (${code}${reason ? `: ${reason}` : ''})` : String((error as Error)?.message ?? error));
        },
        complete: () => {
          if (!finished) sink.complete();
          finish();
        },
      });
      return () => {
        finish();
        unsubscribe();
      };
    },
    async close() {
      await Promise.all([...pools.values()].flat().map((c) => c.client.dispose()));
      pools.clear();
    },
  };
}

/** FNV-1a: spreads affinities over a subgraph's sockets, the same one for equal keys. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export type UpstreamPool = ReturnType<typeof createUpstreamPool>;
