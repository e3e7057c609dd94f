/**
 * Load generator (its own process, driven over IPC): closed-loop clients that send the search mix
 * over HTTP keep-alive to one target and time each request from send to the last byte of the body.
 * A response with GraphQL errors, no page or a non-200 status counts as an error.
 */
import { readFileSync } from 'node:fs';
import { createTokenIssuer, IDENTITY_HEADER, signIdentity } from '@finder/platform/auth';
import { serveRequests } from '../../lib/worker.ts';
import { SEARCH_DOCUMENT, SEARCH_MIX, type MixEntry } from './mix.ts';

export interface TargetPlan {
  url: string;
  /** Subgraphs are called with the identity the gateway would sign; gateways with a bearer token. */
  auth: 'identity' | 'token';
  identitySecret: string;
  jwtPrivateKeyFile: string;
  jwtIssuer: string;
}

export interface RunPlan extends TargetPlan {
  concurrency: number;
  warmupMs: number;
  durationMs: number;
}

export interface RunResult {
  seconds: number;
  /** Per mix label: latencies in ms (unsorted) and errors. */
  byLabel: Record<string, { kind: MixEntry['kind']; latencies: number[]; errors: number }>;
  firstError: string | null;
}

const VIEWER = { id: '018f0000-0000-7000-8000-00000000b001', role: 'BUSINESS' as const, sessionId: 'bench-search' };

async function headersFor(plan: TargetPlan): Promise<(body: string) => Record<string, string>> {
  const base = { 'content-type': 'application/json' };
  if (plan.auth === 'token') {
    const issuer = await createTokenIssuer({ privateKeyPem: readFileSync(plan.jwtPrivateKeyFile, 'utf8'), issuer: plan.jwtIssuer, ttlSeconds: 3_600 });
    const { token } = await issuer.sign(VIEWER);
    return () => ({ ...base, authorization: `Bearer ${token}` });
  }
  // A signature covers one body for the finder subgraph: signed per request, as the gateway does.
  return (body) => ({ ...base, [IDENTITY_HEADER]: signIdentity(VIEWER, plan.identitySecret, { audience: 'finder', method: 'POST', body }) });
}

async function search(url: string, headers: (body: string) => Record<string, string>, variables: object): Promise<{ endCursor: string | null; error: string | null }> {
  const body = JSON.stringify({ query: SEARCH_DOCUMENT, variables });
  const response = await fetch(url, { method: 'POST', headers: headers(body), body });
  const answer = (await response.json().catch(() => null)) as { data?: { searchProfessionals?: { pageInfo: { endCursor: string | null } } }; errors?: { message: string }[] } | null;
  const page = answer?.data?.searchProfessionals;
  if (response.status !== 200 || !page || answer?.errors?.length) {
    return { endCursor: null, error: `${response.status} ${answer?.errors?.map((e) => e.message).join('; ') ?? 'no page'}` };
  }
  return { endCursor: page.pageInfo.endCursor, error: null };
}

async function run(plan: RunPlan): Promise<RunResult> {
  const headers = await headersFor(plan);
  // Second pages need a cursor: one unmeasured first page each.
  const requests: object[] = [];
  for (const entry of SEARCH_MIX) {
    if (entry.kind !== 'next page') {
      requests.push(entry.args);
      continue;
    }
    const first = await search(plan.url, headers, entry.args);
    if (!first.endCursor) throw new Error(`no second page for ${entry.label}: ${first.error ?? 'the first page was the last'}`);
    requests.push({ ...entry.args, after: first.endCursor });
  }
  const byLabel: RunResult['byLabel'] = Object.fromEntries(SEARCH_MIX.map((e) => [e.label, { kind: e.kind, latencies: [], errors: 0 }]));
  let firstError: string | null = null;
  const client = async (offset: number, until: number, record: boolean) => {
    for (let i = offset; performance.now() < until; i++) {
      const index = i % SEARCH_MIX.length;
      const started = performance.now();
      const { error } = await search(plan.url, headers, requests[index]!);
      if (!record) continue;
      const slot = byLabel[SEARCH_MIX[index]!.label]!;
      if (error) {
        slot.errors++;
        firstError ??= error;
      } else slot.latencies.push(performance.now() - started);
    }
  };
  // Clients start at different places in the mix, so the mix is spread evenly over time.
  const clients = (until: number, record: boolean) =>
    Promise.all(Array.from({ length: plan.concurrency }, (_, c) => client(Math.floor((c * SEARCH_MIX.length) / plan.concurrency), until, record)));
  await clients(performance.now() + plan.warmupMs, false);
  const started = performance.now();
  await clients(started + plan.durationMs, true);
  return { seconds: (performance.now() - started) / 1000, byLabel, firstError };
}

serveRequests({ run: (message: { plan: RunPlan }) => run(message.plan) });
