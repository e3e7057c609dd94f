import { ConfigError, parseEnv } from '@finder/platform/config';
import { describe, expect, it } from 'vitest';
import { usersEnvSchema } from '../src/env.ts';

const minimal = { PORT: '4101', DATABASE_URL: 'postgres://users_service@127.0.0.1:5432/finder', REDIS_URL: 'redis://127.0.0.1:6379', KAFKA_BROKERS: '127.0.0.1:9092' };

describe('users environment', () => {
  it('registers directly in development and by email in production, unless told otherwise', () => {
    expect(parseEnv(usersEnvSchema, minimal).REGISTRATION).toBe('direct');
    expect(parseEnv(usersEnvSchema, { ...minimal, NODE_ENV: 'production' }).REGISTRATION).toBe('email');
    expect(parseEnv(usersEnvSchema, { ...minimal, REGISTRATION: 'email' }).REGISTRATION).toBe('email');
    expect(parseEnv(usersEnvSchema, { ...minimal, NODE_ENV: 'production', REGISTRATION: 'direct' }).REGISTRATION).toBe('direct');
  });

  it('refuses an unknown registration mode, naming the variable and the choices', () => {
    let error: ConfigError | undefined;
    try {
      parseEnv(usersEnvSchema, { ...minimal, REGISTRATION: 'open' });
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.problems).toEqual(['REGISTRATION: must be "direct" or "email" (got "open")']);
  });
});
