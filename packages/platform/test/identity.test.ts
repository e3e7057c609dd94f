import { describe, expect, it } from 'vitest';
import { signIdentity, verifyIdentity, type Viewer } from '../src/auth/identity.ts';

const secret = 'a'.repeat(48);
const viewer: Viewer = { id: '0190f0c2-0000-7000-8000-000000000001', role: 'BUSINESS', sessionId: 's1' };

describe('gateway identity signature', () => {
  it('round-trips a viewer and an anonymous caller', () => {
    expect(verifyIdentity(signIdentity(viewer, secret), secret)).toEqual({ ok: true, viewer });
    expect(verifyIdentity(signIdentity(null, secret), secret)).toEqual({ ok: true, viewer: null });
  });

  it('refuses a missing, malformed, re-signed or tampered header', () => {
    expect(verifyIdentity(undefined, secret)).toEqual({ ok: false, reason: 'missing identity signature' });
    expect(verifyIdentity('garbage', secret).ok).toBe(false);
    expect(verifyIdentity(signIdentity(viewer, 'b'.repeat(48)), secret)).toEqual({ ok: false, reason: 'wrong identity signature' });
    const [, mac] = signIdentity(viewer, secret).split('.');
    const forged = Buffer.from(JSON.stringify({ v: { ...viewer, role: 'ADMIN' }, t: Date.now() })).toString('base64url');
    expect(verifyIdentity(`${forged}.${mac}`, secret)).toEqual({ ok: false, reason: 'wrong identity signature' });
  });

  it('refuses a signature older than five minutes (replay)', () => {
    const old = signIdentity(viewer, secret, Date.now() - 6 * 60_000);
    expect(verifyIdentity(old, secret)).toEqual({ ok: false, reason: 'identity signature expired' });
  });
});
