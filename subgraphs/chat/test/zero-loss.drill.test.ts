import { query } from '@finder/testing/database';
import { gql, type GraphQLResult } from '@finder/testing/graphql-client';
import { devUp, until } from '@finder/testing/processes';
import { stackEnv, stackPid } from '@finder/testing/stack';
import { connect, type Subscription, type TestClient } from '@finder/testing/ws-client';
import { afterAll, describe, expect, it } from 'vitest';
import { MESSAGE_ADDED, registerUser, SEND, startConversation, type TestUser } from './helpers.ts';

const env = stackEnv();
const url = env.PUBLIC_URL!;
const gateways = env.GATEWAY_URLS!.split(',').map((u) => u.replace(/^http/, 'ws'));
const MESSAGES = 5_000;
const USERS = 20;
const CONVERSATIONS = 50;
const IN_FLIGHT = 64;

type Ack = { id: string; seq: number; conversationId: string; body: string };
/** `from[i]` is the cursor subscription i resumed after (0 for the first). */
type Follower = { conversationId: string; user: TestUser; client: TestClient; subs: Subscription[]; from: number[]; url: string };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends until acknowledged: rate limits are waited out, failures retried with the same idempotency key. */
async function sendUntilAcked(user: TestUser, conversationId: string, body: string, key: string): Promise<{ ack: Ack; attempts: number }> {
  for (let attempt = 1; ; attempt++) {
    let result: GraphQLResult | null = null;
    try {
      result = await gql(url, SEND, { i: { conversationId, body, idempotencyKey: key } }, { token: user.token });
    } catch {
      // nginx or a gateway restarting: retry
    }
    const message = result?.data?.sendMessage as Ack | undefined;
    if (message) return { ack: message, attempts: attempt };
    const error = result?.errors?.[0]?.extensions;
    if (error?.code === 'RATE_LIMITED') await sleep(Number(error.retryAfterMs ?? 100) + 10);
    else if (error?.code === 'NOT_FOUND' || error?.code === 'BAD_USER_INPUT') throw new Error(`send refused: ${JSON.stringify(result?.errors)}`);
    else await sleep(Math.min(200 * attempt, 2_000));
    if (attempt > 200) throw new Error(`message ${key} never acknowledged: ${JSON.stringify(result?.errors)}`);
  }
}

async function killPersister(): Promise<void> {
  process.kill(stackPid('chat-persister'), 'SIGKILL');
}

