import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export function createSubscriptionMetrics(registry: Registry) {
  const registers = [registry];
  return {
    connections: new Gauge({ name: 'ws_connections', help: 'Open client WebSocket connections', registers }),
    refusedConnections: new Counter({
      name: 'ws_connections_refused_total',
      help: 'Client WebSocket connections refused, by reason',
      labelNames: ['reason'],
      registers,
    }),
    clientSubscriptions: new Gauge({ name: 'subscriptions_client', help: 'Active client subscriptions', registers }),
    upstreamSubscriptions: new Gauge({
      name: 'subscriptions_upstream',
      help: 'Active upstream subscriptions (one per group of client subscriptions sharing a stream)',
      labelNames: ['subgraph'],
      registers,
    }),
    upstreamSockets: new Gauge({ name: 'subscriptions_upstream_sockets', help: 'Open upstream sockets', labelNames: ['subgraph'], registers }),
    resubscribes: new Counter({
      name: 'subscriptions_upstream_resubscribes_total',
      help: 'Upstream re-subscriptions after a lost socket',
      labelNames: ['subgraph'],
      registers,
    }),
    authorizations: new Counter({
      name: 'subscriptions_authorizations_total',
      help: 'Per-viewer authorizations before joining a subscription shared between viewers, by outcome',
      labelNames: ['subgraph', 'outcome'],
      registers,
    }),
    events: new Counter({ name: 'subscriptions_events_total', help: 'Upstream events received, one per upstream subscription', labelNames: ['subgraph'], registers }),
    frames: new Counter({
      name: 'subscriptions_upstream_frames_total',
      help: 'Upstream `next` frames received; one merged frame carries the equal events of several upstream subscriptions',
      labelNames: ['subgraph'],
      registers,
    }),
    completions: new Counter({
      name: 'subscriptions_completions_total',
      help: 'Subscription events completed through the query plan (executed), or answered by the completion of the same event for another group (shared)',
      labelNames: ['outcome'],
      registers,
    }),
    slowClients: new Counter({
      name: 'ws_connections_too_slow_total',
      help: 'Client connections closed (1008) for leaving more event bytes unread than WS_MAX_BUFFERED_BYTES',
      registers,
    }),
    deliveries: new Counter({ name: 'subscriptions_deliveries_total', help: 'Events delivered to client subscriptions', registers }),
    deliveryLag: new Histogram({
      name: 'subscriptions_delivery_lag_seconds',
      help: 'From the persister publishing a live event to Redis to its delivery to the subscribers here (events replayed from storage are not counted)',
      labelNames: ['subgraph'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
  };
}

export type SubscriptionMetrics = ReturnType<typeof createSubscriptionMetrics>;
