import type { EntityManager } from '@mikro-orm/postgresql';
import { describe, expect, it } from 'vitest';
import { rememberingParticipants } from '../src/services/membership.ts';

const em = {} as EntityManager;

/** Membership answers asked of storage, by conversation/user, with the members the test decides. */
function storage(members: Set<string>) {
  const asked: string[] = [];
  const isParticipant = async (_em: EntityManager, conversationId: string, userId: string) => {
    asked.push(`${conversationId}/${userId}`);
    return members.has(`${conversationId}/${userId}`);
  };
  return { asked, isParticipant };
}

describe('remembered membership', () => {
  it('asks storage once for a member, and every time for anyone else', async () => {
    const members = new Set(['c1/alice']);
    const { asked, isParticipant } = storage(members);
    const cached = rememberingParticipants(isParticipant);
    expect(await cached(em, 'c1', 'alice')).toBe(true);
    expect(await cached(em, 'c1', 'alice')).toBe(true);
    expect(await cached(em, 'c1', 'mallory')).toBe(false);
    expect(await cached(em, 'c1', 'mallory')).toBe(false);
    expect(await cached(em, 'c2', 'alice')).toBe(false);
    expect(asked).toEqual(['c1/alice', 'c1/mallory', 'c1/mallory', 'c2/alice']);
    // A refusal is never remembered: someone added later is let in at once.
    members.add('c1/mallory');
    expect(await cached(em, 'c1', 'mallory')).toBe(true);
  });

  it('asks again once an entry expired', async () => {
    const members = new Set(['c1/alice']);
    const { asked, isParticipant } = storage(members);
    const cached = rememberingParticipants(isParticipant, { ttlMs: 30 });
    await cached(em, 'c1', 'alice');
    await new Promise((r) => setTimeout(r, 60));
    members.delete('c1/alice');
    expect(await cached(em, 'c1', 'alice')).toBe(false);
    expect(asked).toEqual(['c1/alice', 'c1/alice']);
  });
});
