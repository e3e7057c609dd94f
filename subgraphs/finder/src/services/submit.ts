import type { AppliedOutcome, Writer } from '@finder/platform/write';
import { finderEvents, type FinderEvent } from '../events/finder-events.ts';

/** Produces a finder event and waits for the persister's outcome (read-your-writes). */
export type Submit = (event: FinderEvent) => Promise<AppliedOutcome>;

export const submitter =
  (writer: Writer): Submit =>
  (event) =>
    writer.submit(finderEvents.topic, event);
