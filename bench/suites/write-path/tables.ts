import type { SendResult } from '../../lib/chat-traffic.ts';
import type { SuiteReport, Table } from '../../lib/report.ts';
import type { BacklogRace, DrainResult } from './drain.ts';

const fixed = (value: number, digits = 0) => (Number.isFinite(value) ? value.toFixed(digits) : '—');

export function renderWritePathTables(options: {
  quick: boolean;
  config: { conversations: number; messages: number; naiveCapMs: number; senders: number; sendMs: number; kafkaLikeRecordBatch: number; smallRecordBatch: number };
  race: BacklogRace;
  endToEnd: SendResult | { failure: string };
}): SuiteReport {
  const { quick, config, race, endToEnd: e } = options;
  const { persister, persisterSmallBatches: small, naive } = race;
  const failed = 'failure' in e;
  const ratio = (d: DrainResult) => `${fixed(d.perSecond / naive.perSecond, 1)}×`;
  const drainRow = (label: string, perFetch: string, d: DrainResult, vsNaive: string) => [
    label,
    perFetch,
    d.messages,
    fixed(d.seconds, 1),
    fixed(d.perSecond),
    d.complete ? 'yes' : 'no (time cap or stalled)',
    vsNaive,
  ];
  const speedup = persister.perSecond / naive.perSecond;
  const backlog: Table = {
    caption: `Draining one chat.events backlog (${config.messages.toLocaleString('en')} messages in ${config.conversations} conversations, ${Math.round(race.meanEventBytes)} bytes per event) into Postgres`,
    columns: ['consumer', 'events per partition per fetch', 'messages measured', 'seconds', 'messages/s', 'whole backlog', 'vs naive'],
    rows: [
      drainRow('chat persister (batched, multi-row)', `≤ ${config.kafkaLikeRecordBatch}`, persister, ratio(persister)),
      ...(small ? [drainRow('chat persister (batched, multi-row)', `≤ ${config.smallRecordBatch}`, small, ratio(small))] : []),
      drainRow('naive: one transaction per message', '1 at a time', naive, '1.0×'),
    ],
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
    `Persister vs naive: ${fixed(speedup, 1)}× (target ≥ 10×: ${speedup >= 10 ? 'met' : 'NOT met'}), with fetches of up to ${config.kafkaLikeRecordBatch} events per partition${small ? `; ${ratio(small)} with fetches of up to ${config.smallRecordBatch}` : ''}.`,
    'Each consumer drains a pre-produced backlog from a private broker into its own database migrated like chat; rates count from the first stored message, so the consumer-group join is excluded.',
    race.servicesBeside
      ? 'The ./dev stack was up when the suite started: its idle services (about 0.4 of the 2 cores, their consumers polling the local broker) ran beside the backlog race.'
      : 'The ./dev stack was not up: the suite started its infrastructure alone for the backlog race (Postgres, Redis, brokers; no idle services beside it), then the services for the end-to-end part.',
    `Events per fetch: the local broker answers a fetch with one record batch per partition, where Kafka fills up to the consumer's maxBytesPerPartition (1 MiB in kafkajs) with as many as fit. The backlog is produced in record batches of ${config.kafkaLikeRecordBatch} events per partition (${Math.round((config.kafkaLikeRecordBatch * race.meanEventBytes) / 1024)} KiB of event values), within what one Kafka fetch returns per partition${small ? `; the second persister row drains the same backlog produced in record batches of ${config.smallRecordBatch}, as earlier runs of this suite did` : ''}. The naive consumer handles one event at a time either way.`,
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
