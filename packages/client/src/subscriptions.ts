import type { FormattedExecutionResult, GraphQLFormattedError } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import type { ConnectionTracker } from './connection.ts';
import { documentFields, type PreparedOperation } from './documents.ts';
import { FinderError } from './errors.ts';
import { backoff, sleep } from './http.ts';
import type { SessionManager } from './session.ts';

export interface SubscriptionSink<T> {
  next(data: T): void;
  error?(error: FinderError): void;
  complete?(): void;
}

export interface SubscriptionOptions {
  wsUrl: string;
  webSocketImpl?: unknown;
  session: SessionManager;
  connection: ConnectionTracker;
  /** Subscribe by the SDK's document hashes (FinderClientOptions.persistedDocuments). */
  persistedDocuments?: boolean;
}

const isCloseEvent = (value: unknown): value is { code: number; reason: string } =>
  typeof value === 'object' && value !== null && typeof (value as { code?: unknown }).code === 'number' && 'reason' in value;

/** Close codes after which subscribing again the same way cannot help. */
const FATAL_CLOSE_CODES = new Set([4400, 4406, 4409, 4429]);

/** Refused or failed events in a row after which a stream gives up and reports the error. */
const MAX_EVENT_FAILURES = 6;

/**
 * Subscriptions over one lazy graphql-ws socket that reconnects forever with backoff. A
 * resumable stream's `after` variable follows the last delivered cursor, so every re-subscription
 * (graphql-ws's own after a reconnect, or ours after a refresh) continues exactly there, and
 * anything at or below it that a replay repeats is dropped.
 */
export function createSubscriptions({ wsUrl, webSocketImpl, session, connection, persistedDocuments = false }: SubscriptionOptions) {
  let active = 0;
  let wasConnected = false;
  /** The access token the current socket was opened with (to refresh it once on a 4401). */
  let socketToken: string | null = null;
  const live = new Set<{ end(error: FinderError): void }>();

  const ws: Client = createClient({
    url: wsUrl,
    lazy: true,
    retryAttempts: Number.POSITIVE_INFINITY,
    shouldRetry: () => true,
    retryWait: (retries) => sleep(backoff(retries, 10_000)),
    ...(webSocketImpl ? { webSocketImpl } : {}),
    connectionParams: async () => {
      socketToken = await session.accessToken().catch(() => session.current()?.accessToken ?? null);
      return socketToken ? { authorization: `Bearer ${socketToken}` } : {};
    },
    on: {
      connecting: (isRetry) => connection.set(wasConnected || isRetry ? 'reconnecting' : 'connecting'),
      connected: () => {
        wasConnected = true;
        connection.set('connected');
      },
      closed: () => {
        if (active > 0) connection.set('reconnecting');
        else {
          wasConnected = false;
          connection.set('idle');
        }
      },
    },
  });

  // A different user (or none): streams of the previous one end, and a new socket is opened for the next.
  let userId = session.current()?.userId ?? null;
  const unsubscribeSession = session.onChange((next) => {
    if ((next?.userId ?? null) === userId) return;
    userId = next?.userId ?? null;
    for (const sub of [...live]) sub.end(new FinderError('UNAUTHENTICATED', 'The session changed (signed out or in as someone else): the subscription ended'));
    ws.terminate();
  });

  function subscribe<T>(op: PreparedOperation, variables: Record<string, unknown> | undefined, sink: SubscriptionSink<T>): () => void {
    const payload = { ...documentFields(op, persistedDocuments), operationName: op.operationName, variables: { ...variables } as Record<string, unknown> };
    const resumable = op.resumable;
    const given = resumable ? payload.variables[resumable.afterVariable] : undefined;
    let lastCursor: number | null = typeof given === 'number' ? given : null;
    let stop: (() => void) | null = null;
    let ended = false;
    let refreshed = false;
    let failures = 0;

    const handle = {
      end(error: FinderError | null) {
        if (ended) return;
        ended = true;
        live.delete(handle);
        active--;
        stop?.();
        if (error) sink.error?.(error);
        else sink.complete?.();
      },
    };

    const start = () => {
      if (ended) return;
      stop = ws.subscribe<Record<string, unknown>>(payload, {
        next: (result: FormattedExecutionResult<Record<string, unknown>>) => {
          if (ended) return;
          const data = result.data;
          // An event that failed as a whole: subscribe again from the last cursor, which replays it.
          if (!data) return void onErrors(result.errors ?? [], true);
          failures = 0;
          refreshed = false;
          if (resumable) {
            const cursor = (data[resumable.responseKey] as Record<string, unknown> | null)?.[resumable.cursorKey];
            if (typeof cursor === 'number') {
              if (lastCursor !== null && cursor <= lastCursor) return;
              lastCursor = cursor;
              // graphql-ws re-sends this very payload when it reconnects: it resumes from here.
              payload.variables[resumable.afterVariable] = cursor;
            }
          }
          sink.next(data as T);
        },
        error: (err: unknown) => {
          if (ended) return;
          if (Array.isArray(err)) return void onErrors(err as GraphQLFormattedError[], false);
          if (isCloseEvent(err) && err.code === 4401) return void reauthenticate();
          if (isCloseEvent(err) && FATAL_CLOSE_CODES.has(err.code)) {
            return handle.end(new FinderError('BAD_REQUEST', `The server closed the socket: ${err.code} ${err.reason}`));
          }
          // Anything else (4500, a failed connect): the stream is worth keeping; try again shortly.
          void again();
        },
        complete: () => {
          if (!ended) handle.end(null);
        },
      });
    };

    const again = async () => {
      stop = null;
      await sleep(backoff(failures++, 10_000));
      start();
    };

    const reauthenticate = async () => {
      stop = null;
      const rejected = socketToken ?? session.current()?.accessToken ?? '';
      if (refreshed) return handle.end(new FinderError('UNAUTHENTICATED', 'The server refused the refreshed session'));
      refreshed = true;
      try {
        const token = await session.refreshAfterRejection(rejected);
        if (!token) return handle.end(new FinderError('UNAUTHENTICATED', 'Signed out: the session could not be refreshed'));
      } catch {
        return void again();
      }
      start();
    };

    const onErrors = (errors: readonly GraphQLFormattedError[], inEvent: boolean) => {
      const error = FinderError.fromErrors(errors);
      stop?.();
      if (error.code === 'UNAUTHENTICATED' && session.current()) return void reauthenticate();
      if ((error.retryable || inEvent) && failures < MAX_EVENT_FAILURES) return void again();
      handle.end(error);
    };

    live.add(handle);
    active++;
    start();
    return () => {
      if (ended) return;
      ended = true;
      live.delete(handle);
      active--;
      stop?.();
    };
  }

  return {
    subscribe,
    async close() {
      unsubscribeSession();
      for (const sub of [...live]) sub.end(new FinderError('CLIENT_CLOSED', 'The client was closed'));
      await ws.dispose();
    },
  };
}
