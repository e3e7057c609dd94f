import { defineEvents, type EventOf } from '../kafka/events.ts';
import { z } from 'zod';

/**
 * What files announces to the other subgraphs: changes its persister applied, written to the
 * outbox in the same transaction (../write/outbox.ts). Chat projects them to check message
 * attachments without reading files' tables. Keyed by file.
 */
export const filesFacts = defineEvents('files.facts', {
  /** The file's bytes are verified (an upload completed, or a conversion produced it): it can be shared. */
  'file.ready': z.object({ fileId: z.uuid(), ownerId: z.uuid() }),
  /** Deleted by its owner: it can no longer be shared. */
  'file.deleted': z.object({ fileId: z.uuid(), ownerId: z.uuid() }),
});

export type FilesFact = EventOf<typeof filesFacts.schemas>;
