import { readFileSync } from 'node:fs';
import { stackEnv, stackPid } from '@finder/testing/stack';
import { subgraphIdentitySecret } from '../src/auth/identity.ts';
import { describe, expect, it } from 'vitest';

/**
 * What each process of the running `./dev up` stack was started with, read from the kernel
 * (/proc/<pid>/environ): the keys and secrets it holds, and the Postgres role it connects as.
 * Only the processes that sign hold a signing key: gateways the identity secret, each subgraph
 * server only its own identity key, the users server the access-token private key; persisters,
 * the mailer and the files worker no identity or token key at all.
 */
const EXPECTED: Record<string, { secrets: string[]; databaseUser: string | null }> = {
  users: { secrets: ['JWT_PRIVATE_KEY_FILE', 'SUBGRAPH_IDENTITY_SECRET', 'USERS_TOKEN_SECRET'], databaseUser: 'users_service' },
  'users-persister': { secrets: [], databaseUser: 'users_service' },
  'users-mailer': { secrets: ['USERS_TOKEN_SECRET'], databaseUser: 'users_service' },
  chat: { secrets: ['SUBGRAPH_IDENTITY_SECRET'], databaseUser: 'chat_service' },
  'chat-persister': { secrets: [], databaseUser: 'chat_service' },
  finder: { secrets: ['FINDER_CURSOR_SECRET', 'SUBGRAPH_IDENTITY_SECRET'], databaseUser: 'finder_service' },
  'finder-persister': { secrets: [], databaseUser: 'finder_service' },
  files: { secrets: ['FILES_URL_SECRET', 'SUBGRAPH_IDENTITY_SECRET'], databaseUser: 'files_service' },
  'files-persister': { secrets: [], databaseUser: 'files_service' },
  'files-worker': { secrets: [], databaseUser: 'files_service' },
  'gateway-1': { secrets: ['IDENTITY_SECRET', 'JWT_PUBLIC_KEY_FILE'], databaseUser: null },
  'gateway-2': { secrets: ['IDENTITY_SECRET', 'JWT_PUBLIC_KEY_FILE'], databaseUser: null },
};

/** A variable that names or carries a key, a secret, a password or a token. */
const SECRET_BEARING = /_(KEY|KEY_FILE|SECRET|PASSWORD|TOKEN)$/;

function environOf(pid: number): Record<string, string> {
  const entries = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean);
  return Object.fromEntries(entries.map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]));
}

describe('each process of the stack holds only its own secrets', () => {
  for (const [name, expected] of Object.entries(EXPECTED)) {
    it(`${name}: ${expected.secrets.join(', ') || 'no key or secret'}; Postgres as ${expected.databaseUser ?? 'nobody'}`, () => {
      const env = environOf(stackPid(name));
      expect(Object.keys(env).filter((key) => SECRET_BEARING.test(key)).sort()).toEqual(expected.secrets);
      expect(env.DATABASE_URL ? decodeURIComponent(new URL(env.DATABASE_URL).username) : null).toBe(expected.databaseUser);
      // No private key, inline or by file, except the ones listed above.
      for (const [key, value] of Object.entries(env)) {
        if (expected.secrets.includes(key)) continue;
        expect(value, key).not.toMatch(/PRIVATE KEY|-private\.pem/);
      }
    });
  }

  it("gives each subgraph server only its own identity key, derived from the gateways' secret", () => {
    const { IDENTITY_SECRET } = stackEnv();
    const keys = ['users', 'chat', 'finder', 'files'].map((name) => {
      const key = environOf(stackPid(name)).SUBGRAPH_IDENTITY_SECRET!;
      expect(key, name).toBe(subgraphIdentitySecret(IDENTITY_SECRET!, name));
      return key;
    });
    expect(new Set(keys).size).toBe(4);
    expect(keys).not.toContain(IDENTITY_SECRET);
  });
});
