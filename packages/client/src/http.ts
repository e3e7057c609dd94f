import type { FormattedExecutionResult } from 'graphql';
import { FinderError } from './errors.ts';

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/**
 * One GraphQL-over-HTTP POST. A request that never got a readable answer (network down, answer
 * lost, a proxy's HTML page) is a retryable `NETWORK_ERROR`; an answer with errors is returned as is.
 */
export async function postGraphQL(
  fetchImpl: FetchLike,
  url: string,
  body: { query?: string; operationName?: string; variables?: Record<string, unknown>; extensions?: Record<string, unknown> },
  token: string | null,
): Promise<{ status: number; result: FormattedExecutionResult }> {
  let response: Response;
  let text: string;
  try {
    response = await fetchImpl(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify(body),
    });
    text = await response.text();
  } catch (cause) {
    throw new FinderError('NETWORK_ERROR', `Could not reach ${url}: ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }
  let result: FormattedExecutionResult;
  try {
    result = JSON.parse(text) as FormattedExecutionResult;
  } catch (cause) {
    const code = response.status === 503 ? 'SERVICE_UNAVAILABLE' : 'NETWORK_ERROR';
    throw new FinderError(code, `Unreadable answer (HTTP ${response.status}) from ${url}`, {
      cause,
      status: response.status,
      retryable: response.status >= 500,
    });
  }
  if (!result || typeof result !== 'object' || (!('data' in result) && !('errors' in result))) {
    throw new FinderError('NETWORK_ERROR', `Not a GraphQL answer (HTTP ${response.status}) from ${url}`, { status: response.status });
  }
  return { status: response.status, result };
}

/** Exponential backoff with jitter: ~250 ms, 500 ms, 1 s... capped at `maxMs`. */
export function backoff(attempt: number, maxMs = 5_000): number {
  const base = Math.min(maxMs, 250 * 2 ** attempt);
  return base / 2 + Math.random() * (base / 2);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
