/**
 * Fuzzing through nginx: `npm run fuzz -- [--requests N] [--seed N]` against the running stack
 * (`./dev up`). Generated documents from the API schema, mutated variables, broken bodies, odd
 * headers, malformed HTTP and out-of-order graphql-ws frames; exits 1 on any 5xx but documented
 * overload, any restarted process or any changed row, printing what to replay.
 */
import { stackEnv } from '@finder/testing/stack';
import { fuzzPassed, renderFuzzReport, runFuzz } from './fuzz/run-fuzz.ts';

const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const at = args.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const value = Number(args[at + 1]);
  if (!Number.isInteger(value) || value < 1) {
    console.error(`--${name} needs a positive integer, got '${args[at + 1] ?? ''}'`);
    process.exit(2);
  }
  return value;
};
const unknown = args.filter((a, i) => a.startsWith('--') && !['--requests', '--seed'].includes(a) && !['--requests', '--seed'].includes(args[i - 1]!));
if (unknown.length) {
  console.error(`usage: npm run fuzz -- [--requests N] [--seed N]   (unknown: ${unknown.join(' ')})`);
  process.exit(2);
}

const report = await runFuzz(stackEnv(), {
  requests: option('requests', 10_000),
  seed: option('seed', Date.now() % 1_000_000),
  log: (line) => console.log(line),
});
console.log(renderFuzzReport(report));
process.exit(fuzzPassed(report) ? 0 : 1);
