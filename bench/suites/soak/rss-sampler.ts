import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { treeResidentBytes } from '../../lib/process-tree.ts';

export interface ProcessSeries {
  name: string;
  pid: number;
  /** [ms since the start, RSS bytes]; the process (with its children) at each sample. */
  samples: [number, number][];
}

/**
 * Every process `./dev up` started (from .state/pids), sampled at a fixed interval: gateways,
 * subgraphs, persisters, workers, the mailer, Redis, Postgres (with its backends) and nginx (with
 * its workers).
 */
export function startRssSampler(stateDir: string, intervalMs: number) {
  const dir = join(stateDir, 'pids');
  const series: ProcessSeries[] = readdirSync(dir)
    .filter((f) => f.endsWith('.pid'))
    .map((f) => ({ name: f.slice(0, -4), pid: Number(readFileSync(join(dir, f), 'utf8').split('\n')[0]), samples: [] as [number, number][] }))
    .filter((s) => Number.isInteger(s.pid) && s.pid > 0)
    .sort((a, b) => a.name.localeCompare(b.name));
  const started = performance.now();
  const sample = () => {
    const at = performance.now() - started;
    for (const s of series) {
      try {
        s.samples.push([at, treeResidentBytes(s.pid)]);
      } catch {
        // The process is gone: its series stops, which the table shows.
      }
    }
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    series,
    stop() {
      clearInterval(timer);
      sample();
    },
  };
}

export interface Growth {
  name: string;
  pid: number;
  afterWarmupBytes: number;
  endBytes: number;
  maxBytes: number;
  growth: number;
  samples: number;
}

/**
 * Growth after warm-up: the mean of the samples in the first window after warm-up against the
 * mean of the last window (means, so one GC cycle does not decide it).
 */
export function growthAfterWarmup(s: ProcessSeries, warmupMs: number, windowMs: number, endMs: number): Growth {
  const mean = (from: number, to: number) => {
    const values = s.samples.filter(([at]) => at >= from && at <= to).map(([, v]) => v);
    return values.length ? values.reduce((a, b) => a + b, 0) / values.length : Number.NaN;
  };
  const afterWarmupBytes = mean(warmupMs, warmupMs + windowMs);
  const endBytes = mean(endMs - windowMs, endMs);
  return {
    name: s.name,
    pid: s.pid,
    afterWarmupBytes,
    endBytes,
    maxBytes: Math.max(...s.samples.map(([, v]) => v)),
    growth: endBytes / afterWarmupBytes - 1,
    samples: s.samples.length,
  };
}
