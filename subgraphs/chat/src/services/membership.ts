import type { EntityManager } from '@mikro-orm/postgresql';
import { LRUCache } from 'lru-cache';

export type IsParticipant = (em: EntityManager, conversationId: string, userId: string) => Promise<boolean>;

/**
 * Whether a user is in a conversation, remembering the ones that are, so a sender's every message
 * does not ask Postgres again (one round trip and one query per `sendMessage`). Only membership is
 * remembered, never its absence: participants are never removed, and the persister checks
 * membership again when it stores a message, so even a stale entry could not write anything.
 * Entries expire all the same (`ttlMs`), which bounds what a future removal would leave behind.
 */
export function rememberingParticipants(isParticipant: IsParticipant, options: { max?: number; ttlMs?: number } = {}): IsParticipant {
  const known = new LRUCache<string, true>({ max: options.max ?? 100_000, ttl: options.ttlMs ?? 60_000 });
  return async (em, conversationId, userId) => {
    const key = `${conversationId}/${userId}`;
    if (known.has(key)) return true;
    const member = await isParticipant(em, conversationId, userId);
    if (member) known.set(key, true);
    return member;
  };
}
