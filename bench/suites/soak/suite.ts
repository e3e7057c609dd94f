import { join } from 'node:path';
import { chatPairs } from '../../lib/chat-setup.ts';
import type { OpenPlan, SendPlan, SendResult } from '../../lib/chat-traffic.ts';
import { cleanUp, onCleanup } from '../../lib/cleanup.ts';
import { createBenchTokens, useDevStack } from '../../lib/dev-stack.ts';
import type { HttpLoadPlan, HttpLoadResult } from '../../lib/http-load.ts';
import type { Progress } from '../../lib/progress.ts';
import type { SuiteReport } from '../../lib/report.ts';
import { forkWorker } from '../../lib/worker.ts';
import { MEDIUM, TINY } from '../gateway/queries.ts';
import { growthAfterWarmup, startRssSampler } from './rss-sampler.ts';
import { renderSoakTables } from './tables.ts';
import { soakSettings } from './settings.ts';

const here = import.meta.dirname;
const CHAT_TRAFFIC = join(here, '../../lib/chat-traffic.ts');
const HTTP_LOAD = join(here, '../../lib/http-load.ts');

export async function runSoakSuite({ quick, progress, minutes }: { quick: boolean; progress: Progress; minutes?: number }): Promise<SuiteReport> {
  const config = soakSettings(quick, minutes);
  const env = await useDevStack(progress);
  const mint = await createBenchTokens(env);
  progress(`${config.conversations} conversations between the demo business and seeded professionals`);
  const { businessToken, pairs } = await chatPairs(env, config.conversations, mint, 'soak');
  let queries: HttpLoadResult, messages: SendResult, subscriptions: { connections: number; subscriptions: number }, subscriptionErrors: { count: number; first: string | null };
  let sampler: ReturnType<typeof startRssSampler>;
  try {
    const traffic = forkWorker(CHAT_TRAFFIC);
    onCleanup(traffic.stop);
    const conversationIds = pairs.map((p) => p.conversationId);
    // The business watches every conversation from several sockets, each professional its own.
    const open: OpenPlan = {
      wsUrl: env.PUBLIC_URL!.replace(/^http/, 'ws'),
      connections: [
        ...Array.from({ length: config.subscriptionsPerSide }, () => ({ token: businessToken, conversationIds })),
        ...pairs.map((p) => ({ token: p.professionalToken, conversationIds: Array<string>(config.subscriptionsPerSide).fill(p.conversationId) })),
      ],
      connectPerSecond: 50,
    };
    subscriptions = await traffic.request('open', open);
    progress(`${subscriptions.subscriptions} live subscriptions on ${subscriptions.connections} sockets; waiting until each delivers`);
    const senders = pairs.map((p) => ({ token: p.professionalToken, conversationId: p.conversationId }));
    await traffic.request('warm', { httpUrl: env.PUBLIC_URL!, senders, timeoutMs: 120_000 });

    progress(`mixed load for ${(config.durationMs / 60_000).toFixed(1)} min: queries, sendMessage, deliveries; RSS of every stack process every ${config.sampleMs / 1000} s`);
    sampler = startRssSampler(env.STATE_DIR!, config.sampleMs);
    const queryLoad = forkWorker(HTTP_LOAD);
    onCleanup(queryLoad.stop);
    const queryPlan: HttpLoadPlan = {
      url: env.PUBLIC_URL!,
      requests: [TINY, MEDIUM].map((shape) => ({ body: JSON.stringify({ query: shape.query }), headers: { authorization: `Bearer ${businessToken}` } })),
      concurrency: config.queryLanes,
      intervalMs: config.queryIntervalMs,
      warmupMs: 0,
      durationMs: config.durationMs,
    };
    const sendPlan: SendPlan = { httpUrl: env.PUBLIC_URL!, senders, durationMs: config.durationMs, intervalMs: config.messageIntervalMs, drainMs: 10_000 };
    const progressTimer = setInterval(() => progress('soaking...'), 60_000);
    try {
      [queries, messages] = await Promise.all([queryLoad.request<HttpLoadResult>('run', queryPlan), traffic.request<SendResult>('send', sendPlan)]);
    } finally {
      clearInterval(progressTimer);
      sampler.stop();
    }
    subscriptionErrors = await traffic.request('subscriptionErrors');
    await traffic.request('close');
  } finally {
    progress('stopping the load (the ./dev stack keeps running)');
    await cleanUp();
  }
  const growth = sampler.series.map((s) => growthAfterWarmup(s, config.warmupMs, config.windowMs, config.durationMs));
  return renderSoakTables({ quick, config, growth, queries, messages, subscriptions, subscriptionErrors });
}