describe('chat zero loss', () => {
  const followers: Follower[] = [];
  afterAll(async () => {
    await Promise.all(followers.map((f) => f.client.dispose().catch(() => undefined)));
    await devUp();
  }, 180_000);

  it('keeps every acknowledged message exactly once, in order, across two persister SIGKILLs', async () => {
    const users = await Promise.all(Array.from({ length: USERS }, (_, i) => registerUser(url, `Zero ${i}`)));
    const conversations = await Promise.all(
      Array.from({ length: CONVERSATIONS }, async (_, i) => {
        const members = [users[i % USERS]!, users[(i + 1) % USERS]!, users[(i + 7) % USERS]!];
        return { id: await startConversation(url, members[0]!, members.slice(1)), members };
      }),
    );

    // One follower per conversation: through nginx or straight to either gateway.
    const targets = [url.replace(/^http/, 'ws'), ...gateways];
    conversations.forEach((c, i) => {
      const target = targets[i % targets.length]!;
      const user = c.members[1]!;
      const client = connect(target, { authorization: `Bearer ${user.token}` });
      followers.push({ conversationId: c.id, user, client, url: target, from: [0], subs: [client.subscribe(MESSAGE_ADDED, { c: c.id, after: 0 })] });
    });
    await sleep(1_000);

    const runId = crypto.randomUUID().slice(0, 8);
    const acks: Ack[] = [];
    let next = 0;
    let retried = 0;
    const worker = async () => {
      for (let k = next++; k < MESSAGES; k = next++) {
        const c = conversations[k % CONVERSATIONS]!;
        const sender = c.members[k % c.members.length]!;
        const { ack, attempts } = await sendUntilAcked(sender, c.id, `m-${runId}-${k}`, `zero-${runId}-${k}`);
        if (attempts > 1) retried++;
        acks.push(ack);
      }
    };
    const sending = Promise.all(Array.from({ length: IN_FLIGHT }, worker));

    // Faults while the stream flows: two persister kills, and followers that drop and resume elsewhere.
    await until(async () => acks.length >= 1_000, 120_000, '1,000 acknowledged');
    await killPersister();
    await devUp();
    await until(async () => acks.length >= 2_500, 180_000, '2,500 acknowledged');
    for (const follower of followers.slice(0, 10)) {
      await follower.client.dispose();
      const seen = follower.subs.flatMap((s) => s.events).map((e) => e.data!.messageAdded.seq as number);
      const after = Math.max(0, ...seen);
      const elsewhere = targets[(targets.indexOf(follower.url) + 1) % targets.length]!;
      follower.client = connect(elsewhere, { authorization: `Bearer ${follower.user.token}` });
      follower.from.push(after);
      follower.subs.push(follower.client.subscribe(MESSAGE_ADDED, { c: follower.conversationId, after }));
    }
    await until(async () => acks.length >= 3_500, 180_000, '3,500 acknowledged');
    await killPersister();
    await devUp();
    await sending;

    expect(acks).toHaveLength(MESSAGES);
    expect(new Set(acks.map((a) => a.id)).size).toBe(MESSAGES);

    // Postgres: every acknowledged message exactly once; each conversation's seqs run 1..n.
    const rows = await query<{ id: string; conversation_id: string; seq: number; body: string }>(
      env.DATABASE_URL!,
      `select id, conversation_id, seq, body from chat.messages where conversation_id = any($1::uuid[]) order by conversation_id, seq`,
      [conversations.map((c) => c.id)],
    );
    expect(rows).toHaveLength(MESSAGES);
    const stored = new Map(rows.map((r) => [r.id, r]));
    for (const ack of acks) expect(stored.get(ack.id)).toMatchObject({ seq: ack.seq, body: ack.body, conversation_id: ack.conversationId });
    for (const c of conversations) {
      const seqs = rows.filter((r) => r.conversation_id === c.id).map((r) => r.seq);
      expect(seqs).toEqual(Array.from({ length: MESSAGES / CONVERSATIONS }, (_, i) => i + 1));
    }

    // Every subscription delivered exactly the messages after its cursor, once each, in seq order,
    // and together they cover the conversation without a gap. (An old socket may still hand over
    // an event while it closes; a client that resumed from an earlier cursor sees it again, as
    // it asked to.)
    const perConversation = MESSAGES / CONVERSATIONS;
    const seqsOf = (sub: Subscription) => sub.events.map((e) => e.data!.messageAdded.seq as number);
    const lagging = () =>
      followers
        .filter((f) => seqsOf(f.subs.at(-1)!).at(-1) !== perConversation)
        .map((f) => `${f.conversationId} via ${f.url}: subscriptions from ${f.from.join(', ')} reached ${f.subs.map((s) => seqsOf(s).at(-1) ?? 'nothing').join(', ')}, errors ${JSON.stringify(f.subs.flatMap((s) => s.errors))}, closes ${JSON.stringify(f.client.closes)}, completed ${f.subs.map((s) => s.completed).join(', ')}`);
    await until(async () => lagging().length === 0, 60_000, 'every follower caught up').catch((err: Error) => {
      throw new Error(`${err.message}; behind (of ${perConversation}):\n${lagging().join('\n')}`);
    });
    for (const follower of followers) {
      follower.subs.forEach((sub, i) => {
        const seqs = seqsOf(sub);
        const start = follower.from[i]! + 1;
        expect(seqs, `${follower.conversationId} subscription ${i}`).toEqual(Array.from({ length: seqs.length }, (_, k) => start + k));
        // Each resumption starts no later than where the previous subscription stopped.
        if (i > 0) expect(follower.from[i]).toBeLessThanOrEqual(seqsOf(follower.subs[i - 1]!).at(-1) ?? 0);
      });
      expect(seqsOf(follower.subs.at(-1)!).at(-1)).toBe(perConversation);
      expect(follower.subs.flatMap((s) => s.errors)).toEqual([]);
    }
    console.log(`zero loss: ${MESSAGES} acknowledged (${retried} after a retry), ${rows.length} stored, ${followers.length} followers complete`);
  }, 600_000);
});
