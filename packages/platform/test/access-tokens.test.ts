import { generateKeyPairSync } from 'node:crypto';
import { GraphQLError } from 'graphql';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { bearerToken, createTokenIssuer, createTokenVerifier } from '../src/auth/identity.ts';

function keyPair() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

async function reasonOf(promise: Promise<unknown>): Promise<unknown> {
  const err = await promise.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(GraphQLError);
  expect((err as GraphQLError).extensions.code).toBe('UNAUTHENTICATED');
  return (err as GraphQLError).extensions.reason;
}

describe('access tokens', () => {
  const keys = keyPair();
  const viewer = { id: 'u1', role: 'PROFESSIONAL' as const, sessionId: 's1' };

  it('verifies what the issuer signed', async () => {
    const issuer = await createTokenIssuer({ privateKeyPem: keys.privateKeyPem, issuer: 'finder', ttlSeconds: 60 });
    const verifier = await createTokenVerifier({ publicKeyPem: keys.publicKeyPem, issuer: 'finder' });
    const { token, expiresAt } = await issuer.sign(viewer);
    expect(await verifier.verify(token)).toMatchObject(viewer);
    expect(expiresAt.getTime()).toBeGreaterThan(Date.now());
  });

  it('tells an expired token from a forged one', async () => {
    const verifier = await createTokenVerifier({ publicKeyPem: keys.publicKeyPem, issuer: 'finder' });
    const expired = await (await createTokenIssuer({ privateKeyPem: keys.privateKeyPem, issuer: 'finder', ttlSeconds: -60 })).sign(viewer);
    expect(await reasonOf(verifier.verify(expired.token))).toBe('TOKEN_EXPIRED');
    const forged = await (await createTokenIssuer({ privateKeyPem: keyPair().privateKeyPem, issuer: 'finder', ttlSeconds: 60 })).sign(viewer);
    expect(await reasonOf(verifier.verify(forged.token))).toBe('TOKEN_INVALID');
    const otherIssuer = await (await createTokenIssuer({ privateKeyPem: keys.privateKeyPem, issuer: 'someone-else', ttlSeconds: 60 })).sign(viewer);
    expect(await reasonOf(verifier.verify(otherIssuer.token))).toBe('TOKEN_INVALID');
    expect(await reasonOf(verifier.verify('not.a.jwt'))).toBe('TOKEN_INVALID');
  });

  describe('verified tokens remembered until they expire', () => {
    afterEach(() => vi.useRealTimers());

    it('refuses a remembered token once its login is revoked, and once it has expired', async () => {
      const revoked = new Set<string>();
      const issuer = await createTokenIssuer({ privateKeyPem: keys.privateKeyPem, issuer: 'finder', ttlSeconds: 60 });
      const verifier = await createTokenVerifier({ publicKeyPem: keys.publicKeyPem, issuer: 'finder', isRevoked: (sid) => revoked.has(sid) });
      const { token } = await issuer.sign(viewer);
      expect(await verifier.verify(token)).toMatchObject(viewer);
      expect(await verifier.verify(token)).toMatchObject(viewer);

      revoked.add(viewer.sessionId);
      expect(await reasonOf(verifier.verify(token))).toBe('TOKEN_REVOKED');
      revoked.clear();
      expect(await verifier.verify(token)).toMatchObject(viewer);

      // Past its expiry (and the verifier's 5 s tolerance) the remembered token is verified again, and refused.
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(Date.now() + 70_000);
      expect(await reasonOf(verifier.verify(token))).toBe('TOKEN_EXPIRED');
    });

    it('verifies afresh a token altered in any byte, and keeps at most cacheSize tokens', async () => {
      const issuer = await createTokenIssuer({ privateKeyPem: keys.privateKeyPem, issuer: 'finder', ttlSeconds: 60 });
      const verifier = await createTokenVerifier({ publicKeyPem: keys.publicKeyPem, issuer: 'finder', cacheSize: 1 });
      const { token } = await issuer.sign(viewer);
      await verifier.verify(token);
      const [header, payload, signature] = token.split('.');
      const elevated = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), role: 'ADMIN' })).toString('base64url');
      expect(await reasonOf(verifier.verify(`${header}.${elevated}.${signature}`))).toBe('TOKEN_INVALID');
      const flipped = signature!.slice(0, -2) + (signature!.at(-2) === 'A' ? 'B' : 'A') + signature!.at(-1);
      expect(await reasonOf(verifier.verify(`${header}.${payload}.${flipped}`))).toBe('TOKEN_INVALID');
      // A second login's token takes the only place; both still verify.
      const other = await issuer.sign({ ...viewer, id: 'u2', sessionId: 's2' });
      expect(await verifier.verify(other.token)).toMatchObject({ id: 'u2' });
      expect(await verifier.verify(token)).toMatchObject({ id: 'u1' });
    });
  });

  it('parses bearer headers strictly', () => {
    expect(bearerToken(undefined)).toBeNull();
    expect(bearerToken('Bearer abc.def-ghi_')).toBe('abc.def-ghi_');
    expect(() => bearerToken('Basic dXNlcjpwYXNz')).toThrow(/Bearer/);
  });
});
