import { stackEnv } from '@finder/testing/stack';
import { expect, it } from 'vitest';
import { renderFuzzReport, runFuzz } from '../fuzz/run-fuzz.ts';

/**
 * 10,000 generated requests through nginx (the bar; about a minute here), from a seed
 * printed in the report so that a failure can be replayed with `npm run fuzz -- --seed N`.
 */
it('fuzz: no 5xx but documented overload, no restart, no row changed', async () => {
  const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);
  const report = await runFuzz(stackEnv(), { requests: Number(process.env.FUZZ_REQUESTS ?? 10_000), seed });
  console.log(renderFuzzReport(report));
  expect(report.requests).toBeGreaterThanOrEqual(10_000);
  // The fuzz reached the resolvers' refusals and the parser's, not only nginx's.
  expect(report.outcomes['200'] ?? 0).toBeGreaterThan(100);
  expect(report.outcomes['400'] ?? 0).toBeGreaterThan(100);
  expect(report.violations).toEqual([]);
  expect(report.restarted).toEqual([]);
  expect(report.notReady).toEqual([]);
  expect(report.changedTables).toEqual([]);
}, 900_000);
