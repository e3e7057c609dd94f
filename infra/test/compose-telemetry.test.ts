import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT_DIR } from '@finder/testing/stack';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

// docker compose is not run here, so this holds its telemetry wiring together offline: the
// services' OTLP endpoint reaches the collector, the collector's pipeline is complete and ends in
// Jaeger, and Prometheus and Grafana know every source the dashboards read.
const read = (path: string) => parse(readFileSync(join(ROOT_DIR, path), 'utf8'), { merge: true });
const compose = read('docker-compose.yml') as { services: Record<string, { environment?: Record<string, string>; image?: string; ports?: string[] }> };
const collector = read('infra/otel/collector.yaml') as {
  receivers: Record<string, { protocols: Record<string, { endpoint: string }> }>;
  processors: Record<string, unknown>;
  exporters: Record<string, { endpoint: string }>;
  extensions?: Record<string, unknown>;
  service: { extensions?: string[]; pipelines: Record<string, { receivers: string[]; processors: string[]; exporters: string[] }> };
};
const hostPort = (url: string) => {
  const { hostname, port } = new URL(url.includes('://') ? url : `tcp://${url}`);
  return { host: hostname, port: Number(port) };
};

describe('docker compose telemetry wiring', () => {
  it('every service that exports spans sends them to a collector receiver that exists', () => {
    const exporting = Object.entries(compose.services).filter(([, s]) => s.environment?.OTEL_TRACES_EXPORTER === 'otlp');
    expect(exporting.map(([name]) => name)).toEqual(expect.arrayContaining(['gateway-1', 'gateway-2', 'users', 'chat', 'chat-persister', 'finder', 'files']));
    const httpReceiver = hostPort(collector.receivers.otlp!.protocols.http!.endpoint);
    for (const [name, service] of exporting) {
      const endpoint = hostPort(service.environment!.OTEL_EXPORTER_OTLP_ENDPOINT ?? '');
      expect(compose.services[endpoint.host], `${name}: OTLP endpoint host`).toBeDefined();
      expect(endpoint.port, `${name}: OTLP endpoint port`).toBe(httpReceiver.port);
    }
  });

  it("the collector's pipelines use only components it defines, and end in a Jaeger that takes OTLP", () => {
    for (const [name, pipeline] of Object.entries(collector.service.pipelines)) {
      for (const r of pipeline.receivers) expect(collector.receivers, `${name}: receiver ${r}`).toHaveProperty([r]);
      for (const p of pipeline.processors) expect(collector.processors, `${name}: processor ${p}`).toHaveProperty([p]);
      for (const e of pipeline.exporters) expect(collector.exporters, `${name}: exporter ${e}`).toHaveProperty([e]);
    }
    for (const e of collector.service.extensions ?? []) expect(collector.extensions).toHaveProperty([e]);
    const traces = collector.service.pipelines.traces!;
    expect(traces.processors.at(-1)).toBe('batch');
    const jaeger = hostPort(collector.exporters[traces.exporters[0]!]!.endpoint);
    expect(compose.services[jaeger.host]?.image).toMatch(/^jaegertracing\//);
    expect(compose.services[jaeger.host]?.environment?.COLLECTOR_OTLP_ENABLED).toBe('true');
    expect(jaeger.port).toBe(4317);
  });

  it('Prometheus scrapes the exporters compose runs, and Grafana has every data source the dashboards name', () => {
    const prometheus = read('infra/prometheus/prometheus.compose.yml') as { scrape_configs: { job_name: string; static_configs?: { targets: string[] }[] }[] };
    const targets = prometheus.scrape_configs.flatMap((c) => (c.static_configs ?? []).flatMap((s) => s.targets)).map((t) => hostPort(t).host);
    for (const exporter of ['postgres-exporter', 'redis-exporter', 'otel-collector']) {
      expect(targets).toContain(exporter);
      expect(compose.services[exporter], exporter).toBeDefined();
    }
    const sourcesDir = join(ROOT_DIR, 'infra/grafana/provisioning/datasources');
    const uids = readdirSync(sourcesDir).flatMap((f) => (parse(readFileSync(join(sourcesDir, f), 'utf8')) as { datasources: { uid: string }[] }).datasources.map((d) => d.uid));
    const dashboardsDir = join(ROOT_DIR, 'infra/grafana/dashboards');
    for (const file of readdirSync(dashboardsDir)) {
      const dashboard = JSON.parse(readFileSync(join(dashboardsDir, file), 'utf8')) as { panels: { datasource?: { uid: string } }[] };
      for (const panel of dashboard.panels) if (panel.datasource) expect(uids, file).toContain(panel.datasource.uid);
    }
    expect(uids).toEqual(expect.arrayContaining(['prometheus', 'jaeger']));
  });
});
