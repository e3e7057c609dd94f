import { join } from 'node:path';
import { createTestDatabase } from '@finder/testing/database';
import { freePort } from '@finder/testing/ports';
import { startKafkaMock, startNode, waitForReady } from '@finder/testing/processes';
import { chatPairs } from '../../lib/chat-setup.ts';
import type { OpenPlan, SendPlan, SendResult } from '../../lib/chat-traffic.ts';
import { cleanUp, onCleanup } from '../../lib/cleanup.ts';
import { createBenchTokens, useDevInfrastructure, useDevStack, type StackEnv } from '../../lib/dev-stack.ts';
import type { Progress } from '../../lib/progress.ts';
import type { SuiteReport } from '../../lib/report.ts';
import { forkWorker } from '../../lib/worker.ts';
import { BACKLOG_PARTITIONS, produceBacklog } from './backlog.ts';
import { measureDrain, type BacklogRace, type DrainResult } from './drain.ts';
import { measureLiveStack, type LiveStackResult } from './live-stack.ts';
import { renderWritePathTables } from './tables.ts';

const here = import.meta.dirname;
const CHAT_TRAFFIC = join(here, '../../lib/chat-traffic.ts');

function settings(quick: boolean) {
  return {
    conversations: quick ? 20 : 200,
    // The local broker prunes the oldest messages of a partition past a few MB (40,000 of these
    // lost the oldest conversation.started events, so their messages were refused): stay below.
    // Quick: enough that the persister, which takes a partition's whole backlog per fetch, is still
    // storing when the count is first seen above zero (2,000 were stored between two counts).
    messages: quick ? 10_000 : 20_000,
    naiveCapMs: quick ? 10_000 : 60_000,
    // Events per partition per record batch: ~0.55 MB of these events, within kafkajs' 1 MiB per
    // partition and fetch; the second layout is the one of the runs before 2026-12-03.
    kafkaLikeRecordBatch: quick ? 250 : 1_000,
    smallRecordBatch: 250,
    senders: quick ? 4 : 20,
    sendMs: quick ? 3_000 : 30_000,
    live: {
      settleMs: quick ? 1_000 : 15_000,
      idleMs: quick ? 5_000 : 60_000,
      oneSenderMs: quick ? 2_000 : 20_000,
      conversations: quick ? 10 : 100,
      openLoopRate: quick ? 50 : 500,
      openLoopMs: quick ? 3_000 : 60_000,
      stepRates: quick ? [100] : [100, 150, 200, 250, 300, 350, 400, 450, 500, 750, 1_000, 1_500, 2_000],
      stepMs: quick ? 2_000 : 15_000,
    },
  };
}

export async function runWritePathSuite({ quick, progress }: { quick: boolean; progress: Progress }): Promise<SuiteReport> {
  const config = settings(quick);
  let race: BacklogRace, endToEnd: SendResult | { failure: string }, live: LiveStackResult | { failure: string };
  try {
    const infrastructure = await useDevInfrastructure(progress);
    race = { ...(await backlogRace(infrastructure.env, config, progress)), servicesBeside: infrastructure.servicesBeside };
    // The race's brokers and databases go now, so the stack's idle window below is not charged
    // for a second broker polling or for autovacuum of tables nobody uses any more.
    await cleanUp();
    // Each part's numbers stand on their own: a failure is reported next to the others.
    const failure = (part: string, err: unknown) => {
      const message = (err as Error).message.split('\n')[0]!.slice(0, 300);
      progress(`${part}: not measured: ${message}`);
      return { failure: message };
    };
    const stack = await useDevStack(progress);
    // At rest first: the idle row wants the stack before this suite's own load.
    live = await measureLiveStack(stack, config.live, progress).catch((err: unknown) => failure('live stack', err));
    endToEnd = await sendMessageEndToEnd(stack, config, progress).catch((err: unknown) => failure('end to end', err));
  } finally {
    progress('stopping everything this suite started (the ./dev stack keeps running)');
    await cleanUp();
  }
  return renderWritePathTables({ quick, config, race, endToEnd, live });
}


/**
 * The chat persister drains the backlog into its own database, and again from a second broker
 * holding the same backlog in smaller record batches; the naive consumer drains the first.
 */
