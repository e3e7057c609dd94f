import { FinderError } from '@finder/client';

/** What went wrong, in words a person understands, and the input to point at when there is one. */
export interface Problem {
  message: string;
  /** The input the server named (`input.password` → `password`), for highlighting it. */
  field?: string;
}

const FIELD_LABELS: Record<string, string> = {
  email: 'Email',
  password: 'Password',
  newPassword: 'New password',
  displayName: 'Name',
  role: 'Account type',
  message: 'Message',
  body: 'Message',
  query: 'Search',
  specialties: 'Specialties',
  maxHourlyRate: 'Maximum hourly rate',
  attachmentIds: 'Attachment',
  name: 'File name',
  mimeType: 'File type',
  size: 'File size',
  token: 'Link',
  rating: 'Rating',
  hourlyRate: 'Hourly rate',
  yearsExperience: 'Years of experience',
  headline: 'Headline',
  bio: 'About you',
  location: 'Location',
  comment: 'Comment',
};

/** The last named segment of an error's `field` (`input.attachmentIds.2` → `attachmentIds`). */
export function fieldName(field: string | undefined): string | undefined {
  if (!field) return undefined;
  return field.split('.').filter((part) => !/^\d+$/.test(part)).pop();
}

export function fieldLabel(field: string | undefined): string | undefined {
  const name = fieldName(field);
  if (!name) return undefined;
  return FIELD_LABELS[name] ?? name
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .replace(/^./, (c) => c.toUpperCase());
}

const NOT_FOUND = 'We could not find that. It may have been removed, or it is not shared with you.';

/** A query answered null for something the page needs: shown like the API's NOT_FOUND. */
export class NotFound extends Error {}

/** A refusal the app words itself (an upload the files service turned down): shown as it is. */
export class Refused extends Error {}

function seconds(ms: number | undefined): string {
  const s = Math.max(1, Math.ceil((ms ?? 1000) / 1000));
  return s === 1 ? '1 second' : `${s} seconds`;
}

/** Turns any thrown value into a sentence; FinderError codes are the API's documented ones. */
export function describeError(err: unknown): Problem {
  if (err instanceof NotFound) return { message: NOT_FOUND };
  if (err instanceof Refused) return { message: err.message };
  if (!(err instanceof FinderError)) {
    if (err instanceof TypeError) return { message: 'Could not reach Finder. Check your connection and try again.' };
    return { message: 'Something went wrong. Please try again.' };
  }
  const detail = err.message.replace(/\.$/, '');
  switch (err.code) {
    case 'BAD_USER_INPUT': {
      const label = fieldLabel(err.field);
      // The server's message may start with the field's path ("input.hourlyRate: must be …").
      const reason = err.field && detail.startsWith(`${err.field}: `) ? detail.slice(err.field.length + 2) : detail;
      return { message: label ? `${label}: ${reason}.` : `${reason}.`, field: fieldName(err.field) };
    }
    case 'NOT_FOUND':
      return { message: NOT_FOUND };
    case 'RATE_LIMITED':
      return { message: `You are going a little fast. Please try again in ${seconds(err.retryAfterMs)}.` };
    case 'FORBIDDEN':
      return { message: `You are not allowed to do that: ${detail}.` };
    case 'UNAUTHENTICATED':
      return { message: 'Your session has ended, or the email and password do not match. Please sign in again.' };
    case 'CONFLICT':
      return { message: `That has already changed: ${detail}. Reload to see the latest.` };
    case 'WRITE_PENDING':
      return { message: 'Saved, but it is taking longer than usual to appear. It will show up shortly.' };
    case 'PAYLOAD_TOO_LARGE':
      return { message: 'That is too large to send.' };
    case 'SERVICE_UNAVAILABLE':
      return { message: 'Finder is briefly unavailable. Please try again in a moment.' };
    case 'OPERATION_LIMIT':
    case 'COST_LIMIT_EXCEEDED':
      return { message: 'That asks for too much at once. Narrow it down (fewer results per page) and try again.' };
    case 'GRAPHQL_PARSE_FAILED':
    case 'GRAPHQL_VALIDATION_FAILED':
    case 'BAD_REQUEST':
    case 'TRUSTED_DOCUMENTS_ONLY': // a gateway with trusted documents that does not know this build's operations
    case 'PERSISTED_QUERY_NOT_FOUND':
      return { message: 'This page is out of date. Please reload it.' };
    default:
      return { message: err.retryable ? 'Finder is briefly unavailable. Please try again in a moment.' : 'Something went wrong on our side. Please try again.' };
  }
}
