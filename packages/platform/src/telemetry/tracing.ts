import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { context, propagation, ROOT_CONTEXT, trace, SpanKind, TraceFlags, type Attributes, type Context, type Link, type Span } from '@opentelemetry/api';
import { ExportResultCode, W3CTraceContextPropagator, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  RandomIdGenerator,
  SamplingDecision,
  TraceIdRatioBasedSampler,
  type ReadableSpan,
  type Sampler,
  type SamplingResult,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { z } from 'zod';

/**
 * OpenTelemetry tracing, off unless OTEL_TRACES_EXPORTER names an exporter:
 * - `otlp`: OTLP over HTTP to OTEL_EXPORTER_OTLP_ENDPOINT (a collector; read by the exporter);
 * - `file`: one JSON line per span into OTEL_TRACES_DIR/<service>-<pid>.jsonl (local runs, tests).
 * Sampling follows the caller's `traceparent` (W3C) when there is one; traces that start here are
 * kept with probability OTEL_TRACES_SAMPLER_ARG (default 0.01).
 *
 * What is not sampled costs almost nothing: `inSpan`, where a request or a message enters a
 * process, decides first, and runs an unsampled one in a context that only carries its trace id
 * with the sampled flag off (so what it calls, and what leaves the process, follow the decision)
 * instead of making spans that record nothing; `inChildSpan` makes a span only under one that
 * records. The span machinery (sampler, ids, span objects, a context per span) runs for the
 * sampled ones only.
 */
const tracingEnv = z.object({
  OTEL_TRACES_EXPORTER: z.enum(['none', 'otlp', 'file']).default('none'),
  OTEL_TRACES_SAMPLER_ARG: z.coerce.number().min(0).max(1).default(0.01),
  OTEL_TRACES_DIR: z.string().min(1).optional(),
});

const TRACER = 'finder-realtime';
export const tracer = () => trace.getTracer(TRACER);

/**
 * The root sampler: a root that `inSpan` already decided to keep is kept (the decision is taken
 * once, before any span is made); any other root is kept with the configured probability.
 */
class DecidedRootSampler implements Sampler {
  /** Set only while `inSpan` starts a root it decided to keep (synchronously). */
  keepNext = false;
  private readonly ratio: Sampler;
  constructor(ratio: number) {
    this.ratio = new TraceIdRatioBasedSampler(ratio);
  }
  shouldSample(...args: Parameters<Sampler['shouldSample']>): SamplingResult {
    return this.keepNext ? { decision: SamplingDecision.RECORD_AND_SAMPLED } : this.ratio.shouldSample(...args);
  }
  toString(): string {
    return `DecidedRootSampler{${this.ratio.toString()}}`;
  }
}

/** Set while tracing is on: the root sampling probability and the sampler that honours decisions. */
let sampling: { ratio: number; root: DecidedRootSampler; ids: RandomIdGenerator } | null = null;

/** Writes finished spans as JSON lines: what a test or a developer reads without a collector. */
class FileSpanExporter implements SpanExporter {
  private readonly file: string;
  constructor(dir: string, service: string) {
    mkdirSync(dir, { recursive: true });
    this.file = join(dir, `${service}-${process.pid}.jsonl`);
  }
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    const lines = spans.map((s) =>
      JSON.stringify({
        service: (s.resource.attributes['service.name'] as string) ?? '',
        name: s.name,
        traceId: s.spanContext().traceId,
        spanId: s.spanContext().spanId,
        parentSpanId: s.parentSpanId ?? null,
        links: s.links.map((l) => ({ traceId: l.context.traceId, spanId: l.context.spanId })),
        start: s.startTime,
        duration: s.duration,
        attributes: s.attributes,
      }),
    );
    try {
      appendFileSync(this.file, `${lines.join('\n')}\n`);
      done({ code: ExportResultCode.SUCCESS });
    } catch (error) {
      done({ code: ExportResultCode.FAILED, error: error as Error });
    }
  }
  async shutdown(): Promise<void> {}
}

