import { gql, type GraphQLResult } from '@finder/testing/graphql-client';
import { uniqueEmail } from '@finder/testing/ports';
import { businessProfile, PASSWORD, professionalProfile, register, startConversation, STREAMS, WRITES, type Account } from './actors.ts';
import { follow, type Follower } from './follower.ts';
import type { Env } from './stack.ts';

export interface LoadSize {
  /** Chat users; each is also a business requesting engagements. */
  users: number;
  conversations: number;
  professionals: number;
  /** Writes started per second (each retried with its idempotency key until acknowledged). */
  ratePerSecond: number;
  inFlight: number;
}

export const SIZES: Record<'quick' | 'full', LoadSize> = {
  quick: { users: 8, conversations: 12, professionals: 3, ratePerSecond: 40, inFlight: 16 },
  full: { users: 20, conversations: 50, professionals: 5, ratePerSecond: 120, inFlight: 48 },
};

export type WriteKind = keyof typeof WRITES;

/** One logical write: sent once, retried with the same idempotency key until acknowledged. */
export interface Write {
  kind: WriteKind;
  key: string;
  /** The id the acknowledgement returned (message, user, engagement, file). */
  id?: string;
  conversationId?: string;
  professionalId?: string;
  email?: string;
  attempts: number;
  acknowledged: boolean;
}

