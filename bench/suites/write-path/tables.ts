import type { SendResult } from '../../lib/chat-traffic.ts';
import type { SuiteReport, Table } from '../../lib/report.ts';
import type { BacklogRace, DrainResult } from './drain.ts';
import { SUSTAINED_P99_MS, sustainedStep, type LiveStackConfig, type LiveStackResult } from './live-stack.ts';

const fixed = (value: number, digits = 0) => (Number.isFinite(value) ? value.toFixed(digits) : '—');

export function renderWritePathTables(options: {
  quick: boolean;
  config: { conversations: number; messages: number; naiveCapMs: number; senders: number; sendMs: number; kafkaLikeRecordBatch: number; smallRecordBatch: number; live: LiveStackConfig };
  race: BacklogRace;
  endToEnd: SendResult | { failure: string };
  live: LiveStackResult | { failure: string };
}): SuiteReport {
  const { quick, config, race, endToEnd: e, live } = options;
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
    columns: ['consumer', 'events per record batch', 'messages measured', 'seconds', 'messages/s', 'whole backlog', 'vs naive'],
    rows: [
      drainRow('chat persister (batched, multi-row)', String(config.kafkaLikeRecordBatch), persister, ratio(persister)),
      ...(small ? [drainRow('chat persister (batched, multi-row)', String(config.smallRecordBatch), small, ratio(small))] : []),
      drainRow('naive: one transaction per message', `${config.kafkaLikeRecordBatch} (handled 1 at a time)`, naive, '1.0×'),
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
    `Persister vs naive: ${fixed(speedup, 1)}× (target ≥ 10×: ${speedup >= 10 ? 'met' : 'NOT met'}), with the backlog in record batches of ${config.kafkaLikeRecordBatch} events per partition${small ? `; ${ratio(small)} with record batches of ${config.smallRecordBatch}` : ''}.`,
    'Each consumer drains a pre-produced backlog from a private broker into its own database migrated like chat; rates count from the first stored message, so the consumer-group join is excluded.',
    race.servicesBeside
      ? 'The ./dev stack was up when the suite started: its idle services (see the idle table for their CPU) ran beside the backlog race.'
      : 'The ./dev stack was not up: the suite started its infrastructure alone for the backlog race (Postgres, Redis, brokers; no idle services beside it), then the services for the end-to-end part.',
    `Events per fetch: the local broker answers a fetch as Kafka does, with as many record batches as fit in the consumer's maxBytesPerPartition (1 MiB in kafkajs; until 2026-12-07 it answered with one record batch per partition). The backlog is produced in record batches of ${config.kafkaLikeRecordBatch} events per partition (${Math.round((config.kafkaLikeRecordBatch * race.meanEventBytes) / 1024)} KiB of event values)${small ? `; the second persister row drains the same backlog produced in record batches of ${config.smallRecordBatch}, as earlier runs of this suite did` : ''}. The naive consumer handles one event at a time either way.`,
    'The naive consumer (bench/suites/write-path/naive-consumer.ts) does less per message than the persister: no idempotence record, no read-state update, no Redis publish.',
    'End to end: the latency of a message runs from the start of its mutation to its arrival at the last subscriber of its conversation (the business and the professional, over graphql-ws through nginx).',
  ];
  const liveTables = 'failure' in live ? [] : liveStackTables(live, config.live);
  if ('failure' in live) notes.push(`Idle CPU, one sender and the open loop: not measured: ${live.failure}`);
  else notes.push(...liveStackNotes(live, config.live));
  if (quick) notes.push('Quick mode: a harness check, not a measurement.');
  return {
    title: `write-path${quick ? ' (quick)' : ''}`,
    tables: [backlog, endToEnd, ...liveTables],
    notes,
    packages: ['kafkajs', 'pg', '@mikro-orm/postgresql', 'graphql-ws', 'nginx', 'redis-server'],
  };
}

