import type { SendResult } from '../../lib/chat-traffic.ts';
import type { SuiteReport, Table } from '../../lib/report.ts';
import type { DrainResult } from './drain.ts';

const fixed = (value: number, digits = 0) => (Number.isFinite(value) ? value.toFixed(digits) : '—');

export function renderWritePathTables(options: {
  quick: boolean;
  config: { conversations: number; messages: number; naiveCapMs: number; senders: number; sendMs: number };
  persister: DrainResult;
  naive: DrainResult;
  endToEnd: SendResult | { failure: string };
}): SuiteReport {
  const { quick, config, persister, naive, endToEnd: e } = options;
  const failed = 'failure' in e;
  const drainRow = (label: string, d: DrainResult) => [label, d.messages, fixed(d.seconds, 1), fixed(d.perSecond), d.complete ? 'yes' : 'no (time cap or stalled)'];
  const speedup = persister.perSecond / naive.perSecond;
  const backlog: Table = {
    caption: `Draining one chat.events backlog (${config.messages.toLocaleString('en')} messages in ${config.conversations} conversations) into Postgres`,
    columns: ['consumer', 'messages measured', 'seconds', 'messages/s', 'whole backlog'],
    rows: [drainRow('chat persister (batched, multi-row)', persister), drainRow('naive: one transaction per message', naive), ['ratio', '', '', `${fixed(speedup, 1)}×`, '']],
  };
  const errors = failed ? '' : Object.entries(e.errors).map(([code, n]) => `${code} ${n}`).join(', ') || '0';
  const endToEnd: Table = {
    caption: `sendMessage end to end through nginx and the gateways (${config.senders} senders, closed loop, 2 subscribers per conversation)`,
    columns: ['acknowledged', 'messages/s', 'ack p50 ms', 'ack p99 ms', 'to every subscriber p50 ms', 'p99 ms', 'errors', 'missing deliveries', 'duplicates'],
    rows: failed
      ? [['—', '—', '—', '—', '—', '—', `not measured: ${e.failure}`, '—', '—']]
      : [[e.acknowledged, fixed(e.messagesPerSecond), fixed(e.ackP50Ms, 1), fixed(e.ackP99Ms, 1), fixed(e.allP50Ms, 1), fixed(e.allP99Ms, 1), errors, e.missingDeliveries, e.duplicateDeliveries]],
  };
  const notes = [
    `Persister vs naive: ${fixed(speedup, 1)}× (target ≥ 10×: ${speedup >= 10 ? 'met' : 'NOT met'}).`,
    'Both consume the same pre-produced backlog from a private broker into their own database migrated like chat; rates count from the first stored message, so the consumer-group join is excluded.',
    'The naive consumer (bench/suites/write-path/naive-consumer.ts) does less per message than the persister: no idempotence record, no read-state update, no Redis publish.',
    'End to end: the latency of a message runs from the start of its mutation to its arrival at the last subscriber of its conversation (the business and the professional, over graphql-ws through nginx).',
  ];
  if (quick) notes.push('Quick mode: a harness check, not a measurement.');
  return {
    title: `write-path${quick ? ' (quick)' : ''}`,
    tables: [backlog, endToEnd],
    notes,
    packages: ['kafkajs', 'pg', '@mikro-orm/postgresql', 'graphql-ws', 'nginx', 'redis-server'],
  };
}
