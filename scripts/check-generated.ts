/**
 * Fails when committed generated code is stale: the composed supergraph, every subgraph's
 * resolver types and the SDK's documents and persisted documents manifest (the gateway's
 * TRUSTED_DOCUMENTS) must equal what their sources produce now.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from '@graphql-codegen/cli';
import config from '../codegen.ts';

const root = join(import.meta.dirname, '..');
let stale = 0;

try {
  execFileSync(process.execPath, [join(root, 'scripts/compose-supergraph.ts'), '--check'], { stdio: 'inherit', cwd: root });
} catch {
  stale++;
}

const outputs = (await generate({ ...config, cwd: root, silent: true }, false)) as { filename: string; content: string }[];
for (const { filename, content } of outputs) {
  const current = (() => {
    try {
      return readFileSync(join(root, filename), 'utf8');
    } catch {
      return null;
    }
  })();
  if (current !== content) {
    process.stderr.write(`${filename} is stale: run \`npm run codegen\` and commit the result\n`);
    stale++;
  } else {
    process.stdout.write(`${filename} is up to date\n`);
  }
}
process.exit(stale ? 1 : 0);
