import { buildSubgraphSchema } from '@apollo/subgraph';
import { createLogger } from '@finder/platform/config';
import { createOrm } from '@finder/platform/data';
import { createBatchApplier } from '@finder/platform/write';
import { stackEnv } from '@finder/testing/stack';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { execute, parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext } from '../src/context.ts';
import { chatEvents, type ChatEvent } from '../src/events/chat-events.ts';
import { migrations } from '../src/migrations/index.ts';
import { createChatApplier } from '../src/persister.ts';
import { resolvers } from '../src/resolvers/index.ts';
import { typeDefs } from '../src/server.ts';

const env = stackEnv();
const logger = createLogger('chat-loaders-test', 'silent');
const LIST = parse(`query($reps: [_Any!]!) { _entities(representations: $reps) { ... on User {
  conversations(first: 50) { edges { node { id createdAt participants { id } lastMessage { seq body sender { id } } unreadCount } } } } } }`);

describe('conversation lists cost a constant number of SQL queries', () => {
  let orm: MikroORM;
  beforeAll(async () => {
    orm = await createOrm({ url: env.DATABASE_URL!, schema: 'chat', migrations, logger });
  });
  afterAll(() => orm?.close());

  /** Creates `n` conversations for a new user, each with three messages, through the real persister code. */
  async function userWithConversations(n: number): Promise<string> {
    const me = crypto.randomUUID();
    const events: ChatEvent[] = [];
    for (let i = 0; i < n; i++) {
      const conversationId = crypto.randomUUID();
      const other = crypto.randomUUID();
      events.push(chatEvents.create('conversation.started', { aggregateId: conversationId, actorId: me, data: { conversationId, createdBy: me, participantIds: [me, other] } }));
      for (let m = 0; m < 3; m++) {
        events.push(
          chatEvents.create('message.sent', {
            aggregateId: conversationId,
            actorId: other,
            data: { messageId: crypto.randomUUID(), conversationId, senderId: other, body: `hello ${m}`, attachmentIds: [] },
          }),
        );
      }
    }
    const apply = createBatchApplier<typeof chatEvents.schemas>({ orm, schema: 'chat', logger, outbox: true, applyBulk: createChatApplier({ watching: null }) });
    const { outcomes } = await apply(events.map((event) => ({ event })));
    expect(outcomes.every((o) => o.status === 'applied')).toBe(true);
    return me;
  }

  async function listAndCount(userId: string): Promise<{ queries: number; edges: { node: { unreadCount: number; lastMessage: { seq: number } } }[] }> {
    let queries = 0;
    const counting = {
      fork: () => {
        const em = orm.em.fork();
        const run = em.execute.bind(em);
        em.execute = ((...args: Parameters<typeof run>) => {
          queries++;
          return run(...args);
        }) as typeof em.execute;
        return em;
      },
    } as unknown as EntityManager;
    const context = createContext({ em: counting, commands: {} as never, pubsub: {} as never, watching: {} as never, logger }, { id: userId, role: 'BUSINESS', sessionId: 's' }, 'test');
    const result = await execute({
      schema: buildSubgraphSchema([{ typeDefs, resolvers: resolvers as never }]),
      document: LIST,
      variableValues: { reps: [{ __typename: 'User', id: userId }] },
      contextValue: context,
    });
    expect(result.errors).toBeUndefined();
    const data = result.data as { _entities: { conversations: { edges: { node: { unreadCount: number; lastMessage: { seq: number } } }[] } }[] };
    return { queries, edges: data._entities[0]!.conversations.edges };
  }

  it('lists 5 and 50 conversations with participants, last message and unread count in the same few queries', async () => {
    const few = await listAndCount(await userWithConversations(5));
    const many = await listAndCount(await userWithConversations(50));
    expect(few.edges).toHaveLength(5);
    expect(many.edges).toHaveLength(50);
    expect(many.edges.every((e) => e.node.unreadCount === 3 && e.node.lastMessage.seq === 3)).toBe(true);
    expect(many.queries).toBe(few.queries);
    expect(many.queries).toBeLessThanOrEqual(3);
  });
});
