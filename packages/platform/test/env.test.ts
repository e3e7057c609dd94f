import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ed25519KeyPair } from '@finder/testing/keys';
import { describe, expect, it } from 'vitest';
import { ConfigError, baseEnv, databaseEnv, kafkaEnv, parseEnv, parseSecrets } from '../src/config/env.ts';

const schema = baseEnv.extend(databaseEnv.shape).extend(kafkaEnv.shape);

describe('environment validation', () => {
  it('lists every bad variable at once, by name', () => {
    let error: ConfigError | undefined;
    try {
      parseEnv(schema, { PORT: 'eighty', DATABASE_URL: 'mysql://x', KAFKA_IDEMPOTENT: 'maybe' });
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const names = error!.problems.map((p) => p.split(':')[0]);
    expect(names).toEqual(expect.arrayContaining(['PORT', 'DATABASE_URL', 'KAFKA_BROKERS', 'KAFKA_IDEMPOTENT']));
    expect(error!.message).toContain('PORT');
  });

  it('applies defaults and parses lists and booleans', () => {
    const env = parseEnv(schema, { PORT: '4000', DATABASE_URL: 'postgres://h/db', KAFKA_BROKERS: 'a:1, b:2', KAFKA_IDEMPOTENT: 'true' });
    expect(env.KAFKA_BROKERS).toEqual(['a:1', 'b:2']);
    expect(env.KAFKA_IDEMPOTENT).toBe(true);
    expect(env.NODE_ENV).toBe('development');
    expect(env.DATABASE_REPLICA_URLS).toEqual([]);
    expect([env.KAFKA_PERSISTER_FETCH_WAIT_MS, env.KAFKA_CONSUMER_FETCH_WAIT_MS]).toEqual([1000, 3000]);
  });

  it('takes fetch waits in whole milliseconds, and names a bad one', () => {
    const base = { PORT: '4000', DATABASE_URL: 'postgres://h/db', KAFKA_BROKERS: 'a:1' };
    expect(parseEnv(schema, { ...base, KAFKA_CONSUMER_FETCH_WAIT_MS: '2000' }).KAFKA_CONSUMER_FETCH_WAIT_MS).toBe(2000);
    expect(() => parseEnv(schema, { ...base, KAFKA_PERSISTER_FETCH_WAIT_MS: '0' })).toThrow(/KAFKA_PERSISTER_FETCH_WAIT_MS: .*\(got "0"\)/);
  });
});

describe('secrets in production', () => {
  const base = { PORT: '4000', DATABASE_URL: 'postgres://h/db', KAFKA_BROKERS: 'a:1' };
  const problemsOf = (extra: Record<string, string>) => {
    try {
      parseEnv(schema, { ...base, ...extra });
      return [];
    } catch (e) {
      return (e as ConfigError).problems;
    }
  };

  it('refuses placeholder, short and low-entropy secrets, naming each variable', () => {
    const problems = problemsOf({
      NODE_ENV: 'production',
      FINDER_CURSOR_SECRET: 'compose-only-cursor-secret-replace-me-0123456789',
      USERS_TOKEN_SECRET: 'short',
      FILES_URL_SECRET: 'abababababababababababababababababab',
    });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(['FILES_URL_SECRET', 'FINDER_CURSOR_SECRET', 'USERS_TOKEN_SECRET']);
    expect(problems.join('\n')).not.toContain('replace-me');
  });

  it('accepts random secrets in production and anything outside it', () => {
    expect(problemsOf({ NODE_ENV: 'production', FINDER_CURSOR_SECRET: 'q8Vd0c3YJx1mRZ4pT7sLwK2nHf5bE9aGuC6yN-_oPiM' })).toEqual([]);
    expect(problemsOf({ NODE_ENV: 'development', FINDER_CURSOR_SECRET: 'compose-only-cursor-secret-replace-me-0123456789' })).toEqual([]);
  });
});

describe('secrets a role loads', () => {
  const problemsOf = (names: string[], source: Record<string, string>) => {
    try {
      parseSecrets(names, source);
      return [];
    } catch (e) {
      return (e as ConfigError).problems;
    }
  };

  it('requires each one, naming every missing or short one', () => {
    const problems = problemsOf(['JWT_PUBLIC_KEY', 'USERS_TOKEN_SECRET', 'FILES_URL_SECRET'], { FILES_URL_SECRET: 'short' });
    expect(problems.map((p) => p.split(':')[0])).toEqual(['JWT_PUBLIC_KEY', 'USERS_TOKEN_SECRET', 'FILES_URL_SECRET']);
    expect(problems[0]).toContain('JWT_PUBLIC_KEY_FILE');
  });

  it('reads a key inline (\\n escapes allowed) or from its *_FILE, and refuses placeholders in production', () => {
    const { publicKey } = ed25519KeyPair();
    const file = join(mkdtempSync(join(tmpdir(), 'secrets-')), 'jwt-public.pem');
    writeFileSync(file, publicKey);
    expect(parseSecrets(['JWT_PUBLIC_KEY'], { JWT_PUBLIC_KEY_FILE: file }).JWT_PUBLIC_KEY).toBe(publicKey);
    expect(parseSecrets(['JWT_PUBLIC_KEY'], { JWT_PUBLIC_KEY: publicKey.replace(/\n/g, '\\n') }).JWT_PUBLIC_KEY).toBe(publicKey);
    const placeholder = { NODE_ENV: 'production', USERS_TOKEN_SECRET: 'compose-only-token-secret-replace-me-0123456789' };
    expect(problemsOf(['USERS_TOKEN_SECRET'], placeholder).map((p) => p.split(':')[0])).toEqual(['USERS_TOKEN_SECRET']);
    expect(problemsOf(['USERS_TOKEN_SECRET'], { ...placeholder, NODE_ENV: 'development' })).toEqual([]);
  });
});
