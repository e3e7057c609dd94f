import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomSecret } from '@finder/testing/keys';
import { ROOT_DIR } from '@finder/testing/stack';
import { describe, expect, it } from 'vitest';
import { IDENTITY_WINDOW_MS, signIdentity, signIdentityWithKey, subgraphIdentitySecret, verifyIdentity, type IdentityScope, type Viewer } from '../src/auth/identity.ts';

const identitySecret = randomSecret();
const usersKey = subgraphIdentitySecret(identitySecret, 'users');
const viewer: Viewer = { id: '0190f0c2-0000-7000-8000-000000000001', role: 'BUSINESS', sessionId: 's1' };
const scope: IdentityScope = { audience: 'users', method: 'POST', body: '{"query":"{ me { id } }"}' };

describe('gateway identity signature', () => {
  it('round-trips a viewer and an anonymous caller', () => {
    expect(verifyIdentity(signIdentity(viewer, identitySecret, scope), usersKey, scope)).toEqual({ ok: true, viewer });
    expect(verifyIdentity(signIdentity(null, identitySecret, scope), usersKey, scope)).toEqual({ ok: true, viewer: null });
    const bytes = { ...scope, body: Buffer.from(scope.body as string) };
    expect(verifyIdentity(signIdentity(viewer, identitySecret, scope), usersKey, bytes)).toEqual({ ok: true, viewer });
  });

  it('derives one key per subgraph, 43 characters of base64url, the same as ./dev derives with openssl', () => {
    const keysDir = mkdtempSync(join(tmpdir(), 'identity-'));
    writeFileSync(join(keysDir, 'identity.secret'), identitySecret);
    for (const name of ['users', 'chat']) {
      const script = `source scripts/dev/stack-env.sh && KEYS_DIR=${keysDir} subgraph_identity_secret ${name}`;
      expect(execFileSync('bash', ['-c', script], { cwd: ROOT_DIR, encoding: 'utf8' })).toBe(subgraphIdentitySecret(identitySecret, name));
    }
    const keys = ['users', 'chat', 'finder', 'files'].map((name) => subgraphIdentitySecret(identitySecret, name));
    expect(new Set(keys).size).toBe(4);
    for (const key of keys) expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('refuses a missing, malformed, re-signed or tampered header', () => {
    expect(verifyIdentity(undefined, usersKey, scope)).toEqual({ ok: false, reason: 'missing identity signature' });
    expect(verifyIdentity('garbage', usersKey, scope).ok).toBe(false);
    expect(verifyIdentity(signIdentity(viewer, randomSecret(), scope), usersKey, scope)).toEqual({ ok: false, reason: 'wrong identity signature' });
    const [, mac] = signIdentity(viewer, identitySecret, scope).split('.');
    const forged = Buffer.from(JSON.stringify({ v: { ...viewer, role: 'ADMIN' }, t: Date.now() })).toString('base64url');
    expect(verifyIdentity(`${forged}.${mac}`, usersKey, scope)).toEqual({ ok: false, reason: 'wrong identity signature' });
  });

  it("a subgraph's key signs for that subgraph only: what chat holds speaks for nobody to users", () => {
    const chatKey = subgraphIdentitySecret(identitySecret, 'chat');
    expect(verifyIdentity(signIdentityWithKey(viewer, chatKey, scope), usersKey, scope)).toEqual({ ok: false, reason: 'wrong identity signature' });
    expect(verifyIdentity(signIdentityWithKey(viewer, usersKey, scope), usersKey, scope)).toEqual({ ok: true, viewer });
    expect(() => signIdentity(viewer, 'a'.repeat(31), scope)).toThrow(/at least 32 characters/);
  });

  it('refuses a captured signature replayed to another subgraph, with another method or another body', () => {
    const captured = signIdentity(viewer, identitySecret, scope);
    // Another subgraph's key does not match it at all; with the same key (a misconfigured subgraph), the audience still differs.
    expect(verifyIdentity(captured, subgraphIdentitySecret(identitySecret, 'chat'), { ...scope, audience: 'chat' })).toEqual({ ok: false, reason: 'wrong identity signature' });
    expect(verifyIdentity(captured, usersKey, { ...scope, audience: 'chat' })).toEqual({ ok: false, reason: 'identity signature is for another subgraph' });
    expect(verifyIdentity(captured, usersKey, { ...scope, method: 'GET' })).toEqual({ ok: false, reason: 'identity signature is for another method' });
    const otherBody = { ...scope, body: '{"query":"mutation { deleteAccount }"}' };
    expect(verifyIdentity(captured, usersKey, otherBody)).toEqual({ ok: false, reason: 'identity signature is for another body' });
  });

  it('refuses a signature from outside the 30 s window (replay)', () => {
    expect(IDENTITY_WINDOW_MS).toBe(30_000);
    const now = Date.now();
    expect(verifyIdentity(signIdentity(viewer, identitySecret, scope, now - 25_000), usersKey, scope, now).ok).toBe(true);
    expect(verifyIdentity(signIdentity(viewer, identitySecret, scope, now - 31_000), usersKey, scope, now)).toEqual({ ok: false, reason: 'identity signature expired' });
    expect(verifyIdentity(signIdentity(viewer, identitySecret, scope, now + 31_000), usersKey, scope, now)).toEqual({ ok: false, reason: 'identity signature expired' });
  });
});
