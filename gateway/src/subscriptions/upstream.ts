import { signIdentity } from '@finder/platform/auth';
import type { Logger } from '@finder/platform/logger';
import { createClient, type Client, type FormattedExecutionResult, type SubscribePayload } from 'graphql-ws';
import { WebSocket } from 'ws';
import type { SubscriptionMetrics } from './metrics.ts';

export interface UpstreamSink {
  next(result: FormattedExecutionResult<Record<string, unknown>, { cursor?: number; authorized?: boolean }>): void;
  /** The subgraph refused or failed the subscription itself (GraphQL errors): final. */
  refused(errors: readonly { message: string; extensions?: Record<string, unknown> }[]): void;
  /** The socket went away (replica died, restart, network): the caller re-subscribes. */
  lost(reason: string): void;
  complete(): void;
}

interface Connection {
  url: string;
  client: Client;
  connected: boolean;
  downUntil: number;
}

/**
 * A few long-lived graphql-ws sockets per subgraph, shared by every subscription. A socket that
 * closes fails its subscriptions over to the caller (which re-subscribes with its cursor), and is
 * passed over for a moment so re-subscriptions land on another replica.
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
  const cursors = new Map<string, number>();

  function connectionsFor(subgraph: string): Connection[] {
    let pool = pools.get(subgraph);
    if (pool) return pool;
    const urls = options.endpoints[subgraph];
    if (!urls?.length) throw new Error(`no WebSocket URL for subgraph ${subgraph}: set SUBGRAPH_${subgraph.toUpperCase()}_WS_URLS`);
    pool = [];
    for (let slot = 0; slot < options.socketsPerEndpoint; slot++) {
      for (const url of urls) {
        const connection: Connection = { url, connected: false, downUntil: 0, client: null as unknown as Client };
        connection.client = createClient({
          url,
          webSocketImpl: WebSocket,
          lazy: true,
          lazyCloseTimeout: 5_000,
          // Re-subscribing is the caller's job: it knows the cursor to resume from.
          retryAttempts: 0,
          keepAlive: 10_000,
          connectionParams: () => ({ gateway: signIdentity(null, options.identitySecret) }),
          on: {
            connected: () => {
              connection.connected = true;
              metrics.upstreamSockets.inc({ subgraph });
              logger.debug({ subgraph, url }, 'upstream socket connected');
            },
            closed: (event) => {
              if (connection.connected) metrics.upstreamSockets.dec({ subgraph });
              connection.connected = false;
              const { code, reason } = (event ?? {}) as { code?: number; reason?: string };
              if (code !== 1000) {
                connection.downUntil = Date.now() + 1_000;
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

  function pick(subgraph: string): Connection {
    const pool = connectionsFor(subgraph);
    const start = (cursors.get(subgraph) ?? 0) + 1;
    cursors.set(subgraph, start);
    const now = Date.now();
    for (let i = 0; i < pool.length; i++) {
      const candidate = pool[(start + i) % pool.length]!;
      if (candidate.downUntil <= now) return candidate;
    }
    return pool[start % pool.length]!;
  }

  return {
    subscribe(subgraph: string, payload: SubscribePayload, sink: UpstreamSink): () => void {
      const connection = pick(subgraph);
      let finished = false;
      const unsubscribe = connection.client.subscribe<Record<string, unknown>, { cursor?: number; authorized?: boolean }>(payload, {
        next: (result) => sink.next(result),
        error: (error) => {
          finished = true;
          if (Array.isArray(error)) return sink.refused(error);
          const { code, reason } = error as { code?: number; reason?: string };
          sink.lost(code ? `socket closed (${code}${reason ? `: ${reason}` : ''})` : String((error as Error)?.message ?? error));
        },
        complete: () => {
          if (!finished) sink.complete();
          finished = true;
        },
      });
      return () => {
        finished = true;
        unsubscribe();
      };
    },
    async close() {
      await Promise.all([...pools.values()].flat().map((c) => c.client.dispose()));
      pools.clear();
    },
  };
}

export type UpstreamPool = ReturnType<typeof createUpstreamPool>;
