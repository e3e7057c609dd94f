// Prints the end of `./dev test`: vitest's totals and, when something failed, the services that
// logged warnings and each failed test with the start of its error. The failures come last on
// purpose: often the tail of a CI log is all anyone gets to see.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

interface Assertion { status: string; fullName: string; failureMessages: string[] }
interface FileResult { name: string; status: string; message?: string; assertionResults: Assertion[] }
interface Results { testResults: FileResult[] }

// Several result files (comma-separated) when ./dev test ran vitest more than once (the cluster
// phase runs, on the stack in cluster mode, a drill the first run skipped).
const [resultsFiles, logDir, root] = process.argv.slice(2) as [string, string, string];
const clip = (text: string, n: number) => (text.length > n ? `${text.slice(0, n - 1)}…` : text);
// eslint-disable-next-line no-control-regex -- terminal colours, in messages vitest coloured
const plain = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, '');

/** One line per service log with warnings: how many, and the last one's gist. */
function serviceWarnings(): string[] {
  if (!existsSync(logDir)) return [];
  const lines: string[] = [];
  for (const name of readdirSync(logDir).filter((f) => f.endsWith('.log')).sort()) {
    const problems = readFileSync(join(logDir, name), 'utf8')
      .split('\n')
      .filter((l) => /"level":"(warn|error|fatal)"/.test(l));
    if (problems.length === 0) continue;
    let gist = problems.at(-1)!;
    try {
      const entry = JSON.parse(gist) as { time?: string; msg?: string; err?: { message?: string } | string };
      const err = typeof entry.err === 'string' ? entry.err : entry.err?.message;
      gist = `${entry.time?.slice(11, 19) ?? ''} ${entry.msg ?? ''}${err ? `: ${err}` : ''}`;
    } catch {
      // not JSON: shown as it is
    }
    lines.push(`${name.replace(/\.log$/, '')}: ${problems.length}, last ${clip(gist, 160)}`);
  }
  return lines;
}

const runs = resultsFiles.split(',').filter((file) => existsSync(file)).map((file) => JSON.parse(readFileSync(file, 'utf8')) as Results);
if (runs.length > 0) {
  const testResults = runs.flatMap((r) => r.testResults);
  // A test skipped by one run and run by another counts as run; failed wins over passed.
  const outcome = new Map<string, string>();
  const rank = (status: string) => (status === 'failed' ? 2 : status === 'passed' ? 1 : 0);
  for (const file of testResults) {
    for (const t of file.assertionResults) {
      const key = `${file.name}\u0000${t.fullName}`;
      const before = outcome.get(key);
      if (before === undefined || rank(t.status) > rank(before)) outcome.set(key, t.status);
    }
  }
  const count = (wanted: (status: string) => boolean) => [...outcome.values()].filter(wanted).length;
  const failed = testResults.flatMap((file) => {
    const tests = file.assertionResults.filter((t) => t.status === 'failed');
    // A file can fail with no failed test: a hook or an import threw.
    if (tests.length === 0 && file.status === 'failed') return [{ file, title: '(the file itself)', message: file.message }];
    return tests.map((t) => ({ file, title: t.fullName, message: t.failureMessages.join('\n') }));
  });
  // Failed tests come last, the service warnings before them: often the tail of a log is all anyone sees.
  if (failed.length > 0) {
    const warnings = serviceWarnings();
    if (warnings.length > 0) {
      console.log('\n== services that logged warnings or errors (drills cause some on purpose)');
      for (const line of warnings) console.log(line);
    }
    console.log('\n== failed tests');
    for (const { file, title, message } of failed) {
      console.log(`FAIL ${relative(root, file.name)} > ${title}`);
      const lines = plain(message ?? '').split('\n').map((l) => l.trim()).filter(Boolean);
      for (const line of lines.slice(0, 2)) console.log(`     ${clip(line, 700)}`);
    }
  }
  console.log(`tests: ${count((s) => s === 'passed')} passed, ${count((s) => s === 'failed')} failed, ${count((s) => s !== 'passed' && s !== 'failed')} skipped`);
}
