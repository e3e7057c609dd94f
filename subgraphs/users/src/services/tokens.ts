import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { randomToken, uuidv7 } from '@finder/platform/data';

export const sha256 = (value: string): string => createHash('sha256').update(value).digest('hex');

/** Refresh tokens are `<sessionId>.<secret>`; only the secret's hash is stored. */
export function newRefreshToken(): { sessionId: string; token: string; tokenHash: string } {
  const sessionId = uuidv7();
  const secret = randomToken(32);
  return { sessionId, token: `${sessionId}.${secret}`, tokenHash: sha256(secret) };
}

export function parseRefreshToken(token: string): { sessionId: string; tokenHash: string } | null {
  const match = /^([0-9a-f-]{36})\.([A-Za-z0-9_-]{43})$/.exec(token);
  return match ? { sessionId: match[1]!, tokenHash: sha256(match[2]!) } : null;
}

export const hashesEqual = (a: string, b: string): boolean =>
  a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

// ---- link tokens (email verification, password reset) --------------------------------------

export type LinkToken =
  | { purpose: 'verify-email'; userId: string; email: string; exp: number }
  | { purpose: 'reset-password'; userId: string; passwordVersion: number; exp: number };

/** Stateless, HMAC-signed and expiring; reset tokens become invalid once the password changes. */
export function signLinkToken(token: LinkToken, secret: string): string {
  const payload = Buffer.from(JSON.stringify(token)).toString('base64url');
  return `${payload}.${createHmac('sha256', secret).update(payload).digest('base64url')}`;
}

export function verifyLinkToken<P extends LinkToken['purpose']>(
  value: string,
  purpose: P,
  secret: string,
  now: number = Date.now(),
): Extract<LinkToken, { purpose: P }> | null {
  const [payload, signature, extra] = value.split('.');
  if (!payload || !signature || extra !== undefined || value.length > 2048) return null;
  const expected = createHmac('sha256', secret).update(payload).digest('base64url');
  if (!hashesEqual(expected, signature)) return null;
  try {
    const token = JSON.parse(Buffer.from(payload, 'base64url').toString()) as LinkToken;
    if (token.purpose !== purpose || typeof token.exp !== 'number' || token.exp < now) return null;
    return token as Extract<LinkToken, { purpose: P }>;
  } catch {
    return null;
  }
}

export const VERIFY_EMAIL_TTL_MS = 48 * 3600_000;
export const RESET_PASSWORD_TTL_MS = 3600_000;
