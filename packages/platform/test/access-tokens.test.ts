import { generateKeyPairSync } from 'node:crypto';
import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
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

  it('parses bearer headers strictly', () => {
    expect(bearerToken(undefined)).toBeNull();
    expect(bearerToken('Bearer abc.def-ghi_')).toBe('abc.def-ghi_');
    expect(() => bearerToken('Basic dXNlcjpwYXNz')).toThrow(/Bearer/);
  });
});
