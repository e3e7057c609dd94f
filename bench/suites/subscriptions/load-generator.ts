/**
 * The clients, in their own process: graphql-transport-ws spoken directly over `ws` (the least
 * client-side work per message, so the servers are what is measured). Each connection sends
 * connection_init with its own access token, then its subscriptions; every `next` is timed
 * against the publish time in its payload.
 */
import { readFileSync } from 'node:fs';
import { createTokenIssuer } from '@finder/platform/auth';
import { WebSocket } from 'ws';
import { serveRequests } from '../../lib/worker.ts';
import { percentile, wallClockMs } from '../../lib/stats.ts';
import { topicName } from './ticks.ts';

export interface ConnectPlan {
  url: string;
  connections: number;
  subscriptionsPerConnection: number;
  topics: number;
  query: string;
  /** 'distinct': every connection is its own user; 'shared': every connection is the same user. */
  users: 'distinct' | 'shared';
  /** Open the connections but leave subscribing for a later `subscribe` request. */
  deferSubscribe?: boolean;
  jwtPrivateKeyFile: string;
  jwtIssuer: string;
}

export interface WindowStats {
  deliveries: number;
  errored: number;
  p50: number | null;
  p99: number | null;
  max: number | null;
  lastAt: number;
  errors: string[];
}

const sockets: WebSocket[] = [];
const errors: string[] = [];
let plan: ConnectPlan;
let subscribed = 0;
/** Subscriptions that have seen at least one event (warm-up waits for all of them). */
const live = new Set<string>();
let minSeq = Number.POSITIVE_INFINITY;
let latencies = new Float64Array(1 << 20);
let count = 0;
let lastAt = 0;
/** Events that arrived as errors (e.g. a failed entity fetch): live, but not a delivery. */
let errored = 0;
/** Any `next`, counted or not: a backlog still draining from earlier steps keeps this moving. */
let lastMessageAt = 0;

const SEQ = /"seq":(\d+)/;
const PUBLISHED_AT = /"publishedAt":([\d.e+]+)/;

function record(connection: number, data: string) {
  if (!data.includes('"type":"next"')) return onControl(connection, data);
  const receivedAt = wallClockMs();
  lastMessageAt = receivedAt;
  if (data.includes('"errors":[')) {
    errored++;
    live.add(`${connection}:${/"id":"(\d+)"/.exec(data)?.[1]}`);
    return void note(`error event: ${data.slice(0, 200)}`);
  }
  const seq = Number(SEQ.exec(data)?.[1] ?? -1);
  const publishedAt = Number(PUBLISHED_AT.exec(data)?.[1]);
  if (seq < 0 || Number.isNaN(publishedAt)) return void note(`unexpected message: ${data.slice(0, 300)}`);
  // Outside a measurement window (warm-up): only which subscriptions are live yet matters.
  if (seq < minSeq) return void live.add(`${connection}:${/"id":"(\d+)"/.exec(data)?.[1]}`);
  if (count === latencies.length) {
    const grown = new Float64Array(latencies.length * 2);
    grown.set(latencies);
    latencies = grown;
  }
  latencies[count++] = receivedAt - publishedAt;
  lastAt = receivedAt;
}

function onControl(connection: number, data: string) {
  const message = JSON.parse(data) as { type: string; id?: string; payload?: unknown };
  if (message.type === 'connection_ack') {
    if (!plan.deferSubscribe) subscribeOn(connection);
  } else if (message.type === 'ping') {
    sockets[connection]!.send('{"type":"pong"}');
  } else if (message.type === 'error' || message.type === 'complete') {
    note(`${message.type} on connection ${connection}: ${JSON.stringify(message.payload ?? '')}`);
  }
}

