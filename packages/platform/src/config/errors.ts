import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { ZodError } from 'zod';
import type { Logger } from './logger.ts';
import { isTransient } from '../kafka/transient.ts';

/** The error codes of the public contract (docs/api.md#errors). */
export const ErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  RATE_LIMITED: 'RATE_LIMITED',
  WRITE_PENDING: 'WRITE_PENDING',
  /** The operation breaks a shape limit (depth, aliases, root fields, directives, tokens). */
  OPERATION_LIMIT: 'OPERATION_LIMIT',
  /** The operation's estimated cost is over the limit (`extensions.cost`, `extensions.limit`). */
  COST_LIMIT_EXCEEDED: 'COST_LIMIT_EXCEEDED',
  /** The gateway runs trusted documents only (TRUSTED_DOCUMENTS) and the request named none by hash. */
  TRUSTED_DOCUMENTS_ONLY: 'TRUSTED_DOCUMENTS_ONLY',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Codes produced by GraphQL servers themselves that are safe to show clients as they are. */
const PROTOCOL_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  'PAYLOAD_TOO_LARGE',
]);
const PUBLIC_CODES = new Set<string>([...Object.values(ErrorCode), ...PROTOCOL_CODES]);
PUBLIC_CODES.delete(ErrorCode.INTERNAL_SERVER_ERROR);

export class AppError extends GraphQLError {
  constructor(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}) {
    super(message, { extensions: { ...extensions, code } });
    this.name = 'AppError';
  }
}

export const unauthenticated = (message = 'Authentication required', reason?: string) =>
  new AppError(ErrorCode.UNAUTHENTICATED, message, reason ? { reason } : {});
export const forbidden = (message = 'Not allowed') => new AppError(ErrorCode.FORBIDDEN, message);
export const notFound = (what: string) => new AppError(ErrorCode.NOT_FOUND, `${what} not found`);
export const conflict = (message: string, extensions: Record<string, unknown> = {}) =>
  new AppError(ErrorCode.CONFLICT, message, extensions);
export const badInput = (message: string, field?: string) =>
  new AppError(ErrorCode.BAD_USER_INPUT, message, field ? { field } : {});
export const rateLimited = (retryAfterMs: number) =>
  new AppError(ErrorCode.RATE_LIMITED, 'Too many requests, slow down', { retryAfterMs });
export const unavailable = (what: string) =>
  new AppError(ErrorCode.INTERNAL_SERVER_ERROR, `${what} is unavailable right now; nothing was changed, retry shortly`, {
    retryable: true,
  });
export const writePending = (eventId: string) =>
  new AppError(
    ErrorCode.WRITE_PENDING,
    'The write was accepted but not confirmed in time; retry with the same idempotencyKey to learn its outcome',
    { eventId },
  );

/** True for an error that says "ask again later": a backing service was down, or a write is not confirmed yet. */
export const isRetryable = (err: unknown): boolean =>
  err instanceof GraphQLError && (err.extensions.retryable === true || err.extensions.code === ErrorCode.WRITE_PENDING);

/** Turns a zod failure into BAD_USER_INPUT naming the first bad field (all of them in `fields`). */
export function fromZod(error: ZodError, prefix = 'input'): AppError {
  const fields = error.issues.map((i) => ({ field: [prefix, ...i.path].join('.'), message: i.message }));
  const first = fields[0]!;
  return new AppError(ErrorCode.BAD_USER_INPUT, `${first.field}: ${first.message}`, {
    field: first.field,
    fields,
  });
}

/** Validates with zod and throws BAD_USER_INPUT naming the field on failure. */
export function validate<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: ZodError } }, value: unknown, prefix = 'input'): T {
  const result = schema.safeParse(value);
  if (!result.success) throw fromZod(result.error, prefix);
  return result.data;
}

/**
 * One place decides what clients see: public codes pass through, everything else is logged
 * with its request id and masked.
 */
export function createErrorFormatter(logger: Logger, options: { maskInternal: boolean }) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = formatted.extensions?.code;
    const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
    // AppErrors carry deliberate, client-safe messages whatever their code; so do retryable
    // errors, which is how they cross the gateway unmasked.
    if ((typeof code === 'string' && PUBLIC_CODES.has(code)) || original instanceof AppError || formatted.extensions?.retryable === true) {
      const { stacktrace: _drop, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    // Apollo Server's own refusals of a request (a persisted query whose hash does not match its
    // text, say) carry an HTTP status of 4xx but no code: the client's mistake, said as such.
    if (isUncodedClientError(original)) {
      return { ...formatted, extensions: { code: 'BAD_REQUEST' } };
    }
    // Postgres or the network down: say so, rather than a driver message or a bare internal error.
    if (isTransient(original)) {
      logger.warn({ err: original, path: formatted.path }, 'dependency unavailable');
      return {
        message: 'A backing service is unavailable right now; retry shortly (with the same idempotencyKey for a mutation)',
        locations: formatted.locations,
        path: formatted.path,
        extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR, retryable: true },
      };
    }
    logger.error({ err: original, path: formatted.path }, 'internal error');
    if (!options.maskInternal) {
      return { ...formatted, extensions: { ...formatted.extensions, code: ErrorCode.INTERNAL_SERVER_ERROR } };
    }
    return {
      message: 'Internal server error',
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
    };
  };
}

function isUncodedClientError(error: unknown): boolean {
  if (!(error instanceof GraphQLError) || error.extensions.code !== undefined) return false;
  const status = (error.extensions.http as { status?: number } | undefined)?.status;
  return status !== undefined && status >= 400 && status < 500;
}

/** graphql-js errors serialize themselves; errors that crossed a wire arrive as plain objects. */
export function toFormattedError(error: GraphQLError | GraphQLFormattedError): GraphQLFormattedError {
  if (error instanceof GraphQLError) return error.toJSON();
  const { message, locations, path, extensions } = error;
  return { message, ...(locations ? { locations } : {}), ...(path ? { path } : {}), ...(extensions ? { extensions } : {}) };
}
