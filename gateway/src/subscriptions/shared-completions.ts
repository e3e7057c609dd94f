interface Entry<T> {
  result: Promise<T>;
  /** When the result settled (null while it is being computed). */
  settledAt: number | null;
}

/**
 * Completions of one event shared between the subscription groups that receive it. Per-viewer
 * streams of one topic each get the same event on an upstream subscription of their own; when the
 * rest of the plan fetches nothing that depends on the viewer, completing the event once is the
 * same as completing it for each group. A settled result is kept for `retentionMs`, for groups
 * whose chain was still busy with an earlier event when the first completion ran.
 */
export function createSharedCompletions<T>(options: { retentionMs: number; maxEntries: number; now?: () => number }) {
  const now = options.now ?? Date.now;
  const entries = new Map<string, Entry<T>>();

  /** Entries are inserted in arrival order, so the expired ones are at the front. */
  function evict() {
    const time = now();
    for (const [key, entry] of entries) {
      const expired = entry.settledAt !== null && time - entry.settledAt >= options.retentionMs;
      if (!expired && entries.size <= options.maxEntries) break;
      entries.delete(key);
    }
  }

  return {
    /** The result for `key`: computed now, or the one computed (or being computed) for another group. */
    share(key: string, compute: () => Promise<T>): { result: Promise<T>; shared: boolean } {
      evict();
      const existing = entries.get(key);
      if (existing) return { result: existing.result, shared: true };
      const entry: Entry<T> = { result: compute(), settledAt: null };
      entries.set(key, entry);
      entry.result.then(
        () => {
          entry.settledAt = now();
        },
        // A failure is not shared with groups that have yet to ask: they try again.
        () => {
          if (entries.get(key) === entry) entries.delete(key);
        },
      );
      return { result: entry.result, shared: false };
    },
    size: () => entries.size,
  };
}
