// Every error code the API documents, as the app words it (errors.ts): what a person reads.
import { FinderError } from '@finder/client';
import { describe, expect, it } from 'vitest';
import { describeError, fieldLabel, NotFound } from '../src/errors.ts';

const error = (code: string, message: string, extra: Record<string, unknown> = {}) =>
  Object.assign(Object.create(FinderError.prototype) as FinderError, { code, message, retryable: false, errors: [], ...extra });

describe('describeError', () => {
  it('names the bad field of BAD_USER_INPUT', () => {
    const problem = describeError(error('BAD_USER_INPUT', 'must be at least 10 characters', { field: 'input.password' }));
    expect(problem).toEqual({ message: 'Password: must be at least 10 characters.', field: 'password' });
    expect(describeError(error('BAD_USER_INPUT', 'is not an attachable file', { field: 'input.attachmentIds.2' })).message).toBe(
      'Attachment: is not an attachable file.',
    );
    expect(fieldLabel('input.maxHourlyRate')).toBe('Maximum hourly rate');
    expect(fieldLabel('input.companyName')).toBe('Company name');
    expect(describeError(error('BAD_USER_INPUT', 'input.hourlyRate: must be at most 10000', { field: 'input.hourlyRate' })).message).toBe(
      'Hourly rate: must be at most 10000.',
    );
  });

  it('gives RATE_LIMITED its retry time', () => {
    expect(describeError(error('RATE_LIMITED', 'Too many requests', { retryAfterMs: 2300 })).message).toBe(
      'You are going a little fast. Please try again in 3 seconds.',
    );
    expect(describeError(error('RATE_LIMITED', 'Too many requests', { retryAfterMs: 200 })).message).toContain('in 1 second.');
  });

  it('words NOT_FOUND, FORBIDDEN, UNAUTHENTICATED, CONFLICT and WRITE_PENDING', () => {
    expect(describeError(error('NOT_FOUND', 'File not found')).message).toContain('could not find');
    expect(describeError(new NotFound('x')).message).toContain('could not find');
    expect(describeError(error('FORBIDDEN', 'Only business accounts can request engagements')).message).toBe(
      'You are not allowed to do that: Only business accounts can request engagements.',
    );
    expect(describeError(error('UNAUTHENTICATED', 'Invalid email or password')).message).toContain('sign in again');
    expect(describeError(error('CONFLICT', 'The request is no longer pending')).message).toContain('no longer pending');
    expect(describeError(error('WRITE_PENDING', 'pending', { eventId: 'e1' })).message).toContain('shortly');
  });

  it('words the operation limits as asking for too much', () => {
    for (const code of ['OPERATION_LIMIT', 'COST_LIMIT_EXCEEDED']) {
      expect(describeError(error(code, 'Operation cost 12000 exceeds the limit of 10000')).message).toContain('too much at once');
    }
  });

  it('never shows a raw server message for internal and unknown errors', () => {
    expect(describeError(error('INTERNAL_SERVER_ERROR', 'TypeError: x is undefined')).message).not.toContain('TypeError');
    expect(describeError(error('INTERNAL_SERVER_ERROR', 'db down', { retryable: true })).message).toContain('briefly unavailable');
    expect(describeError(new TypeError('Failed to fetch')).message).toContain('Could not reach Finder');
    expect(describeError('nonsense').message).toBe('Something went wrong. Please try again.');
  });
});
