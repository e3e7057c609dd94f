/**
 * Shares one subgraph fetch between identical requests in flight at once: the same subgraph, the
 * same body (operation and variables) and the same viewer get the answer of the first, each
 * caller its own copy of it. Only queries are merged; a mutation always runs. Off by default
 * (GATEWAY_MERGE_INFLIGHT): the gateway bench reports it as a row of its own.
 */
export interface Cloneable<T> {
  clone(): T;
}

export function createInflightMerge<T extends Cloneable<T>>(onMerged?: () => void) {
  const inflight = new Map<string, Promise<T>>();
  return {
    run(key: string, fetch: () => Promise<T>): Promise<T> {
      const running = inflight.get(key);
      if (running) {
        onMerged?.();
        return running.then((response) => response.clone());
      }
      const started = fetch();
      inflight.set(key, started);
      const settle = () => void (inflight.get(key) === started && inflight.delete(key));
      // The first caller reads the original; whoever joined reads a clone taken when it settled.
      started.then(settle, settle);
      return started;
    },
    get size() {
      return inflight.size;
    },
  };
}

/**
 * Whether a subgraph operation the query planner wrote is a query: it starts with `query` or is
 * anonymous (`{`). Anything else (a mutation) is never merged.
 */
export const isQueryText = (text: string | undefined): boolean => text !== undefined && /^\s*(?:query\b|\{)/.test(text);
