/**
 * Benchmark harness: `npm run bench -- <suite> [--quick]`. Runs the suite, prints its tables and
 * appends them, with the environment and the command line, to bench/RESULTS.md (or to the file in
 * BENCH_RESULTS_FILE, which the smoke test uses).
 */
import { join } from 'node:path';
import { createProgress, type Progress } from './lib/progress.ts';
import { appendResults, renderMarkdown, textTable, type SuiteReport } from './lib/report.ts';

export interface SuiteOptions {
  quick: boolean;
  progress: Progress;
  /** Soak duration (`--minutes N`); other suites ignore it. */
  minutes?: number;
  /** Subscriptions: only the Redis Cluster row beside the same row on one Redis (`--cluster`). */
  cluster?: boolean;
}

type Suite = (options: SuiteOptions) => Promise<SuiteReport>;

const SUITES: Record<string, () => Promise<Suite>> = {
  subscriptions: async () => (await import('./suites/subscriptions/suite.ts')).runSubscriptionsSuite,
  files: async () => (await import('./suites/files/suite.ts')).runFilesSuite,
  gateway: async () => (await import('./suites/gateway/suite.ts')).runGatewaySuite,
  'write-path': async () => (await import('./suites/write-path/suite.ts')).runWritePathSuite,
  soak: async () => (await import('./suites/soak/suite.ts')).runSoakSuite,
  search: async () => (await import('./suites/search/suite.ts')).runSearchSuite,
};

const args = process.argv.slice(2);
const minutesAt = args.indexOf('--minutes');
const minutesArg = minutesAt >= 0 ? args[minutesAt + 1] : undefined;
const minutes = minutesArg === undefined ? undefined : Number(minutesArg);
const positional = args.filter((a, i) => !a.startsWith('--') && !(minutesAt >= 0 && i === minutesAt + 1));
const name = positional[0];
const quick = args.includes('--quick');
const cluster = args.includes('--cluster');
const unknown = args.filter((a) => a.startsWith('--') && a !== '--quick' && a !== '--minutes' && !(a === '--cluster' && name === 'subscriptions'));
const badMinutes = minutesAt >= 0 && !(minutes! > 0);
if (!name || !SUITES[name] || unknown.length || positional.length > 1 || badMinutes) {
  if (badMinutes) console.error('--minutes must be followed by a positive number');
  console.error(`usage: npm run bench -- <suite> [--quick] [--minutes N (soak)] [--cluster (subscriptions)]\nsuites: ${Object.keys(SUITES).join(', ')}`);
  process.exit(2);
}

const output = process.env.BENCH_RESULTS_FILE ?? join(import.meta.dirname, 'RESULTS.md');
const suite = await SUITES[name]!();
const report = await suite({ quick, progress: createProgress(name), ...(minutes ? { minutes } : {}), ...(cluster ? { cluster } : {}) });
for (const table of report.tables) console.log(`\n${textTable(table)}`);
console.log(`\n${report.notes.map((n) => `- ${n}`).join('\n')}`);
appendResults(output, renderMarkdown(report, `npm run bench -- ${args.join(' ')}`));
console.log(`\nappended to ${output}`);