const sendRow = (label: string, r: SendResult) => [
  label,
  r.sent,
  r.acknowledged,
  fixed(r.messagesPerSecond),
  fixed(r.ackP50Ms, 1),
  fixed(r.ackP99Ms, 1),
  fixed(r.allP50Ms, 1),
  fixed(r.allP99Ms, 1),
  Object.entries(r.errors).map(([code, n]) => `${code} ${n}`).join(', ') || '0',
  r.missingDeliveries,
  r.duplicateDeliveries,
];
const SEND_COLUMNS = ['run', 'sent', 'acknowledged', 'messages/s', 'ack p50 ms', 'ack p99 ms', 'to every subscriber p50 ms', 'p99 ms', 'errors', 'missing deliveries', 'duplicates'];

function liveStackTables(live: LiveStackResult, config: LiveStackConfig): Table[] {
  const idleTotal = live.idle.reduce((sum, p) => sum + p.percentOfCore, 0);
  const perMessageTotal = live.cpuPerMessage.reduce((sum, p) => sum + p.cpuMs, 0);
  const best = sustainedStep(live.steps);
  return [
    {
      caption: `The ./dev stack at rest: CPU of every process (utime + stime from /proc, with its children), ${live.idleMs / 1000} s`,
      columns: ['process', '% of one core'],
      rows: [...live.idle.map((p) => [p.name, fixed(p.percentOfCore, 2)]), ['whole stack', fixed(idleTotal, 2)]],
    },
    {
      caption: `sendMessage through nginx, open loop: ${config.conversations} conversations between two professionals, each sending; both subscribe to messageAdded`,
      columns: SEND_COLUMNS,
      rows: [
        sendRow('one sender alone, closed loop (25 ms between messages), idle stack', live.oneSender),
        sendRow(`${config.openLoopRate}/s from ${2 * config.conversations} senders, ${config.openLoopMs / 1000} s`, live.openLoop),
        ...live.steps.map((s) => sendRow(`step: ${s.rate}/s, ${config.stepMs / 1000} s`, s.result)),
        ['sustained maximum (p99 < 100 ms, nothing lost)', best ? `${best.rate}/s` : 'none of the steps', '', '', '', '', '', '', '', '', ''],
      ],
    },
    {
      caption: `CPU per acknowledged message by process over the ${config.openLoopRate}/s open-loop window (ms)`,
      columns: ['process', 'CPU ms per message'],
      rows: [...live.cpuPerMessage.map((p) => [p.name, fixed(p.cpuMs, 3)]), ['whole stack', fixed(perMessageTotal, 3)]],
    },
  ];
}

function liveStackNotes(live: LiveStackResult, config: LiveStackConfig): string[] {
  const idleTotal = live.idle.reduce((sum, p) => sum + p.percentOfCore, 0);
  const o = live.openLoop;
  return [
    `Idle stack: ${fixed(idleTotal, 1)}% of one core in all (target < 5%: ${idleTotal < 5 ? 'met' : 'NOT met'}).`,
    `One sender on the idle stack: ack p50 ${fixed(live.oneSender.ackP50Ms, 1)} ms (target < 15 ms: ${live.oneSender.ackP50Ms < 15 ? 'met' : 'NOT met'}).`,
    `Open loop at ${config.openLoopRate}/s: ack p99 ${fixed(o.ackP99Ms, 1)} ms, to every subscriber p99 ${fixed(o.allP99Ms, 1)} ms, ${o.missingDeliveries} missing, ${o.duplicateDeliveries} duplicates (target: both p99 < 50 ms with 0 and 0: ${o.ackP99Ms < 50 && o.allP99Ms < 50 && o.missingDeliveries === 0 && o.duplicateDeliveries === 0 && o.acknowledged === o.sent ? 'met' : 'NOT met'}).`,
    `Steps: each offers its rate open loop (every sender on a fixed schedule with a random phase, not waiting for answers); they stop after the first step that is not sustained (ack or delivery p99 ≥ ${SUSTAINED_P99_MS} ms, or anything lost or refused).`,
  ];
}
