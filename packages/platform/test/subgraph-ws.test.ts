import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GraphQLError, buildSchema, type GraphQLObjectType, type GraphQLSchema } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import { afterEach, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createAsyncQueue, type AsyncQueue } from '../src/realtime/async-queue.ts';
import { randomSecret } from '@finder/testing/keys';
import { signIdentity, subgraphIdentitySecret, type Viewer } from '../src/auth/identity.ts';
import { createLogger } from '../src/config/logger.ts';
import { connectScope, subscribeScope } from '../src/realtime/protocol.ts';
import { attachSubgraphSubscriptions, type CursorContext } from '../src/realtime/subgraph-ws.ts';

const identitySecret = randomSecret();
const viewer: Viewer = { id: 'u1', role: 'BUSINESS', sessionId: 's1' } as Viewer;

interface Fixture {
  client: Client;
  /** The source stream of each subscription the resolver started, in order. */
  sources: AsyncQueue<{ seq: number }>[];
  returned: () => number;
  url: string;
}

let server: Server | null = null;
let close: (() => Promise<void>) | null = null;
afterEach(async () => {
  await close?.();
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
});

/**
 * A subgraph whose `counter` stream is a queue the test pushes into (no Redis needed for what is
 * tested here: the subgraph's side of the protocol), reached with graphql-ws as the gateway does.
 */
async function start(): Promise<Fixture> {
  const schema: GraphQLSchema = buildSchema(`type Query { ok: Boolean } type Tick { seq: Int! double: Int! pad: String! } type Subscription { counter(from: Int!): Tick! }`);
  const sources: AsyncQueue<{ seq: number }>[] = [];
  let returned = 0;
  const fields = schema.getSubscriptionType()!.getFields();
  fields.counter!.subscribe = (_root, args: { from: number }) => {
    if (args.from < 0) throw new GraphQLError('from must be at least 0', { extensions: { code: 'BAD_USER_INPUT' } });
    const source = createAsyncQueue<{ seq: number }>(() => returned++);
    sources.push(source);
    return source;
  };
  fields.counter!.resolve = (event: { seq: number }, _args, ctx: CursorContext) => {
    ctx.cursor = event.seq;
    return event;
  };
  (schema.getType('Tick') as GraphQLObjectType).getFields().double!.resolve = (event: { seq: number }) => event.seq * 2;
  (schema.getType('Tick') as GraphQLObjectType).getFields().pad!.resolve = () => 'x'.repeat(10_000);

  server = createServer();
  const attached = attachSubgraphSubscriptions({
    server,
    schema,
    name: 'counter',
    subgraphIdentitySecret: subgraphIdentitySecret(identitySecret, 'counter'),
    logger: createLogger('test', 'silent'),
    formatError: (error) => ({ message: error.message, extensions: { code: error.extensions?.code ?? 'INTERNAL_SERVER_ERROR' } }),
    context: (v) => ({ viewer: v }),
  });
  close = attached.close;
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  const client = createClient({
    url,
    webSocketImpl: WebSocket,
    connectionParams: { connection: 'c1', gateway: signIdentity(null, identitySecret, connectScope('counter', { connection: 'c1' })) },
    retryAttempts: 0,
  });
  return { client, sources, returned: () => returned, url };
}

const COUNTER = 'subscription C($from: Int!) { counter(from: $from) { seq double } }';

function collect(client: Client, from: unknown) {
  const events: unknown[] = [];
  let completed = false;
  const stop = client.subscribe(
    { query: COUNTER, variables: { from }, extensions: { identity: signIdentity(viewer, identitySecret, subscribeScope('counter', { query: COUNTER, variables: { from } })) } },
    { next: (value) => events.push(value), complete: () => (completed = true), error: (err) => events.push({ unexpected: err }) },
  );
  return { events, stop, done: () => completed };
}

const until = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(check()).toBe(true);
};

it('executes every event of the source for its subscription, with its cursor, in order', async () => {
  const { client, sources } = await start();
  const sub = collect(client, 0);
  await until(() => sources.length === 1);
  for (let seq = 1; seq <= 3; seq++) sources[0]!.push({ seq });
  await until(() => sub.events.length === 3);
  expect(sub.events).toEqual([1, 2, 3].map((seq) => ({ data: { counter: { seq, double: seq * 2 } }, extensions: { cursor: seq } })));
  // The source ending completes the subscription.
  sources[0]!.end();
  await until(sub.done);
  await client.dispose();
});

it("ends the source stream when the gateway completes the subscription, and reports the resolver's refusal as errors", async () => {
  const { client, sources, returned } = await start();
  const sub = collect(client, 0);
  await until(() => sources.length === 1);
  sources[0]!.push({ seq: 1 });
  await until(() => sub.events.length === 1);
  sub.stop();
  await until(() => returned() === 1);

  // As graphql-js answers a subscription whose resolver throws: one result with the errors.
  const refused = collect(client, -1);
  await until(refused.done);
  expect(refused.events).toEqual([{ errors: [{ message: 'from must be at least 0', extensions: { code: 'BAD_USER_INPUT' } }] }]);
  // Variables that do not coerce are the request's fault too, not an internal error.
  const uncoercible = collect(client, 'x');
  await until(uncoercible.done);
  expect(uncoercible.events).toEqual([{ errors: [{ message: expect.stringMatching(/^Variable "\$from" got invalid value "x"/), extensions: { code: 'BAD_USER_INPUT' } }] }]);
  expect(sources).toHaveLength(1);
  await client.dispose();
});

it('takes events from the source only while the socket to the gateway has room', async () => {
  const { client, sources, url } = await start();
  const ws = new WebSocket(url, 'graphql-transport-ws');
  const received: number[] = [];
  let acked = false;
  ws.on('message', (data) => {
    const message = JSON.parse(data.toString()) as { type: string; payload?: { data?: { counter: { seq: number } } } };
    if (message.type === 'connection_ack') acked = true;
    if (message.type === 'next') received.push(message.payload!.data!.counter.seq);
  });
  await new Promise((resolve) => ws.once('open', resolve));
  ws.send(JSON.stringify({ type: 'connection_init', payload: { connection: 'c2', gateway: signIdentity(null, identitySecret, connectScope('counter', { connection: 'c2' })) } }));
  await until(() => acked);
  const query = 'subscription { counter(from: 0) { seq pad } }';
  ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query, extensions: { identity: signIdentity(viewer, identitySecret, subscribeScope('counter', { query })) } } }));
  await until(() => sources.length === 1);

  // The gateway stops reading; 3,000 events of 10 KB (30 MB) wait at the source, as a replay from
  // storage would (gapless.ts reads storage only while its queue has room).
  ws.pause();
  const total = 3_000;
  for (let seq = 1; seq <= total; seq++) sources[0]!.push({ seq });
  await new Promise((resolve) => setTimeout(resolve, 500));
  // The socket's buffers hold a few megabytes; the rest was never taken from the source.
  expect(sources[0]!.size).toBeGreaterThan(total / 2);

  ws.resume();
  for (let i = 0; i < 1000 && received.length < total; i++) await new Promise((r) => setTimeout(r, 10));
  expect(received).toEqual(Array.from({ length: total }, (_, i) => i + 1));
  ws.close();
  await client.dispose();
});
