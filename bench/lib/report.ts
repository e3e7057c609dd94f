import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { ROOT_DIR } from '@finder/testing/stack';

export interface Table {
  caption: string;
  columns: string[];
  rows: (string | number)[][];
}

/** What a suite hands back to the harness: tables, then notes (targets met or missed, choices made). */
export interface SuiteReport {
  title: string;
  tables: Table[];
  notes: string[];
  /** npm packages whose versions matter for these numbers. */
  packages: string[];
}

const HEADER = `# Benchmark results

Appended by \`npm run bench -- <suite>\` (see bench/README.md); newest run last.

Read the ratios measured side by side in one run as the headline. Absolute numbers come from a
shared 2-core machine where the load generator, the servers, Redis and nginx all compete for the
same cores, so they are noisy from run to run; compare runs only by their ratios.
`;

export function renderMarkdown(report: SuiteReport, commandLine: string): string {
  const lines = [`## ${report.title} — ${new Date().toISOString()}`, '', ...environment(report.packages, commandLine), ''];
  for (const table of report.tables) lines.push(`**${table.caption}**`, '', ...markdownTable(table), '');
  for (const note of report.notes) lines.push(`- ${note}`);
  return `${lines.join('\n')}\n`;
}

/** Appends a run to the results file, creating it with its header the first time. */
export function appendResults(file: string, markdown: string): void {
  if (!existsSync(file)) writeFileSync(file, HEADER);
  appendFileSync(file, `\n${markdown}`);
}

export function textTable(table: Table): string {
  const cells = [table.columns, ...table.rows.map((row) => row.map(String))];
  const widths = table.columns.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  const line = (row: string[]) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  return [table.caption, line(table.columns), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

function markdownTable(table: Table): string[] {
  const row = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  return [row(table.columns), row(table.columns.map((_, i) => (i === 0 ? '---' : '---:'))), ...table.rows.map(row)];
}

function environment(packages: string[], commandLine: string): string[] {
  const commit = git(['rev-parse', '--short', 'HEAD']);
  const dirty = git(['status', '--porcelain', '--untracked-files=no']) ? ' (with uncommitted changes)' : '';
  const versions = packages.map((name) => `${name} ${packageVersion(name)}`).join(', ');
  return [
    `- command: \`${commandLine}\``,
    `- commit: ${commit}${dirty}; nproc: ${availableParallelism()}; Node ${process.version}; ${versions}`,
  ];
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: ROOT_DIR, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

function packageVersion(name: string): string {
  if (name === 'nginx' || name === 'redis-server') return systemVersion(name);
  try {
    return JSON.parse(readFileSync(join(ROOT_DIR, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return 'unknown';
  }
}

function systemVersion(binary: string): string {
  // nginx prints its version on stderr, redis-server on stdout.
  const result = spawnSync(binary, binary === 'nginx' ? ['-v'] : ['--version'], { encoding: 'utf8' });
  return /(\d+\.\d+\.\d+)/.exec(`${result.stdout ?? ''}${result.stderr ?? ''}`)?.[1] ?? 'unknown';
}
