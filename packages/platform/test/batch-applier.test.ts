import { createTestDatabase, query } from '@finder/testing/database';
import { stackEnv } from '@finder/testing/stack';
import { MikroORM } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ErrorCode } from '../src/config/errors.ts';
import { createLogger } from '../src/config/logger.ts';
import { defineEvents, type EventOf } from '../src/kafka/events.ts';
import { createBatchApplier, processedEventsSql, type ApplyContext, type ApplyResult } from '../src/write/batch-applier.ts';
import { outboxSql } from '../src/write/outbox.ts';
import { reject } from '../src/write/outcomes.ts';

const env = stackEnv();
const logger = createLogger('batch-applier-test', 'silent');
const schema = 'batch_applier_test';

const notes = defineEvents('batch-applier-test.commands', {
  'note.added': z.object({ id: z.uuid(), text: z.string() }),
});
const facts = defineEvents('batch-applier-test.facts', {
  'note.announced': z.object({ id: z.uuid() }),
});
type Note = EventOf<typeof notes.schemas>;

const note = (text: string, idempotencyKey?: string) => {
  const id = crypto.randomUUID();
  return { event: notes.create('note.added', { aggregateId: id, actorId: null, data: { id, text }, ...(idempotencyKey ? { idempotencyKey } : {}) }) };
};

/**
 * Writes the note, queues a publication and a follow-up, then judges it: `reject` rejects after
 * writing (its write must be undone), `throw` fails as a bug would. Counts its calls per event.
 */
function noteHandler(calls: Map<string, number>) {
  return async (ctx: ApplyContext, event: Note): Promise<ApplyResult> => {
    calls.set(event.id, (calls.get(event.id) ?? 0) + 1);
    await ctx.em.execute(`insert into ${schema}.notes (id, text) values (?, ?)`, [event.data.id, event.data.text]);
    ctx.publish(`note:${event.data.id}`, { id: event.data.id });
    ctx.emit(facts.topic, facts.derive('note.announced', event, { aggregateId: event.data.id, data: { id: event.data.id } }));
    if (event.data.text === 'reject') return reject(ErrorCode.BAD_USER_INPUT, 'rejected after writing', { field: 'text' });
    if (event.data.text === 'throw') throw new Error('handler bug');
    return { result: { id: event.data.id } };
  };
}

