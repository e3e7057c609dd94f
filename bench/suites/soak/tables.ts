import type { SendResult } from '../../lib/chat-traffic.ts';
import type { HttpLoadResult } from '../../lib/http-load.ts';
import type { SuiteReport, Table } from '../../lib/report.ts';
import type { Growth } from './rss-sampler.ts';
import { GROWTH_LIMIT, type SoakSettings } from './settings.ts';

const mb = (bytes: number) => (Number.isFinite(bytes) ? (bytes / 2 ** 20).toFixed(1) : '—');
const fixed = (value: number, digits = 0) => (Number.isFinite(value) ? value.toFixed(digits) : '—');

export function renderSoakTables(options: {
  quick: boolean;
  config: SoakSettings;
  growth: Growth[];
  queries: HttpLoadResult;
  messages: SendResult;
  subscriptions: { connections: number; subscriptions: number };
  subscriptionErrors: { count: number; first: string | null };
}): SuiteReport {
  const { quick, config, growth, queries: q, messages: m, subscriptions, subscriptionErrors } = options;
  const flagged = growth.filter((g) => !(g.growth <= GROWTH_LIMIT));
  const memory: Table = {
    caption: `RSS of every stack process (with its children), sampled every ${config.sampleMs / 1000} s; growth = mean of the last ${fixed(config.windowMs / 1000)} s against the first ${fixed(config.windowMs / 1000)} s after a ${fixed(config.warmupMs / 1000)} s warm-up`,
    columns: ['process', 'after warm-up MB', 'at the end MB', 'max MB', 'growth', 'flag'],
    rows: growth.map((g) => [g.name, mb(g.afterWarmupBytes), mb(g.endBytes), mb(g.maxBytes), `${fixed(g.growth * 100, 1)}%`, g.growth <= GROWTH_LIMIT ? 'ok' : `GROWTH > ${GROWTH_LIMIT * 100}%`]),
  };
  const errors = Object.entries(m.errors).map(([code, n]) => `${code} ${n}`).join(', ') || '0';
  const load: Table = {
    caption: `Load during the soak (${fixed(config.durationMs / 60_000, 1)} min, through nginx and both gateways)`,
    columns: ['traffic', 'count', 'per second', 'p50 ms', 'p99 ms', 'errors', 'notes'],
    rows: [
      ['queries (tiny and medium, alternating)', q.requests, fixed(q.requestsPerSecond, 1), fixed(q.p50Ms, 1), fixed(q.p99Ms, 1), q.errors, `${config.queryLanes} lanes, ${config.queryIntervalMs} ms pause`],
      ['sendMessage (acknowledged)', m.acknowledged, fixed(m.messagesPerSecond, 1), fixed(m.ackP50Ms, 1), fixed(m.ackP99Ms, 1), errors, `${config.conversations} senders, one message per ${config.messageIntervalMs / 1000} s each`],
      ['deliveries to every subscriber', m.deliveredToAll, '', fixed(m.allP50Ms, 1), fixed(m.allP99Ms, 1), subscriptionErrors.count, `missing ${m.missingDeliveries}, duplicates ${m.duplicateDeliveries}`],
      ['live subscriptions', subscriptions.subscriptions, '', '', '', subscriptionErrors.count, `${subscriptions.connections} sockets`],
    ],
  };
  const notes = [
    flagged.length === 0 ? `No process grew more than ${GROWTH_LIMIT * 100}% after warm-up.` : `Flagged (growth > ${GROWTH_LIMIT * 100}% after warm-up): ${flagged.map((g) => g.name).join(', ')}.`,
    'Runs against the `./dev up` stack (dev-like: two gateways behind nginx, one process per subgraph role, the local Kafka-protocol broker); the stack keeps running afterwards.',
  ];
  if (subscriptionErrors.first) notes.push(`First subscription error: ${subscriptionErrors.first}`);
  if (q.errorSample) notes.push(`First query error: ${q.errorSample}`);
  if (quick) notes.push('Quick mode: a harness check, not a measurement.');
  return { title: `soak${quick ? ' (quick)' : ''}`, tables: [memory, load], notes, packages: ['@apollo/gateway', 'graphql-ws', 'kafkajs', 'nginx', 'redis-server'] };
}
