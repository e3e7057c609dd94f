import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerUser } from '@finder/testing/accounts';
import { gql, ok } from '@finder/testing/graphql-client';
import { until } from '@finder/testing/processes';
import { ROOT_DIR, stackEnv } from '@finder/testing/stack';
import { connect } from '@finder/testing/ws-client';
import { describe, expect, it } from 'vitest';

const PROMETHEUS_DIR = join(ROOT_DIR, 'infra/prometheus');
const DASHBOARDS_DIR = join(ROOT_DIR, 'infra/grafana/dashboards');
const promtool = (...args: string[]) => execFileSync('promtool', args, { cwd: PROMETHEUS_DIR, encoding: 'utf8' });

interface Panel {
  title: string;
  targets?: { expr: string }[];
}

/** Every PromQL expression of the dashboards, with Grafana's range variable made concrete. */
function dashboardExpressions(): { where: string; expr: string }[] {
  return readdirSync(DASHBOARDS_DIR)
    .filter((f) => f.endsWith('.json'))
    .flatMap((file) => {
      const dashboard = JSON.parse(readFileSync(join(DASHBOARDS_DIR, file), 'utf8')) as { title: string; panels: Panel[] };
      return dashboard.panels.flatMap((panel) =>
        (panel.targets ?? []).map((t) => ({ where: `${dashboard.title} / ${panel.title}`, expr: t.expr.replaceAll('$__rate_interval', '1m') })),
      );
    });
}

/** What each alert measures: its expression without the final comparison with a threshold. */
function alertMeasurements(): { where: string; expr: string }[] {
  const text = readFileSync(join(PROMETHEUS_DIR, 'alerts.yml'), 'utf8');
  return [...text.matchAll(/- alert: (\w+)\n\s+expr: (.+)\n/g)].map(([, name, expr]) => ({
    where: `alert ${name}`,
    expr: expr!.replace(/\s*(==|!=|>=|<=|>|<)\s*[\d.e+-]+\s*$/, ''),
  }));
}

describe('observability: alert rules, Prometheus and the dashboards', () => {
  it('has alert rules promtool accepts, each firing on its unit test and quiet on healthy series', () => {
    expect(promtool('check', 'rules', 'alerts.yml')).toMatch(/SUCCESS: \d+ rules found/);
    expect(promtool('test', 'rules', 'alerts.test.yml')).toMatch(/SUCCESS/);
  });

  it('has Prometheus configurations promtool accepts: the local one and the compose one', () => {
    const env = stackEnv();
    expect(promtool('check', 'config', join(env.STATE_DIR!, 'prometheus/prometheus.yml'))).toMatch(/SUCCESS/);
    // The compose file's rule path is the container's; checked here against the repository's file.
    const dir = mkdtempSync(join(tmpdir(), 'prometheus-compose-'));
    try {
      const config = readFileSync(join(PROMETHEUS_DIR, 'prometheus.compose.yml'), 'utf8').replace('/etc/prometheus/alerts.yml', join(PROMETHEUS_DIR, 'alerts.yml'));
      writeFileSync(join(dir, 'prometheus.yml'), config);
      expect(promtool('check', 'config', join(dir, 'prometheus.yml'))).toMatch(/SUCCESS/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('scrapes every process, and every dashboard and alert expression returns data after a short load', { timeout: 180_000 }, async () => {
    const env = stackEnv();
    const prometheus = env.PROMETHEUS_URL!;
    const query = async (expr: string) => {
      const response = await fetch(`${prometheus}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await response.json()) as { status: string; error?: string; data?: { result: unknown[] } };
      if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
      return body.data!.result;
    };

    // Every process of the stack is a target, and up (Prometheus may have started a moment ago).
    const processes = readdirSync(join(env.STATE_DIR!, 'pids'))
      .map((f) => f.replace(/\.pid$/, ''))
      .filter((p) => /^(gateway-\d+|users|chat|finder|files)(-\w+)?$/.test(p));
    const targetsUp = async () => {
      const targets = (await (await fetch(`${prometheus}/api/v1/targets?state=active`)).json()) as { data: { activeTargets: { labels: { process: string }; health: string }[] } };
      return new Set(targets.data.activeTargets.filter((t) => t.health === 'up').map((t) => t.labels.process));
    };
    await until(
      async () => {
        const up = await targetsUp();
        return processes.length > 0 && processes.every((p) => up.has(p));
      },
      60_000,
      'every process scraped',
    ).catch(() => undefined);
    const up = await targetsUp();
    expect(processes.filter((p) => !up.has(p))).toEqual([]);

    // A short load through nginx: queries, a mutation through the write path, a live delivery.
    const url = env.PUBLIC_URL!;
    const [alice, bob] = await Promise.all([registerUser(url, 'Metrics Alice'), registerUser(url, 'Metrics Bob')]);
    const conversationId = ok(await gql(url, 'mutation Start($i: StartConversationInput!) { startConversation(input: $i) { id } }', { i: { participantIds: [bob.id] } }, { token: alice.token })).startConversation.id;
    const watcher = connect(url.replace(/^http/, 'ws'), { authorization: `Bearer ${bob.token}` });
    try {
      const live = watcher.subscribe('subscription($c: ID!) { messageAdded(conversationId: $c, after: 0) { id } }', { c: conversationId });
      for (let i = 0; i < 5; i++) {
        ok(await gql(url, 'query Me { me { id } }', {}, { token: alice.token }));
        ok(await gql(url, 'mutation Send($i: SendMessageInput!) { sendMessage(input: $i) { id } }', { i: { conversationId, body: `metrics ${i}` } }, { token: alice.token }));
      }
      await live.waitFor(5);
      // A refused operation is counted too, with its code.
      await gql(url, 'query { nope }', {}, { token: alice.token });
    } finally {
      await watcher.dispose();
    }

    // Every expression answers at least one series once Prometheus has scraped the load.
    const expressions = [...dashboardExpressions(), ...alertMeasurements()];
    expect(expressions.length).toBeGreaterThan(30);
    let empty: string[] = [];
    await until(
      async () => {
        empty = [];
        for (const { where, expr } of expressions) if ((await query(expr)).length === 0) empty.push(`${where}: ${expr}`);
        return empty.length === 0;
      },
      90_000,
      'every expression to return data',
    ).catch(() => undefined);
    expect(empty).toEqual([]);
    // The exporters reach their engines (an exporter answers pg_up/redis_up 0 when it cannot).
    expect(await query('pg_up == 1')).toHaveLength(1);
    expect(await query('redis_up == 1')).toHaveLength(1);

    // Operations are labelled by name only when the SDK's manifest has it (`Me`); any other name
    // (`Send`, `Start`: the client chooses them) is pooled, so the label set stays bounded.
    // (Awaited: the expressions above may all have answered from earlier traffic before a scrape.)
    const labelled = async () =>
      (await query('graphql_operations_total{operation="Me", type="query", outcome="ok"}')).length > 0 &&
      (await query('graphql_operations_total{operation="other", type="mutation"}')).length > 0;
    await until(labelled, 60_000, 'the short load to be scraped').catch(() => undefined);
    expect(await labelled()).toBe(true);
    expect(await query('graphql_operations_total{operation=~"Send|Start"}')).toEqual([]);
  });
});
