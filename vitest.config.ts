import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'gateway/test/**/*.test.ts', 'subgraphs/*/test/**/*.test.ts', 'bench/test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two cores: end-to-end files share the one running stack, two at a time.
    maxWorkers: 2,
    reporters: ['default'],
    // kafkajs on Node 24 warns about a negative timeout it clamps itself; nothing to act on.
    execArgv: ['--disable-warning=TimeoutNegativeWarning'],
  },
});
