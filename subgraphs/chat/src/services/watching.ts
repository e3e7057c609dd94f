import type { Logger } from '@finder/platform/config';
import { createPresence, type Presence } from '@finder/platform/realtime';
import type { Redis } from 'ioredis';

/**
 * Who is watching which conversation: a live `messageAdded` subscription marks its viewer as
 * watching (on every replica, through Redis) for as long as it runs. The persister asks, when it
 * stores a message, which recipients were not, and announces the message as missed by them.
 * This relies on `messageAdded` being subscribed upstream per viewer: were its fields declared
 * `@viewerIndependent`, the gateway would share one upstream subscription among viewers and only
 * the first would be marked.
 */
export const createWatching = (redis: Redis, logger: Logger): Presence => createPresence({ redis, logger, prefix: 'chat:watching' });

export const watchingKey = (conversationId: string, userId: string): string => `${conversationId}:${userId}`;
