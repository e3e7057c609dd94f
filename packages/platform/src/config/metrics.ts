import { Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const EVENT_LOOP_MONITORING_PRECISION_MS = 100;

export function createRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  // The event-loop lag monitor is a timer at this resolution: prom-client's 10 ms woke every idle
  // process 100 times a second; 100 ms still measures lag to the millisecond (p99 in Grafana).
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_MONITORING_PRECISION_MS });
  return registry;
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
