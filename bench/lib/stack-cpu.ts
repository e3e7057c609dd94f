import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { clockTicksPerSecond } from './cpu-time.ts';
import { descendants } from './process-tree.ts';

export interface StackProcess {
  name: string;
  pid: number;
}

/** Every process `./dev up` started (from .state/pids, Prometheus included), sorted by name. */
export function stackProcesses(stateDir: string): StackProcess[] {
  const dir = join(stateDir, 'pids');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.pid'))
    .map((f) => ({ name: f.slice(0, -4), pid: Number(readFileSync(join(dir, f), 'utf8').split('\n')[0]) }))
    .filter((p) => Number.isInteger(p.pid) && p.pid > 0)
    .sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * CPU time of a process and its descendants so far, in ms: utime + stime of each, plus the
 * cutime + cstime of children already reaped (Postgres backends that came and went), so the
 * difference between two readings is what the whole tree used in between.
 */
export function treeCpuTimeMs(pid: number): number {
  let ticks = 0;
  for (const member of [pid, ...descendants(pid)]) {
    try {
      const stat = readFileSync(`/proc/${member}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    } catch {
      // Exited between the listing and the read: its time is in its parent's cutime by now.
    }
  }
  return (ticks * 1000) / clockTicksPerSecond();
}

export interface CpuReading {
  at: number;
  byProcess: Map<string, number>;
}

export function readStackCpu(processes: StackProcess[]): CpuReading {
  const byProcess = new Map<string, number>();
  for (const p of processes) {
    try {
      byProcess.set(p.name, treeCpuTimeMs(p.pid));
    } catch {
      // Gone: left out of both readings' difference.
    }
  }
  return { at: performance.now(), byProcess };
}

export interface ProcessCpu {
  name: string;
  cpuMs: number;
  /** Share of one core over the window, in percent. */
  percentOfCore: number;
}

/** CPU each process used between two readings, most first. */
export function cpuBetween(before: CpuReading, after: CpuReading): ProcessCpu[] {
  const windowMs = after.at - before.at;
  return [...after.byProcess]
    .filter(([name]) => before.byProcess.has(name))
    .map(([name, ms]) => {
      const cpuMs = ms - before.byProcess.get(name)!;
      return { name, cpuMs, percentOfCore: (100 * cpuMs) / windowMs };
    })
    .sort((a, b) => b.cpuMs - a.cpuMs);
}
