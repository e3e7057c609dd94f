import type { Drill, DrillContext } from './lib/drill.ts';
import { poisonPills, producePoison, readDeadLetters, TOPICS } from './lib/poison.ts';
import { killReplica, startReplicas, SUBGRAPHS } from './lib/replicas.ts';
import { execFileSync } from 'node:child_process';
import { kill, restartMissing, stackEnv, waitExited } from './lib/stack.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** SIGKILL of one stack process, then `./dev up` restarts it (what a supervisor would do). */
function sigkill(name: string, what: string): Drill {
  return {
    name: `kill-${name}`,
    injects: `SIGKILL of ${what} under load; \`./dev up\` restarts it`,
    readyWithinMs: 120_000,
    async inject(ctx) {
      const pid = kill(name, 'SIGKILL');
      ctx.injected(`SIGKILL ${name} (pid ${pid}) with ${ctx.load.acknowledged()} writes acknowledged`);
      await waitExited(pid);
      await restartMissing();
      ctx.injected(`${name} restarted by ./dev up`);
    },
  };
}

/** Stops an infrastructure process with `signal`, keeps it down for `downMs`, then `./dev up` starts it again. */
async function bounce(ctx: DrillContext, name: string, signal: NodeJS.Signals, downMs: number): Promise<void> {
  const pid = kill(name, signal);
  ctx.injected(`${signal} ${name} (pid ${pid}) with ${ctx.load.acknowledged()} writes acknowledged`);
  await waitExited(pid);
  if (downMs > 0) {
    const before = ctx.load.acknowledged();
    await sleep(downMs);
    ctx.injected(`${name} kept down for ${downMs / 1000} s (${ctx.load.acknowledged() - before} writes acknowledged meanwhile)`);
  }
  await restartMissing();
  ctx.injected(`${name} started again by ./dev up`);
}

