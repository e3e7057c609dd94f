import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { PoisonEventError, defineEvents } from '../src/kafka/events.ts';
import { isUuid } from '../src/data/ids.ts';

const catalog = defineEvents('things.events', {
  'thing.made': z.object({ name: z.string().min(1) }),
});

describe('event catalogs', () => {
  it('builds envelopes with time-ordered ids and validated data', () => {
    const a = catalog.create('thing.made', { aggregateId: 't1', actorId: null, data: { name: 'x' } });
    const b = catalog.create('thing.made', { aggregateId: 't1', actorId: 'u1', data: { name: 'y' }, idempotencyKey: 'k' });
    expect(isUuid(a.id)).toBe(true);
    expect(a.id < b.id || a.id.slice(0, 13) === b.id.slice(0, 13)).toBe(true);
    expect(catalog.parse(Buffer.from(JSON.stringify(b)))).toEqual(b);
    expect(() => catalog.create('thing.made', { aggregateId: 't1', actorId: null, data: { name: '' } })).toThrow();
  });

  it('names what is wrong with a poison message', () => {
    const good = catalog.create('thing.made', { aggregateId: 't1', actorId: null, data: { name: 'x' } });
    const cases: [string | null, RegExp][] = [
      [null, /empty/],
      ['{not json', /not JSON/],
      [JSON.stringify({ ...good, id: 'nope' }), /invalid envelope/],
      [JSON.stringify({ ...good, type: 'thing.unknown' }), /unknown event type thing.unknown/],
      // Names an Object.prototype member has: unknown types too, dead-lettered like any other.
      [JSON.stringify({ ...good, type: 'constructor' }), /unknown event type constructor/],
      [JSON.stringify({ ...good, type: 'toString' }), /unknown event type toString/],
      [JSON.stringify({ ...good, type: '__proto__' }), /unknown event type __proto__/],
      [JSON.stringify({ ...good, type: 'hasOwnProperty' }), /unknown event type hasOwnProperty/],
      [JSON.stringify({ ...good, data: { name: 42 } }), /invalid thing.made data at name/],
    ];
    for (const [raw, message] of cases) {
      const err = (() => {
        try {
          catalog.parse(raw);
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(PoisonEventError);
      expect((err as Error).message).toMatch(message);
    }
  });
});
