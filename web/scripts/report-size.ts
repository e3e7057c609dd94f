// Prints the gzip size of every built asset and fails when the JavaScript is over its budget.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';

const DIST = join(import.meta.dirname, '..', 'dist');
const JS_BUDGET_BYTES = 250 * 1024;

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
let jsGzip = 0;
for (const file of files(DIST).sort()) {
  const bytes = readFileSync(file);
  const gzip = gzipSync(bytes, { level: 9 }).length;
  if (file.endsWith('.js')) jsGzip += gzip;
  console.log(`${relative(DIST, file).padEnd(40)} ${kb(bytes.length).padStart(10)}  gzip ${kb(gzip).padStart(9)}`);
}
console.log(`JavaScript total: ${kb(jsGzip)} gzip (budget ${kb(JS_BUDGET_BYTES)})`);
if (jsGzip > JS_BUDGET_BYTES) {
  console.error(`the production JavaScript is over its budget by ${kb(jsGzip - JS_BUDGET_BYTES)}`);
  process.exit(1);
}
