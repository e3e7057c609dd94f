/**
 * Joins the batches of different partitions into shared units of work, the way a database groups
 * commits: batches handed over in the same turn of the event loop, or while a unit is running, go
 * together in the next unit, so a fetch that brought a few events for each of four partitions costs
 * one transaction, one round of Redis publications, not four. At moderate rates most partition
 * batches hold one or two events, and the fixed cost per transaction (BEGIN, the idempotence query,
 * COMMIT, the outcome publications) was most of a message's cost in the persister and in Postgres.
 *
 * Batches of `soloFrom` items or more run at once on their own, as without grouping. Units run
 * one at a time, in the order their batches came; each caller gets the results of its
 * own items, in order. Should a unit of several batches fail, each batch runs again alone, so a
 * caller gets only the error its own items cause. A partition hands over its next
 * batch only after its previous one was handled (partition-loop.ts), so a unit never holds two
 * batches of one partition, and per-partition order is kept.
 */
export function createGroupCommit<T, R>(run: (items: T[]) => Promise<R[]>, options: { soloFrom?: number } = {}): (items: T[]) => Promise<R[]> {
  const soloFrom = options.soloFrom ?? Number.POSITIVE_INFINITY;
  interface Waiting {
    items: T[];
    resolve(results: R[]): void;
    reject(err: unknown): void;
  }
  let queue: Waiting[] = [];
  let running = false;

  async function drain(): Promise<void> {
    running = true;
    while (queue.length > 0) {
      const carried = queue;
      queue = [];
      try {
        const results = await run(carried.flatMap((w) => w.items));
        let at = 0;
        for (const w of carried) {
          w.resolve(results.slice(at, at + w.items.length));
          at += w.items.length;
        }
      } catch (err) {
        if (carried.length === 1) carried[0]!.reject(err);
        // Each batch again on its own, so one partition's failure is not every partition's.
        else for (const w of carried) await run(w.items).then(w.resolve, w.reject);
      }
    }
    running = false;
  }

  return (items) => {
    // A large batch has its fixed costs spread already; it runs at once, beside the units, so that
    // draining a backlog keeps the partitions' transactions overlapping as before.
    if (items.length >= soloFrom) return run(items);
    return new Promise<R[]>((resolve, reject) => {
      queue.push({ items, resolve, reject });
      // The first batch waits for the rest of this turn: the other partitions of the same fetch.
      if (!running && queue.length === 1) setImmediate(() => void drain());
    });
  };
}
