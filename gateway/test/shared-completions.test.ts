import { describe, expect, it } from 'vitest';
import { createSharedCompletions } from '../src/subscriptions/shared-completions.ts';

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('shared completions', () => {
  it('computes once per key while in flight and for the retention after it settles', async () => {
    let time = 0;
    const completions = createSharedCompletions<string>({ retentionMs: 1_000, maxEntries: 100, now: () => time });
    let computed = 0;
    const compute = (value: string) => () => {
      computed++;
      return Promise.resolve(value);
    };

    const first = completions.share('event-1', compute('one'));
    const second = completions.share('event-1', compute('not used'));
    expect([first.shared, second.shared]).toEqual([false, true]);
    expect(await second.result).toBe('one');
    await settle();

    time = 999;
    expect(completions.share('event-1', compute('not used')).shared).toBe(true);
    expect(completions.share('event-2', compute('two')).shared).toBe(false);
    await settle();
    expect(computed).toBe(2);

    time = 1_000;
    const again = completions.share('event-1', compute('recomputed'));
    expect(again.shared).toBe(false);
    expect(await again.result).toBe('recomputed');
    expect(computed).toBe(3);
  });

  it('keeps a result only while it is being computed when the retention is 0', async () => {
    const completions = createSharedCompletions<number>({ retentionMs: 0, maxEntries: 100 });
    let release!: (value: number) => void;
    const pending = completions.share('k', () => new Promise<number>((resolve) => (release = resolve)));
    expect(completions.share('k', () => Promise.resolve(-1)).shared).toBe(true);
    release(7);
    expect(await pending.result).toBe(7);
    await settle();
    expect(completions.share('k', () => Promise.resolve(8)).shared).toBe(false);
  });

  it('does not hand a failure to callers that come after it', async () => {
    const completions = createSharedCompletions<number>({ retentionMs: 60_000, maxEntries: 100 });
    const failed = completions.share('k', () => Promise.reject(new Error('entity fetch failed')));
    const joined = completions.share('k', () => Promise.resolve(0));
    await expect(failed.result).rejects.toThrow('entity fetch failed');
    await expect(joined.result).rejects.toThrow('entity fetch failed');
    await settle();
    const retried = completions.share('k', () => Promise.resolve(1));
    expect(retried.shared).toBe(false);
    expect(await retried.result).toBe(1);
  });

  it('holds at most maxEntries results, dropping the oldest', async () => {
    const completions = createSharedCompletions<number>({ retentionMs: 60_000, maxEntries: 3 });
    for (let i = 0; i < 10; i++) completions.share(`k${i}`, () => Promise.resolve(i));
    await settle();
    expect(completions.size()).toBeLessThanOrEqual(4);
    expect(completions.share('k9', () => Promise.resolve(-1)).shared).toBe(true);
    expect(completions.share('k0', () => Promise.resolve(-1)).shared).toBe(false);
  });
});