export interface Load {
  env: Env;
  users: Account[];
  professionals: Account[];
  conversations: { id: string; members: Account[] }[];
  writes: Write[];
  /** Errors seen by mutation attempts, by code (transport failures as `HTTP <status>` or `NETWORK`). */
  errors: Map<string, number>;
  /** A sample message per error code, to show what a client was told. */
  errorSamples: Map<string, string>;
  /** The longest any single mutation attempt took, in milliseconds. */
  slowestAttemptMs(): number;
  messageFollowers: Map<string, Follower>;
  notificationFollowers: Map<string, Follower>;
  acknowledged(): number;
  /** Stops starting writes and waits until every started write is acknowledged. */
  drain(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startLoad(env: Env, size: LoadSize, log: (line: string) => void): Promise<Load> {
  const url = env.PUBLIC_URL!;
  const run = crypto.randomUUID().slice(0, 8);
  const users = await Promise.all(Array.from({ length: size.users }, (_, i) => register(url, `drill-${run}-u${i}`, 'BUSINESS')));
  const professionals = await Promise.all(Array.from({ length: size.professionals }, (_, i) => register(url, `drill-${run}-p${i}`, 'PROFESSIONAL')));
  await Promise.all([...professionals.map((p) => professionalProfile(url, p)), ...users.map((u) => businessProfile(url, u))]);
  const conversations = await Promise.all(
    Array.from({ length: size.conversations }, async (_, i) => {
      const members = [users[i % users.length]!, users[(i + 1) % users.length]!, users[(i + 3) % users.length]!];
      return { id: await startConversation(url, members[0]!, members.slice(1)), members };
    }),
  );

  // Followers spread over nginx and each gateway; they move on to the next endpoint when theirs dies.
  const endpoints = [url, ...env.GATEWAY_URLS!.split(',')].map((u) => u.replace(/^http/, 'ws'));
  const messageFollowers = new Map(
    conversations.map((c, i) => [
      c.id,
      follow({ label: `conversation ${c.id}`, endpoints, start: i, token: c.members[1]!.token, query: STREAMS.messageAdded, variables: { c: c.id }, seqOf: (d) => d.messageAdded.seq }),
    ]),
  );
  const notificationFollowers = new Map(
    professionals.map((p, i) => [
      p.id,
      follow({ label: `notifications of ${p.id}`, endpoints, start: i, token: p.token, query: STREAMS.notificationAdded, variables: {}, seqOf: (d) => d.notificationAdded.seq }),
    ]),
  );
  await sleep(1_000);
  log(`load: ${users.length} users, ${conversations.length} conversations, ${professionals.length} professionals, ${size.ratePerSecond} writes/s`);

  const writes: Write[] = [];
  const errors = new Map<string, number>();
  const errorSamples = new Map<string, string>();
  const pairs = users.flatMap((u) => professionals.map((p) => ({ business: u, professional: p })));
  let inFlight = 0;
  let slowest = 0;
  let stopped = false;
  const running = new Set<Promise<void>>();

  const noteError = (code: string, message: string) => {
    errors.set(code, (errors.get(code) ?? 0) + 1);
    if (!errorSamples.has(code)) errorSamples.set(code, message);
  };

  /** One attempt; true once acknowledged. */
  const attempt = async (write: Write, token: string | undefined, query: string, input: Record<string, unknown>): Promise<boolean> => {
    write.attempts++;
    let result: GraphQLResult;
    const started = Date.now();
    try {
      result = await gql(url, query, { i: { ...input, idempotencyKey: write.key } }, { token, headers: { 'x-request-id': `drill-${write.key}-${write.attempts}` } });
    } catch (err) {
      noteError('NETWORK', (err as Error).message);
      await sleep(Math.min(100 * write.attempts, 1_000));
      return false;
    } finally {
      slowest = Math.max(slowest, Date.now() - started);
    }
    const data = result.data as Record<string, any> | null | undefined;
    if (data && !result.errors?.length) {
      const value = Object.values(data)[0];
      write.id = value.id ?? value.user?.id ?? value.file?.id;
      write.acknowledged = true;
      return true;
    }
    const error = result.errors?.[0];
    const code = error?.extensions?.code ?? `HTTP ${result.status}`;
    noteError(error?.extensions?.retryable === true ? `${code} (retryable)` : code, error?.message ?? JSON.stringify(result).slice(0, 200));
    if (code === 'BAD_USER_INPUT' || code === 'FORBIDDEN' || code === 'NOT_FOUND') {
      throw new Error(`${write.kind} ${write.key} refused: ${JSON.stringify(result.errors)}`);
    }
    await sleep(code === 'RATE_LIMITED' ? Number(error?.extensions?.retryAfterMs ?? 100) + 10 : Math.min(100 * write.attempts, 1_000));
    return false;
  };

  const perform = async (write: Write, token: string | undefined, query: string, input: Record<string, unknown>) => {
    while (!(await attempt(write, token, query, input))) {
      if (write.attempts > 400) throw new Error(`${write.kind} ${write.key} never acknowledged`);
    }
  };

  /** Every 20 writes: 15 messages, 2 engagement requests (while pairs last), 2 registrations, 1 upload. */
  const nextWrite = (n: number): Promise<void> => {
    const slot = n % 20;
    const key = `drill-${run}-${n}`;
    if ((slot === 3 || slot === 13) && pairs.length > 0) {
      const { business, professional } = pairs.shift()!;
      const write: Write = { kind: 'engagement', key, professionalId: professional.id, attempts: 0, acknowledged: false };
      writes.push(write);
      return perform(write, business.token, WRITES.engagement, { professionalId: professional.id, message: `drill ${key}` });
    }
    if (slot === 7 || slot === 17) {
      const email = uniqueEmail(`drill-${run}-r${n}`);
      const write: Write = { kind: 'registration', key, email, attempts: 0, acknowledged: false };
      writes.push(write);
      return perform(write, undefined, WRITES.registration, { email, password: PASSWORD, displayName: `Drill ${n}`, role: 'BUSINESS' });
    }
    if (slot === 11) {
      const owner = users[n % users.length]!;
      const write: Write = { kind: 'upload', key, attempts: 0, acknowledged: false };
      writes.push(write);
      return perform(write, owner.token, WRITES.upload, { name: `drill-${n}.txt`, mimeType: 'text/plain', size: 64 });
    }
    const conversation = conversations[n % conversations.length]!;
    const sender = conversation.members[n % conversation.members.length]!;
    const write: Write = { kind: 'message', key, conversationId: conversation.id, attempts: 0, acknowledged: false };
    writes.push(write);
    return perform(write, sender.token, WRITES.message, { conversationId: conversation.id, body: `m ${key}` });
  };

  // Open loop at a steady rate, bounded in flight: an outage stalls it instead of piling up retries.
  let failure: Error | null = null;
  const pacer = (async () => {
    const interval = 1_000 / size.ratePerSecond;
    let due = Date.now();
    for (let n = 0; !stopped; n++) {
      while (inFlight >= size.inFlight && !stopped) await sleep(5);
      if (stopped) break;
      inFlight++;
      const job = nextWrite(n)
        .catch((err: Error) => void (failure ??= err))
        .finally(() => {
          inFlight--;
          running.delete(job);
        });
      running.add(job);
      due += interval;
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
      else due = Date.now();
    }
  })();

  return {
    env,
    users,
    professionals,
    conversations,
    writes,
    errors,
    errorSamples,
    slowestAttemptMs: () => slowest,
    messageFollowers,
    notificationFollowers,
    acknowledged: () => writes.filter((w) => w.acknowledged).length,
    async drain(timeoutMs) {
      stopped = true;
      await pacer;
      const all = Promise.all([...running]);
      const timeout = sleep(timeoutMs).then(() => {
        throw new Error(`${writes.filter((w) => !w.acknowledged).length} writes still unacknowledged after ${timeoutMs} ms`);
      });
      await Promise.race([all, timeout]);
      if (failure) throw failure;
    },
    async close() {
      stopped = true;
      await Promise.all([...messageFollowers.values(), ...notificationFollowers.values()].map((f) => f.close()));
    },
  };
}
