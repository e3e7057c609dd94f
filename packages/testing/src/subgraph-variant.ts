import { freePort } from './ports.ts';
import { startNode, waitForReady, type Service } from './processes.ts';
import { subgraphServerEnv } from './stack.ts';

export interface SubgraphVariant {
  /** The variant gateway's GraphQL URL (HTTP; `ws:` for subscriptions). */
  gatewayUrl: string;
  stop(): Promise<void>;
}

/**
 * One subgraph's server of the test's own, started with `settings` on top of the running stack's
 * environment, and a gateway of its own that sends that subgraph there; everything else (the other
 * subgraphs, persisters, Postgres, Redis, Kafka) is the running stack's. For behaviour behind a
 * setting the stack does not run with (`REGISTRATION=email`, say).
 */
export async function startSubgraphVariant(env: Record<string, string>, subgraph: string, settings: Record<string, string>): Promise<SubgraphVariant> {
  const [subgraphPort, gatewayPort] = await Promise.all([freePort(), freePort()]);
  const services: Service[] = [];
  const stop = async () => {
    await Promise.all(services.map((s) => s.kill()));
  };
  try {
    const server = startNode(`subgraphs/${subgraph}/src/main.ts`, ['server'], { ...env, ...subgraphServerEnv(env, subgraph), ...settings, PORT: String(subgraphPort) });
    services.push(server);
    const name = subgraph.toUpperCase();
    const gateway = startNode('gateway/src/index.ts', [], {
      ...env,
      PORT: String(gatewayPort),
      [`SUBGRAPH_${name}_URL`]: `http://127.0.0.1:${subgraphPort}/graphql`,
      [`SUBGRAPH_${name}_WS_URLS`]: `ws://127.0.0.1:${subgraphPort}/graphql`,
    });
    services.push(gateway);
    // Generous: a process starts in seconds, but minutes on a loaded two-core machine.
    await Promise.all([
      waitForReady(`http://127.0.0.1:${subgraphPort}/readyz`, 240_000, server),
      waitForReady(`http://127.0.0.1:${gatewayPort}/readyz`, 240_000, gateway),
    ]);
    return { gatewayUrl: `http://127.0.0.1:${gatewayPort}/graphql`, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