async function backlogRace(env: StackEnv, config: ReturnType<typeof settings>, progress: Progress): Promise<Omit<BacklogRace, 'servicesBeside'>> {
  const quickLayout = config.kafkaLikeRecordBatch === config.smallRecordBatch;
  progress(`private brokers and ${quickLayout ? 2 : 3} private databases migrated like chat`);
  const topics = [`chat.events:${BACKLOG_PARTITIONS}`, 'chat.events.dlq:1'];
  const brokers = await Promise.all((quickLayout ? [0] : [0, 1]).map(() => startKafkaMock(env.KAFKA_MOCK_BIN!, topics)));
  for (const broker of brokers) onCleanup(broker.stop);
  const names = ['bench_persister', 'bench_naive', ...(quickLayout ? [] : ['bench_persister_small'])];
  const dbs = await Promise.all(names.map((name) => createTestDatabase(env.DATABASE_URL!, name)));
  for (const db of dbs) onCleanup(db.drop);
  await Promise.all(dbs.map((db) => migrateChat(env, db.url)));
  const [persisterDb, naiveDb, smallDb] = dbs;

  const backlogOf = `${config.conversations} conversation.started + ${config.messages} message.sent events on chat.events`;
  progress(`backlog: ${backlogOf}, record batches of ${config.kafkaLikeRecordBatch} per partition`);
  const { meanEventBytes } = await produceBacklog(brokers[0]!.brokers, config.conversations, config.messages, config.kafkaLikeRecordBatch);
  if (brokers[1]) {
    progress(`the same backlog on a second broker, record batches of ${config.smallRecordBatch} per partition`);
    await produceBacklog(brokers[1].brokers, config.conversations, config.messages, config.smallRecordBatch);
  }

  progress('the chat persister drains the backlog');
  const persister = await drainWithPersister(env, persisterDb!.url, brokers[0]!.brokers, config.messages);
  let persisterSmallBatches: DrainResult | null = null;
  if (brokers[1]) {
    progress(`the chat persister drains the backlog of ${config.smallRecordBatch}-event record batches`);
    persisterSmallBatches = await drainWithPersister(env, smallDb!.url, brokers[1].brokers, config.messages);
  }

  progress(`the naive consumer (one transaction per message) drains the backlog, for at most ${config.naiveCapMs / 1000} s`);
  const naiveWorker = forkWorker(join(here, 'naive-consumer.ts'), { DATABASE_URL: naiveDb!.url, KAFKA_BROKERS: brokers[0]!.brokers });
  onCleanup(naiveWorker.stop);
  await naiveWorker.request('start');
  const naive = await measureDrain(naiveDb!.url, config.messages, config.naiveCapMs);
  await naiveWorker.stop();
  return { meanEventBytes, persister, persisterSmallBatches, naive };
}

async function drainWithPersister(env: StackEnv, databaseUrl: string, brokers: string, messages: number): Promise<DrainResult> {
  const port = await freePort();
  const service = startNode('subgraphs/chat/src/main.ts', ['persister'], { ...env, DATABASE_URL: databaseUrl, KAFKA_BROKERS: brokers, PORT: String(port), LOG_LEVEL: 'warn' });
  onCleanup(() => service.kill('SIGKILL'));
  await waitForReady(`http://127.0.0.1:${port}/healthz`, 60_000, service);
  const result = await measureDrain(databaseUrl, messages, 10 * 60_000);
  await service.kill('SIGTERM');
  return result;
}

async function migrateChat(env: StackEnv, databaseUrl: string): Promise<void> {
  const migration = startNode('subgraphs/chat/src/main.ts', ['migrate'], { ...env, DATABASE_URL: databaseUrl, PORT: '0', LOG_LEVEL: 'warn' });
  const code = await new Promise<number | null>((resolve) => migration.process.once('exit', resolve));
  if (code !== 0) throw new Error(`chat migrations failed (${code}):\n${migration.output.slice(-20).join('\n')}`);
}

/** sendMessage through nginx and the gateways, timed until every subscriber of the conversation has it. */
async function sendMessageEndToEnd(env: StackEnv, config: ReturnType<typeof settings>, progress: Progress): Promise<SendResult> {
  progress(`end to end: ${config.senders} conversations between the demo business and seeded professionals`);
  const mint = await createBenchTokens(env);
  const { businessToken, pairs } = await chatPairs(env, config.senders, mint, 'write-path');
  const traffic = forkWorker(CHAT_TRAFFIC);
  onCleanup(traffic.stop);
  const wsUrl = env.PUBLIC_URL!.replace(/^http/, 'ws');
  const open: OpenPlan = {
    wsUrl,
    connections: [
      { token: businessToken, conversationIds: pairs.map((p) => p.conversationId) },
      ...pairs.map((p) => ({ token: p.professionalToken, conversationIds: [p.conversationId] })),
    ],
    connectPerSecond: 50,
  };
  await traffic.request('open', open);
  const senders = pairs.map((p) => ({ token: p.professionalToken, conversationId: p.conversationId }));
  progress('warm-up: a message per conversation until both subscribers of each receive it');
  await traffic.request('warm', { httpUrl: env.PUBLIC_URL!, senders, timeoutMs: 60_000 });
  progress(`measuring: each professional sends as soon as the previous message is answered, ${config.sendMs / 1000} s`);
  const plan: SendPlan = { httpUrl: env.PUBLIC_URL!, senders, durationMs: config.sendMs, intervalMs: 0, drainMs: 10_000 };
  const result = await traffic.request<SendResult>('send', plan);
  await traffic.request('close');
  return result;
}