/**
 * Starts tracing for this process (once, before anything else), per the environment; returns the
 * flush to run at shutdown. The propagator (W3C trace context) is registered either way, so a
 * `traceparent` still passes through a process whose own spans are off.
 */
export function startTracing(service: string, source: NodeJS.ProcessEnv = process.env): () => Promise<void> {
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const env = tracingEnv.parse(source);
  if (env.OTEL_TRACES_EXPORTER === 'none') return async () => undefined;
  const exporter: SpanExporter =
    env.OTEL_TRACES_EXPORTER === 'file' ? new FileSpanExporter(env.OTEL_TRACES_DIR ?? '.state/traces', service) : new OTLPTraceExporter();
  const root = new DecidedRootSampler(env.OTEL_TRACES_SAMPLER_ARG);
  const provider = new NodeTracerProvider({
    resource: new Resource({ 'service.name': service }),
    sampler: new ParentBasedSampler({ root }),
    spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 500 })],
  });
  provider.register({ propagator: new W3CTraceContextPropagator() });
  sampling = { ratio: env.OTEL_TRACES_SAMPLER_ARG, root, ids: new RandomIdGenerator() };
  return async () => {
    sampling = null;
    await provider.shutdown();
  };
}

/** The context a `traceparent` (header or event field) names, or the root context without one. */
export function contextFrom(carrier: Record<string, unknown> | undefined): Context {
  return carrier ? propagation.extract(ROOT_CONTEXT, carrier) : ROOT_CONTEXT;
}

/** The `traceparent` of the active span, to carry in an event or a message; undefined without one. */
export function currentTraceparent(): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent;
}

/** Adds the active trace context to outgoing headers (a subgraph fetch). */
export function injectTraceHeaders(headers: Record<string, string>): void {
  propagation.inject(context.active(), headers);
}

/** A link to the trace a `traceparent` names (a batch span links every event it applies). */
export function linkTo(traceparent: string | undefined): Link[] {
  if (!traceparent) return [];
  const span = trace.getSpanContext(contextFrom({ traceparent }));
  return span ? [{ context: span }] : [];
}

/**
 * Runs `fn` in a span whose parent is the remote `traceparent` (or a new root), ending it after;
 * where the trace is not sampled (the caller's flag, or this process's decision for a new root),
 * in a context that only carries the trace and the decision, without a span.
 */
export function inSpan<T>(name: string, traceparent: string | undefined, kind: SpanKind, fn: (span: Span) => Promise<T>, links: Link[] = []): Promise<T> {
  const parent = contextFrom(traceparent ? { traceparent } : undefined);
  if (!sampling) return tracer().startActiveSpan(name, { kind, links }, parent, (span) => ended(span, fn));
  const remote = trace.getSpanContext(parent);
  const keep = remote ? (remote.traceFlags & TraceFlags.SAMPLED) !== 0 : Math.random() < sampling.ratio;
  if (!keep) {
    const unsampled = remote ? parent : trace.setSpanContext(ROOT_CONTEXT, { traceId: sampling.ids.generateTraceId(), spanId: sampling.ids.generateSpanId(), traceFlags: TraceFlags.NONE });
    return context.with(unsampled, () => fn(trace.getSpan(unsampled)!));
  }
  sampling.root.keepNext = !remote;
  let span: Span;
  try {
    span = tracer().startSpan(name, { kind, links }, parent);
  } finally {
    sampling.root.keepNext = false;
  }
  return context.with(trace.setSpan(parent, span), () => ended(span, fn));
}

/** Runs `fn` in a span under the active one when that one records; otherwise just runs it. */
export function inChildSpan<T>(name: string, attributes: Attributes, fn: () => Promise<T>): Promise<T> {
  if (!trace.getActiveSpan()?.isRecording()) return fn();
  return tracer().startActiveSpan(name, { attributes }, (span) => ended(span, fn));
}

async function ended<T>(span: Span, fn: (span: Span) => Promise<T>): Promise<T> {
  try {
    return await fn(span);
  } catch (err) {
    span.recordException(err as Error);
    throw err;
  } finally {
    span.end();
  }
}

export { SpanKind };
