import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RetryLater } from '@finder/platform/kafka';
import { uuidv7 } from '@finder/platform/data';
import { createLogger } from '@finder/platform/config';
import type { Writer } from '@finder/platform/write';
import { query } from '@finder/testing/database';
import { stackEnv } from '@finder/testing/stack';
import { MikroORM } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filesEvents } from '../src/events/files-events.ts';
import { createLocalStorage } from '../src/services/storage.ts';
import { createConverterHandler } from '../src/workers/converter.ts';

const env = stackEnv();

/**
 * The converter and the persister consume `conversion.requested` side by side. When the
 * converter is first, it must wait for the persister, however the persister's commit interleaves
 * with its reads; only a rejected request may be dropped.
 */
describe('the converter racing the persister', () => {
  let orm: MikroORM;
  const dir = mkdtempSync(join(tmpdir(), 'converter-test-'));
  const submitted: string[] = [];
  // Reached only once a conversion is found, which none of these is.
  const writer: Writer = {
    submit: async (_topic, event) => {
      submitted.push(event.type);
      throw new Error('no conversion here should get that far');
    },
  };

  beforeAll(async () => {
    orm = await MikroORM.init({ clientUrl: env.DATABASE_URL!, entities: [], discovery: { warnWhenNoEntities: false }, allowGlobalContext: false });
  });
  afterAll(async () => {
    await orm?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const request = () =>
    filesEvents.create('conversion.requested', {
      aggregateId: uuidv7(),
      actorId: null,
      data: { conversionId: uuidv7(), fileId: uuidv7(), requesterId: uuidv7(), target: 'PNG', outputFileId: uuidv7() },
    });
  const recordOutcome = (eventId: string, status: 'applied' | 'rejected') =>
    query(env.DATABASE_URL!, `insert into files.processed_events (event_id, event_type, outcome) values ($1, 'conversion.requested', $2)`, [
      eventId,
      JSON.stringify({ eventId, status }),
    ]);

  it('waits while the request is not applied, and while it is applied but not yet read; drops it only when rejected', async () => {
    const handle = createConverterHandler({ em: orm.em, storage: createLocalStorage(dir), writer, logger: createLogger('converter-test', 'silent'), delayMs: 0 });
    const pending = request();
    await expect(handle(pending)).rejects.toThrow(RetryLater);

    // The persister committed between the converter's two reads: the conversion was not there,
    // the outcome is. Dropping the job here left conversions QUEUED for ever.
    const applied = request();
    await recordOutcome(applied.id, 'applied');
    await expect(handle(applied)).rejects.toThrow(RetryLater);

    const rejected = request();
    await recordOutcome(rejected.id, 'rejected');
    await expect(handle(rejected)).resolves.toBeUndefined();
    expect(submitted).toEqual([]);
  });
});
