/**
 * Chat traffic through the public entry point, run as its own process (forkWorker): live
 * `messageAdded` subscriptions over graphql-ws and `sendMessage` mutations over HTTP, with the
 * latency of every message from the mutation's start to its arrival at each subscriber of its
 * conversation. Used by the write-path (end to end) and soak suites.
 */
import { Agent, request } from 'node:http';
import { createClient, type Client } from 'graphql-ws';
import { WebSocket } from 'ws';
import { percentile, wallClockMs } from './stats.ts';
import { serveRequests } from './worker.ts';

export interface OpenPlan {
  wsUrl: string;
  /** One socket each; every conversation id gets one subscription on it. */
  connections: { token: string; conversationIds: string[] }[];
  /** New sockets per second (the gateway limits them per client address). */
  connectPerSecond: number;
}

export interface SendPlan {
  httpUrl: string;
  senders: { token: string; conversationId: string }[];
  durationMs: number;
  /** Pause between one sender's messages; 0 sends the next as soon as the previous is answered. */
  intervalMs: number;
  /**
   * Open loop instead: all senders together offer this many messages/s, each on its own fixed
   * schedule (a random phase, then every senders/rate s) whether or not its last one was answered.
   */
  ratePerSecond?: number;
  /** How long to wait after the window for the last deliveries. */
  drainMs: number;
}

export interface SendResult {
  sent: number;
  acknowledged: number;
  errors: Record<string, number>;
  messagesPerSecond: number;
  ackP50Ms: number;
  ackP99Ms: number;
  /** Acknowledged messages that reached every subscription of their conversation. */
  deliveredToAll: number;
  /** From the mutation's start to the last subscriber's receipt. */
  allP50Ms: number;
  allP99Ms: number;
  missingDeliveries: number;
  duplicateDeliveries: number;
}

interface Tracked {
  startedAt: number;
  expected: number;
  received: number;
  lastAt: number;
  acked: boolean;
}

const MESSAGE_ADDED = 'subscription($id: ID!) { messageAdded(conversationId: $id) { id seq body } }';
const SEND = 'mutation($input: SendMessageInput!) { sendMessage(input: $input) { id seq } }';
const run = `${process.pid.toString(36)}${Date.now().toString(36)}`;

const clients: Client[] = [];
const subscriptionsPer = new Map<string, number>();
const tracked = new Map<string, Tracked>();
let duplicates = 0;
let subscriptionErrors = 0;
let firstSubscriptionError: string | null = null;
let nextMarker = 1;

function onMessage(body: string) {
  const entry = tracked.get(body);
  if (!entry) return;
  entry.received++;
  if (entry.received > entry.expected) duplicates++;
  entry.lastAt = wallClockMs();
}

async function open(plan: OpenPlan): Promise<{ connections: number; subscriptions: number }> {
  const gapMs = 1000 / plan.connectPerSecond;
  for (const connection of plan.connections) {
    const client = createClient({
      url: plan.wsUrl,
      webSocketImpl: WebSocket,
      lazy: false,
      connectionParams: { authorization: `Bearer ${connection.token}` },
      retryAttempts: 0,
      onNonLazyError: () => undefined,
    });
    clients.push(client);
    for (const id of connection.conversationIds) {
      subscriptionsPer.set(id, (subscriptionsPer.get(id) ?? 0) + 1);
      client.subscribe<{ messageAdded: { body: string } }>(
        { query: MESSAGE_ADDED, variables: { id } },
        {
          next: (result) => (result.data ? onMessage(result.data.messageAdded.body) : recordError(JSON.stringify(result.errors))),
          error: (err) => recordError(err instanceof Error ? err.message : JSON.stringify(err)),
          complete: () => undefined,
        },
      );
    }
    await new Promise((r) => setTimeout(r, gapMs));
  }
  return { connections: clients.length, subscriptions: [...subscriptionsPer.values()].reduce((a, b) => a + b, 0) };
}

function recordError(message: string) {
  subscriptionErrors++;
  firstSubscriptionError ??= message.slice(0, 300);
}

const agent = new Agent({ keepAlive: true, maxSockets: 256 });

