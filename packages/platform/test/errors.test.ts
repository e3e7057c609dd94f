import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AppError, createErrorFormatter, fromZod, writePending } from '../src/config/errors.ts';
import { createLogger } from '../src/config/logger.ts';

const logger = createLogger('test', 'silent');
const internal = new GraphQLError('connection to 10.0.0.7:5432 refused', { originalError: new Error('ECONNREFUSED'), path: ['me'] });

describe('error formatting', () => {
  it('masks internal errors in production, keeping only the path and code', () => {
    const format = createErrorFormatter(logger, { maskInternal: true });
    expect(format({ message: internal.message, path: ['me'] }, internal)).toEqual({
      message: 'Internal server error',
      path: ['me'],
      locations: undefined,
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
  });

  it('passes public codes and deliberate AppErrors through, without stack traces', () => {
    const format = createErrorFormatter(logger, { maskInternal: true });
    const pending = writePending('0190f0c2-0000-7000-8000-000000000001');
    const formatted = format({ message: pending.message, extensions: { ...pending.extensions, stacktrace: ['x'] } }, pending);
    expect(formatted.extensions).toEqual({ code: 'WRITE_PENDING', eventId: '0190f0c2-0000-7000-8000-000000000001' });
    const validation = format({ message: 'Cannot query field', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }, new GraphQLError('x'));
    expect(validation.message).toBe('Cannot query field');
  });

  // Found by the postgres-outage drill: clients got the driver's "terminating connection due to
  // administrator command" (or a bare internal error in production).
  it('says a backing service is unavailable when Postgres or the network is down, and the gateway passes that on', () => {
    const pgDown = Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
    const error = new GraphQLError(pgDown.message, { originalError: pgDown, path: ['sendMessage'] });
    for (const maskInternal of [true, false]) {
      const formatted = createErrorFormatter(logger, { maskInternal })({ message: error.message, path: ['sendMessage'] }, error);
      expect(formatted.message).toMatch(/unavailable right now; retry shortly/);
      expect(formatted.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR', retryable: true });
    }
    // The gateway sees the subgraph's formatted error as a plain GraphQLError.
    const fromSubgraph = new GraphQLError('A backing service is unavailable right now; retry shortly', { extensions: { code: 'INTERNAL_SERVER_ERROR', retryable: true } });
    const atGateway = createErrorFormatter(logger, { maskInternal: true })({ message: fromSubgraph.message, extensions: fromSubgraph.extensions }, fromSubgraph);
    expect(atGateway).toMatchObject({ message: fromSubgraph.message, extensions: { code: 'INTERNAL_SERVER_ERROR', retryable: true } });
  });

  it('shows internal messages in development', () => {
    const format = createErrorFormatter(logger, { maskInternal: false });
    expect(format({ message: internal.message }, internal)).toMatchObject({ message: internal.message, extensions: { code: 'INTERNAL_SERVER_ERROR' } });
  });

  it('turns zod failures into BAD_USER_INPUT naming every field', () => {
    const result = z.object({ email: z.email(), age: z.number().min(18) }).safeParse({ email: 'x', age: 3 });
    const error = fromZod(result.error!);
    expect(error).toBeInstanceOf(AppError);
    expect(error.extensions.code).toBe('BAD_USER_INPUT');
    expect(error.extensions.field).toBe('input.email');
    expect((error.extensions.fields as { field: string }[]).map((f) => f.field)).toEqual(['input.email', 'input.age']);
  });
});
