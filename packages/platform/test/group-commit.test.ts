import { describe, expect, it } from 'vitest';
import { createGroupCommit } from '../src/write/group-commit.ts';

/** A unit of work that records what each run carried and answers each item with its double. */
function recorder(options: { failOn?: number; delayMs?: number } = {}) {
  const runs: number[][] = [];
  let running = 0;
  let overlapped = false;
  const run = async (items: number[]) => {
    runs.push(items);
    overlapped ||= running > 0;
    running++;
    await new Promise((r) => setTimeout(r, options.delayMs ?? 5));
    running--;
    if (options.failOn !== undefined && items.includes(options.failOn)) throw new Error(`cannot apply ${options.failOn}`);
    return items.map((n) => n * 2);
  };
  return { runs, run, overlapped: () => overlapped };
}

describe('group commit of partition batches', () => {
  it('joins the batches handed over in one turn into one unit, and gives each caller its own results', async () => {
    const { runs, run } = recorder();
    const submit = createGroupCommit(run);
    const results = await Promise.all([submit([1, 2]), submit([3]), submit([4, 5, 6])]);
    expect(runs).toEqual([[1, 2, 3, 4, 5, 6]]);
    expect(results).toEqual([[2, 4], [6], [8, 10, 12]]);
  });

  it('runs units one at a time: what comes while one runs goes together in the next', async () => {
    const { runs, run, overlapped } = recorder({ delayMs: 20 });
    const submit = createGroupCommit(run);
    const first = submit([1]);
    await new Promise((r) => setTimeout(r, 5));
    const later = [submit([2]), submit([3])];
    await new Promise((r) => setTimeout(r, 5));
    later.push(submit([4]));
    expect(await Promise.all([first, ...later])).toEqual([[2], [4], [6], [8]]);
    expect(runs).toEqual([[1], [2, 3, 4]]);
    expect(overlapped()).toBe(false);
  });

  it('runs a batch of soloFrom items or more at once on its own, beside the units', async () => {
    const { runs, run, overlapped } = recorder({ delayMs: 20 });
    const submit = createGroupCommit(run, { soloFrom: 3 });
    const results = await Promise.all([submit([1]), submit([2, 3, 4]), submit([5])]);
    expect(results).toEqual([[2], [4, 6, 8], [10]]);
    expect(runs).toEqual([[2, 3, 4], [1, 5]]);
    expect(overlapped()).toBe(true);
  });

  it('runs each batch of a failed unit again alone, so only the batch that fails gets the error', async () => {
    const { runs, run } = recorder({ failOn: 3 });
    const submit = createGroupCommit(run);
    const settled = await Promise.allSettled([submit([1, 2]), submit([3]), submit([4])]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((settled[1] as PromiseRejectedResult).reason.message).toBe('cannot apply 3');
    expect((settled[0] as PromiseFulfilledResult<number[]>).value).toEqual([2, 4]);
    expect(runs).toEqual([[1, 2, 3, 4], [1, 2], [3], [4]]);
    // A lone batch that fails is not run twice.
    await expect(submit([3])).rejects.toThrow('cannot apply 3');
    expect(runs).toHaveLength(5);
  });
});
