import type { MikroORM } from '@mikro-orm/postgresql';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Envelope } from '../kafka/events.ts';
import type { EventProducer } from '../kafka/producer.ts';
import type { Logger } from '../config/logger.ts';
import { query } from '../data/sql.ts';

/**
 * The transactional outbox. A persister handler that wants the rest of the platform to react to a
 * change it applied does not produce to Kafka itself (a crash between commit and produce would
 * lose the event; producing before commit would announce a change that may roll back). It queues a
 * follow-up event, which the persister writes to `<schema>.outbox` in the batch's transaction.
 * After the commit the persister claims the rows, produces them (acks -1) and commits their
 * deletion; a relay re-produces whatever a crash left behind, on start and periodically. Follow-up
 * ids are derived from their source event's id, so a row produced twice is the same event twice,
 * which idempotent consumers skip. Order is per relay pass, not global: consumers must not depend on the order of follow-ups.
 *
 * After the commit the persister produces the batch's follow-ups at once and deletes their rows
 * later, many batches' in one statement (`deleteAfterMs`): a transaction per batch only to delete
 * rows was a third of a small batch's round trips to Postgres. Until deleted, this process's relay
 * skips them; another replica's relay only takes rows older than `minAgeMs`, which the deletion
 * precedes unless this process stalls or dies, and then the row is produced again, as after a crash.
 */
export interface FollowUp {
  topic: string;
  event: Envelope;
}

/** SQL for the outbox table; the migration of every subgraph whose persister emits follow-ups runs it. */
export const outboxSql = (schema: string): string[] => [
  `create table if not exists "${schema}".outbox (
     seq bigserial primary key,
     event_id uuid not null unique,
     topic text not null,
     key text not null,
     event jsonb not null,
     created_at timestamptz not null default now())`,
];

/**
 * The statement that writes follow-ups in the caller's transaction, with its parameter at
 * `placeholder` (the batch applier sends it together with the batch's outcomes); a follow-up
 * already there (same event id) stays as it is.
 */
export function outboxInsert(schema: string, placeholder: string) {
  return {
    sql: `insert into "${schema}".outbox (event_id, topic, key, event)
     select event_id, topic, key, event from jsonb_to_recordset(${placeholder}::jsonb) as r(event_id uuid, topic text, key text, event jsonb)
     on conflict (event_id) do nothing`,
    param: (followUps: FollowUp[]) => JSON.stringify(followUps.map(({ topic, event }) => ({ event_id: event.id, topic, key: event.aggregateId, event }))),
  };
}

export interface OutboxRelay {
  /** Produces follow-ups just committed and queues their rows' deletion; a failure leaves them to the relay. */
  flush(followUps: FollowUp[]): Promise<void>;
  /** Produces and deletes every row at least `minAgeMs` old; returns how many it produced. */
  relay(minAgeMs?: number): Promise<number>;
  start(): void;
  stop(): Promise<void>;
}

