const HEARTBEAT_INTERVAL_MS = 1_000;

/** Consumer-group timing shared by every consumer and persister. */
export const GROUP_TIMING = { sessionTimeout: 10_000, heartbeatInterval: HEARTBEAT_INTERVAL_MS } as const;

/**
 * Runs work while heartbeating. kafkajs heartbeats only between messages, so work that takes
 * longer than the session timeout (a large image to convert, a big batch on a busy machine)
 * would get the member expelled mid-way: the group rebalances, the uncommitted events are
 * redelivered, and the same slow work can be expelled again and again.
 */
export async function keepingMembership<T>(work: () => Promise<T>, heartbeat: () => Promise<void>): Promise<T> {
  // A failed heartbeat (a rebalance) is learnt again by the commit after the work.
  const timer = setInterval(() => void heartbeat().catch(() => undefined), HEARTBEAT_INTERVAL_MS);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

const MEMBERSHIP_LOST = new Set(['REBALANCE_IN_PROGRESS', 'NOT_COORDINATOR_FOR_GROUP', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID']);

/**
 * The protocol error saying this member is no longer in the current generation of its group
 * (kafkajs wraps it once its retries are spent), or null. Such an error must reach kafkajs, which
 * rejoins the group; retrying the commit in place can never succeed.
 */
export function membershipLost(err: unknown): Error | null {
  for (let e = err as { type?: string; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (e.type && MEMBERSHIP_LOST.has(e.type)) return e as unknown as Error;
  }
  return null;
}
