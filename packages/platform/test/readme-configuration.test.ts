import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../../..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');

/** Every file that declares environment settings in a zod schema. */
const envFiles = [
  'packages/platform/src/config/env.ts',
  'packages/platform/src/auth/identity.ts',
  'packages/platform/src/telemetry/tracing.ts',
  'gateway/src/env.ts',
  ...readdirSync(join(root, 'subgraphs')).map((name) => `subgraphs/${name}/src/env.ts`),
];

/** `  NAME: z.…` (or one of env.ts's shared field types) at the start of a line. */
const SETTING = /^\s+([A-Z][A-Z0-9_]{2,}):\s*(?:z\.|port\b|csv\b|url\b|boolFromString\b|redisUrl\b|redisClusterNodes\b)/gm;
/** A key or secret a role loads with loadSecrets: `'NAME_KEY'` or `'NAME_SECRET'` in a list or call. */
const SECRET = /'([A-Z][A-Z0-9_]+_(?:KEY|SECRET))'/g;

describe('README configuration table', () => {
  const table = read('README.md').split('\n').filter((line) => line.startsWith('| `'));
  const settings = envFiles.flatMap((file) => {
    let text: string;
    try {
      text = read(file);
    } catch {
      return [];
    }
    return [...text.matchAll(SETTING), ...text.matchAll(SECRET)].map((m) => ({ file, name: m[1]! }));
  });

  it('finds the settings it checks', () => {
    expect(settings.map((s) => s.name)).toContain('SUBSCRIPTION_COMPLETION_SHARE_MS');
    expect(settings.map((s) => s.name)).toEqual(expect.arrayContaining(['IDENTITY_SECRET', 'SUBGRAPH_IDENTITY_SECRET', 'FINDER_CURSOR_SECRET']));
    expect(settings.length).toBeGreaterThan(40);
  });

  it('documents every environment setting the code reads', () => {
    const undocumented = settings.filter(({ name }) => !table.some((row) => row.includes(`\`${name}\``)));
    expect(undocumented).toEqual([]);
  });
});
