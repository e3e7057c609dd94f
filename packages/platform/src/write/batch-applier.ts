import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { ErrorCode } from '../config/errors.ts';
import type { Logger } from '../config/logger.ts';
import { query } from '../data/sql.ts';
import type { DataSchemas, Envelope, EventOf } from '../kafka/events.ts';
import { isTransient } from '../kafka/transient.ts';
import { outboxInsert, type FollowUp } from './outbox.ts';
import { Rejection, type Outcome } from './outcomes.ts';

/** What an apply handler can touch: the batch's transaction, and publications sent after commit. */
export interface ApplyContext {
  em: EntityManager;
  /** Queues a Redis publication that goes out only after the batch's transaction commits. */
  publish(trigger: string, payload: unknown): void;
  /**
   * Queues a follow-up event for `topic` (build it with `catalog.derive` from the event being
   * applied): written to the outbox in the batch's transaction, so it exists exactly when the change
   * does, and produced after the commit (outbox.ts). A rejected event's follow-ups are dropped.
   */
  emit(topic: string, event: Envelope): void;
}

export type ApplyResult = { result?: Record<string, unknown> } | Rejection | void;
/** Applies one event. It may write before it rejects: the batch then runs again, each event in its own savepoint. */
export type ApplyHandler<C extends DataSchemas> = (ctx: ApplyContext, event: EventOf<C>) => Promise<ApplyResult>;
/**
 * Applies all fresh events of a batch at once, in order, returning one result per event. It must
 * check before it writes: a rejected event may not leave writes behind.
 */
export type BulkApplyHandler<C extends DataSchemas> = (ctx: ApplyContext, events: EventOf<C>[]) => Promise<ApplyResult[]>;
export type HandlerChoice<C extends DataSchemas> =
  | { apply: ApplyHandler<C>; applyBulk?: undefined }
  | { applyBulk: BulkApplyHandler<C>; apply?: undefined };

/** SQL for the table that makes every persister idempotent; each subgraph's first migration runs it. */
export const processedEventsSql = (schema: string): string[] => [
  `create table if not exists "${schema}".processed_events (
     event_id uuid primary key,
     event_type text not null,
     idempotency_key text unique,
     outcome jsonb not null,
     applied_at timestamptz not null default now())`,
];

export interface AppliedBatch {
  outcomes: Outcome[];
  /** Redis publications queued by handlers, to send after the transaction committed. */
  publications: [string, unknown][];
  /** Follow-up events written to the outbox in the transaction, to produce after it committed. */
  followUps: FollowUp[];
}

/** Thrown inside a batch's transaction to roll it back and apply the batch again, isolated. */
class NeedsSavepoints extends Error {}

/**
 * Applies events in one transaction, idempotently: an event id already recorded is skipped (its
 * stored outcome is returned again) and a repeated idempotency key answers with the first outcome.
 * Bulk handlers see every fresh event at once (multi-row writes), per-event handlers one at a
 * time. Should a handler throw, or a per-event handler reject (it may have written first), the
 * batch runs again with one savepoint per event, so a rejection undoes only its own writes and a
 * single bad event cannot block the partition.
 */
