import { query } from '@finder/testing/database';
import { stackPid } from '@finder/testing/stack';
import { notReady, readinessUrls, type Env } from '../lib/stack.ts';

/** Every table of every application schema, with its row count and a digest of its rows. */
export type Fingerprint = Map<string, string>;

export async function fingerprint(databaseUrl: string): Promise<Fingerprint> {
  const tables = await query<{ name: string }>(
    databaseUrl,
    `select format('%I.%I', table_schema, table_name) as name from information_schema.tables
      where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema') order by 1`,
  );
  const out: Fingerprint = new Map();
  for (const { name } of tables) {
    const [row] = await query<{ n: string; digest: string | null }>(
      databaseUrl,
      `select count(*)::text as n, md5(string_agg(md5(t::text), '' order by md5(t::text))) as digest from ${name} t`,
    );
    out.set(name, `${row!.n}:${row!.digest ?? ''}`);
  }
  return out;
}

/** The tables whose rows differ between two fingerprints. */
export function changedTables(before: Fingerprint, after: Fingerprint): string[] {
  const names = new Set([...before.keys(), ...after.keys()]);
  return [...names].filter((n) => before.get(n) !== after.get(n)).sort();
}

/**
 * Waits until two fingerprints a second apart agree (the consumers and the outbox relay have
 * finished what earlier work left them), so that a later change is the fuzzer's doing.
 */
export async function quietFingerprint(databaseUrl: string, timeoutMs = 30_000): Promise<Fingerprint> {
  const deadline = Date.now() + timeoutMs;
  let last = await fingerprint(databaseUrl);
  for (;;) {
    await new Promise((r) => setTimeout(r, 1_000));
    const next = await fingerprint(databaseUrl);
    if (changedTables(last, next).length === 0) return next;
    if (Date.now() > deadline) throw new Error(`rows still changing after ${timeoutMs} ms: ${changedTables(last, next).join(', ')}`);
    last = next;
  }
}

/** The pid of every process of the stack: a changed pid is a restart. */
export function stackPids(env: Env): Map<string, number> {
  return new Map(Object.keys(readinessUrls(env)).map((name) => [name, stackPid(name)]));
}

export function restarted(before: Map<string, number>, after: Map<string, number>): string[] {
  return [...before].filter(([name, pid]) => after.get(name) !== pid).map(([name]) => name);
}

export { notReady };
