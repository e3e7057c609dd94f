import { forwardPage, type Connection } from '@finder/platform/server';
import { badInput } from '@finder/platform/config';
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

export type Page<T> = Connection<T>;

/** Builds a forward connection from `first + 1` fetched rows; a page after a cursor has one before it. */
export function toPage<T>(rows: T[], first: number, cursorOf: (row: T) => string, afterCursor = false): Page<T> {
  return forwardPage(rows, first, cursorOf, afterCursor);
}
