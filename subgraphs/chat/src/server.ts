import { readFileSync } from 'node:fs';
import { createRateLimiter, type Infra, subgraphServer } from '@finder/platform/server';
import { createSubmit, createWriter } from '@finder/platform/write';
import { gql } from 'graphql-tag';
import { createContext } from './context.ts';
import type { ChatServerEnv } from './env.ts';
import { chatEvents } from './events/chat-events.ts';
import { resolvers } from './resolvers/index.ts';
import { createChatCommands } from './services/commands.ts';
import { createWatching } from './services/watching.ts';

export const typeDefs = gql(readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8'));

/** Builds the chat subgraph without listening, so tests can start it on any port. */
export async function buildChatServer(env: ChatServerEnv, { orm, pubsub, producer, logger, registry }: Infra) {
  const commands = createChatCommands({
    submit: createSubmit(createWriter({ producer, pubsub, timeoutMs: env.WRITE_TIMEOUT_MS, logger, registry }), chatEvents),
    pubsub,
    // The pub/sub client queues commands while Redis is down; the limiter does not wait for it
    // (it answers from memory while the client is not ready).
    sendLimiter: createRateLimiter(pubsub.redis, { prefix: 'chat-send', points: env.CHAT_SEND_RATE_PER_SECOND, durationMs: 1_000 }),
    typingLimiter: createRateLimiter(pubsub.redis, { prefix: 'chat-typing', points: env.CHAT_TYPING_RATE_PER_SECOND, durationMs: 1_000 }),
  });
  const watching = createWatching(pubsub.redis, logger);
  return subgraphServer(env, { orm, pubsub, producer, logger, registry }, {
    name: 'chat',
    typeDefs,
    resolvers,
    context: (viewer, requestId) => createContext({ em: orm.em, commands, pubsub, watching, logger }, viewer, requestId),
  });
}
