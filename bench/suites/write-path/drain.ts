import pg from 'pg';

const STALL_MS = 30_000;
const POLL_MS = 20;

export interface DrainResult {
  /** Messages stored while the rate was measured (from the first stored one on). */
  messages: number;
  seconds: number;
  perSecond: number;
  /** Whether the whole backlog was stored (before the time cap, without stalling). */
  complete: boolean;
}

/** The backlog race's results (suite.ts). */
export interface BacklogRace {
  meanEventBytes: number;
  /** The persister on the Kafka-like backlog, then on the same backlog in small record batches. */
  persister: DrainResult;
  persisterSmallBatches: DrainResult | null;
  naive: DrainResult;
  /** Whether the ./dev stack's idle services ran beside the race (see useDevInfrastructure). */
  servicesBeside: boolean;
}

/**
 * Watches a consumer store the backlog: counts chat.messages every 20 ms and measures from the
 * first stored message (so the consumer group join, 3–13 s on the local broker, is not counted)
 * until all `total` are stored, `capMs` has passed, or nothing was stored for 30 s (a consumer that
 * refuses events, e.g. because the broker pruned what they depend on, must not hang the run).
 */
export async function measureDrain(databaseUrl: string, total: number, capMs: number, startTimeoutMs = 120_000): Promise<DrainResult> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const count = async () => Number((await client.query<{ n: string }>('select count(*) as n from chat.messages')).rows[0]!.n);
  try {
    const waitUntil = Date.now() + startTimeoutMs;
    let first = 0;
    while ((first = await count()) === 0) {
      if (Date.now() > waitUntil) throw new Error(`no message stored within ${startTimeoutMs} ms`);
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    const startedAt = performance.now();
    const capAt = startedAt + capMs;
    let stored = first;
    let lastProgressAt = startedAt;
    let lastStoredAt = startedAt;
    while (stored < total && performance.now() < capAt && performance.now() - lastProgressAt < STALL_MS) {
      await new Promise((r) => setTimeout(r, POLL_MS));
      const now = await count();
      if (now > stored) lastProgressAt = lastStoredAt = performance.now();
      stored = now;
    }
    // A stalled consumer is measured until its last stored message, not through the wait.
    const seconds = ((stored < total && performance.now() < capAt ? lastStoredAt : performance.now()) - startedAt) / 1000;
    return { messages: stored - first, seconds, perSecond: (stored - first) / seconds, complete: stored >= total };
  } finally {
    await client.end();
  }
}
