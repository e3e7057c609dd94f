/**
 * Composes every subgraph's SDL into schema/supergraph.graphql with @apollo/composition, and
 * writes the API schema clients see (no federation or join directives) to schema/api.graphql.
 * `--check` fails (exit 1) when either committed file is stale instead of writing it.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { composeServices } from '@apollo/composition';
import { parse, printSchema } from 'graphql';
import { subgraphs } from '../schema/subgraphs.ts';

const root = join(import.meta.dirname, '..');
const check = process.argv.includes('--check');

const result = composeServices(
  subgraphs.map(({ name, url, schema }) => ({ name, url, typeDefs: parse(readFileSync(join(root, schema), 'utf8')) })),
);
if (result.errors) {
  for (const error of result.errors) process.stderr.write(`composition error: ${error.message}\n`);
  process.exit(1);
}
for (const hint of result.hints ?? []) process.stderr.write(`hint: ${hint.definition.code}: ${hint.message}\n`);

const outputs = [
  {
    file: join(root, 'schema/supergraph.graphql'),
    text: `# Composed by \`npm run compose\` from each subgraph's schema.graphql. Do not edit.\n${result.supergraphSdl}\n`,
  },
  {
    file: join(root, 'schema/api.graphql'),
    text: `# The API schema clients see, composed by \`npm run compose\` from each subgraph's schema.graphql. Do not edit.\n\n${printSchema(result.schema.toAPISchema().toGraphQLJSSchema())}\n`,
  },
];
let stale = 0;
for (const { file, text } of outputs) {
  const name = relative(root, file);
  if (check) {
    const current = existsSync(file) ? readFileSync(file, 'utf8') : null;
    if (current !== text) {
      process.stderr.write(`${name} is stale: run \`npm run compose\` and commit the result\n`);
      stale++;
    } else {
      process.stdout.write(`${name} is up to date\n`);
    }
  } else {
    writeFileSync(file, text);
    process.stdout.write(`wrote ${name} (${subgraphs.length} subgraphs)\n`);
  }
}
process.exit(stale ? 1 : 0);
