import type { ResultOf, TypedDocumentNode, VariablesOf } from '@graphql-typed-document-node/core';
import type { DocumentNode } from 'graphql';
import { CompleteRegistrationDocument, LoginDocument, LogoutDocument, RefreshSessionDocument, RegisterDocument } from './__generated__/graphql.ts';
import { createConnectionTracker, type ConnectionApi } from './connection.ts';
import { documentFields, prepare, type PreparedOperation } from './documents.ts';
import { FinderError } from './errors.ts';
import { backoff, postGraphQL, sleep, type FetchLike } from './http.ts';
import { createSessionManager, type AuthPayloadLike, type SessionApi } from './session.ts';
import { createSubscriptions, type SubscriptionSink } from './subscriptions.ts';
import { memoryTokens, type TokenStorage } from './tokens.ts';

export interface FinderClientOptions {
  /** The HTTP endpoint, e.g. `/graphql` in a browser or `http://127.0.0.1:8080/graphql`. */
  url: string;
  /** The WebSocket endpoint; default: `url` with http(s) turned into ws(s). */
  wsUrl?: string;
  /** Where tokens live; default `memoryTokens()`. Browsers: `localStorageTokens('finder')`. */
  storage?: TokenStorage;
  fetch?: FetchLike;
  /** A WebSocket implementation where there is no global one (e.g. the `ws` package). */
  webSocketImpl?: unknown;
  /** Attempts of a retryable request (WRITE_PENDING, `retryable`, network) before giving up; default 5. */
  maxAttempts?: number;
  /** Makes idempotency keys; default `crypto.randomUUID`. */
  idempotencyKey?: () => string;
  /**
   * Send the SDK's operations by hash (`extensions.persistedQuery.sha256Hash`) instead of their
   * text, over HTTP and WebSocket: for a gateway with TRUSTED_DOCUMENTS set to this SDK's
   * manifest (one without it answers `PERSISTED_QUERY_NOT_FOUND`). Documents of your own are
   * still sent as text. Default false.
   */
  persistedDocuments?: boolean;
}

type Variables<D> = VariablesOf<D> extends Record<string, never> ? [variables?: VariablesOf<D>] : [variables: VariablesOf<D>];

export interface FinderClient {
  /** A query or mutation over HTTP; the data, or a thrown FinderError. */
  request<D extends TypedDocumentNode<any, any>>(document: D, ...variables: Variables<D>): Promise<ResultOf<D>>;
  /** A subscription over WebSocket; returns the function that ends it. */
  subscribe<D extends TypedDocumentNode<any, any>>(document: D, variables: VariablesOf<D>, sink: SubscriptionSink<ResultOf<D>>): () => void;
  readonly session: SessionApi;
  readonly connection: ConnectionApi;
  close(): Promise<void>;
}

