import { ed25519KeyPair as keyPair } from '@finder/testing/keys';
import { describe, expect, it } from 'vitest';
import { IDENTITY_WINDOW_MS, signIdentity, verifyIdentity, type IdentityScope, type Viewer } from '../src/auth/identity.ts';

const { privateKey, publicKey } = keyPair();
const other = keyPair();
const viewer: Viewer = { id: '0190f0c2-0000-7000-8000-000000000001', role: 'BUSINESS', sessionId: 's1' };
const scope: IdentityScope = { audience: 'users', method: 'POST', body: '{"query":"{ me { id } }"}' };

describe('gateway identity signature', () => {
  it('round-trips a viewer and an anonymous caller', () => {
    expect(verifyIdentity(signIdentity(viewer, privateKey, scope), publicKey, scope)).toEqual({ ok: true, viewer });
    expect(verifyIdentity(signIdentity(null, privateKey, scope), publicKey, scope)).toEqual({ ok: true, viewer: null });
    const bytes = { ...scope, body: Buffer.from(scope.body as string) };
    expect(verifyIdentity(signIdentity(viewer, privateKey, scope), publicKey, bytes)).toEqual({ ok: true, viewer });
  });

  it('refuses a missing, malformed, re-signed or tampered header', () => {
    expect(verifyIdentity(undefined, publicKey, scope)).toEqual({ ok: false, reason: 'missing identity signature' });
    expect(verifyIdentity('garbage', publicKey, scope).ok).toBe(false);
    expect(verifyIdentity(signIdentity(viewer, other.privateKey, scope), publicKey, scope)).toEqual({ ok: false, reason: 'wrong identity signature' });
    const [, mac] = signIdentity(viewer, privateKey, scope).split('.');
    const forged = Buffer.from(JSON.stringify({ v: { ...viewer, role: 'ADMIN' }, t: Date.now() })).toString('base64url');
    expect(verifyIdentity(`${forged}.${mac}`, publicKey, scope)).toEqual({ ok: false, reason: 'wrong identity signature' });
  });

  it('needs the private key to sign: what a subgraph holds (the public key) signs nothing', () => {
    expect(() => signIdentity(viewer, publicKey, scope)).toThrow();
    expect(() => signIdentity(viewer, 'a'.repeat(48), scope)).toThrow();
  });

  it('refuses a captured signature replayed to another subgraph, with another method or another body', () => {
    const captured = signIdentity(viewer, privateKey, scope);
    expect(verifyIdentity(captured, publicKey, { ...scope, audience: 'chat' })).toEqual({ ok: false, reason: 'identity signature is for another subgraph' });
    expect(verifyIdentity(captured, publicKey, { ...scope, method: 'GET' })).toEqual({ ok: false, reason: 'identity signature is for another method' });
    const otherBody = { ...scope, body: '{"query":"mutation { deleteAccount }"}' };
    expect(verifyIdentity(captured, publicKey, otherBody)).toEqual({ ok: false, reason: 'identity signature is for another body' });
  });

  it('refuses a signature from outside the 30 s window (replay)', () => {
    expect(IDENTITY_WINDOW_MS).toBe(30_000);
    const now = Date.now();
    expect(verifyIdentity(signIdentity(viewer, privateKey, scope, now - 25_000), publicKey, scope, now).ok).toBe(true);
    expect(verifyIdentity(signIdentity(viewer, privateKey, scope, now - 31_000), publicKey, scope, now)).toEqual({ ok: false, reason: 'identity signature expired' });
    expect(verifyIdentity(signIdentity(viewer, privateKey, scope, now + 31_000), publicKey, scope, now)).toEqual({ ok: false, reason: 'identity signature expired' });
  });
});
