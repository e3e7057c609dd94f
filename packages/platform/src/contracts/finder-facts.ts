import { defineEvents, type EventOf } from '../kafka/events.ts';
import { z } from 'zod';

/**
 * What finder announces to the other subgraphs: changes its persister has applied, never requests.
 * Written to finder's outbox in the transaction that applied the change and produced after the
 * commit (../write/outbox.ts), so a fact exists exactly when its change does. Ids are derived from
 * the command's id: a fact produced twice is the same event. Keyed by engagement.
 */
export const finderFacts = defineEvents('finder.facts', {
  /** A pending request was accepted by its professional. Chat opens the two users' conversation on it. */
  'engagement.accepted': z.object({ engagementId: z.uuid(), businessId: z.uuid(), professionalId: z.uuid() }),
});

export type FinderFact = EventOf<typeof finderFacts.schemas>;
