import { writeFileSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT_DIR } from '@finder/testing/stack';
import type { StackEnv } from '../../lib/dev-stack.ts';

/**
 * The repository's supergraph with each subgraph's URL replaced by the running stack's, for the
 * peer gateways (ours reads SUBGRAPH_<NAME>_URL instead). Written next to the other bench files.
 */
export function writeSupergraphForStack(env: StackEnv, file: string): string {
  const sdl = readFileSync(join(ROOT_DIR, 'schema/supergraph.graphql'), 'utf8').replace(
    /@join__graph\(name: "(\w+)", url: "[^"]*"\)/g,
    (_, name: string) => {
      const url = env[`SUBGRAPH_${name.toUpperCase()}_URL`];
      if (!url) throw new Error(`SUBGRAPH_${name.toUpperCase()}_URL is not set in the stack environment`);
      return `@join__graph(name: "${name}", url: "${url}")`;
    },
  );
  writeFileSync(file, sdl);
  return file;
}
