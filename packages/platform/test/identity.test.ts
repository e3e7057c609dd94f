import { describe, expect, it } from 'vitest';
import { IDENTITY_WINDOW_MS, signIdentity, verifyIdentity, type IdentityScope, type Viewer } from '../src/auth/identity.ts';

const secret = 'a'.repeat(48);
const viewer: Viewer = { id: '0190f0c2-0000-7000-8000-000000000001', role: 'BUSINESS', sessionId: 's1' };
const scope: IdentityScope = { audience: 'users', method: 'POST', body: '{"query":"{ me { id } }"}' };

describe('gateway identity signature', () => {
  it('round-trips a viewer and an anonymous caller', () => {
    expect(verifyIdentity(signIdentity(viewer, secret, scope), secret, scope)).toEqual({ ok: true, viewer });
    expect(verifyIdentity(signIdentity(null, secret, scope), secret, scope)).toEqual({ ok: true, viewer: null });
    const bytes = { ...scope, body: Buffer.from(scope.body as string) };
    expect(verifyIdentity(signIdentity(viewer, secret, scope), secret, bytes)).toEqual({ ok: true, viewer });
  });

  it('refuses a missing, malformed, re-signed or tampered header', () => {
    expect(verifyIdentity(undefined, secret, scope)).toEqual({ ok: false, reason: 'missing identity signature' });
    expect(verifyIdentity('garbage', secret, scope).ok).toBe(false);
    expect(verifyIdentity(signIdentity(viewer, 'b'.repeat(48), scope), secret, scope)).toEqual({ ok: false, reason: 'wrong identity signature' });
    const [, mac] = signIdentity(viewer, secret, scope).split('.');
    const forged = Buffer.from(JSON.stringify({ v: { ...viewer, role: 'ADMIN' }, t: Date.now() })).toString('base64url');
    expect(verifyIdentity(`${forged}.${mac}`, secret, scope)).toEqual({ ok: false, reason: 'wrong identity signature' });
  });

  it('refuses a captured signature replayed to another subgraph, with another method or another body', () => {
    const captured = signIdentity(viewer, secret, scope);
    expect(verifyIdentity(captured, secret, { ...scope, audience: 'chat' })).toEqual({ ok: false, reason: 'identity signature is for another subgraph' });
    expect(verifyIdentity(captured, secret, { ...scope, method: 'GET' })).toEqual({ ok: false, reason: 'identity signature is for another method' });
    const otherBody = { ...scope, body: '{"query":"mutation { deleteAccount }"}' };
    expect(verifyIdentity(captured, secret, otherBody)).toEqual({ ok: false, reason: 'identity signature is for another body' });
  });

  it('refuses a signature from outside the 30 s window (replay)', () => {
    expect(IDENTITY_WINDOW_MS).toBe(30_000);
    const now = Date.now();
    expect(verifyIdentity(signIdentity(viewer, secret, scope, now - 25_000), secret, scope, now).ok).toBe(true);
    expect(verifyIdentity(signIdentity(viewer, secret, scope, now - 31_000), secret, scope, now)).toEqual({ ok: false, reason: 'identity signature expired' });
    expect(verifyIdentity(signIdentity(viewer, secret, scope, now + 31_000), secret, scope, now)).toEqual({ ok: false, reason: 'identity signature expired' });
  });
});
