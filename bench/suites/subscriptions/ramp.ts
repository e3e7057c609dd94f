import type { Progress } from '../../lib/progress.ts';
import type { Worker } from '../../lib/worker.ts';
import type { ConnectPlan, WindowStats } from './load-generator.ts';
import type { PublishOutcome } from './ticks.ts';

export interface Scenario {
  label: string;
  connections: number;
  subscriptionsPerConnection: number;
  topics: number;
}

export interface RampSettings {
  /** Offered deliveries per second of each step. */
  steps: number[];
  stepMs: number;
  warmupMs: number;
  /** A step passes when at least this share of the expected deliveries arrived... */
  minDeliveredShare: number;
  /** ...and the p99 publish→client latency stays under this. */
  p99LimitMs: number;
  /** Full runs stop once a step gets less than this share of its offered rate through (saturation). */
  saturatedBelow: number;
  /**
   * Extra steps that bisect (geometrically) between the best step within the bounds and the first
   * step above it that was not: the ×1.5 ladder alone under-states a sustained rate by up to a third.
   */
  refineSteps: number;
}

export interface StepResult {
  offered: number;
  achieved: number;
  deliveredShare: number;
  /** Events that reached clients as errors instead of data. */
  errored: number;
  p50: number;
  p99: number;
  passed: boolean;
}

export interface RampResult {
  steps: StepResult[];
  /** The best step that met the latency and delivery bounds. */
  sustained: StepResult | null;
  /** The most deliveries per second seen in any step, bounds or not. */
  peak: number;
  /** Why the run could not be measured (e.g. not every subscription became live). */
  failure?: string;
}

export const subscribersPerTopic = (s: Scenario) => (s.connections * s.subscriptionsPerConnection) / s.topics;

/**
 * Connects the clients, makes sure every subscription is live, warms up, then offers a rising
 * load step by step and measures what arrives. `seq` numbers keep steps apart: an event of an
 * earlier step that arrives late is never counted in a later one.
 */
export async function runRamp(options: {
  name: string;
  scenario: Scenario;
  connect: ConnectPlan;
  loadGenerator: Worker;
  publisher: Worker;
  settings: RampSettings;
  progress: Progress;
  nextSeq: { value: number };
}): Promise<RampResult> {
  const { scenario, loadGenerator, publisher, settings, progress, nextSeq, name } = options;
  const perTopic = subscribersPerTopic(scenario);
  const publish = async (deliveriesPerSecond: number, durationMs: number) => {
    const outcome = await publisher.request<PublishOutcome>('publish', {
      eventsPerSecond: deliveriesPerSecond / perTopic,
      durationMs,
      topics: scenario.topics,
      firstSeq: nextSeq.value,
    });
    nextSeq.value += outcome.published;
    return outcome;
  };

  const opened = await loadGenerator.request<{ opened: number; errors: string[] }>('connect', options.connect);
  if (opened.opened < scenario.connections) {
    throw new Error(`${name}: only ${opened.opened} of ${scenario.connections} connections opened: ${opened.errors.join('; ')}`);
  }
  progress(`${name}: ${opened.opened} connections open; waiting for every subscription to receive an event`);
  const deadline = Date.now() + 120_000;
  const coverage = () => loadGenerator.request<{ live: number; subscribed: number; errors: string[] }>('coverage');
  for (let live = -1; ; ) {
    // One event per topic, then wait while it is still reaching subscriptions before sending more
    // (a platform with many upstream groups takes a while to fan one event out).
    await publish(scenario.topics * perTopic * 10, 100);
    let now = await coverage();
    while (now.live > live && now.live < now.subscribed) {
      live = now.live;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      now = await coverage();
    }
    if (now.live >= now.subscribed && now.subscribed === scenario.connections * scenario.subscriptionsPerConnection) break;
    if (Date.now() > deadline) throw new Error(`${name}: ${now.live} of ${now.subscribed} subscriptions live: ${now.errors.join('; ')}`);
  }
  const measure = async (offered: number, durationMs: number): Promise<StepResult> => {
    await loadGenerator.request('drain', { quietMs: 1_000, maxWaitMs: 60_000 });
    await loadGenerator.request('window', { minSeq: nextSeq.value });
    const outcome = await publish(offered, durationMs);
    const expected = outcome.published * perTopic;
    const stats = await loadGenerator.request<WindowStats>('collect', { expected, quietMs: 3_000, maxWaitMs: 20_000 });
    const elapsedMs = Math.max(stats.lastAt - outcome.startedAt, durationMs);
    const deliveredShare = expected ? stats.deliveries / expected : 0;
    if (stats.errors.length) progress(`${name}: client errors: ${stats.errors.slice(0, 3).join('; ')}`);
    return {
      offered,
      achieved: Math.round((stats.deliveries / elapsedMs) * 1000),
      deliveredShare,
      errored: stats.errored,
      // An empty window has no percentiles (NaN arrives over IPC as null).
      p50: stats.p50 ?? Number.NaN,
      p99: stats.p99 ?? Number.NaN,
      passed: deliveredShare >= settings.minDeliveredShare && (stats.p99 ?? Infinity) < settings.p99LimitMs,
    };
  };

  progress(`${name}: all subscriptions live; warming up at ${settings.steps[0]} deliveries/s`);
  await measure(settings.steps[0]!, settings.warmupMs);
  const steps: StepResult[] = [];
  const step = async (offered: number, label = '') => {
    const result = await measure(offered, settings.stepMs);
    steps.push(result);
    progress(
      `${name}: ${label}offered ${offered}/s → ${result.achieved}/s, ${(result.deliveredShare * 100).toFixed(1)}% delivered, ` +
        `p50 ${result.p50.toFixed(1)} ms, p99 ${result.p99.toFixed(1)} ms${result.errored ? `, ${result.errored} error events` : ''}${result.passed ? '' : ' (outside the bounds)'}`,
    );
    return result;
  };
  for (const offered of settings.steps) {
    const result = await step(offered);
    if (result.achieved < result.offered * settings.saturatedBelow) break;
  }
  for (let i = 0, bounds = refinementBounds(steps); i < settings.refineSteps && bounds; i++) {
    const offered = Math.round(Math.sqrt(bounds.lower * bounds.upper));
    if (offered <= bounds.lower || offered >= bounds.upper) break;
    const result = await step(offered, 'refining: ');
    bounds = result.passed ? { ...bounds, lower: offered } : { ...bounds, upper: offered };
  }
  await loadGenerator.request('close');
  steps.sort((a, b) => a.offered - b.offered);
  return {
    steps,
    sustained: bestWithinBounds(steps),
    peak: Math.max(...steps.map((s) => s.achieved)),
  };
}

function bestWithinBounds(steps: StepResult[]): StepResult | null {
  return steps.filter((s) => s.passed).reduce<StepResult | null>((best, s) => (!best || s.achieved > best.achieved ? s : best), null);
}

/** Between the best step within the bounds and the first step above it that was not. */
function refinementBounds(steps: StepResult[]): { lower: number; upper: number } | null {
  const best = bestWithinBounds(steps);
  if (!best) return null;
  const above = steps.filter((s) => s.offered > best.offered && !s.passed).map((s) => s.offered);
  return above.length ? { lower: best.offered, upper: Math.min(...above) } : null;
}