describe('batch applier: one transaction per batch, savepoints only when an event fails', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let orm: MikroORM;

  beforeAll(async () => {
    db = await createTestDatabase(env.DATABASE_URL!, 'batch_applier');
    for (const sql of [
      `create schema ${schema}`,
      ...processedEventsSql(schema),
      ...outboxSql(schema),
      `create table ${schema}.notes (id uuid primary key, text text not null)`,
    ]) {
      await query(db.url, sql);
    }
    orm = await MikroORM.init({ clientUrl: db.url, entities: [], discovery: { warnWhenNoEntities: false }, allowGlobalContext: false });
  });
  afterAll(async () => {
    await orm?.close();
    await db?.drop();
  });

  const stored = async (ids: string[]) =>
    (await query<{ id: string }>(db.url, `select id from ${schema}.notes where id = any($1::uuid[])`, [ids])).map((r) => r.id).sort();
  const outboxed = async (ids: string[]) =>
    (await query<{ key: string }>(db.url, `select key from ${schema}.outbox where key = any($1)`, [ids])).map((r) => r.key).sort();
  const recorded = async (events: { event: Note }[]) =>
    Object.fromEntries(
      (await query<{ event_id: string; status: string }>(db.url, `select event_id, outcome->>'status' as status from ${schema}.processed_events where event_id = any($1::uuid[])`, [
        events.map((e) => e.event.id),
      ])).map((r) => [r.event_id, r.status]),
    );

  it('applies a batch that succeeds in one pass, recording outcomes and follow-ups together', async () => {
    const calls = new Map<string, number>();
    const apply = createBatchApplier<typeof notes.schemas>({ orm, schema, logger, outbox: true, apply: noteHandler(calls) });
    const batch = [note('a'), note('b'), note('c')];
    const { outcomes, publications, followUps } = await apply(batch);

    expect(outcomes.map((o) => o.status)).toEqual(['applied', 'applied', 'applied']);
    // Each handler ran once: no second, isolated pass.
    expect([...calls.values()]).toEqual([1, 1, 1]);
    const ids = batch.map((e) => e.event.data.id);
    expect(await stored(ids)).toEqual([...ids].sort());
    expect(await outboxed(ids)).toEqual([...ids].sort());
    expect(publications).toHaveLength(3);
    expect(followUps).toHaveLength(3);
    expect(Object.values(await recorded(batch))).toEqual(['applied', 'applied', 'applied']);
  });

  it('undoes only the writes of an event rejected after writing, and of one whose handler throws', async () => {
    const calls = new Map<string, number>();
    const apply = createBatchApplier<typeof notes.schemas>({ orm, schema, logger, outbox: true, apply: noteHandler(calls) });
    const batch = [note('first'), note('reject'), note('throw'), note('last')];
    const { outcomes, publications, followUps } = await apply(batch);

    expect(outcomes.map((o) => o.status)).toEqual(['applied', 'rejected', 'rejected', 'applied']);
    expect(outcomes[1]).toMatchObject({ code: ErrorCode.BAD_USER_INPUT, extensions: { field: 'text' } });
    expect(outcomes[2]).toMatchObject({ code: ErrorCode.INTERNAL_SERVER_ERROR });
    const [first, rejected, thrown, last] = batch.map((e) => e.event.data.id);
    expect(await stored([first!, rejected!, thrown!, last!])).toEqual([first, last].sort());
    // Neither the failed events' publications nor their follow-ups survive.
    expect(await outboxed([first!, rejected!, thrown!, last!])).toEqual([first, last].sort());
    expect(publications.map(([trigger]) => trigger).sort()).toEqual([`note:${first}`, `note:${last}`].sort());
    expect(followUps.map((f) => f.event.aggregateId).sort()).toEqual([first, last].sort());
    expect(await recorded(batch)).toEqual({
      [batch[0]!.event.id]: 'applied',
      [batch[1]!.event.id]: 'rejected',
      [batch[2]!.event.id]: 'rejected',
      [batch[3]!.event.id]: 'applied',
    });
  });

  it('falls back to one event at a time when a bulk handler throws, rejecting only the bad event', async () => {
    const calls = new Map<string, number>();
    const one = noteHandler(calls);
    const apply = createBatchApplier<typeof notes.schemas>({
      orm,
      schema,
      logger,
      outbox: true,
      applyBulk: async (ctx: ApplyContext, events: Note[]) => {
        const results: ApplyResult[] = [];
        for (const event of events) results.push(await one(ctx, event));
        return results;
      },
    });
    const batch = [note('one'), note('throw'), note('two')];
    const { outcomes } = await apply(batch);

    expect(outcomes.map((o) => o.status)).toEqual(['applied', 'rejected', 'applied']);
    const ids = batch.map((e) => e.event.data.id);
    expect(await stored(ids)).toEqual([ids[0], ids[2]].sort());
    expect(await outboxed(ids)).toEqual([ids[0], ids[2]].sort());
  });

  it('answers a known event id and a repeated idempotency key from what was recorded, applying nothing again', async () => {
    const calls = new Map<string, number>();
    const apply = createBatchApplier<typeof notes.schemas>({ orm, schema, logger, outbox: true, apply: noteHandler(calls) });
    const original = note('keyed', 'key-1');
    await apply([original]);

    const retry = note('keyed again', 'key-1');
    const { outcomes } = await apply([original, retry, note('fresh')]);
    expect(outcomes[0]).toMatchObject({ status: 'applied', eventId: original.event.id });
    expect(outcomes[1]).toMatchObject({ status: 'applied', eventId: retry.event.id, replayOf: original.event.id });
    expect(outcomes[2]).toMatchObject({ status: 'applied' });
    expect(calls.get(original.event.id)).toBe(1);
    expect(calls.has(retry.event.id)).toBe(false);
    expect(await stored([retry.event.data.id])).toEqual([]);
  });
});
