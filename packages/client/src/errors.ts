import type { GraphQLFormattedError } from 'graphql';

/** The `extensions.code` values the API answers with (README, "Errors"), plus the SDK's own. */
export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'BAD_USER_INPUT'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'RATE_LIMITED'
  | 'WRITE_PENDING'
  | 'INTERNAL_SERVER_ERROR'
  | 'GRAPHQL_PARSE_FAILED'
  | 'GRAPHQL_VALIDATION_FAILED'
  | 'BAD_REQUEST'
  | 'PAYLOAD_TOO_LARGE'
  | 'SERVICE_UNAVAILABLE'
  /** The operation breaks a shape limit (depth, aliases, root fields, directives, tokens). */
  | 'OPERATION_LIMIT'
  /** The operation's estimated cost is over the limit (`extensions.cost`, `extensions.limit`). */
  | 'COST_LIMIT_EXCEEDED'
  /** The gateway runs trusted documents only, and the request named none it knows (a stale SDK build?). */
  | 'TRUSTED_DOCUMENTS_ONLY'
  | 'PERSISTED_QUERY_NOT_FOUND'
  /** The server could not be reached, or its answer was lost or unreadable. */
  | 'NETWORK_ERROR'
  /** The client was closed, or the subscription ended by a sign-out. */
  | 'CLIENT_CLOSED';

const KNOWN_CODES = new Set<string>([
  'UNAUTHENTICATED', 'FORBIDDEN', 'BAD_USER_INPUT', 'NOT_FOUND', 'CONFLICT', 'RATE_LIMITED', 'WRITE_PENDING',
  'INTERNAL_SERVER_ERROR', 'GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_REQUEST', 'PAYLOAD_TOO_LARGE',
  'SERVICE_UNAVAILABLE', 'OPERATION_LIMIT', 'COST_LIMIT_EXCEEDED', 'NETWORK_ERROR', 'CLIENT_CLOSED',
  'TRUSTED_DOCUMENTS_ONLY', 'PERSISTED_QUERY_NOT_FOUND',
]);

/** A failed request or subscription, typed by the first error's `extensions.code`. */
export class FinderError extends Error {
  override readonly name = 'FinderError';
  readonly code: ErrorCode;
  /** The bad input field (`BAD_USER_INPUT`), e.g. `input.body`. */
  readonly field?: string;
  /** How long to wait before trying again (`RATE_LIMITED`). */
  readonly retryAfterMs?: number;
  /** The event whose outcome is still unknown (`WRITE_PENDING`). */
  readonly eventId?: string;
  /** `UNAUTHENTICATED` details: `TOKEN_EXPIRED`, `TOKEN_INVALID`, `TOKEN_REVOKED` (the login ended: refreshing is refused too). */
  readonly reason?: string;
  /** Trying again later may succeed (with the same idempotency key for a mutation). */
  readonly retryable: boolean;
  /** Every error of the answer, as the server sent them. */
  readonly errors: readonly GraphQLFormattedError[];
  /** The HTTP status, when the error came from an HTTP answer. */
  readonly status?: number;

  constructor(
    code: ErrorCode,
    message: string,
    options: { errors?: readonly GraphQLFormattedError[]; status?: number; cause?: unknown; retryable?: boolean } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.errors = options.errors ?? [];
    this.status = options.status;
    const ext = (this.errors[0]?.extensions ?? {}) as Record<string, unknown>;
    if (typeof ext.field === 'string') this.field = ext.field;
    if (typeof ext.retryAfterMs === 'number') this.retryAfterMs = ext.retryAfterMs;
    else if (typeof ext.retryAfter === 'number') this.retryAfterMs = ext.retryAfter * 1000;
    if (typeof ext.eventId === 'string') this.eventId = ext.eventId;
    if (typeof ext.reason === 'string') this.reason = ext.reason;
    this.retryable =
      options.retryable ?? (ext.retryable === true || code === 'WRITE_PENDING' || code === 'NETWORK_ERROR' || code === 'SERVICE_UNAVAILABLE');
  }

  /** The error for a GraphQL answer's `errors`: the first one's code and message. */
  static fromErrors(errors: readonly GraphQLFormattedError[], status?: number): FinderError {
    const first = errors[0];
    const raw = first?.extensions?.code;
    const code = (typeof raw === 'string' && KNOWN_CODES.has(raw) ? raw : 'INTERNAL_SERVER_ERROR') as ErrorCode;
    return new FinderError(code, first?.message ?? 'Unknown error', { errors, status });
  }
}
