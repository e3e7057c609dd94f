import { wallClockMs } from '../../lib/stats.ts';

/** What every publisher sends, in both systems: the publish time travels in the payload. */
export interface Tick {
  topic: string;
  seq: number;
  /** Wall-clock ms at publish; clients subtract it from their own receive time. */
  publishedAt: number;
  body: string;
  authorId: string;
}

/**
 * The subscription clients run; `author.name` lives in another subgraph on the platform. Every field
 * is declared viewer-independent, so distinct viewers share one upstream subscription per topic.
 */
export const TICK_WITH_AUTHOR = /* GraphQL */ `subscription Ticks($topic: String!) {
  tick(topic: $topic) { topic seq publishedAt body author { id name } }
}`;

/**
 * The same stream through a root field not declared viewer-independent: the gateway keeps one
 * upstream subscription per viewer (aliased to `tick`, so clients read it the same way).
 */
export const TICK_PER_VIEWER = /* GraphQL */ `subscription Ticks($topic: String!) {
  tick: privateTick(topic: $topic) { topic seq publishedAt body author { id name } }
}`;

/** Per viewer, without the field that needs an entity fetch (author.id is known to the owning subgraph). */
export const TICK_PER_VIEWER_LOCAL = /* GraphQL */ `subscription Ticks($topic: String!) {
  tick: privateTick(topic: $topic) { topic seq publishedAt body author { id } }
}`;

export const topicName = (index: number): string => `topic-${index}`;

/** The Redis channel of a topic on the platform side. */
export const tickTrigger = (topic: string): string => `bench.ticks.${topic}`;

const BODY = 'x'.repeat(64);

export interface PublishPlan {
  eventsPerSecond: number;
  durationMs: number;
  topics: number;
  firstSeq: number;
}

export interface PublishOutcome {
  published: number;
  startedAt: number;
}

/**
 * Publishes at a steady rate, round-robin over the topics, in small batches every few
 * milliseconds (open loop: the rate does not slow down when the system under test does).
 */
export async function publishAtRate(plan: PublishPlan, send: (tick: Tick) => unknown): Promise<PublishOutcome> {
  const startedAt = wallClockMs();
  const pending: unknown[] = [];
  let published = 0;
  for (;;) {
    const elapsed = wallClockMs() - startedAt;
    const due = Math.min(Math.floor((Math.min(elapsed, plan.durationMs) * plan.eventsPerSecond) / 1000), totalEvents(plan));
    for (; published < due; published++) {
      const seq = plan.firstSeq + published;
      const topic = topicName(seq % plan.topics);
      pending.push(send({ topic, seq, publishedAt: wallClockMs(), body: BODY, authorId: `author-${seq % 100}` }));
    }
    if (elapsed >= plan.durationMs) break;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  await Promise.all(pending);
  return { published, startedAt };
}

const totalEvents = (plan: PublishPlan) => Math.floor((plan.durationMs * plan.eventsPerSecond) / 1000);
