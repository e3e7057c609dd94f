import { connect, type Subscription, type TestClient } from '@finder/testing/ws-client';

/**
 * A live subscriber to one ordered stream (`messageAdded`, `notificationAdded`): it records every
 * seq it receives and, whenever its socket or subscription ends, reconnects to the next endpoint
 * resuming with `after` = the last seq it got, as a real client would.
 */
export interface Follower {
  readonly label: string;
  /** Every seq received, in arrival order, across all its subscriptions. */
  readonly seqs: number[];
  /** How many times it had to resubscribe. */
  reconnects: number;
  /** Errors that were not a lost connection (a refused subscription, a GraphQL error). */
  readonly refusals: string[];
  last(): number;
  close(): Promise<void>;
}

export interface FollowerOptions {
  label: string;
  endpoints: string[];
  token: string;
  query: string;
  /** Variables besides `after`. */
  variables: Record<string, unknown>;
  /** Picks the seq out of an event's data. */
  seqOf(data: Record<string, any>): number;
  /** The first endpoint to use (spreads followers over nginx and both gateways). */
  start: number;
}

export function follow(options: FollowerOptions): Follower {
  let endpoint = options.start;
  let client: TestClient | null = null;
  let sub: Subscription | null = null;
  let consumed = 0;
  let closed = false;
  const follower: Follower = {
    label: options.label,
    seqs: [],
    reconnects: 0,
    refusals: [],
    last: () => follower.seqs.at(-1) ?? 0,
    async close() {
      closed = true;
      clearInterval(watchdog);
      await client?.dispose().catch(() => undefined);
    },
  };

  const open = () => {
    const url = options.endpoints[endpoint % options.endpoints.length]!;
    client = connect(url, { authorization: `Bearer ${options.token}` });
    sub = client.subscribe(options.query, { ...options.variables, after: follower.last() });
    consumed = 0;
  };

  // Polling keeps the bookkeeping in one place: drain new events, and resubscribe elsewhere once
  // the subscription has ended (socket closed by a kill, a restart, a reload).
  const watchdog = setInterval(() => {
    if (closed || !sub) return;
    for (; consumed < sub.events.length; consumed++) {
      const event = sub.events[consumed]!;
      if (event.errors?.length) follower.refusals.push(JSON.stringify(event.errors));
      else follower.seqs.push(options.seqOf(event.data as Record<string, any>));
    }
    if (sub.errors.length === 0 && !sub.completed) return;
    for (const error of sub.errors) if (!isConnectionLoss(error)) follower.refusals.push(describe(error));
    const old = client;
    void old?.dispose().catch(() => undefined);
    follower.reconnects++;
    endpoint++;
    open();
  }, 100);

  open();
  return follower;
}

/** graphql-ws reports a lost socket as a CloseEvent (or an Error while connecting). */
function isConnectionLoss(error: unknown): boolean {
  if (error && typeof error === 'object' && 'code' in error && typeof (error as { code: unknown }).code === 'number') {
    const code = (error as { code: number }).code;
    return code !== 4401 && code !== 4400 && code !== 4403;
  }
  return error instanceof Error || (typeof error === 'object' && error !== null && 'type' in error);
}

function describe(error: unknown): string {
  if (Array.isArray(error)) return JSON.stringify(error);
  if (error instanceof Error) return error.message;
  return JSON.stringify(error);
}
