import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Apollo's packages load graphql through require(); tests must use that same copy, not the ESM one.
const graphqlCjs = createRequire(import.meta.url).resolve('graphql');

const suites = [
  'packages/*/test/**/*.test.ts',
  'gateway/test/**/*.test.ts',
  'subgraphs/*/test/**/*.test.ts',
  'web/test/**/*.test.ts',
  'explorer/test/**/*.test.ts',
  'examples/test/**/*.test.ts',
  'infra/test/**/*.test.ts',
  'scripts/test/**/*.test.ts',
  'deploy/**/test/**/*.test.ts',
];
/** Tests that kill shared services or load the machine: run after the others, one at a time. */
const drills = ['**/*.drill.test.ts', 'bench/test/**/*.test.ts'];

// The SDK is tested from its sources (its package.json points them to a custom condition).
const clientSource = (entry: string) => fileURLToPath(new URL(`./packages/client/src/${entry}`, import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^graphql$/, replacement: graphqlCjs },
      { find: /^@finder\/client$/, replacement: clientSource('index.ts') },
      { find: /^@finder\/client\/operations$/, replacement: clientSource('operations.ts') },
    ],
  },
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two cores: end-to-end files share the one running stack, two at a time.
    maxWorkers: 2,
    reporters: ['default'],
    // kafkajs on Node 24 warns about a negative timeout it clamps itself; nothing to act on.
    execArgv: ['--disable-warning=TimeoutNegativeWarning'],
    projects: [
      { extends: true, test: { name: 'suites', include: suites, exclude: [...drills, '**/node_modules/**'], sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'drills', include: drills, exclude: ['**/node_modules/**'], fileParallelism: false, sequence: { groupOrder: 1 } } },
    ],
  },
});
