import type { DataSchemas, EventCatalog, EventOf } from '../kafka/events.ts';
import type { AppliedOutcome } from './outcomes.ts';
import type { Writer } from './write-path.ts';

/** Produces a command of one catalog to its topic and waits for the persister's outcome (read-your-writes). */
export type Submit<C extends DataSchemas> = (event: EventOf<C>) => Promise<AppliedOutcome>;

/** The one way a subgraph submits its commands: bound to its catalog, so the topic is never named at a call site. */
export function createSubmit<C extends DataSchemas>(writer: Writer, catalog: EventCatalog<C>): Submit<C> {
  return (event) => writer.submit(catalog.topic, event);
}
