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

// ---- link tokens (email verification, password reset, registration) -----------------------

/**
 * A link token is HMAC-signed and expiring, and carries a nonce drawn by the server when the link
 * is made, stored hashed (with the user in `users.users`; for a registration, with the email in
 * `users.registration_requests`) and cleared when the link is used: a link works once, requesting
 * a new link makes the older one stop working, and the signing secret alone does not let anyone
 * make a link that works.
 */
export type LinkToken =
  | { purpose: 'verify-email'; userId: string; email: string; nonce: string; exp: number }
  | { purpose: 'reset-password'; userId: string; nonce: string; exp: number }
  | { purpose: 'complete-registration'; email: string; nonce: string; exp: number };

export const newLinkNonce = (): string => randomToken(32);

export function signLinkToken(token: LinkToken, secret: string): string {
  const payload = Buffer.from(JSON.stringify(token)).toString('base64url');
  return `${payload}.${createHmac('sha256', secret).update(payload).digest('base64url')}`;
}

/** The token's claims when its signature, purpose and expiry hold; whether its nonce is current is the caller's to check. */
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
    if (typeof token.nonce !== 'string' || token.nonce.length < 32) return null;
    return token as Extract<LinkToken, { purpose: P }>;
  } catch {
    return null;
  }
}

/** Whether a link's nonce is the one stored (hashed) for the user: null when none is (used, or never made). */
export const nonceMatches = (nonce: string, storedHash: string | null): boolean => storedHash !== null && hashesEqual(sha256(nonce), storedHash);

/** The answers (BAD_USER_INPUT on `token`) to a link that does not work, whichever the reason. */
export const VERIFICATION_LINK_USED = 'Verification link is invalid, expired or was already used';
export const RESET_LINK_USED = 'Reset link is invalid, expired, was already used or a newer one was requested';
/** Also the answer when the email got an account meanwhile: the link's holder learns nothing new from it. */
export const REGISTRATION_LINK_USED = 'Registration link is invalid, expired, was already used or a newer one was requested';

export const VERIFY_EMAIL_TTL_MS = 48 * 3600_000;
export const RESET_PASSWORD_TTL_MS = 3600_000;
export const COMPLETE_REGISTRATION_TTL_MS = 24 * 3600_000;
