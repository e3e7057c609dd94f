import { ConfigError, parseEnv } from '@finder/platform/config';
import { describe, expect, it } from 'vitest';
import { gatewayEnvSchema } from '../src/env.ts';

describe('gateway environment', () => {
  it('runs query plans on the compiled executor unless told otherwise', () => {
    expect(parseEnv(gatewayEnvSchema, { PORT: '4001' }).GATEWAY_EXECUTOR).toBe('compiled');
    expect(parseEnv(gatewayEnvSchema, { PORT: '4001', GATEWAY_EXECUTOR: 'apollo' }).GATEWAY_EXECUTOR).toBe('apollo');
  });

  it('merges identical subgraph queries in flight only when asked', () => {
    expect(parseEnv(gatewayEnvSchema, { PORT: '4001' }).GATEWAY_MERGE_INFLIGHT).toBe(false);
    expect(parseEnv(gatewayEnvSchema, { PORT: '4001', GATEWAY_MERGE_INFLIGHT: 'true' }).GATEWAY_MERGE_INFLIGHT).toBe(true);
    expect(() => parseEnv(gatewayEnvSchema, { PORT: '4001', GATEWAY_MERGE_INFLIGHT: 'sometimes' })).toThrow(/GATEWAY_MERGE_INFLIGHT/);
  });

  it('refuses an unknown executor, naming the variable and the choices', () => {
    let error: ConfigError | undefined;
    try {
      parseEnv(gatewayEnvSchema, { PORT: '4001', GATEWAY_EXECUTOR: 'fast' });
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.problems).toHaveLength(1);
    expect(error!.problems[0]).toMatch(/^GATEWAY_EXECUTOR: .*"compiled".*"apollo".*\(got "fast"\)$/);
  });
});
