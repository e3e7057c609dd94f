import pg from 'pg';

export interface DrainResult {
  /** Messages stored while the rate was measured (from the first stored one on). */
  messages: number;
  seconds: number;
  perSecond: number;
  /** Whether the whole backlog was stored before the time cap. */
  complete: boolean;
}

/**
 * Watches a consumer store the backlog: counts chat.messages every 100 ms and measures from the
 * first stored message (so the consumer group join, 3–13 s on the local broker, is not counted)
 * until all `total` are stored or `capMs` has passed.
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
      await new Promise((r) => setTimeout(r, 100));
    }
    const startedAt = performance.now();
    const capAt = startedAt + capMs;
    let stored = first;
    while (stored < total && performance.now() < capAt) {
      await new Promise((r) => setTimeout(r, 100));
      stored = await count();
    }
    const seconds = (performance.now() - startedAt) / 1000;
    return { messages: stored - first, seconds, perSecond: (stored - first) / seconds, complete: stored >= total };
  } finally {
    await client.end();
  }
}