function subscribeOn(connection: number) {
  const socket = sockets[connection]!;
  for (let j = 0; j < plan.subscriptionsPerConnection; j++) {
    const topic = topicName((connection * plan.subscriptionsPerConnection + j) % plan.topics);
    socket.send(JSON.stringify({ id: String(j), type: 'subscribe', payload: { query: plan.query, variables: { topic } } }));
    subscribed++;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const note = (message: string) => {
  if (errors.length < 20) errors.push(message);
};

function open(index: number, token: string): Promise<void> {
  return new Promise((resolve) => {
    const socket = new WebSocket(plan.url, 'graphql-transport-ws', { perMessageDeflate: false });
    sockets[index] = socket;
    socket.on('open', () => {
      socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
      resolve();
    });
    socket.on('message', (data) => record(index, data.toString()));
    socket.on('unexpected-response', (_req, res) => {
      note(`connection ${index} refused: HTTP ${res.statusCode}`);
      resolve();
    });
    socket.on('error', (err) => {
      note(`connection ${index}: ${err.message}`);
      resolve();
    });
    socket.on('close', (code, reason) => {
      if (code !== 1000) note(`connection ${index} closed ${code} ${reason.toString()}`);
    });
  });
}

serveRequests({
  async connect(message: ConnectPlan) {
    plan = message;
    const issuer = await createTokenIssuer({ privateKeyPem: readFileSync(plan.jwtPrivateKeyFile, 'utf8'), issuer: plan.jwtIssuer, ttlSeconds: 3_600 });
    const tokens = new Map<string, string>();
    const tokenFor = async (id: string) => {
      const cached = tokens.get(id);
      if (cached) return cached;
      const { token } = await issuer.sign({ id, role: 'BUSINESS', sessionId: `session-${id}` });
      tokens.set(id, token);
      return token;
    };
    // A bounded number of handshakes in flight, like a fleet of clients arriving, not one burst.
    let next = 0;
    const opener = async () => {
      for (let i = next++; i < plan.connections; i = next++) await open(i, await tokenFor(plan.users === 'shared' ? 'user-0' : `user-${i}`));
    };
    await Promise.all(Array.from({ length: 64 }, opener));
    return { opened: sockets.filter((s) => s.readyState === WebSocket.OPEN).length, errors };
  },
  subscribe() {
    for (let i = 0; i < sockets.length; i++) subscribeOn(i);
    return { subscribed };
  },
  /** How many subscriptions have received anything yet, and how many were sent. */
  coverage: () => ({ live: live.size, subscribed, open: sockets.filter((s) => s.readyState === WebSocket.OPEN).length, errors }),
  /** Starts a measurement window: events with a lower seq (an earlier step, the warm-up) are ignored. */
  window(message: { minSeq: number }) {
    minSeq = message.minSeq;
    count = 0;
    errored = 0;
    lastAt = 0;
  },
  /** Waits until no event at all has arrived for `quietMs`: what earlier steps queued is through. */
  async drain(message: { quietMs: number; maxWaitMs: number }) {
    const deadline = Date.now() + message.maxWaitMs;
    while (Date.now() < deadline && wallClockMs() - lastMessageAt < message.quietMs) await sleep(50);
  },
  /** Waits until `expected` deliveries arrived, or no event at all arrived for `quietMs`, then summarizes. */
  async collect(message: { expected: number; quietMs: number; maxWaitMs: number }): Promise<WindowStats> {
    const deadline = Date.now() + message.maxWaitMs;
    const startedAt = wallClockMs();
    while (count < message.expected && Date.now() < deadline && wallClockMs() - Math.max(lastMessageAt, startedAt) < message.quietMs) await sleep(50);
    const sorted = latencies.slice(0, count).sort();
    minSeq = Number.POSITIVE_INFINITY;
    const failed = errored;
    errored = 0;
    return { deliveries: count, errored: failed, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[count - 1] ?? Number.NaN, lastAt, errors: errors.splice(0) };
  },
  async close() {
    for (const socket of sockets) socket.terminate();
    sockets.length = 0;
  },
});
