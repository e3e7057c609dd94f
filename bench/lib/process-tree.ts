import { readdirSync, readFileSync } from 'node:fs';
import { residentBytes } from './process-memory.ts';

/** Pids of a process's descendants (Postgres backends, nginx workers), from /proc/<pid>/stat. */
export function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    } catch {
      // Exited between readdir and read.
    }
  }
  const found: number[] = [];
  const visit = (pid: number) => {
    for (const child of children.get(pid) ?? []) {
      found.push(child);
      visit(child);
    }
  };
  visit(root);
  return found;
}

/** RSS of a process plus its descendants, in bytes (shared pages are counted once per process). */
export function treeResidentBytes(root: number): number {
  let total = residentBytes(root);
  for (const pid of descendants(root)) {
    try {
      total += residentBytes(pid);
    } catch {
      // Exited meanwhile.
    }
  }
  return total;
}
