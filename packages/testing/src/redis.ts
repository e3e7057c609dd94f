import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.ts';
import { stopChild, until } from './processes.ts';

const ping = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = new Socket();
    socket.once('error', () => resolve(false));
    socket.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      // A server that wants a password answers NOAUTH: up all the same.
      resolve(/^(\+PONG|-NOAUTH)/.test(data.toString()));
      socket.destroy();
    });
  });

/** A private Redis a test can stop and start again (a restart drops all pub/sub subscriptions). */
export function privateRedis(port: number) {
  let child: ChildProcess | null = null;
  return {
    url: `redis://127.0.0.1:${port}`,
    async start() {
      child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
        stdio: 'ignore',
      });
      await until(() => ping(port), 10_000, `redis on ${port}`);
    },
    async stop() {
      const running = child;
      child = null;
      if (running) await stopChild(running, 'SIGKILL');
    },
  };
}

export interface PrivateRedisCluster {
  /** `127.0.0.1:port,...` of every node, the form REDIS_CLUSTER_NODES takes. */
  readonly seeds: string;
  readonly nodes: { host: string; port: number }[];
  /** The port of the master that serves `key`'s slot now (a channel hashes as a key does). */
  masterFor(key: string): Promise<number>;
  /** The master ports, in no particular order. */
  masters(): Promise<number[]>;
  /**
   * Hands the master on `port`'s slots to its replica (CLUSTER FAILOVER): the old master, alive,
   * becomes a replica. Resolves with the new master's port once the cluster is ok again.
   */
  failover(port: number): Promise<number>;
  /** SIGKILLs the node on `port` (its replica takes over after the node timeout). */
  kill(port: number): Promise<void>;
  /** Resolves once every slot is served by a live master and the cluster says it is ok again. */
  waitOk(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A private Redis Cluster from the machine's redis-server (7.0+ for sharded pub/sub): `masters`
 * masters with `replicas` replicas each, created by `redis-cli --cluster create`, each node with
 * its own port and bus port (`cluster-port`) so no fixed offset has to be free. A short node timeout
 * makes a replica take over about a second after its master dies. With `password`, every node
 * requires it (`requirepass`, and `masterauth` for its replication).
 */
export async function privateRedisCluster(options: { masters?: number; replicas?: number; nodeTimeoutMs?: number; password?: string } = {}): Promise<PrivateRedisCluster> {
  const masters = options.masters ?? 3;
  const replicas = options.replicas ?? 1;
  const dir = await mkdtemp(join(tmpdir(), 'redis-cluster-'));
  const children = new Map<number, ChildProcess>();
  const nodes: { host: string; port: number }[] = [];
  for (let i = 0; i < masters * (1 + replicas); i++) {
    const port = await freePort();
    let bus = await freePort();
    while (bus === port) bus = await freePort();
    const child = spawn(
      'redis-server',
      ['--port', String(port), '--cluster-port', String(bus), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`,
        '--cluster-node-timeout', String(options.nodeTimeoutMs ?? 1_000), '--save', '', '--appendonly', 'no', '--dir', dir,
        ...(options.password ? ['--requirepass', options.password, '--masterauth', options.password] : [])],
      { stdio: 'ignore' },
    );
    children.set(port, child);
    nodes.push({ host: '127.0.0.1', port });
  }
  const cli = (...args: string[]) => run('redis-cli', options.password ? ['-a', options.password, '--no-auth-warning', ...args] : args);
  const info = async (port: number) => (await cli('-p', String(port), 'cluster', 'info').catch(() => '')).includes('cluster_state:ok');
  const live = () => nodes.filter(({ port }) => children.has(port));
  // A replica that has not synced with its master would refuse to take over from it.
  const synced = async (port: number) => {
    const replication = await cli('-p', String(port), 'info', 'replication').catch(() => '');
    return replication.includes('role:master') || replication.includes('master_link_status:up');
  };
  const waitOk = async (timeoutMs = 20_000) => {
    await until(async () => {
      const states = await Promise.all(live().flatMap(({ port }) => [info(port), synced(port)]));
      if (!states.every(Boolean)) return false;
      const first = live()[0]!.port;
      return cli('--cluster', 'check', `127.0.0.1:${first}`).then((out) => !out.includes('[ERR]'), () => false);
    }, timeoutMs, 'the redis cluster to be ok');
  };
  const masterPorts = async () => {
    const first = live()[0]!.port;
    const lines = (await cli('-p', String(first), 'cluster', 'nodes')).split('\n');
    return lines.filter((l) => /\bmaster\b/.test(l) && !/\bfail\b/.test(l)).map((l) => Number(/:(\d+)@/.exec(l)![1]));
  };
  try {
    await Promise.all(nodes.map(({ port }) => until(() => ping(port), 10_000, `redis on ${port}`)));
    await cli('--cluster', 'create', ...nodes.map(({ host, port }) => `${host}:${port}`), '--cluster-replicas', String(replicas), '--cluster-yes');
    await waitOk();
  } catch (err) {
    await Promise.all([...children.values()].map((c) => stopChild(c, 'SIGKILL')));
    throw err;
  }
  return {
    seeds: nodes.map(({ host, port }) => `${host}:${port}`).join(','),
    nodes,
    async masterFor(key) {
      const slot = Number((await cli('-p', String(live()[0]!.port), 'cluster', 'keyslot', key)).trim());
      const first = live()[0]!.port;
      const lines = (await cli('-p', String(first), 'cluster', 'nodes')).split('\n');
      for (const line of lines) {
        if (!/\bmaster\b/.test(line) || /\bfail\b/.test(line)) continue;
        const ranges = line.trim().split(' ').slice(8);
        if (ranges.some((r) => { const [a, b] = r.split('-').map(Number); return slot >= a! && slot <= (b ?? a)!; })) return Number(/:(\d+)@/.exec(line)![1]);
      }
      throw new Error(`no master serves slot ${slot}`);
    },
    masters: masterPorts,
    async failover(port) {
      const lines = (await cli('-p', String(port), 'cluster', 'nodes')).split('\n');
      const id = lines.find((l) => l.includes('myself'))!.split(' ')[0]!;
      const replica = lines.find((l) => /\bslave\b/.test(l) && l.split(' ')[3] === id && !/\bfail\b/.test(l));
      if (!replica) throw new Error(`no live replica of the master on ${port}`);
      const replicaPort = Number(/:(\d+)@/.exec(replica)![1]);
      await cli('-p', String(replicaPort), 'cluster', 'failover');
      await until(async () => (await masterPorts()).includes(replicaPort) && !(await masterPorts()).includes(port), 20_000, `the replica on ${replicaPort} to take over`);
      await waitOk();
      return replicaPort;
    },
    async kill(port) {
      const child = children.get(port);
      children.delete(port);
      if (child) await stopChild(child, 'SIGKILL');
    },
    waitOk,
    async stop() {
      await Promise.all([...children.values()].map((c) => stopChild(c, 'SIGKILL')));
      children.clear();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: 30_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${command} ${args.join(' ')}: ${stderr || err.message}`)) : resolve(stdout)));
  });
}
