import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { registerUser } from '@finder/testing/accounts';
import { ROOT_DIR } from '@finder/testing/stack';
import { buildSchema } from 'graphql';
import type { Env } from '../lib/stack.ts';
import { randomHttpCase, sendHttpCase, type HttpCase } from './http-cases.ts';
import { changedTables, notReady, quietFingerprint, restarted, stackPids } from './invariants.ts';
import { createRandom } from './random.ts';
import { CLIENT_CLOSE_CODES, randomWsCase, runWsCase, type WsCase } from './ws-cases.ts';

export interface FuzzOptions {
  requests: number;
  seed: number;
  concurrency?: number;
  /** Share of the requests that are graphql-ws sessions. */
  wsShare?: number;
  log?: (line: string) => void;
}

export interface Violation {
  what: string;
  kind: string;
  /** Requests that broke the promise the same way (same outcome, same kind of request). */
  count: number;
  /** The request or session, trimmed, to replay it. */
  sample: string;
}

export interface FuzzReport {
  seed: number;
  requests: number;
  wsFrames: number;
  durationMs: number;
  /** Answers by HTTP status (WebSocket sessions by close code, as `ws <code>`). */
  outcomes: Record<string, number>;
  violations: Violation[];
  restarted: string[];
  notReady: string[];
  changedTables: string[];
}

/** Overload answers the API documents: a 503 that says so (no gateway free), and 429. */
const isDocumentedOverload = (status: number, codes: string[]) => status === 503 && codes.every((c) => c === 'SERVICE_UNAVAILABLE');

/**
 * Sends `requests` generated requests through nginx (HTTP and graphql-ws), then checks the three
 * promises: no 5xx but documented overload, no process restarted (or not ready), no row changed.
 */
export async function runFuzz(env: Env, options: FuzzOptions): Promise<FuzzReport> {
  const log = options.log ?? (() => undefined);
  const url = env.PUBLIC_URL!;
  const wsUrl = url.replace(/^http/, 'ws');
  const schema = buildSchema(readFileSync(join(ROOT_DIR, 'schema/api.graphql'), 'utf8'));
  const random = createRandom(options.seed);
  const wsShare = options.wsShare ?? 0.1;

  const user = await registerUser(url, 'fuzz');
  const pidsBefore = stackPids(env);
  const rowsBefore = await quietFingerprint(env.DATABASE_URL!);
  log(`fuzz: seed ${options.seed}, ${options.requests} requests, ${Math.round(wsShare * 100)}% graphql-ws sessions`);

  const report: FuzzReport = { seed: options.seed, requests: 0, wsFrames: 0, durationMs: 0, outcomes: {}, violations: [], restarted: [], notReady: [], changedTables: [] };
  const count = (key: string) => (report.outcomes[key] = (report.outcomes[key] ?? 0) + 1);
  const seen = new Map<string, Violation>();
  const violate = (what: string, kind: string, c: HttpCase | WsCase) => {
    const key = `${what} [${kind}]`;
    const known = seen.get(key);
    if (known) return void known.count++;
    const violation = { what, kind, count: 1, sample: JSON.stringify(c).replaceAll(user.token, '<token>').slice(0, 700) };
    seen.set(key, violation);
    report.violations.push(violation);
  };

  const started = Date.now();
  let issued = 0;
  const worker = async () => {
    while (issued < options.requests) {
      issued++;
      if (random.chance(wsShare)) {
        const c = randomWsCase(random, schema, user.token);
        report.wsFrames += c.frames.length;
        const outcome = await runWsCase(wsUrl, c);
        count(outcome.upgradeStatus ? String(outcome.upgradeStatus) : `ws ${outcome.closeCode}`);
        if (outcome.upgradeStatus >= 500 && !isDocumentedOverload(outcome.upgradeStatus, [])) violate(`upgrade answered ${outcome.upgradeStatus}`, c.kind, c);
        if (!CLIENT_CLOSE_CODES.has(outcome.closeCode)) violate(`closed with ${outcome.closeCode}`, c.kind, c);
        if (outcome.codes.includes('INTERNAL_SERVER_ERROR')) violate('INTERNAL_SERVER_ERROR in a message', c.kind, c);
      } else {
        const c = randomHttpCase(random, schema, user.token);
        try {
          const outcome = await sendHttpCase(url, c);
          count(String(outcome.status));
          if (outcome.status >= 500 && !isDocumentedOverload(outcome.status, outcome.codes)) violate(`answered ${outcome.status} ${outcome.codes.join(',')}`, c.kind, c);
          if (outcome.codes.includes('INTERNAL_SERVER_ERROR')) violate(`INTERNAL_SERVER_ERROR with ${outcome.status}`, c.kind, c);
        } catch (err) {
          count('no answer');
          violate(`no answer: ${(err as Error).message}`, c.kind, c);
        }
      }
      report.requests++;
      if (report.requests % 1_000 === 0) log(`  ${report.requests}/${options.requests} sent, ${report.violations.reduce((n, v) => n + v.count, 0)} violations`);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 8 }, worker));
  report.durationMs = Date.now() - started;

  report.notReady = await notReady(env);
  report.restarted = restarted(pidsBefore, stackPids(env));
  report.changedTables = changedTables(rowsBefore, await quietFingerprint(env.DATABASE_URL!));
  return report;
}

export function renderFuzzReport(r: FuzzReport): string {
  const outcomes = Object.entries(r.outcomes)
    .sort(([, a], [, b]) => b - a)
    .map(([k, n]) => `${k}: ${n}`)
    .join(', ');
  const lines = [
    `fuzz (seed ${r.seed}): ${r.requests} requests (${r.wsFrames} graphql-ws frames) in ${(r.durationMs / 1000).toFixed(1)} s`,
    `  outcomes: ${outcomes}`,
    `  violations: ${r.violations.reduce((n, v) => n + v.count, 0)}${r.violations.length ? '' : ' (no 5xx but documented overload, no internal error)'}`,
    ...r.violations.map((v) => `    ${v.count}× ${v.what} [${v.kind}], e.g. ${v.sample}`),
    `  restarted: ${r.restarted.join(', ') || 'none'}; not ready: ${r.notReady.join(', ') || 'none'}`,
    `  rows changed: ${r.changedTables.join(', ') || 'none'}`,
  ];
  return lines.join('\n');
}

export const fuzzPassed = (r: FuzzReport) => r.violations.length === 0 && r.restarted.length === 0 && r.notReady.length === 0 && r.changedTables.length === 0;
