// Prints the end of `./dev test`: vitest's totals, then, when something failed, each failed test
// with the start of its error and the warnings and errors the stack's services logged. It comes
// last on purpose: often the tail of a CI log is all anyone gets to see.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

interface Assertion { status: string; fullName: string; failureMessages: string[] }
interface FileResult { name: string; status: string; message?: string; assertionResults: Assertion[] }
interface Results { numPassedTests: number; numFailedTests: number; numPendingTests: number; numTodoTests: number; testResults: FileResult[] }

const [resultsFile, logDir, root] = process.argv.slice(2) as [string, string, string];
const clip = (text: string, n: number) => (text.length > n ? `${text.slice(0, n - 1)}…` : text);
// eslint-disable-next-line no-control-regex -- terminal colours, in messages vitest coloured
const plain = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, '');

if (existsSync(resultsFile)) {
  const r = JSON.parse(readFileSync(resultsFile, 'utf8')) as Results;
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
  const failed = r.testResults.flatMap((file) => {
    const tests = file.assertionResults.filter((t) => t.status === 'failed');
    // A file can fail with no failed test: a hook or an import threw.
    if (tests.length === 0 && file.status === 'failed') return [{ file, title: '(the file itself)', message: file.message }];
    return tests.map((t) => ({ file, title: t.fullName, message: t.failureMessages.join('\n') }));
  });
  if (failed.length > 0) {
    console.log('\n== failed tests');
    for (const { file, title, message } of failed) {
      console.log(`FAIL ${relative(root, file.name)} > ${title}`);
      const lines = plain(message ?? '').split('\n').map((l) => l.trim()).filter(Boolean);
      for (const line of lines.slice(0, 3)) console.log(`     ${clip(line, 300)}`);
    }
  }
  if (failed.length > 0 && existsSync(logDir)) {
    console.log('\n== what the services logged at warn or above (last 3 of each)');
    for (const name of readdirSync(logDir).filter((f) => f.endsWith('.log')).sort()) {
      const problems = readFileSync(join(logDir, name), 'utf8')
        .split('\n')
        .filter((l) => /"level":"(warn|error|fatal)"/.test(l));
      if (problems.length === 0) continue;
      console.log(`${name}: ${problems.length}`);
      for (const line of problems.slice(-3)) console.log(`     ${clip(line, 400)}`);
    }
  }
}
