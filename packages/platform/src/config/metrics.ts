import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * prom-client's event-loop lag monitor is a timer at this resolution, waking an idle process each
 * time (its default 10 ms: 100 times a second; 100 ms still cost 0.1% of a core per process at
 * rest). At 1 s the lag percentiles sample blocking rather than catch all of it; the utilization
 * gauge below sees every busy millisecond and costs nothing between scrapes.
 */
const EVENT_LOOP_MONITORING_PRECISION_MS = 1_000;

export function createRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_MONITORING_PRECISION_MS });
  eventLoopUtilizationGauge(registry);
  return registry;
}

/** The share of time the event loop was busy since the previous scrape (0 to 1): saturation. */
function eventLoopUtilizationGauge(registry: Registry): void {
  let previous: EventLoopUtilization = performance.eventLoopUtilization();
  new Gauge({
    name: 'nodejs_eventloop_utilization_ratio',
    help: 'Share of time the event loop was busy since the previous scrape',
    registers: [registry],
    collect() {
      const now = performance.eventLoopUtilization();
      this.set(performance.eventLoopUtilization(now, previous).utilization);
      previous = now;
    },
  });
}

export function httpRequestHistogram(registry: Registry) {
  return new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP requests by route and status',
    labelNames: ['route', 'method', 'status'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
}
