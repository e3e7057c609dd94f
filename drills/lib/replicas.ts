import { startNginx } from '@finder/testing/nginx';
import { freePort } from '@finder/testing/ports';
import { startNode, waitForReady, type Service } from '@finder/testing/processes';
import { subgraphServerEnv } from '@finder/testing/stack';
import type { DrillContext } from './drill.ts';
import { kill, restartMissing, waitExited, type Env } from './stack.ts';

export const SUBGRAPHS = ['users', 'chat', 'finder', 'files'] as const;

interface Replica {
  port: number;
  service: Service;
}

/** The second replicas the drill started, by subgraph (the first is the stack's own). */
const replicas = new Map<string, Replica>();

const startReplica = async (env: Env, subgraph: string, port: number): Promise<Service> => {
  const service = startNode(`subgraphs/${subgraph}/src/main.ts`, ['server'], { ...env, ...subgraphServerEnv(env, subgraph), PORT: String(port) });
  await waitForReady(`http://127.0.0.1:${port}/readyz`, 60_000, service);
  return service;
};

/**
 * The stack runs one replica per subgraph. For the replica drills the subgraphs under test get a
 * second replica on a free port, a balancer in front of both for the gateways' HTTP fetches (the
 * same nginx template), and the two gateways are replaced, on their ports, by gateways that know
 * both replicas (`SUBGRAPH_<NAME>_URL` = the balancer, `SUBGRAPH_<NAME>_WS_URLS` = both). The
 * returned function stops all of it; `./dev up` then brings the stack's own gateways back.
 */
export async function startReplicas(env: Env, log: (line: string) => void, subgraphs: readonly string[] = SUBGRAPHS): Promise<() => Promise<void>> {
  const stops: (() => Promise<void>)[] = [];
  const gatewayEnv: Env = {};
  for (const subgraph of subgraphs) {
    const first = new URL(env[`SUBGRAPH_${subgraph.toUpperCase()}_URL`]!);
    const port = await freePort();
    const service = await startReplica(env, subgraph, port);
    replicas.set(subgraph, { port, service });
    stops.push(() => replicas.get(subgraph)!.service.kill());
    const balancer = await startNginx(await freePort(), [first.host, `127.0.0.1:${port}`]);
    stops.push(() => balancer.stop());
    gatewayEnv[`SUBGRAPH_${subgraph.toUpperCase()}_URL`] = `${balancer.url}/graphql`;
    gatewayEnv[`SUBGRAPH_${subgraph.toUpperCase()}_WS_URLS`] = `ws://${first.host}/graphql,ws://127.0.0.1:${port}/graphql`;
    log(`${subgraph}: second replica on ${port}, balancer ${balancer.url}`);
  }
  const gateways = env.GATEWAY_URLS!.split(',');
  for (const [i, url] of gateways.entries()) {
    const name = `gateway-${i + 1}`;
    const port = new URL(url).port;
    await waitExited(kill(name, 'SIGTERM'));
    const gateway = startNode('gateway/src/index.ts', [], { ...env, ...gatewayEnv, PORT: port });
    stops.unshift(() => gateway.kill());
    await waitForReady(url.replace(/\/graphql$/, '/readyz'), 60_000, gateway);
    log(`${name} replaced on ${port} by one that knows both replicas`);
  }
  return async () => {
    for (const stop of stops) await stop();
    replicas.clear();
    await restartMissing();
    log("the stack's own gateways are back");
  };
}

/** SIGKILL of the second replica of `subgraph` under load, then it is started again on its port. */
export async function killReplica(ctx: DrillContext, subgraph: string): Promise<void> {
  const replica = replicas.get(subgraph);
  if (!replica) throw new Error(`no second ${subgraph} replica running`);
  const pid = replica.service.process.pid!;
  await replica.service.kill('SIGKILL');
  ctx.injected(`SIGKILL ${subgraph} replica 2 (pid ${pid}) with ${ctx.load.acknowledged()} writes acknowledged`);
  replica.service = await startReplica(ctx.env, subgraph, replica.port);
  ctx.injected(`${subgraph} replica 2 started again on ${replica.port}`);
}
