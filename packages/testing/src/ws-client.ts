import { createClient, type Client, type FormattedExecutionResult } from 'graphql-ws';
import { WebSocket } from 'ws';
import { until } from './processes.ts';

export interface Subscription<T = any> {
  events: FormattedExecutionResult<T>[];
  errors: unknown[];
  completed: boolean;
  /** Resolves once `n` events arrived (fails with what arrived after `timeoutMs`). */
  waitFor(n: number, timeoutMs?: number): Promise<FormattedExecutionResult<T>[]>;
  stop(): void;
}

export interface TestClient {
  client: Client;
  subscribe<T = any>(query: string, variables?: Record<string, unknown>): Subscription<T>;
  closes: { code: number; reason: string }[];
  dispose(): Promise<void>;
}

/** A graphql-ws client that records everything, for assertions; it never retries on its own. */
export function connect(url: string, connectionParams?: Record<string, unknown>, options: { retry?: boolean } = {}): TestClient {
  const closes: { code: number; reason: string }[] = [];
  const client = createClient({
    url,
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: options.retry ? 50 : 0,
    shouldRetry: () => Boolean(options.retry),
    retryWait: async () => new Promise((r) => setTimeout(r, 200)),
    connectionParams,
    on: {
      closed: (event) => {
        const { code, reason } = event as { code: number; reason: string };
        closes.push({ code, reason: String(reason) });
      },
      error: () => undefined,
    },
    onNonLazyError: () => undefined,
  });
  return {
    client,
    closes,
    subscribe<T>(query: string, variables: Record<string, unknown> = {}): Subscription<T> {
      const sub: Subscription<T> = {
        events: [],
        errors: [],
        completed: false,
        waitFor: async (n, timeoutMs = 20_000) => {
          await until(async () => sub.events.length >= n || sub.errors.length > 0 || sub.completed, timeoutMs, `${n} events`).catch(() => {
            throw new Error(`expected ${n} events, got ${sub.events.length}: ${JSON.stringify(sub.events.slice(-3))} errors ${JSON.stringify(sub.errors)}`);
          });
          if (sub.events.length < n) {
            throw new Error(`subscription ended after ${sub.events.length} of ${n} events: ${JSON.stringify(sub.errors)}`);
          }
          return sub.events;
        },
        stop: () => unsubscribe(),
      };
      const unsubscribe = client.subscribe<T>({ query, variables }, {
        next: (event) => void sub.events.push(event as FormattedExecutionResult<T>),
        error: (error) => void sub.errors.push(error),
        complete: () => void (sub.completed = true),
      });
      return sub;
    },
    dispose: () => client.dispose() as Promise<void>,
  };
}