export function createBatchApplier<C extends DataSchemas>(deps: {
  orm: MikroORM;
  schema: string;
  logger: Logger;
  /** Whether the schema has an outbox table; without one a handler's `emit` is an error. */
  outbox?: boolean;
  onResult?: (result: string) => void;
} & HandlerChoice<C>) {
  const { orm, schema, logger } = deps;
  const onResult = deps.onResult ?? (() => undefined);
  const table = `"${schema}".processed_events`;
  const bulk: BulkApplyHandler<C> =
    deps.applyBulk ?? (async (ctx, events) => [await deps.apply!(ctx, events[0]!)]);
  const savepointEach = !deps.applyBulk;

  return async function applyBatch(events: { event: EventOf<C> }[]): Promise<AppliedBatch> {
    try {
      return await attempt(events, false);
    } catch (err) {
      if (!(err instanceof NeedsSavepoints)) throw err;
      return await attempt(events, true);
    }
  };

  /**
   * One transaction over the batch. The common case (every event applies) runs without savepoints,
   * two round trips fewer per event or batch; when a handler rejects or throws, the transaction is
   * rolled back and the batch runs again with a savepoint around each event (`isolated`).
   */
  async function attempt(events: { event: EventOf<C> }[], isolated: boolean): Promise<AppliedBatch> {
    const publications: [string, unknown][] = [];
    const followUps: FollowUp[] = [];
    const outcomes = await orm.em.fork().transactional(async (em) => {
      const known = await knownOutcomes(em, events.map((e) => e.event));
      const results = new Map<string, Outcome>();
      const records: { event: EventOf<C>; key: string | null; outcome: Outcome }[] = [];
      const fresh: EventOf<C>[] = [];
      const replays: { event: EventOf<C>; key: string }[] = [];
      const claimed = new Set<string>();

      const seen = new Set<string>();
      for (const { event } of events) {
        const previous = known.byId.get(event.id);
        if (previous) {
          onResult('duplicate');
          results.set(event.id, previous);
          continue;
        }
        // The same event twice in one batch (a producer retry): applied once, answered twice.
        if (seen.has(event.id)) {
          onResult('duplicate');
          continue;
        }
        seen.add(event.id);
        const key = scopedKey(event);
        if (key && (known.byKey.has(key) || claimed.has(key))) {
          // A retry of a write already made: answer with the first outcome, apply nothing.
          replays.push({ event, key });
          continue;
        }
        if (key) claimed.add(key);
        fresh.push(event);
      }

      const applied = isolated ? await applyIsolated(em, fresh) : await applyTogether(em, fresh);
      fresh.forEach((event, i) => {
        const { outcome, pending, emitted } = applied[i]!;
        const key = scopedKey(event);
        if (key) known.byKey.set(key, outcome);
        records.push({ event, key, outcome });
        publications.push(...pending);
        followUps.push(...emitted);
        results.set(event.id, outcome);
        onResult(outcome.status);
      });
      for (const { event, key } of replays) {
        const first = known.byKey.get(key)!;
        const outcome = { ...first, eventId: event.id, replayOf: first.replayOf ?? first.eventId };
        records.push({ event, key: null, outcome });
        results.set(event.id, outcome);
        onResult('idempotent-replay');
      }
      await recordOutcomes(em, records, followUps);
      return events.map(({ event }) => results.get(event.id)!);
    });
    return { outcomes, publications, followUps };
  }

  /** The context of one handler call, collecting what it queues. */
  function context(em: EntityManager) {
    const pending: [string, unknown][] = [];
    const emitted: FollowUp[] = [];
    const ctx: ApplyContext = {
      em,
      publish: (trigger, payload) => pending.push([trigger, payload]),
      emit: (topic, event) => {
        if (!deps.outbox) throw new Error(`${schema} persister has no outbox: cannot emit ${event.type}`);
        emitted.push({ topic, event });
      },
    };
    return { ctx, pending, emitted };
  }

  type Applied = { outcome: Outcome; pending: [string, unknown][]; emitted: FollowUp[] };

  /**
   * Applies the fresh events without savepoints: a bulk handler sees them all at once (it checks
   * before it writes, so its rejections leave nothing behind), a per-event handler one by one. A
   * throw, or a per-event handler's rejection (which may have written before it rejected), sends
   * the batch back to run isolated.
   */
  async function applyTogether(em: EntityManager, fresh: EventOf<C>[]): Promise<Applied[]> {
    if (fresh.length === 0) return [];
    if (!savepointEach) {
      const { ctx, pending, emitted } = context(em);
      let results: ApplyResult[];
      try {
        results = await bulk(ctx, fresh);
      } catch (err) {
        if (isTransient(err)) throw err;
        logger.warn({ err, events: fresh.length }, 'bulk apply failed; applying one event at a time');
        throw new NeedsSavepoints();
      }
      // The batch's publications and follow-ups go out once, with the first event's outcome slot
      // (a bulk handler emits only for the events it applied).
      return fresh.map((event, i) => ({ outcome: toOutcome(event, results[i]), pending: i === 0 ? pending : [], emitted: i === 0 ? emitted : [] }));
    }
    const out: Applied[] = [];
    for (const event of fresh) {
      const { ctx, pending, emitted } = context(em);
      let outcome: Outcome;
      try {
        const [result] = await bulk(ctx, [event]);
        outcome = toOutcome(event, result);
      } catch (err) {
        if (isTransient(err)) throw err;
        throw new NeedsSavepoints();
      }
      if (outcome.status === 'rejected') throw new NeedsSavepoints();
      out.push({ outcome, pending, emitted });
    }
    return out;
  }

  /** Applies each fresh event in its own savepoint, so a rejection or a throw undoes only its own writes. */
  async function applyIsolated(em: EntityManager, fresh: EventOf<C>[]): Promise<Applied[]> {
    const out: Applied[] = [];
    for (const event of fresh) {
      const { ctx, pending, emitted } = context(em);
      await em.execute('savepoint apply_event');
      let outcome: Outcome;
      try {
        const [result] = await bulk(ctx, [event]);
        outcome = toOutcome(event, result);
        if (outcome.status === 'rejected') {
          await em.execute('rollback to savepoint apply_event');
          pending.length = 0;
          emitted.length = 0;
        }
      } catch (err) {
        if (isTransient(err)) throw err;
        await em.execute('rollback to savepoint apply_event');
        logger.error({ err, eventId: event.id, type: event.type }, 'event could not be applied; rejected');
        outcome = { status: 'rejected', eventId: event.id, code: ErrorCode.INTERNAL_SERVER_ERROR, message: 'The write could not be applied' };
        pending.length = 0;
        emitted.length = 0;
      }
      await em.execute('release savepoint apply_event');
      out.push({ outcome, pending, emitted });
    }
    return out;
  }

  /** The stored outcomes of the batch's event ids and idempotency keys, in one round trip. */
  async function knownOutcomes(em: EntityManager, events: EventOf<C>[]) {
    const byId = new Map<string, Outcome>();
    const byKey = new Map<string, Outcome>();
    const ids = events.map((e) => e.id);
    const keys = events.map(scopedKey).filter((k): k is string => k !== null);
    for (const row of await query<{ event_id: string; idempotency_key: string | null; outcome: Outcome }>(
      em,
      `select event_id, idempotency_key, outcome from ${table} where event_id = any($1::uuid[]) or idempotency_key = any($2::text[])`,
      [ids, keys],
    )) {
      if (ids.includes(row.event_id)) byId.set(row.event_id, row.outcome);
      if (row.idempotency_key !== null && keys.includes(row.idempotency_key)) byKey.set(row.idempotency_key, row.outcome);
    }
    return { byId, byKey };
  }

  /** Records the batch's outcomes and writes its follow-ups to the outbox, in one statement. */
  async function recordOutcomes(em: EntityManager, records: { event: EventOf<C>; key: string | null; outcome: Outcome }[], followUps: FollowUp[]) {
    if (records.length === 0 && followUps.length === 0) return;
    const rows = records.map(({ event, key, outcome }) => ({ event_id: event.id, event_type: event.type, idempotency_key: key, outcome }));
    const recorded = `insert into ${table} (event_id, event_type, idempotency_key, outcome)
       select event_id, event_type, idempotency_key, outcome from jsonb_to_recordset($1::jsonb)
         as r(event_id uuid, event_type text, idempotency_key text, outcome jsonb)`;
    if (followUps.length === 0) {
      await query(em, recorded, [JSON.stringify(rows)]);
      return;
    }
    const outbox = outboxInsert(schema, '$2');
    await query(em, `with recorded as (${recorded}) ${outbox.sql}`, [JSON.stringify(rows), outbox.param(followUps)]);
  }
}

function toOutcome(event: { id: string }, result: ApplyResult): Outcome {
  if (result instanceof Rejection) {
    return { status: 'rejected', eventId: event.id, code: result.code, message: result.message, ...(result.extensions ? { extensions: result.extensions } : {}) };
  }
  return { status: 'applied', eventId: event.id, ...(result?.result ? { result: result.result } : {}) };
}

/** Idempotency keys are scoped by actor and event type, so two users' keys never collide. */
function scopedKey(event: { idempotencyKey?: string; actorId: string | null; type: string }): string | null {
  return event.idempotencyKey ? `${event.actorId ?? 'anonymous'}:${event.type}:${event.idempotencyKey}` : null;
}
