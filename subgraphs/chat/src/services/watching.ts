import type { Logger, RedisClient } from '@finder/platform/config';
import { createPresence, type Presence } from '@finder/platform/realtime';

/**
 * Who is watching which conversation: a live `messageAdded` subscription marks its viewer as
 * watching (on every replica, through Redis) for as long as it runs. The persister asks, when it
 * stores a message, which recipients were not, and announces the message as missed by them.
 * This relies on `messageAdded` being subscribed upstream per viewer: were its fields declared
 * `@viewerIndependent`, the gateway would share one upstream subscription among viewers and only
 * the first would be marked.
 *
 * Keys carry the conversation as a hash tag, so on a Redis Cluster the persister's question about a
 * message's recipients (one conversation) goes to one shard.
 */
export const createWatching = (redis: RedisClient, logger: Logger): Presence => createPresence({ redis, logger, prefix: 'chat:watching' });

export const watchingKey = (conversationId: string, userId: string): string => `{${conversationId}}:${userId}`;
