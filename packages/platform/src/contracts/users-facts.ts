import { defineEvents, type EventOf } from '../kafka/events.ts';
import { z } from 'zod';

/**
 * What users announces to the other subgraphs: changes its persister applied, written to the
 * outbox in the same transaction (../write/outbox.ts). Only what another subgraph needs travels
 * here; users.events, with its password and token hashes, stays users' own. Files projects avatar
 * choices to decide who may see an avatar. Keyed by user, so a user's changes stay in order.
 */
export const usersFacts = defineEvents('users.facts', {
  /** The user chose a file as their avatar (`avatarFileId`), or removed it (null). */
  'avatar.changed': z.object({ userId: z.uuid(), avatarFileId: z.uuid().nullable() }),
});

export type UsersFact = EventOf<typeof usersFacts.schemas>;
