import { badInput } from '@finder/platform/errors';
import type { z } from 'zod';

/** Cursors are opaque to clients: base64url JSON, validated on the way back in. */
export const encodeCursor = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

export function decodeCursor<T>(cursor: string, schema: z.ZodType<T>, field = 'after'): T {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badInput(`${field} is not a valid cursor`, field);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw badInput(`${field} is not a valid cursor`, field);
  return parsed.data;
}

export interface Page<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

/** Builds a forward connection from `first + 1` fetched rows; a page after a cursor has one before it. */
export function toPage<T>(rows: T[], first: number, cursorOf: (row: T) => string, afterCursor = false): Page<T> {
  const nodes = rows.slice(0, first);
  const edges = nodes.map((node) => ({ cursor: cursorOf(node), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: rows.length > first,
      hasPreviousPage: afterCursor,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}
