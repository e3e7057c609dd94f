import { createHmac, timingSafeEqual } from 'node:crypto';

export type UrlOperation = 'upload' | 'download';

/**
 * Signed URLs: an HMAC over (operation, file id, expiry), so a URL works for one file, one
 * operation and a short time, and any change to it breaks the signature.
 */
export function createUrlSigner(secret: string, publicUrl: string) {
  const base = publicUrl.replace(/\/+$/, '');
  const mac = (operation: UrlOperation, fileId: string, expires: number) =>
    createHmac('sha256', secret).update(`${operation}\n${fileId}\n${expires}`).digest('base64url');

  return {
    /** `expiresAt` in ms since epoch; the URL carries it in seconds. */
    url(operation: UrlOperation, fileId: string, expiresAt: number): string {
      const expires = Math.floor(expiresAt / 1000);
      return `${base}/files/${operation}/${fileId}?expires=${expires}&sig=${mac(operation, fileId, expires)}`;
    },
    /** Why the URL is refused, or null when it is good. */
    check(operation: UrlOperation, fileId: string, query: URLSearchParams, now = Date.now()): 'invalid' | 'expired' | null {
      const expires = Number(query.get('expires'));
      const sig = query.get('sig') ?? '';
      if (!Number.isInteger(expires) || expires <= 0) return 'invalid';
      const expected = Buffer.from(mac(operation, fileId, expires));
      const given = Buffer.from(sig);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'invalid';
      if (expires * 1000 < now) return 'expired';
      return null;
    },
  };
}

export type UrlSigner = ReturnType<typeof createUrlSigner>;
