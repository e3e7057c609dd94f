import type { ExecutionResult } from 'graphql';

/** A subgraph answer's `Cache-Control`, as Apollo's data sources restrict a response's cache policy by it. */
export interface CacheHint {
  maxAge: number;
  scope?: 'PRIVATE' | 'PUBLIC';
}

/**
 * What the direct path (direct-answers.ts) already did for a request it leaves to Apollo Server
 * to answer (a refusal, an error to format, a cacheable answer), so that nothing happens twice:
 * Apollo's pipeline awaits `charge` instead of charging the budgets again, and the executor
 * returns `result` (or throws `thrown`), restricting the cache policy by `cacheHints` as the
 * fetches did.
 */
export interface HandedOver {
  /** The budgets' charge (budgets.ts), refused or taken. */
  charge: Promise<{ loginAccounts: string[] }>;
  result?: ExecutionResult;
  /** What the run threw, thrown again by Apollo's executor. */
  thrown?: unknown;
  cacheHints: CacheHint[];
}
