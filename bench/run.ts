/**
 * Benchmark harness: `npm run bench -- <suite> [--quick]`. Runs the suite, prints its tables and
 * appends them, with the environment and the command line, to bench/RESULTS.md (or to the file in
 * BENCH_RESULTS_FILE, which the smoke test uses).
 */
import { join } from 'node:path';
import { createProgress, type Progress } from './lib/progress.ts';
import { appendResults, renderMarkdown, textTable, type SuiteReport } from './lib/report.ts';

type Suite = (options: { quick: boolean; progress: Progress }) => Promise<SuiteReport>;

const SUITES: Record<string, () => Promise<Suite>> = {
  subscriptions: async () => (await import('./suites/subscriptions/suite.ts')).runSubscriptionsSuite,
  search: async () => (await import('./suites/search/suite.ts')).runSearchSuite,
};

const args = process.argv.slice(2);
const name = args.find((a) => !a.startsWith('--'));
const quick = args.includes('--quick');
const unknown = args.filter((a) => a.startsWith('--') && a !== '--quick');
if (!name || !SUITES[name] || unknown.length) {
  console.error(`usage: npm run bench -- <suite> [--quick]\nsuites: ${Object.keys(SUITES).join(', ')}`);
  process.exit(2);
}

const output = process.env.BENCH_RESULTS_FILE ?? join(import.meta.dirname, 'RESULTS.md');
const suite = await SUITES[name]!();
const report = await suite({ quick, progress: createProgress(name) });
for (const table of report.tables) console.log(`\n${textTable(table)}`);
console.log(`\n${report.notes.map((n) => `- ${n}`).join('\n')}`);
appendResults(output, renderMarkdown(report, `npm run bench -- ${args.join(' ')}`));
console.log(`\nappended to ${output}`);
