import { readFileSync } from 'node:fs';
import { stackPid } from '@finder/testing/stack';
import { describe, expect, it } from 'vitest';

/**
 * What each process of the running `./dev up` stack was started with, read from the kernel
 * (/proc/<pid>/environ): the keys and secrets it holds, and the Postgres role it connects as.
 * Only the processes that sign hold a signing key: gateways the identity private key, the users
 * server the access-token private key; persisters, the mailer and the files worker no identity or
 * token key at all.
 */
const EXPECTED: Record<string, { secrets: string[]; databaseUser: string | null }> = {
  users: { secrets: ['IDENTITY_PUBLIC_KEY_FILE', 'JWT_PRIVATE_KEY_FILE', 'USERS_TOKEN_SECRET'], databaseUser: 'users_service' },
  'users-persister': { secrets: [], databaseUser: 'users_service' },
  'users-mailer': { secrets: ['USERS_TOKEN_SECRET'], databaseUser: 'users_service' },
  chat: { secrets: ['IDENTITY_PUBLIC_KEY_FILE'], databaseUser: 'chat_service' },
  'chat-persister': { secrets: [], databaseUser: 'chat_service' },
  finder: { secrets: ['FINDER_CURSOR_SECRET', 'IDENTITY_PUBLIC_KEY_FILE'], databaseUser: 'finder_service' },
  'finder-persister': { secrets: [], databaseUser: 'finder_service' },
  files: { secrets: ['FILES_URL_SECRET', 'IDENTITY_PUBLIC_KEY_FILE'], databaseUser: 'files_service' },
  'files-persister': { secrets: [], databaseUser: 'files_service' },
  'files-worker': { secrets: [], databaseUser: 'files_service' },
  'gateway-1': { secrets: ['IDENTITY_PRIVATE_KEY_FILE', 'JWT_PUBLIC_KEY_FILE'], databaseUser: null },
  'gateway-2': { secrets: ['IDENTITY_PRIVATE_KEY_FILE', 'JWT_PUBLIC_KEY_FILE'], databaseUser: null },
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

  it('gives subgraph servers the public half of the identity key, which cannot sign', () => {
    for (const name of ['users', 'chat', 'finder', 'files']) {
      const pem = readFileSync(environOf(stackPid(name)).IDENTITY_PUBLIC_KEY_FILE!, 'utf8');
      expect(pem, name).toContain('BEGIN PUBLIC KEY');
      expect(pem, name).not.toContain('PRIVATE');
    }
  });
});