export function createOutboxRelay(deps: {
  orm: MikroORM;
  schema: string;
  producer: EventProducer;
  logger: Logger;
  registry?: Registry;
  /** How often leftovers are looked for. */
  intervalMs?: number;
  /** Rows younger than this are left to the persister that wrote them (it is about to flush them). */
  minAgeMs?: number;
  /** How long produced rows wait to be deleted together. */
  deleteAfterMs?: number;
}): OutboxRelay {
  const { orm, schema, producer } = deps;
  const log = deps.logger.child({ component: 'outbox' });
  const table = `"${schema}".outbox`;
  const intervalMs = deps.intervalMs ?? 5_000;
  const minAgeMs = deps.minAgeMs ?? 2_000;
  const produced =
    (deps.registry?.getSingleMetric('outbox_events_total') as Counter<'path'> | undefined) ??
    new Counter({
      name: 'outbox_events_total',
      help: 'Follow-up events produced from the outbox, by path (flush after commit, or relay of leftovers)',
      labelNames: ['path'],
      registers: deps.registry ? [deps.registry] : [],
    });
  const backlog =
    (deps.registry?.getSingleMetric('outbox_backlog') as Gauge<'schema'> | undefined) ??
    new Gauge({
      name: 'outbox_backlog',
      help: 'Follow-up events left in the outbox past their flush, found by the last relay pass (at most 500), by schema',
      labelNames: ['schema'],
      registers: deps.registry ? [deps.registry] : [],
    });
  const deleteAfterMs = deps.deleteAfterMs ?? 100;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<unknown> = Promise.resolve();
  /** Follow-ups this process is producing, and those it produced whose rows are not deleted yet. */
  const producing = new Set<string>();
  const producedIds = new Set<string>();
  let deleting: NodeJS.Timeout | null = null;
  let deletion: Promise<unknown> = Promise.resolve();
  let stopped = false;

  /** Deletes the rows of every follow-up produced so far; what fails stays queued for the next pass. */
  async function deleteProduced(): Promise<void> {
    if (deleting) clearTimeout(deleting);
    deleting = null;
    const ids = [...producedIds];
    if (ids.length === 0) return;
    try {
      await orm.em.fork().transactional(async (em) => {
        // Lost in a Postgres crash, a deletion only makes the relay produce the rows again.
        await query(em, 'set local synchronous_commit = off');
        await query(em, `delete from ${table} where event_id = any($1::uuid[])`, [ids]);
      });
      for (const id of ids) producedIds.delete(id);
    } catch (err) {
      log.warn({ err, events: ids.length }, 'produced follow-ups not deleted from the outbox yet; retrying');
      scheduleDeletion(Math.max(deleteAfterMs, 1_000));
    }
  }
  function scheduleDeletion(delayMs = deleteAfterMs) {
    if (deleting || stopped) return;
    deleting = setTimeout(() => void (deletion = deleteProduced()), delayMs);
  }

  async function produce(followUps: FollowUp[]): Promise<void> {
    for (const [topic, items] of Map.groupBy(followUps, (f) => f.topic)) {
      await producer.sendRaw(
        topic,
        items.map(({ event }) => ({
          key: event.aggregateId,
          value: JSON.stringify(event),
          headers: { 'event-type': event.type, 'event-id': event.id, ...(event.traceparent ? { traceparent: event.traceparent } : {}) },
        })),
      );
    }
  }

  const relay = async (age = minAgeMs): Promise<number> => {
    await deleteProduced();
    return orm.em.fork().transactional(async (em) => {
      // Skip locked: two replicas relaying at once take different rows. Rows this process
      // produced (or is producing) and has not deleted yet are not leftovers.
      const rows = await query<{ topic: string; event: Envelope; event_id: string }>(
        em,
        `select topic, event, event_id from ${table} where created_at <= now() - make_interval(secs => $1) and event_id <> all($2::uuid[])
          order by seq limit 500 for update skip locked`,
        [age / 1000, [...producing, ...producedIds]],
      );
      if (rows.length === 0) {
        backlog.set({ schema }, 0);
        return 0;
      }
      backlog.set({ schema }, rows.length);
      await produce(rows.map((r) => ({ topic: r.topic, event: r.event })));
      await em.execute(`delete from ${table} where event_id in (?)`, [rows.map((r) => r.event_id)]);
      produced.inc({ path: 'relay' }, rows.length);
      log.info({ events: rows.length }, 'relayed follow-up events left in the outbox');
      return rows.length;
    });
  };

  let active = false;
  function schedule(age: number) {
    running = relay(age)
      .catch((err) => log.warn({ err }, 'outbox relay failed; will retry'))
      .finally(() => {
        if (active) timer = setTimeout(() => schedule(minAgeMs), intervalMs);
      });
  }

  return {
    async flush(followUps) {
      if (followUps.length === 0) return;
      const ids = followUps.map((f) => f.event.id);
      // Marked before producing, so a relay pass of this process meanwhile leaves them alone.
      for (const id of ids) producing.add(id);
      try {
        await produce(followUps);
        for (const id of ids) producedIds.add(id);
        produced.inc({ path: 'flush' }, followUps.length);
        scheduleDeletion();
      } catch (err) {
        log.warn({ err, events: followUps.length }, 'follow-up events not produced yet; the relay will');
      } finally {
        for (const id of ids) producing.delete(id);
      }
    },
    relay,
    start() {
      if (active) return;
      active = true;
      stopped = false;
      // Leftovers of a crashed process are re-produced at once, then the relay keeps watching.
      schedule(0);
    },
    async stop() {
      active = false;
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await running;
      await deletion;
      await deleteProduced();
    },
  };
}
