import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../../..');
const SELF = relative(root, import.meta.filename);

const SKIPPED_DIRS = new Set(['node_modules', '.git', '.state', '.turbo', 'dist', 'test-artifacts', '__generated__']);
const SCANNED = /\.(ts|tsx|js|mjs|cjs|md|graphql|sh|c|ya?ml)$/;

interface Source {
  path: string;
  text: string;
}

function sources(dir = ''): Source[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.isDirectory()) return SKIPPED_DIRS.has(entry.name) ? [] : sources(path);
    return SCANNED.test(entry.name) && path !== SELF ? [{ path, text: readFileSync(join(root, path), 'utf8') }] : [];
  });
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors of a markdown text's headings (outside code blocks), repeats numbered as GitHub does. */
function anchors(markdown: string): Set<string> {
  const found = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    const heading = !fenced && /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const base = slug(heading[1]!);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    found.add(count === 0 ? base : `${base}-${count}`);
  }
  return found;
}

interface Reference {
  from: string;
  /** Repository path of the referenced file. */
  file: string;
  anchor: string | null;
}

/**
 * What a file points at: `docs/<name>.md[#anchor]` anywhere (from the repository root), and in
 * markdown every relative link `[text](path[#anchor])`, resolved from the file's folder.
 */
function references({ path, text }: Source): Reference[] {
  const found: Reference[] = [];
  for (const m of text.matchAll(/(?<![\w./-])((?:\.\.\/)*docs\/[\w.-]+\.md)(?:#([\w-]+))?/g)) {
    found.push({ from: path, file: normalize(m[1]!.replace(/^(\.\.\/)+/, '')), anchor: m[2] ?? null });
  }
  if (path.endsWith('.md')) {
    for (const m of text.matchAll(/\]\(([^)\s]*)\)/g)) {
      const target = m[1]!;
      if (/^[a-z]+:/i.test(target)) continue;
      const [file, anchor] = target.split('#') as [string, string | undefined];
      found.push({ from: path, file: file ? normalize(join(dirname(path), file)) : path, anchor: anchor ?? null });
    }
  }
  return found;
}

/** Citations of documents that live outside the repository, or of numbered sections. */
const FOREIGN_CITATIONS: [RegExp, string][] = [
  [/§\s*\d/, 'a section number (cite docs/<file>.md#<heading> instead)'],
  [/\bARCHITECTURE(\.md)?\b/, 'ARCHITECTURE (the repository has docs/architecture.md)'],
  [/(?<![\w/.-])API\.md\b/, 'API.md (the repository has docs/api.md)'],
  [/\b(FEDERATED-SUBSCRIPTIONS|LOCAL-INFRA|STYLE)\.md\b/, 'a document that is not in the repository'],
];

function problems(files: Source[], read: (path: string) => string | null): string[] {
  const found: string[] = [];
  for (const file of files) {
    for (const ref of references(file)) {
      const text = read(ref.file);
      if (text === null) {
        found.push(`${ref.from}: ${ref.file} does not exist`);
      } else if (ref.anchor !== null && ref.file.endsWith('.md') && !anchors(text).has(ref.anchor)) {
        found.push(`${ref.from}: ${ref.file} has no heading #${ref.anchor}`);
      }
    }
    for (const [pattern, what] of FOREIGN_CITATIONS) {
      const line = file.text.split('\n').findIndex((l) => pattern.test(l));
      if (line >= 0) found.push(`${file.path}:${line + 1}: cites ${what}`);
    }
  }
  return found;
}

const readRepo = (path: string): string | null => {
  const full = join(root, path);
  if (!existsSync(full)) return null;
  try {
    return readFileSync(full, 'utf8');
  } catch {
    return ''; // a folder: it exists, and has no headings
  }
};

describe('references to documents', () => {
  const files = sources();
  const all = files.flatMap(references);

  it('finds the references it checks', () => {
    expect(files.some((f) => f.path === 'packages/platform/src/config/errors.ts')).toBe(true);
    expect(all).toContainEqual({ from: 'packages/platform/src/config/errors.ts', file: 'docs/api.md', anchor: 'errors' });
    expect(all).toContainEqual({ from: 'README.md', file: 'docs/architecture.md', anchor: 'federated-subscriptions' });
    expect(all).toContainEqual({ from: 'docs/api.md', file: 'docs/architecture.md', anchor: null });
  });

  it('points only at files and headings that exist, and cites no document outside the repository', () => {
    expect(problems(files, readRepo)).toEqual([]);
  });

  it('flags a missing file, a missing heading and a foreign citation', () => {
    const docs: Record<string, string> = { 'docs/guide.md': '# Guide\n\n## Write path\n\n```\n# not a heading\n```\n' };
    const read = (path: string) => docs[path] ?? null;
    expect(
      problems(
        [
          { path: 'a.ts', text: '// see docs/guide.md#write-path and docs/guide.md#not-a-heading' },
          { path: 'b.ts', text: '/** (docs/gone.md) */' },
          { path: 'c.ts', text: '/** The envelope (ARCHITECTURE §3). */' },
          { path: 'd.ts', text: '/** The codes of API.md. */' },
          { path: 'docs/other.md', text: 'See [the guide](guide.md#guide) and [nothing](missing.md).' },
        ],
        read,
      ),
    ).toEqual([
      'a.ts: docs/guide.md has no heading #not-a-heading',
      'b.ts: docs/gone.md does not exist',
      'c.ts:1: cites a section number (cite docs/<file>.md#<heading> instead)',
      'c.ts:1: cites ARCHITECTURE (the repository has docs/architecture.md)',
      'd.ts:1: cites API.md (the repository has docs/api.md)',
      'docs/other.md: docs/missing.md does not exist',
    ]);
  });

  it('makes anchors as GitHub does', () => {
    expect([...anchors('# Using the API\n## Cursors and resumption\n### `after`, again\n## Limits\n## Limits\n')]).toEqual([
      'using-the-api',
      'cursors-and-resumption',
      'after-again',
      'limits',
      'limits-1',
    ]);
  });
});
