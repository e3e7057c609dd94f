/**
 * When a persister sent a live publication to Redis (ms since the epoch). Each published object
 * carries it as `publishedAt`; the subgraph puts it on the event it streams to the gateway
 * (`extensions.publishedAt`), and the gateway measures delivery lag from it. Events replayed from
 * storage carry none. The clocks of the persister's and the gateway's hosts must agree (NTP).
 */
export const PUBLISHED_AT_FIELD = 'publishedAt';

/** The payload with `publishedAt` on it, or on each of its items when it is a list (gapless.ts). */
export function stampPublishedAt(payload: unknown, at: number): unknown {
  if (Array.isArray(payload)) return payload.map((item) => stampPublishedAt(item, at));
  return payload !== null && typeof payload === 'object' ? { ...payload, [PUBLISHED_AT_FIELD]: at } : payload;
}

export function publishedAtOf(value: unknown): number | undefined {
  const at = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[PUBLISHED_AT_FIELD] : undefined;
  return typeof at === 'number' && Number.isFinite(at) ? at : undefined;
}
