import { createHmac, timingSafeEqual } from 'node:crypto';
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

/**
 * Signed cursors, for cursors whose contents reach SQL as more than a position (a search's
 * tsquery): `<base64url JSON>.<HMAC-SHA256>`, so only a cursor this service wrote is read back.
 * A cursor a client made or changed is a BAD_USER_INPUT naming the argument.
 */
export function signedCursors<T>(secret: string, schema: z.ZodType<T>) {
  const mac = (body: string) => createHmac('sha256', secret).update(body).digest();
  return {
    encode(value: T): string {
      const body = encodeCursor(value);
      return `${body}.${mac(body).toString('base64url')}`;
    },
    decode(cursor: string, field = 'after'): T {
      const [body = '', sig = '', ...rest] = cursor.split('.');
      const given = Buffer.from(sig, 'base64url');
      const expected = mac(body);
      if (rest.length > 0 || given.length !== expected.length || !timingSafeEqual(given, expected)) {
        throw badInput(`${field} is not a valid cursor`, field);
      }
      return decodeCursor(body, schema, field);
    },
  };
}

export type SignedCursors<T> = ReturnType<typeof signedCursors<T>>;

export type Page<T> = Connection<T>;

/** Builds a forward connection from `first + 1` fetched rows; a page after a cursor has one before it. */
export function toPage<T>(rows: T[], first: number, cursorOf: (row: T) => string, afterCursor = false): Page<T> {
  return forwardPage(rows, first, cursorOf, afterCursor);
}