function resolveUrl(url: string): string {
  if (/^[a-z]+:\/\//i.test(url)) return url;
  const origin = (globalThis as { location?: { href: string } }).location?.href;
  if (!origin) throw new Error(`A relative url (${url}) needs a browser; pass an absolute one`);
  return new URL(url, origin).toString();
}

export function createFinderClient(options: FinderClientOptions): FinderClient {
  const url = options.url;
  const wsUrl = options.wsUrl ?? resolveUrl(url).replace(/^http/, 'ws');
  const fetchImpl: FetchLike = options.fetch ?? ((input, init) => fetch(input, init));
  const maxAttempts = options.maxAttempts ?? 5;
  const newKey = options.idempotencyKey ?? (() => crypto.randomUUID());
  const connection = createConnectionTracker();
  const persisted = options.persistedDocuments ?? false;
  const fieldsOf = (op: PreparedOperation) => {
    const { query, extensions } = documentFields(op, persisted);
    return extensions ? { extensions } : { query };
  };

  /** Sends one operation; retries what is safe to retry; refreshes the session once on UNAUTHENTICATED. */
  async function execute(op: PreparedOperation, variables: Record<string, unknown> | undefined, authenticate: boolean): Promise<unknown> {
    const { vars, keyed } = withIdempotencyKeys(op, variables, newKey);
    // A mutation without a key could apply twice if retried after a lost answer: it is sent once.
    const retryable = op.kind === 'query' || keyed;
    let refreshed = false;
    for (let attempt = 1; ; attempt++) {
      let token: string | null = null;
      let error: FinderError;
      try {
        if (authenticate) {
          const signedIn = session.current() !== null;
          token = await session.accessToken();
          if (signedIn && !token) throw new FinderError('UNAUTHENTICATED', 'The session could not be refreshed: signed out', { retryable: false });
        }
        const { status, result } = await postGraphQL(fetchImpl, url, { ...fieldsOf(op), operationName: op.operationName, variables: vars }, token);
        if (!result.errors?.length && result.data) return result.data;
        error = FinderError.fromErrors(result.errors ?? [], status);
      } catch (err) {
        if (!(err instanceof FinderError)) throw err;
        error = err;
      }
      if (error.code === 'UNAUTHENTICATED' && token && !refreshed) {
        refreshed = true;
        if (await session.refreshAfterRejection(token)) continue;
        throw error;
      }
      if (!error.retryable || !retryable || attempt >= maxAttempts) throw error;
      await sleep(Math.max(error.retryAfterMs ?? 0, backoff(attempt - 1)));
    }
  }

  const call = async <T>(document: DocumentNode, variables: Record<string, unknown>, field: string): Promise<T> =>
    ((await execute(prepare(document), variables, false)) as Record<string, T>)[field]!;

  const session = createSessionManager(options.storage ?? memoryTokens(), {
    login: (email, password) => call<AuthPayloadLike>(LoginDocument, { input: { email, password } }, 'login'),
    register: (input) => call<AuthPayloadLike>(RegisterDocument, { input }, 'register'),
    completeRegistration: (input) => call<AuthPayloadLike>(CompleteRegistrationDocument, { input }, 'completeRegistration'),
    refresh: (refreshToken) => call<AuthPayloadLike>(RefreshSessionDocument, { refreshToken }, 'refreshSession'),
    logout: async (refreshToken) => {
      await call(LogoutDocument, { refreshToken }, 'logout');
    },
  });

  const subscriptions = createSubscriptions({ wsUrl, webSocketImpl: options.webSocketImpl, session, connection, persistedDocuments: persisted });

  const publicSession: SessionApi = {
    current: () => session.current(),
    signIn: (email, password) => session.signIn(email, password),
    register: (input) => session.register(input),
    completeRegistration: (input) => session.completeRegistration(input),
    signOut: () => session.signOut(),
    onChange: (listener) => session.onChange(listener),
  };

  return {
    request: (async (document: DocumentNode, variables?: Record<string, unknown>) => execute(prepare(document), variables, true)) as FinderClient['request'],
    subscribe: ((document: DocumentNode, variables: Record<string, unknown>, sink: SubscriptionSink<unknown>) => {
      const op = prepare(document);
      if (op.kind !== 'subscription') throw new Error(`subscribe() takes a subscription; send a ${op.kind} with request()`);
      return subscriptions.subscribe(op, variables, sink);
    }) as FinderClient['subscribe'],
    session: publicSession,
    connection,
    async close() {
      await subscriptions.close();
      session.dispose();
    },
  };
}

/**
 * Gives every idempotency slot of a mutation that the caller left empty a fresh key. The key is
 * made once per request() call, so its retries carry the same one and the server applies it once.
 */
function withIdempotencyKeys(
  op: PreparedOperation,
  variables: Record<string, unknown> | undefined,
  newKey: () => string,
): { vars: Record<string, unknown> | undefined; keyed: boolean } {
  if (!op.keySlots.length) return { vars: variables, keyed: false };
  const vars: Record<string, unknown> = { ...variables };
  for (const { variable, inInput } of op.keySlots) {
    if (!inInput) {
      vars[variable] ??= newKey();
      continue;
    }
    const input = vars[variable];
    if (input && typeof input === 'object' && !Array.isArray(input)) {
      const record = input as Record<string, unknown>;
      if (record.idempotencyKey == null) vars[variable] = { ...record, idempotencyKey: newKey() };
    }
  }
  return { vars, keyed: true };
}
