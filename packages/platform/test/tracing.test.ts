import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { context, propagation, trace } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { currentTraceparent, inChildSpan, inSpan, injectTraceHeaders, SpanKind, startTracing } from '../src/telemetry/tracing.ts';

interface ExportedSpan {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
}

const SAMPLED = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const UNSAMPLED = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00';
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-(0[01])$/;

/** Tracing on with the file exporter at `ratio`; `run` then the spans this process exported. */
async function traced(ratio: number, run: () => Promise<void>): Promise<ExportedSpan[]> {
  const dir = mkdtempSync(join(tmpdir(), 'tracing-'));
  const stop = startTracing('tracing-test', { OTEL_TRACES_EXPORTER: 'file', OTEL_TRACES_DIR: dir, OTEL_TRACES_SAMPLER_ARG: String(ratio) });
  try {
    await run();
  } finally {
    await stop();
  }
  const spans = readdirSync(dir).flatMap((file) =>
    readFileSync(join(dir, file), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as ExportedSpan),
  );
  rmSync(dir, { recursive: true, force: true });
  return spans;
}

/** What a request does in the gateway: a server span, the request span and a subgraph fetch's headers. */
const request = (traceparent: string | undefined) =>
  inSpan('gateway POST /graphql', traceparent, SpanKind.SERVER, () =>
    inChildSpan('gateway.request', {}, () =>
      inChildSpan('gateway.fetch', { service: 'users' }, async () => {
        await new Promise((resolve) => setImmediate(resolve));
        const headers: Record<string, string> = {};
        injectTraceHeaders(headers);
        return { headers, event: currentTraceparent() };
      }),
    ),
  );

describe('tracing: sampling decided where a request enters', () => {
  afterEach(() => {
    // startTracing registers the global provider and context manager; each test starts its own.
    trace.disable();
    context.disable();
    propagation.disable();
  });

  it('a sampled request makes the server, request and fetch spans, one trace, each under the last', async () => {
    let sent: Record<string, string> = {};
    const spans = await traced(1, async () => {
      ({ headers: sent } = await request(undefined));
    });
    expect(spans.map((s) => s.name).sort()).toEqual(['gateway POST /graphql', 'gateway.fetch', 'gateway.request']);
    const byName = Object.fromEntries(spans.map((s) => [s.name, s]));
    expect(new Set(spans.map((s) => s.traceId)).size).toBe(1);
    expect(byName['gateway POST /graphql']!.parentSpanId).toBeNull();
    expect(byName['gateway.request']!.parentSpanId).toBe(byName['gateway POST /graphql']!.spanId);
    expect(byName['gateway.fetch']!.parentSpanId).toBe(byName['gateway.request']!.spanId);
    // The subgraph is told the fetch span is its parent, and that the trace is sampled.
    expect(sent.traceparent).toBe(`00-${byName['gateway.fetch']!.traceId}-${byName['gateway.fetch']!.spanId}-01`);
  });

  it('an unsampled new request makes no span, yet carries a trace id with the sampled flag off', async () => {
    const seen: { headers: Record<string, string>; event: string | undefined }[] = [];
    const spans = await traced(0, async () => {
      for (let i = 0; i < 20; i++) seen.push(await request(undefined));
    });
    expect(spans).toEqual([]);
    const traceIds = new Set<string>();
    for (const { headers, event } of seen) {
      const match = TRACEPARENT.exec(headers.traceparent ?? '');
      expect(match, headers.traceparent).not.toBeNull();
      expect(match![3]).toBe('00');
      expect(event).toBe(headers.traceparent);
      traceIds.add(match![1]!);
    }
    expect(traceIds.size).toBe(seen.length);
  });

  it("the caller's flag wins over the ratio, both ways", async () => {
    let sent: Record<string, string> = {};
    const kept = await traced(0, async () => {
      ({ headers: sent } = await request(SAMPLED));
    });
    expect(kept.map((s) => s.name).sort()).toEqual(['gateway POST /graphql', 'gateway.fetch', 'gateway.request']);
    expect(kept.every((s) => s.traceId === '0af7651916cd43dd8448eb211c80319c')).toBe(true);
    expect(kept.find((s) => s.name === 'gateway POST /graphql')!.parentSpanId).toBe('b7ad6b7169203331');
    expect(sent.traceparent).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/);

    const dropped = await traced(1, async () => {
      ({ headers: sent } = await request(UNSAMPLED));
    });
    expect(dropped).toEqual([]);
    expect(sent.traceparent).toBe(UNSAMPLED);
  });

  it('new traces are kept at about the configured ratio', async () => {
    const spans = await traced(0.2, async () => {
      for (let i = 0; i < 2_000; i++) await inSpan('root', undefined, SpanKind.SERVER, async () => undefined);
    });
    // 400 expected; 5 standard deviations (~89) either side.
    expect(spans.length).toBeGreaterThan(300);
    expect(spans.length).toBeLessThan(500);
  });
});
