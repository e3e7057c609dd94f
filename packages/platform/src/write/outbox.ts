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
  /** Produces follow-ups just committed and deletes their rows; a failure leaves them to the relay. */
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
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<unknown> = Promise.resolve();

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

  const relay = async (age = minAgeMs): Promise<number> =>
    orm.em.fork().transactional(async (em) => {
      // Skip locked: two replicas relaying at once take different rows.
      const rows = await em.execute<{ topic: string; event: Envelope; event_id: string }[]>(
        `select topic, event, event_id from ${table} where created_at <= now() - make_interval(secs => ?)
          order by seq limit 500 for update skip locked`,
        [age / 1000],
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
      try {
        // The rows are claimed (deleted, uncommitted) before producing, so a relay pass that finds
        // them old enough skips them, and rows a relay pass holds come back already deleted: each
        // follow-up is produced by one of the two. A failed produce rolls the claim back.
        const count = await orm.em.fork().transactional(async (em) => {
          // The claim's commit need not wait for the WAL flush: lost in a Postgres crash, it only
          // makes the relay produce the rows again, which consumers skip by event id.
          await query(em, 'set local synchronous_commit = off');
          const claimed = await query<{ event_id: string }>(em, `delete from ${table} where event_id = any($1::uuid[]) returning event_id`, [
            followUps.map((f) => f.event.id),
          ]);
          // Ids are canonical lowercase UUIDs (ids.ts), as Postgres returns them.
          const ids = new Set(claimed.map((r) => r.event_id));
          const mine = followUps.filter((f) => ids.has(f.event.id));
          if (mine.length > 0) await produce(mine);
          return mine.length;
        });
        produced.inc({ path: 'flush' }, count);
      } catch (err) {
        log.warn({ err, events: followUps.length }, 'follow-up events not produced yet; the relay will');
      }
    },
    relay,
    start() {
      if (active) return;
      active = true;
      // Leftovers of a crashed process are re-produced at once, then the relay keeps watching.
      schedule(0);
    },
    async stop() {
      active = false;
      if (timer) clearTimeout(timer);
      timer = null;
      await running;
    },
  };
}
