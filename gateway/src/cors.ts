import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RouteHandler } from '@finder/platform/server';

/** What a browser page on an allowed origin may send to /graphql. */
export const CORS_ALLOWED_METHODS = 'GET, POST, OPTIONS';
export const CORS_ALLOWED_HEADERS = [
  'authorization',
  'content-type',
  'apollo-require-preflight',
  'x-apollo-operation-name',
  'apollographql-client-name',
  'apollographql-client-version',
  'x-request-id',
].join(', ');
const MAX_AGE_SECONDS = '600';

/** `scheme://host[:port]` exactly as a browser sends it in `Origin` (no path, no trailing slash). */
export function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value;
  } catch {
    return false;
  }
}

/**
 * CORS for /graphql by an allowlist of origins. An allowed origin gets its own origin echoed (never
 * `*`) and preflights answered with the methods and headers above; any other origin gets no CORS
 * header at all, so the browser keeps the response from the page. No credentials are allowed:
 * tokens travel in `Authorization`, never in cookies. Requests without `Origin` (same-origin GETs,
 * curl, servers) are untouched.
 */
export function corsRoute(allowedOrigins: readonly string[], path = '/graphql'): RouteHandler {
  const allowed = new Set(allowedOrigins);
  return (req: IncomingMessage, res: ServerResponse, url: URL) => {
    if (url.pathname !== path) return false;
    const origin = req.headers.origin;
    // Caches must not hand one origin's answer to another.
    res.setHeader('Vary', 'Origin');
    const permitted = origin !== undefined && allowed.has(origin);
    if (permitted) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Expose-Headers', 'x-request-id');
    }
    if (req.method !== 'OPTIONS') return false;
    // A preflight (or a bare OPTIONS): answered here, never by Apollo Server (which has no OPTIONS).
    if (permitted) {
      res.setHeader('Access-Control-Allow-Methods', CORS_ALLOWED_METHODS);
      res.setHeader('Access-Control-Allow-Headers', CORS_ALLOWED_HEADERS);
      res.setHeader('Access-Control-Max-Age', MAX_AGE_SECONDS);
    }
    res.setHeader('Allow', CORS_ALLOWED_METHODS);
    res.writeHead(204);
    res.end();
    return true;
  };
}