/** The stack's Redis Cluster nodes that are masters now, by stack process name (redis-node-N). */
function clusterMasters(env: Record<string, string>): { name: string; port: number }[] {
  const ports = (env.REDIS_CLUSTER_NODES ?? '').split(',').map((node) => Number(node.split(':')[1]));
  const masters: { name: string; port: number }[] = [];
  ports.forEach((port, i) => {
    try {
      const role = execFileSync('redis-cli', ['-p', String(port), 'role'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')[0];
      if (role === 'master') masters.push({ name: `redis-node-${i + 1}`, port });
    } catch {
      // a node that is down is no master
    }
  });
  return masters;
}

/** Whether the cluster has every slot served again (asked of a node that is still up). */
function clusterOk(port: number): boolean {
  try {
    return execFileSync('redis-cli', ['-p', String(port), 'cluster', 'info'], { encoding: 'utf8' }).includes('cluster_state:ok');
  } catch {
    return false;
  }
}

/**
 * SIGKILL of one Redis Cluster master under load (the stack must run REDIS_MODE=cluster). Its
 * replica takes over after the node timeout; meanwhile commands and publications to that shard
 * wait in the clients, pub/sub messages in flight are lost and the clients move their sharded
 * subscriptions to the new master; gapless streams refill from Postgres, writes whose outcome was
 * lost end WRITE_PENDING and are retried with their idempotency keys. `./dev up` then restarts
 * the killed node, which rejoins as a replica.
 */
const redisMasterFailover: Drill = {
  name: 'redis-master-failover',
  injects: 'SIGKILL of one Redis Cluster master under load (REDIS_MODE=cluster); its replica takes over; `./dev up` restarts the node as a replica',
  readyWithinMs: 120_000,
  async prepare(env) {
    if (env.REDIS_MODE !== 'cluster' || !env.REDIS_CLUSTER_NODES) throw new Error('redis-master-failover needs the stack on the local Redis Cluster: REDIS_MODE=cluster ./dev up');
    return async () => undefined;
  },
  async inject(ctx) {
    const env = stackEnv();
    const [victim] = clusterMasters(env);
    if (!victim) throw new Error('no Redis Cluster master found');
    const pid = kill(victim.name, 'SIGKILL');
    const killedAt = Date.now();
    ctx.injected(`SIGKILL ${victim.name} (master on ${victim.port}, pid ${pid}) with ${ctx.load.acknowledged()} writes acknowledged`);
    await waitExited(pid);
    const survivor = Number(env.REDIS_CLUSTER_NODES!.split(',').map((n) => n.split(':')[1]).find((p) => Number(p) !== victim.port));
    // Two masters are left until the dead one's replica wins the election.
    while (!(clusterMasters(env).length === 3 && clusterOk(survivor))) {
      if (Date.now() - killedAt > 60_000) throw new Error('the cluster did not recover within 60 s of the kill');
      await sleep(100);
    }
    ctx.injected(`a replica took over: cluster ok again ${Date.now() - killedAt} ms after the kill (masters now ${clusterMasters(env).map((m) => m.name).join(', ')})`);
    await restartMissing();
    ctx.injected(`${victim.name} started again by ./dev up and rejoined as a replica`);
  },
};

const subgraphReplica = (subgraph: string): Drill => ({
  name: `kill-${subgraph}-replica`,
  injects: `SIGKILL of one of two ${subgraph} replicas (second replica, balancer and gateways the drill starts) under load; the replica is started again`,
  readyWithinMs: 120_000,
  prepare: (env, log) => startReplicas(env, log, [subgraph]),
  async inject(ctx) {
    await killReplica(ctx, subgraph);
  },
});

const poisonRun = { marker: '', handledBefore: {} as Record<string, number> };

/** Events each non-persister consumer handled successfully, from its process's /metrics. */
async function consumerCounts(ctx: DrillContext): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const base of [ctx.env.USERS_MAILER_URL!, ctx.env.FILES_WORKER_URL!]) {
    const text = await fetch(`${base}/metrics`).then((r) => r.text());
    for (const match of text.matchAll(/^consumer_events_total\{consumer="([^"]+)",result="ok"[^}]*\} (\d+)/gm)) counts[match[1]!] = Number(match[2]);
  }
  // The converter and janitor only see files events: uploads are a twentieth of the load.
  // Both always, 0 until a first event: a missing one must fail its check, not skip it.
  return { 'users-mailer': counts['users-mailer'] ?? 0, 'files-chat-projector': counts['files-chat-projector'] ?? 0 };
}

const poison: Drill = {
  name: 'poison',
  injects: 'an unparseable and a schema-invalid event on every topic, under load',
  readyWithinMs: 30_000,
  async inject(ctx) {
    const marker = `poison-${crypto.randomUUID()}`;
    const pills = poisonPills(marker);
    await producePoison(ctx.env, pills);
    for (const pill of pills) ctx.injected(`${pill.kind} event on ${pill.topic}`);
    poisonRun.marker = marker;
    poisonRun.handledBefore = await consumerCounts(ctx);
  },
  async verify(ctx) {
    const { marker, handledBefore } = poisonRun;
    // The consumers that are not persisters (those are checked in Postgres) handled good events
    // that came after the poison ones.
    const handledAfter = await consumerCounts(ctx);
    for (const [consumer, before] of Object.entries(handledBefore)) {
      ctx.checks.push({
        name: `${consumer} handled good events after the poison ones`,
        ok: (handledAfter[consumer] ?? 0) > before,
        detail: `consumer_events_total{result="ok"}: ${before} → ${handledAfter[consumer]}`,
      });
    }
    const expected = TOPICS.flatMap(({ catalog, consumers }) => consumers.flatMap((consumer) => (['unparseable', 'schema-invalid'] as const).map((kind) => ({ topic: catalog.dlqTopic, consumer, kind }))));
    const isKind = (value: string, kind: string) => (kind === 'unparseable' ? value.includes('not json') : !value.includes('not json'));
    const found = (letters: { topic: string; consumer: string; value: string }[], e: (typeof expected)[number]) =>
      letters.filter((l) => l.topic === e.topic && l.consumer === e.consumer && isKind(l.value, e.kind)).length;
    const letters = await readDeadLetters(ctx.env, marker, (ls) => expected.every((e) => found(ls, e) >= 1), 60_000);
    for (const e of expected) {
      const n = found(letters, e);
      ctx.checks.push({
        name: `${e.consumer} dead-lettered the ${e.kind} event to ${e.topic} once and kept consuming`,
        ok: n === 1 && letters.every((l) => l.reason.length > 0),
        detail: `${n} dead letter(s)${n ? `, reason "${letters.find((l) => l.topic === e.topic && l.consumer === e.consumer && isKind(l.value, e.kind))?.reason}"` : ''}`,
      });
    }
    ctx.counts.push({ what: 'poison events → DLQ', sent: expected.length, acknowledged: expected.length, persisted: 0, delivered: letters.length, duplicates: Math.max(0, letters.length - expected.length), missing: expected.filter((e) => found(letters, e) === 0).length });
  },
};

const postgresOutage: Drill = {
  name: 'postgres-outage',
  injects: 'Postgres stopped for 30 s (10 s quick) under load, then started again',
  readyWithinMs: 150_000,
  async inject(ctx) {
    await bounce(ctx, 'postgres', 'SIGINT', ctx.quick ? 10_000 : 30_000);
  },
  async verify(ctx) {
    // What clients may be told meanwhile: a coded, retryable error or WRITE_PENDING (then the
    // retry with the same idempotency key gets the outcome); never a driver message.
    const clear = new Set(['WRITE_PENDING', 'INTERNAL_SERVER_ERROR (retryable)', 'SERVICE_UNAVAILABLE', 'RATE_LIMITED']);
    const unclear = [...ctx.load.errors].filter(([code]) => !clear.has(code));
    ctx.checks.push({
      name: 'mutations during the outage failed with a clear, retryable error or WRITE_PENDING',
      ok: unclear.length === 0,
      detail: unclear.length ? unclear.map(([code, n]) => `${n}× ${code}: "${ctx.load.errorSamples.get(code)}"`).join('; ') : [...ctx.load.errors].map(([c, n]) => `${n}× ${c}`).join(', ') || 'no errors',
    });
    // WRITE_TIMEOUT_MS (10 s) bounds the wait for an outcome; the gateway gives a subgraph 15 s.
    const bound = 15_000 + 5_000;
    ctx.checks.push({
      name: `no mutation attempt waited longer than its timeouts (${bound / 1000} s)`,
      ok: ctx.load.slowestAttemptMs() <= bound,
      detail: `slowest attempt ${(ctx.load.slowestAttemptMs() / 1000).toFixed(1)} s`,
    });
  },
};

/** Every subgraph's second replica killed in turn during one load run (the CI form of the four above). */
const allReplicas: Drill = {
  name: 'kill-subgraph-replicas',
  injects: 'SIGKILL of one of two replicas of users, chat, finder and files in turn, under one load run',
  // Four kills and restarts, one after the other, from the first.
  readyWithinMs: 240_000,
  prepare: (env, log) => startReplicas(env, log),
  async inject(ctx) {
    for (const subgraph of SUBGRAPHS) {
      await killReplica(ctx, subgraph);
      await sleep(ctx.quick ? 1_000 : 5_000);
    }
  },
};

export const DRILLS: Drill[] = [
  sigkill('gateway-1', 'one of the two gateways'),
  ...SUBGRAPHS.map(subgraphReplica),
  allReplicas,
  sigkill('users-persister', 'the users persister'),
  sigkill('chat-persister', 'the chat persister'),
  sigkill('finder-persister', 'the finder persister'),
  sigkill('files-persister', 'the files persister'),
  sigkill('users-mailer', 'the users mailer'),
  {
    name: 'redis-restart',
    injects: 'Redis (pub/sub and write outcomes, no persistence) stopped and started again under load',
    readyWithinMs: 120_000,
    inject: (ctx) => bounce(ctx, 'redis', 'SIGTERM', 0),
  },
  {
    name: 'postgres-restart',
    injects: 'Postgres primary restarted (fast shutdown, start) under load',
    readyWithinMs: 120_000,
    inject: (ctx) => bounce(ctx, 'postgres', 'SIGINT', 0),
  },
  {
    name: 'nginx-reload',
    injects: 'nginx reloaded (SIGHUP: new workers, old ones drain) under load',
    readyWithinMs: 30_000,
    async inject(ctx) {
      const pid = kill('nginx', 'SIGHUP');
      ctx.injected(`SIGHUP nginx (pid ${pid}) with ${ctx.load.acknowledged()} writes acknowledged`);
    },
  },
  postgresOutage,
  poison,
  redisMasterFailover,
];
