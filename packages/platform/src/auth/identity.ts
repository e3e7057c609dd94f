import { createHmac, hash, hkdfSync, timingSafeEqual } from 'node:crypto';
import { SignJWT, errors as joseErrors, importPKCS8, importSPKI, jwtVerify, type CryptoKey } from 'jose';
import { z } from 'zod';
import { unauthenticated } from '../config/errors.ts';

export const ROLES = ['BUSINESS', 'PROFESSIONAL', 'ADMIN'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling: verified at the gateway, trusted by subgraphs only through the identity signature. */
export interface Viewer {
  id: string;
  role: Role;
  /** The login the access token belongs to (its `sid` claim: the refresh-token family), which revocations name. */
  sessionId: string;
  /** When the access token that proved this identity expires (ms since epoch). */
  expiresAt?: number;
}

export const ACCESS_TOKEN_ALG = 'EdDSA';

export interface TokenIssuer {
  sign(viewer: Viewer): Promise<{ token: string; expiresAt: Date }>;
}

export async function createTokenIssuer(opts: { privateKeyPem: string; issuer: string; ttlSeconds: number }): Promise<TokenIssuer> {
  const key = await importPKCS8(opts.privateKeyPem, ACCESS_TOKEN_ALG);
  return {
    async sign(viewer) {
      const now = Math.floor(Date.now() / 1000);
      const exp = now + opts.ttlSeconds;
      const token = await new SignJWT({ role: viewer.role, sid: viewer.sessionId })
        .setProtectedHeader({ alg: ACCESS_TOKEN_ALG, typ: 'JWT' })
        .setSubject(viewer.id)
        .setIssuer(opts.issuer)
        .setAudience(opts.issuer)
        .setIssuedAt(now)
        .setExpirationTime(exp)
        .sign(key);
      return { token, expiresAt: new Date(exp * 1000) };
    },
  };
}

const claimsSchema = z.object({ sub: z.string().min(1), role: z.enum(ROLES), sid: z.string().min(1) });

export interface TokenVerifier {
  /** Returns the viewer, or throws UNAUTHENTICATED saying whether the token expired or is invalid. */
  verify(token: string): Promise<Viewer>;
}

/**
 * Verifies access tokens, remembering the ones it verified (at most `cacheSize`, least recently
 * used dropped first) until they expire: a client sends the same token with every request for its
 * lifetime, and the Ed25519 verification was the largest single cost of a small query at the
 * gateway (about 14% of its CPU in a profile of the `tiny` bench shape). The cache is keyed by the
 * whole token, so a token altered in any byte is verified afresh; revocation is checked on every
 * call, cached or not; a token past its expiry is verified again, which refuses it.
 */
export async function createTokenVerifier(opts: {
  publicKeyPem: string;
  issuer: string;
  /** Whether the token's login has ended (revocations.ts): its tokens are refused before they expire. */
  isRevoked?: (sessionId: string) => boolean;
  /** Verified tokens remembered (10,000 by default; 0: none). */
  cacheSize?: number;
}): Promise<TokenVerifier> {
  const key: CryptoKey = await importSPKI(opts.publicKeyPem, ACCESS_TOKEN_ALG);
  const cacheSize = opts.cacheSize ?? 10_000;
  const verified = new Map<string, Viewer & { expiresAt: number }>();
  const remembered = (token: string): Viewer | undefined => {
    const viewer = verified.get(token);
    if (!viewer) return undefined;
    verified.delete(token);
    if (viewer.expiresAt <= Date.now()) return undefined;
    verified.set(token, viewer);
    return viewer;
  };
  const remember = (token: string, viewer: Viewer) => {
    if (cacheSize === 0 || viewer.expiresAt === undefined) return;
    if (verified.size >= cacheSize) verified.delete(verified.keys().next().value!);
    verified.set(token, { ...viewer, expiresAt: viewer.expiresAt });
  };
  async function verifyAfresh(token: string): Promise<Viewer> {
    try {
      const { payload } = await jwtVerify(token, key, {
        issuer: opts.issuer,
        audience: opts.issuer,
        algorithms: [ACCESS_TOKEN_ALG],
        clockTolerance: 5,
      });
      const claims = claimsSchema.parse(payload);
      const viewer: Viewer = { id: claims.sub, role: claims.role, sessionId: claims.sid, ...(payload.exp ? { expiresAt: payload.exp * 1000 } : {}) };
      remember(token, viewer);
      return viewer;
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw unauthenticated('Access token expired', 'TOKEN_EXPIRED');
      throw unauthenticated('Access token is invalid', 'TOKEN_INVALID');
    }
  }
  return {
    async verify(token) {
      const viewer = remembered(token) ?? (await verifyAfresh(token));
      if (opts.isRevoked?.(viewer.sessionId)) {
        throw unauthenticated('Access token was revoked: its login ended (sign-out, password reset or a reused refresh token)', 'TOKEN_REVOKED');
      }
      return viewer;
    },
  };
}

/** Extracts a bearer token; a malformed header is an error, not an anonymous request. */
export function bearerToken(header: string | undefined | null): string | null {
  if (!header) return null;
  const match = /^Bearer\s+([A-Za-z0-9._~+/-]+=*)$/.exec(header.trim());
  if (!match) throw unauthenticated('Authorization header must be "Bearer <token>"', 'TOKEN_INVALID');
  return match[1]!;
}

// ---- gateway → subgraph identity --------------------------------------------------------------

export const IDENTITY_HEADER = 'x-finder-identity';
/**
 * How far a signature's time may be from the verifier's clock, either way. Short, because a
 * signature is made for one request just before it is sent; it only has to absorb clock skew
 * between gateway and subgraph hosts and the time a request waits in a socket.
 */
export const IDENTITY_WINDOW_MS = 30_000;

/**
 * What one signature is good for: the subgraph it was made for (`audience`, the subgraph's name
 * in the supergraph), the method (`POST` for HTTP; `WS-CONNECT` / `WS-SUBSCRIBE` for graphql-ws
 * messages) and the exact body bytes (only their SHA-256 digest is signed). A header captured from
 * one request is worthless for another subgraph, another method or another body.
 */
export interface IdentityScope {
  audience: string;
  method: string;
  body: string | Uint8Array | undefined;
}

interface IdentityClaims {
  v: Viewer | null;
  t: number;
  aud: string;
  m: string;
  d: string;
}

/** One-shot `hash` costs about a third of a createHash object's update and digest. */
export const bodyDigest = (body: string | Uint8Array | undefined): string => hash('sha256', body ?? '', 'base64url');

/**
 * The identity signature is an HMAC-SHA256 under a key of the subgraph it is made for. Gateways hold
 * the root secret (`IDENTITY_SECRET`) and derive each subgraph's key from it by name (HKDF); a
 * subgraph server holds only its own key (`SUBGRAPH_IDENTITY_SECRET`), so a compromised subgraph
 * (or its leaked environment) can speak for users to itself at most, never to the others. An
 * HMAC costs ~4 µs here where the Ed25519 signature it replaced cost ~65 µs to make and ~135 µs
 * to verify, once per subgraph request: a fifth of the chat server's CPU at 400 messages/s.
 */
const IDENTITY_KEY_SALT = 'finder-realtime identity v1';

/** The key of one subgraph: what its `SUBGRAPH_IDENTITY_SECRET` must be (43 characters of base64url). */
export function subgraphIdentitySecret(identitySecret: string, audience: string): string {
  return Buffer.from(hkdfSync('sha256', identitySecret, IDENTITY_KEY_SALT, audience, 32)).toString('base64url');
}

const derivedKeys = new Map<string, string>();
function keyFor(identitySecret: string, audience: string): string {
  const cacheKey = `${audience}\u0000${identitySecret}`;
  let key = derivedKeys.get(cacheKey);
  if (key === undefined) {
    if (identitySecret.length < 32) throw new Error('the identity secret must be at least 32 characters');
    key = subgraphIdentitySecret(identitySecret, audience);
    derivedKeys.set(cacheKey, key);
  }
  return key;
}

const mac = (key: string, payload: string): string => createHmac('sha256', key).update(payload).digest('base64url');

/**
 * Signs who the gateway verified the caller to be (or that the caller is anonymous), for one
 * request, with the key of the subgraph it goes to. Subgraphs refuse anything without a valid
 * signature, so calling a subgraph directly grants nothing.
 */
export function signIdentity(viewer: Viewer | null, identitySecret: string, scope: IdentityScope, now: number = Date.now()): string {
  return signIdentityWithKey(viewer, keyFor(identitySecret, scope.audience), scope, now);
}

/** {@link signIdentity} with a subgraph's key itself: all that the holder of one subgraph's key can make. */
export function signIdentityWithKey(viewer: Viewer | null, subgraphSecret: string, scope: IdentityScope, now: number = Date.now()): string {
  const claims: IdentityClaims = { v: viewer, t: now, aud: scope.audience, m: scope.method.toUpperCase(), d: bodyDigest(scope.body) };
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${payload}.${mac(subgraphSecret, payload)}`;
}

export type IdentityResult = { ok: true; viewer: Viewer | null } | { ok: false; reason: string };

export function verifyIdentity(
  header: string | undefined | null,
  /** This subgraph's own key (subgraphIdentitySecret of the gateways' secret and its name). */
  subgraphSecret: string,
  scope: IdentityScope,
  now: number = Date.now(),
): IdentityResult {
  if (!header) return { ok: false, reason: 'missing identity signature' };
  const [payload, signature, extra] = header.split('.');
  if (!payload || !signature || extra !== undefined) return { ok: false, reason: 'malformed identity signature' };
  if (!digestsEqual(signature, mac(subgraphSecret, payload))) {
    return { ok: false, reason: 'wrong identity signature' };
  }
  let parsed: Partial<IdentityClaims>;
  try {
    parsed = JSON.parse(Buffer.from(payload, 'base64url').toString());
  } catch {
    return { ok: false, reason: 'malformed identity signature' };
  }
  if (typeof parsed.t !== 'number' || Math.abs(now - parsed.t) > IDENTITY_WINDOW_MS) {
    return { ok: false, reason: 'identity signature expired' };
  }
  if (parsed.aud !== scope.audience) return { ok: false, reason: 'identity signature is for another subgraph' };
  if (parsed.m !== scope.method.toUpperCase()) return { ok: false, reason: 'identity signature is for another method' };
  if (typeof parsed.d !== 'string' || !digestsEqual(parsed.d, bodyDigest(scope.body))) {
    return { ok: false, reason: 'identity signature is for another body' };
  }
  return { ok: true, viewer: parsed.v ?? null };
}

function digestsEqual(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}