function post(url: string, token: string, body: string): Promise<{ status: number; text: string }> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      { agent, host: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${token}` } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Sends one message and tracks it; resolves with the error code, or null when it was stored. */
async function sendOne(url: string, sender: SendPlan['senders'][number], ackLatencies?: number[]): Promise<string | null> {
  const marker = `bench ${run} ${nextMarker++}`;
  const entry: Tracked = { startedAt: wallClockMs(), expected: subscriptionsPer.get(sender.conversationId) ?? 0, received: 0, lastAt: 0, acked: false };
  tracked.set(marker, entry);
  try {
    const { status, text } = await post(url, sender.token, JSON.stringify({ query: SEND, variables: { input: { conversationId: sender.conversationId, body: marker } } }));
    const parsed = JSON.parse(text) as { data?: { sendMessage?: { seq: number } }; errors?: { extensions?: { code?: string } }[] };
    if (status !== 200 || parsed.errors?.length || !parsed.data?.sendMessage) return parsed.errors?.[0]?.extensions?.code ?? `HTTP_${status}`;
    entry.acked = true;
    ackLatencies?.push(wallClockMs() - entry.startedAt);
    return null;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? 'NETWORK';
  } finally {
    if (!entry.acked) tracked.delete(marker);
  }
}

/**
 * Until every subscription delivers: one message per conversation, again and again, until each
 * was received by all its subscriptions (subscribing has no acknowledgement in graphql-ws).
 */
async function warm({ httpUrl, senders, timeoutMs }: { httpUrl: string; senders: SendPlan['senders']; timeoutMs: number }): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const sender of senders) {
    for (;;) {
      if (Date.now() > deadline) throw new Error(`subscriptions of ${sender.conversationId} did not all deliver within ${timeoutMs} ms (errors: ${subscriptionErrors}, first: ${firstSubscriptionError})`);
      const before = new Set(tracked.keys());
      const error = await sendOne(httpUrl, sender);
      const marker = [...tracked.keys()].find((k) => !before.has(k));
      if (error || !marker) {
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      const entry = tracked.get(marker)!;
      const waitUntil = Date.now() + 2_000;
      while (entry.received < entry.expected && Date.now() < waitUntil) await new Promise((r) => setTimeout(r, 20));
      tracked.delete(marker);
      if (entry.received >= entry.expected) break;
    }
  }
}

async function send(plan: SendPlan): Promise<SendResult> {
  const errors: Record<string, number> = {};
  const ackLatencies: number[] = [];
  tracked.clear();
  duplicates = 0;
  let sent = 0;
  let stopped = false;
  const startedAt = wallClockMs();
  const lane = async (sender: SendPlan['senders'][number]) => {
    while (!stopped) {
      sent++;
      const error = await sendOne(plan.httpUrl, sender, ackLatencies);
      if (error) errors[error] = (errors[error] ?? 0) + 1;
      if (plan.intervalMs > 0) await new Promise((r) => setTimeout(r, plan.intervalMs));
    }
  };
  const inFlight = new Set<Promise<void>>();
  const openLane = async (sender: SendPlan['senders'][number]) => {
    const everyMs = (1000 * plan.senders.length) / plan.ratePerSecond!;
    for (let at = startedAt + Math.random() * everyMs; !stopped; at += everyMs) {
      const wait = at - wallClockMs();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (stopped) break;
      sent++;
      const one = sendOne(plan.httpUrl, sender, ackLatencies).then((error) => {
        if (error) errors[error] = (errors[error] ?? 0) + 1;
        inFlight.delete(one);
      });
      inFlight.add(one);
    }
  };
  const lanes = plan.senders.map(plan.ratePerSecond ? openLane : lane);
  await new Promise((r) => setTimeout(r, plan.durationMs));
  stopped = true;
  await Promise.all(lanes);
  await Promise.all(inFlight);
  const elapsedMs = wallClockMs() - startedAt;
  const drainUntil = Date.now() + plan.drainMs;
  while (Date.now() < drainUntil && [...tracked.values()].some((t) => t.received < t.expected)) await new Promise((r) => setTimeout(r, 50));

  const toAll: number[] = [];
  let missing = 0;
  for (const entry of tracked.values()) {
    if (entry.received >= entry.expected) toAll.push(entry.lastAt - entry.startedAt);
    else missing += entry.expected - entry.received;
  }
  const acked = tracked.size;
  tracked.clear();
  const sortedAck = Float64Array.from(ackLatencies).sort();
  const sortedAll = Float64Array.from(toAll).sort();
  return {
    sent,
    acknowledged: acked,
    errors,
    messagesPerSecond: (acked * 1000) / elapsedMs,
    ackP50Ms: percentile(sortedAck, 50),
    ackP99Ms: percentile(sortedAck, 99),
    deliveredToAll: toAll.length,
    allP50Ms: percentile(sortedAll, 50),
    allP99Ms: percentile(sortedAll, 99),
    missingDeliveries: missing,
    duplicateDeliveries: duplicates,
  };
}

serveRequests({
  open: (message: OpenPlan) => open(message),
  warm: (message: { httpUrl: string; senders: SendPlan['senders']; timeoutMs: number }) => warm(message),
  send: (message: SendPlan) => send(message),
  subscriptionErrors: () => ({ count: subscriptionErrors, first: firstSubscriptionError }),
  close: async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    agent.destroy();
  },
});
