/** The soak run's settings and its growth limit, shared by the run (suite.ts) and its tables. */
export const GROWTH_LIMIT = 0.1;

export function soakSettings(quick: boolean, minutes: number | undefined) {
  const durationMs = quick ? 30_000 : (minutes ?? 10) * 60_000;
  return {
    durationMs,
    // Warm-up is the first fifth; growth compares the first and the last tenth after it.
    warmupMs: durationMs * 0.2,
    windowMs: durationMs * 0.1,
    sampleMs: quick ? 1_000 : 5_000,
    conversations: quick ? 8 : 40,
    /** Subscriptions per participant per conversation: 2 × 40 × 25 = 2,000 live subscriptions. */
    subscriptionsPerSide: quick ? 5 : 25,
    messageIntervalMs: quick ? 1_000 : 4_000,
    queryLanes: quick ? 2 : 4,
    queryIntervalMs: 50,
  };
}

export type SoakSettings = ReturnType<typeof soakSettings>;
