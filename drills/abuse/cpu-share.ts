import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT_DIR, stackPid } from '@finder/testing/stack';
import { cpuTimeMs } from '../../bench/lib/cpu-time.ts';
import { descendants } from '../../bench/lib/process-tree.ts';

/** Named groups of root pids; each group counts its roots and all their descendants. */
export type CpuGroups = Record<string, number[]>;

/** The pids `./dev up` recorded for the stack's processes (Postgres, nginx, services...). */
export function stackPids(): number[] {
  const dir = join(process.env.STATE_DIR ?? join(ROOT_DIR, '.state'), 'pids');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.pid'))
    .map((f) => stackPid(f.slice(0, -'.pid'.length)));
}

function groupCpuMs(roots: number[]): Map<number, number> {
  const used = new Map<number, number>();
  for (const pid of roots.flatMap((root) => [root, ...descendants(root)])) {
    try {
      used.set(pid, cpuTimeMs(pid));
    } catch {
      // Exited meanwhile.
    }
  }
  return used;
}

/**
 * CPU used by each group from now on: `since()` answers the milliseconds each group used, summed
 * over the processes alive at both readings (a Postgres backend that came and went is missed).
 */
export function cpuByGroup(groups: CpuGroups): { since(): Record<string, number> } {
  const start = Object.fromEntries(Object.entries(groups).map(([name, roots]) => [name, groupCpuMs(roots)]));
  return {
    since: () =>
      Object.fromEntries(
        Object.entries(groups).map(([name, roots]) => {
          let total = 0;
          for (const [pid, ms] of groupCpuMs(roots)) total += ms - (start[name]!.get(pid) ?? ms);
          return [name, total];
        }),
      ),
  };
}
