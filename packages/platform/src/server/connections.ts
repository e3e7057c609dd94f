import { badInput } from '@finder/platform/config';

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

export interface Connection<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

/** A forward page from `limit + 1` fetched rows: the extra row only says there is a next page. */
export function forwardPage<T>(rows: T[], limit: number, cursorOf: (node: T) => string, afterCursor: boolean): Connection<T> {
  const edges = rows.slice(0, limit).map((node) => ({ cursor: cursorOf(node), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: rows.length > limit,
      hasPreviousPage: afterCursor,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}

/** A (timestamp, id) keyset position, for lists ordered newest first. */
export const isTimeIdCursor = (v: unknown): v is { at: string; id: string } =>
  typeof (v as { at?: unknown })?.at === 'string' && typeof (v as { id?: unknown })?.id === 'string';
