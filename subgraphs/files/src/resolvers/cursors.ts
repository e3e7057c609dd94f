import { badInput } from '@finder/platform/errors';

/** Opaque cursors: base64url JSON, so clients cannot depend on what is inside. */
export const encodeCursor = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

export function decodeCursor<T>(cursor: string, field: string, check: (value: unknown) => value is T): T {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString());
    if (check(value)) return value;
  } catch {
    // fall through to the error below
  }
  throw badInput(`${field}: not a cursor this API returned`, field);
}

export function pageSize(value: number | null | undefined, field: string, fallback: number, max = 100): number {
  if (value === null || value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0 || value > max) throw badInput(`${field}: must be between 0 and ${max}`, field);
  return value;
}
