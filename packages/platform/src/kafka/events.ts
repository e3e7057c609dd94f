import { z } from 'zod';
import { derivedUuid, uuidv7 } from '../data/ids.ts';
import { currentTraceparent } from '../telemetry/tracing.ts';

/** The envelope every event on every topic carries (docs/architecture.md#write-path). */
export const envelopeSchema = z.object({
  id: z.uuid(),
  type: z.string().min(1),
  aggregateId: z.string().min(1),
  actorId: z.string().nullable(),
  occurredAt: z.iso.datetime(),
  idempotencyKey: z.string().min(1).max(200).optional(),
  traceparent: z.string().optional(),
  /**
   * The Redis channel of the writer waiting for this event's outcome (write-path.ts); events
   * nobody waits for (seeds, follow-ups) have none, and their outcomes are only recorded.
   */
  replyTo: z.string().min(1).max(200).optional(),
  data: z.unknown(),
});
export type Envelope = z.infer<typeof envelopeSchema>;

/** Event type → zod schema of its `data`. */
export type DataSchemas = Record<string, z.ZodType>;

/** An event whose `type` and `data` are tied together by the catalog it came from. */
export type EventOf<C extends DataSchemas> = {
  [K in keyof C & string]: Omit<Envelope, 'type' | 'data'> & { type: K; data: z.infer<C[K]> };
}[keyof C & string];

export interface EventCatalog<C extends DataSchemas> {
  topic: string;
  dlqTopic: string;
  schemas: C;
  /** Builds a validated event; throws on a data shape that does not match its type. */
  create<K extends keyof C & string>(
    type: K,
    fields: { aggregateId: string; actorId: string | null; data: z.input<C[K]>; idempotencyKey?: string; traceparent?: string },
  ): EventOf<C>;
  /**
   * Builds the follow-up of an applied `source` event: its id is derived from the source's id, the
   * type and `discriminator` (for several follow-ups of one type), so producing it again after a
   * crash yields the same event, which idempotent consumers skip. Actor, time and trace are the source's.
   */
  derive<K extends keyof C & string>(
    type: K,
    source: Pick<Envelope, 'id' | 'actorId' | 'occurredAt' | 'traceparent'>,
    fields: { aggregateId: string; data: z.input<C[K]>; discriminator?: string },
  ): EventOf<C>;
  /** Parses raw bytes from the topic; throws a PoisonEventError when they are not a known, valid event. */
  parse(raw: Buffer | string | null): EventOf<C>;
}

export class PoisonEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PoisonEventError';
  }
}

const traceparentOf = (traceparent: string | undefined) => (traceparent ? { traceparent } : {});

/** Events are contracts: producer and consumers import the same catalog. */
export function defineEvents<C extends DataSchemas>(topic: string, schemas: C): EventCatalog<C> {
  return {
    topic,
    dlqTopic: `${topic}.dlq`,
    schemas,
    create(type, fields) {
      const data = schemas[type]!.parse(fields.data);
      return {
        id: uuidv7(),
        type,
        aggregateId: fields.aggregateId,
        actorId: fields.actorId,
        occurredAt: new Date().toISOString(),
        ...(fields.idempotencyKey ? { idempotencyKey: fields.idempotencyKey } : {}),
        // The trace of the request that produced it (when one is being traced) goes with it.
        ...traceparentOf(fields.traceparent ?? currentTraceparent()),
        data,
      } as EventOf<C>;
    },
    derive(type, source, fields) {
      const data = schemas[type]!.parse(fields.data);
      return {
        id: derivedUuid(source.id, topic, type, fields.discriminator ?? ''),
        type,
        aggregateId: fields.aggregateId,
        actorId: source.actorId,
        occurredAt: source.occurredAt,
        ...(source.traceparent ? { traceparent: source.traceparent } : {}),
        data,
      } as EventOf<C>;
    },
    parse(raw) {
      if (raw === null) throw new PoisonEventError('empty message');
      let json: unknown;
      try {
        json = JSON.parse(raw.toString());
      } catch {
        throw new PoisonEventError('message is not JSON');
      }
      const envelope = envelopeSchema.safeParse(json);
      if (!envelope.success) throw new PoisonEventError(`invalid envelope: ${envelope.error.issues[0]?.message}`);
      // Own properties only: a type named `constructor` or `__proto__` is unknown, not Object's.
      const schema = Object.hasOwn(schemas, envelope.data.type) ? schemas[envelope.data.type] : undefined;
      if (!schema) throw new PoisonEventError(`unknown event type ${envelope.data.type}`);
      const data = schema.safeParse(envelope.data.data);
      if (!data.success) {
        const issue = data.error.issues[0];
        throw new PoisonEventError(`invalid ${envelope.data.type} data at ${issue?.path.join('.')}: ${issue?.message}`);
      }
      return { ...envelope.data, data: data.data } as EventOf<C>;
    },
  };
}
