import { z } from 'zod';
import { AppError, type ErrorCode } from '../config/errors.ts';

/** What the persister decided about one event; published to its writer's reply channel after the transaction commits. */
export const outcomeSchema = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('applied'),
    eventId: z.string(),
    result: z.record(z.string(), z.unknown()).optional(),
    /** Set when this event was a retry with an idempotency key already used: the event whose outcome it repeats (nothing was applied). */
    replayOf: z.string().optional(),
  }),
  z.object({
    status: z.literal('rejected'),
    eventId: z.string(),
    replayOf: z.string().optional(),
    code: z.string(),
    message: z.string(),
    extensions: z.record(z.string(), z.unknown()).optional(),
  }),
]);
export type Outcome = z.infer<typeof outcomeSchema>;
export type AppliedOutcome = Extract<Outcome, { status: 'applied' }>;

/**
 * A writer's reply channel: the persister publishes there, once per batch, the outcomes of the
 * batch's events that named it in `replyTo` (an `Outcome[]`).
 */
export const replyChannel = (writerId: string): string => `outcomes:${writerId}`;

/** A business rule said no; returned (not thrown) by apply handlers so the batch carries on. */
export class Rejection {
  readonly code: ErrorCode;
  readonly message: string;
  readonly extensions?: Record<string, unknown>;
  constructor(code: ErrorCode, message: string, extensions?: Record<string, unknown>) {
    this.code = code;
    this.message = message;
    if (extensions) this.extensions = extensions;
  }
}
export const reject = (code: ErrorCode, message: string, extensions?: Record<string, unknown>) =>
  new Rejection(code, message, extensions);

export function outcomeToError(outcome: Extract<Outcome, { status: 'rejected' }>): AppError {
  return new AppError(outcome.code as ErrorCode, outcome.message, { ...outcome.extensions, eventId: outcome.eventId });
}
