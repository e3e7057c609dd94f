/**
 * Composes every subgraph's SDL into schema/supergraph.graphql with @apollo/composition.
 * `--check` fails (exit 1) when the committed supergraph is stale instead of writing it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { subgraphs } from '../schema/subgraphs.ts';

const root = join(import.meta.dirname, '..');
const target = join(root, 'schema/supergraph.graphql');
const check = process.argv.includes('--check');

const result = composeServices(
  subgraphs.map(({ name, url, schema }) => ({ name, url, typeDefs: parse(readFileSync(join(root, schema), 'utf8')) })),
);
if (result.errors) {
  for (const error of result.errors) process.stderr.write(`composition error: ${error.message}\n`);
  process.exit(1);
}
for (const hint of result.hints ?? []) process.stderr.write(`hint: ${hint.definition.code}: ${hint.message}\n`);

const sdl = `# Composed by \`npm run compose\` from each subgraph's schema.graphql. Do not edit.\n${result.supergraphSdl}\n`;
if (check) {
  const current = readFileSync(target, 'utf8');
  if (current !== sdl) {
    process.stderr.write('schema/supergraph.graphql is stale: run `npm run compose` and commit the result\n');
    process.exit(1);
  }
  process.stdout.write('supergraph is up to date\n');
} else {
  writeFileSync(target, sdl);
  process.stdout.write(`wrote ${target} (${subgraphs.length} subgraphs)\n`);
}
