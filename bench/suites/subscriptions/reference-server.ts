/**
 * (a) The physical reference: one process, graphql-js + graphql-ws, an in-process EventEmitter
 * pub/sub, no gateway, no Redis, no authentication. Same schema shape and payload as the platform
 * path. The publisher runs inside this process (in-process pub/sub), driven over IPC.
 */
import { EventEmitter, on } from 'node:events';
import { createServer } from 'node:http';
import { buildSchema, type GraphQLFieldConfig } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { serveRequests } from '../../lib/worker.ts';
import { publishAtRate, type PublishPlan, type Tick } from './ticks.ts';

const schema = buildSchema(/* GraphQL */ `
  type Query { ok: Boolean }
  type User { id: ID! name: String! }
  type Tick { topic: String! seq: Int! publishedAt: Float! body: String! author: User! }
  type Subscription { tick(topic: String!): Tick! }
`);

const pubsub = new EventEmitter();
pubsub.setMaxListeners(0);

const tick = schema.getSubscriptionType()!.getFields().tick! as unknown as GraphQLFieldConfig<unknown, unknown>;
tick.subscribe = async function* (_source, args: Record<string, unknown>) {
  for await (const [event] of on(pubsub, String(args.topic))) yield event as Tick;
};
tick.resolve = (event) => event;
(schema.getType('Tick') as unknown as { getFields(): Record<string, GraphQLFieldConfig<Tick, unknown>> }).getFields().author!.resolve = (event) => ({
  id: event.authorId,
  name: `Person ${event.authorId}`,
});

const server = createServer((_req, res) => res.end('ok'));
// The same connection_init allowance as the bench gateways (platform-stack.ts).
useServer({ schema, connectionInitWaitTimeout: 30_000 }, new WebSocketServer({ server, path: '/graphql' }));
await new Promise<void>((resolve) => server.listen(Number(process.env.PORT), '127.0.0.1', resolve));

serveRequests({
  publish: (plan: PublishPlan) => publishAtRate(plan, (event) => pubsub.emit(event.topic, event)),
});
