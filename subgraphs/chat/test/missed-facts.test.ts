import { createLogger } from '@finder/platform/config';
import { createOrm } from '@finder/platform/data';
import { createBatchApplier } from '@finder/platform/write';
import { stackEnv } from '@finder/testing/stack';
import type { MikroORM } from '@mikro-orm/postgresql';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatEvents, type ChatEvent } from '../src/events/chat-events.ts';
import { migrations } from '../src/migrations/index.ts';
import { createChatApplier } from '../src/persister.ts';
import { createWatching, watchingKey } from '../src/services/watching.ts';

const env = stackEnv();
const logger = createLogger('chat-missed-facts-test', 'silent');

describe('message.missed facts of a stored batch', () => {
  let orm: MikroORM;
  const redis = new Redis(env.REDIS_URL!);
  const watching = createWatching(redis, logger);
  beforeAll(async () => {
    orm = await createOrm({ url: env.DATABASE_URL!, schema: 'chat', migrations, logger });
  });
  afterAll(async () => {
    watching.close();
    redis.disconnect();
    await orm?.close();
  });

  const started = (conversationId: string, participantIds: string[]) =>
    chatEvents.create('conversation.started', { aggregateId: conversationId, actorId: participantIds[0]!, data: { conversationId, createdBy: participantIds[0]!, participantIds } });
  const sent = (conversationId: string, senderId: string, body: string) =>
    chatEvents.create('message.sent', { aggregateId: conversationId, actorId: senderId, data: { messageId: crypto.randomUUID(), conversationId, senderId, body, attachmentIds: [] } });

  async function missedFacts(events: ChatEvent[]) {
    const apply = createBatchApplier<typeof chatEvents.schemas>({ orm, schema: 'chat', logger, outbox: true, applyBulk: createChatApplier({ watching }) });
    const { outcomes, followUps } = await apply(events.map((event) => ({ event })));
    expect(outcomes.map((o) => o.status)).toEqual(events.map(() => 'applied'));
    return followUps.filter((f) => f.event.type === 'message.missed').map((f) => f.event.data as { messageId: string; recipientIds: string[] });
  }

  it('names each recipient once per conversation, for the first message it missed, and never a watcher', async () => {
    const [alice, bob, carol] = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
    const [group, pair] = [crypto.randomUUID(), crypto.randomUUID()];
    await missedFacts([started(group, [alice, bob, carol]), started(pair, [alice, bob])]);
    // Carol watches the group conversation; nobody watches the pair.
    const leave = watching.enter(watchingKey(group, carol));
    try {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const batch = [
        sent(group, alice, 'g1 from alice'),
        sent(group, alice, 'g2 from alice'),
        sent(group, bob, 'g3 from bob'),
        sent(pair, bob, 'p1 from bob'),
        sent(pair, bob, 'p2 from bob'),
        sent(pair, alice, 'p3 from alice'),
        sent(pair, alice, 'p4 from alice'),
      ];
      const ids = batch.map((e) => (e.type === 'message.sent' ? e.data.messageId : ''));
      const facts = await missedFacts(batch);
      expect(facts.map((f) => ({ messageId: f.messageId, recipientIds: [...f.recipientIds].sort() }))).toEqual([
        { messageId: ids[0], recipientIds: [bob] },
        { messageId: ids[2], recipientIds: [alice] },
        { messageId: ids[3], recipientIds: [alice] },
        { messageId: ids[5], recipientIds: [bob] },
      ]);
    } finally {
      leave();
    }
  });
});
