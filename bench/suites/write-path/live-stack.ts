/**
 * The write path measured on the running `./dev up` stack: its CPU at rest, one sender alone, and
 * the open-loop load of 200 senders in 100 conversations with two live subscribers each (a fixed
 * rate with CPU per message by process, then steps of rate up to the sustained maximum).
 */
import { join } from 'node:path';
import { query } from '@finder/testing/database';
import { professionalPairs, type ProfessionalPair } from '../../lib/chat-setup.ts';
import type { OpenPlan, SendPlan, SendResult } from '../../lib/chat-traffic.ts';
import { onCleanup } from '../../lib/cleanup.ts';
import { createBenchTokens, type StackEnv } from '../../lib/dev-stack.ts';
import type { Progress } from '../../lib/progress.ts';
import { cpuBetween, readStackCpu, stackProcesses, type ProcessCpu } from '../../lib/stack-cpu.ts';
import { forkWorker, type Worker } from '../../lib/worker.ts';

const CHAT_TRAFFIC = join(import.meta.dirname, '../../lib/chat-traffic.ts');

export interface LiveStackConfig {
  /** A pause before the idle window, for what the previous part started to finish. */
  settleMs: number;
  idleMs: number;
  oneSenderMs: number;
  conversations: number;
  openLoopRate: number;
  openLoopMs: number;
  /** Offered rates of the steps; the sustained maximum is the highest with p99s < 100 ms and nothing lost. */
  stepRates: number[];
  stepMs: number;
}

export interface RateStep {
  rate: number;
  result: SendResult;
}

export interface LiveStackResult {
  idle: ProcessCpu[];
  idleMs: number;
  oneSender: SendResult;
  openLoop: SendResult;
  /** CPU by process over the open-loop window, in ms per acknowledged message. */
  cpuPerMessage: ProcessCpu[];
  steps: RateStep[];
}

/** p99 bound of a sustained step; the target of the fixed-rate row is tighter (50 ms). */
export const SUSTAINED_P99_MS = 100;

export const sustainedStep = (steps: RateStep[]): RateStep | undefined =>
  steps.filter(({ result: r }) => r.ackP99Ms < SUSTAINED_P99_MS && r.allP99Ms < SUSTAINED_P99_MS && r.missingDeliveries === 0 && r.duplicateDeliveries === 0 && r.acknowledged === r.sent).at(-1);

export async function measureLiveStack(env: StackEnv, config: LiveStackConfig, progress: Progress): Promise<LiveStackResult> {
  const processes = stackProcesses(env.STATE_DIR!);
  // At rest means with nothing left to do: Postgres writes back what earlier parts wrote at its
  // next checkpoint (every 5 min), which would otherwise fall into the idle window or not, by luck.
  await query(env.DATABASE_URL!, 'checkpoint');
  await new Promise((r) => setTimeout(r, config.settleMs));
  progress(`idle: CPU of the ${processes.length} processes of the stack at rest, ${config.idleMs / 1000} s`);
  const before = readStackCpu(processes);
  await new Promise((r) => setTimeout(r, config.idleMs));
  const idle = cpuBetween(before, readStackCpu(processes));

  const mint = await createBenchTokens(env);
  progress(`${config.conversations} conversations between pairs of seeded professionals`);
  const pairs = await professionalPairs(env, config.conversations, mint, 'write-path-open');
  const traffic = await openSubscriptions(env, pairs);
  const senders = pairs.flatMap((p) => p.members.map((m) => ({ token: m.token, conversationId: p.conversationId })));
  progress('warm-up: a message per conversation until both subscribers of each receive it');
  await traffic.request('warm', { httpUrl: env.PUBLIC_URL!, senders: pairs.map((p) => ({ token: p.members[0]!.token, conversationId: p.conversationId })), timeoutMs: 120_000 });

  // 25 ms between messages keeps one user under chat's send budget (CHAT_SEND_RATE_PER_SECOND, 50
  // a second): refusals, answered at once, would make the latencies look better than they are.
  progress(`one sender alone, one message after another (25 ms apart), ${config.oneSenderMs / 1000} s`);
  const oneSender = await send(traffic, env, { senders: senders.slice(0, 1), durationMs: config.oneSenderMs, intervalMs: 25 });

  progress(`open loop: ${config.openLoopRate} sendMessage/s from ${senders.length} senders, ${config.openLoopMs / 1000} s, with CPU by process`);
  const cpuBefore = readStackCpu(processes);
  const openLoop = await send(traffic, env, { senders, durationMs: config.openLoopMs, intervalMs: 0, ratePerSecond: config.openLoopRate });
  const cpuPerMessage = cpuBetween(cpuBefore, readStackCpu(processes)).map((p) => ({ ...p, cpuMs: p.cpuMs / Math.max(1, openLoop.acknowledged) }));

  const steps: RateStep[] = [];
  for (const rate of config.stepRates) {
    progress(`step: ${rate} sendMessage/s, ${config.stepMs / 1000} s`);
    const result = await send(traffic, env, { senders, durationMs: config.stepMs, intervalMs: 0, ratePerSecond: rate });
    steps.push({ rate, result });
    if (sustainedStep([{ rate, result }]) === undefined) break;
  }
  await traffic.request('close');
  return { idle, idleMs: config.idleMs, oneSender, openLoop, cpuPerMessage, steps };
}

async function openSubscriptions(env: StackEnv, pairs: ProfessionalPair[]): Promise<Worker> {
  const traffic = forkWorker(CHAT_TRAFFIC);
  onCleanup(traffic.stop);
  const open: OpenPlan = {
    wsUrl: env.PUBLIC_URL!.replace(/^http/, 'ws'),
    connections: pairs.flatMap((p) => p.members.map((m) => ({ token: m.token, conversationIds: [p.conversationId] }))),
    connectPerSecond: 50,
  };
  await traffic.request('open', open);
  return traffic;
}

function send(traffic: Worker, env: StackEnv, plan: Omit<SendPlan, 'httpUrl' | 'drainMs'>): Promise<SendResult> {
  return traffic.request<SendResult>('send', { ...plan, httpUrl: env.PUBLIC_URL!, drainMs: 10_000 });
}
