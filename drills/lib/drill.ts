import { checkDelivered, checkMail, checkPersisted, type Check, type Count } from './checks.ts';
import { SIZES, startLoad, type Load } from './load.ts';
import { restartMissing, stackEnv, waitAllReady, type Env } from './stack.ts';

export interface DrillContext {
  env: Env;
  quick: boolean;
  load: Load;
  /** Records what was injected (printed in the report). */
  injected(line: string): void;
  log(line: string): void;
  checks: Check[];
  counts: Count[];
}

export interface Drill {
  name: string;
  /** One line: the fault. */
  injects: string;
  /** The stack answers every /readyz with 200 within this long after the fault was injected. */
  readyWithinMs: number;
  /** Starts extra processes the drill needs before the load starts; returns how to stop them. */
  prepare?(env: Env, log: (line: string) => void): Promise<() => Promise<void>>;
  /** Injects the fault and does what a supervisor would (restart what died). */
  inject(ctx: DrillContext): Promise<void>;
  /** Checks of its own, after the common ones. */
  verify?(ctx: DrillContext): Promise<void>;
}

export interface DrillReport {
  drill: string;
  quick: boolean;
  injected: string[];
  readyAfterMs: number | null;
  readyWithinMs: number;
  checks: Check[];
  counts: Count[];
  errors: Record<string, number>;
  errorSamples: Record<string, string>;
  durationMs: number;
  ok: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Steady load through nginx (mutations and live subscriptions), a warm-up, the fault, readiness,
 * more load after it, then the checks: every acknowledged write stored exactly once, every
 * subscriber got every event exactly once and in order, every process ready within the bound.
 */
export async function runDrill(
  drill: Drill,
  options: { quick: boolean; log?: (line: string) => void; /** Multiplies the readiness bound (CI on shared, loaded runners). */ readySlack?: number },
): Promise<DrillReport> {
  const started = Date.now();
  const readyWithinMs = drill.readyWithinMs * (options.readySlack ?? 1);
  const log = options.log ?? ((line: string) => console.error(`[drill ${drill.name}] ${line}`));
  const env = stackEnv();
  if ((await waitAllReady(env, 5_000).catch(() => null)) === null) {
    log('stack not ready: ./dev up');
    await restartMissing();
    await waitAllReady(env, 120_000);
  }
  const stopExtras = drill.prepare ? await drill.prepare(env, log) : async () => undefined;
  const injected: string[] = [];
  const checks: Check[] = [];
  const counts: Count[] = [];
  let readyAfterMs: number | null = null;
  let load: Load | null = null;
  try {
    load = await startLoad(env, SIZES[options.quick ? 'quick' : 'full'], log);
    const ctx: DrillContext = { env, quick: options.quick, load, injected: (l) => (injected.push(l), log(`injected: ${l}`)), log, checks, counts };
    await sleep(options.quick ? 3_000 : 10_000);
    log(`${load.acknowledged()} writes acknowledged before the fault`);
    const faultAt = Date.now();
    await drill.inject(ctx);
    try {
      await waitAllReady(env, Math.max(0, readyWithinMs - (Date.now() - faultAt)));
      readyAfterMs = Date.now() - faultAt;
    } catch (err) {
      log((err as Error).message);
    }
    checks.push({
      name: `every process ready (/readyz 200) within ${readyWithinMs / 1000} s of the fault`,
      ok: readyAfterMs !== null && readyAfterMs <= readyWithinMs,
      detail: readyAfterMs === null ? 'not ready in time' : `ready after ${(readyAfterMs / 1000).toFixed(1)} s`,
    });
    // Steady load goes on after the recovery: later writes must be applied too.
    await sleep(options.quick ? 3_000 : 10_000);
    await load.drain(180_000);
    log(`${load.acknowledged()} writes acknowledged; checking`);
    await checkPersisted(load, counts, checks);
    await checkDelivered(load, counts, checks, 60_000);
    await checkMail(load, counts, checks, 30_000);
    if (drill.verify) await drill.verify(ctx);
  } catch (err) {
    checks.push({ name: 'drill ran to the end', ok: false, detail: (err as Error).stack ?? String(err) });
  } finally {
    await load?.close();
    await stopExtras();
  }
  return {
    drill: drill.name,
    quick: options.quick,
    injected,
    readyAfterMs,
    readyWithinMs,
    checks,
    counts,
    errors: Object.fromEntries(load?.errors ?? []),
    errorSamples: Object.fromEntries(load?.errorSamples ?? []),
    durationMs: Date.now() - started,
    ok: checks.length > 0 && checks.every((c) => c.ok),
  };
}

export function renderReport(report: DrillReport): string {
  const lines = [`drill ${report.drill}${report.quick ? ' (quick)' : ''}: ${report.ok ? 'PASSED' : 'FAILED'} in ${(report.durationMs / 1000).toFixed(0)} s`, '', 'injected:'];
  for (const line of report.injected) lines.push(`  - ${line}`);
  lines.push('', 'counts:');
  const header = ['', 'sent', 'acknowledged', 'persisted', 'delivered', 'duplicates', 'missing'];
  const rows = report.counts.map((c) => [c.what, c.sent, c.acknowledged, c.persisted, c.delivered ?? '-', c.duplicates, c.missing].map(String));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const row of [header, ...rows]) lines.push(`  ${row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ')}`);
  const errors = Object.entries(report.errors);
  lines.push('', `errors clients saw while it ran (each retried with its idempotency key): ${errors.length ? '' : 'none'}`);
  for (const [code, n] of errors) lines.push(`  ${code}: ${n} (e.g. "${report.errorSamples[code]?.slice(0, 160)}")`);
  lines.push('', 'checks:');
  for (const check of report.checks) lines.push(`  ${check.ok ? 'ok  ' : 'FAIL'} ${check.name}: ${check.detail}`);
  return lines.join('\n');
}
