import { createEventProducer, createKafka } from '@finder/platform/kafka';
import { createLogger } from '@finder/platform/config';
import { createOrm } from '@finder/platform/data';
import { createBatchApplier } from '@finder/platform/write';
import { createTestDatabase, query } from '@finder/testing/database';
import { freePort } from '@finder/testing/ports';
import { startKafkaMock, startNode, until, waitForReady, type Service } from '@finder/testing/processes';
import { stackEnv } from '@finder/testing/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usersEvents, type UsersEvent } from '../src/events/users-events.ts';
import { migrations } from '../src/migrations/index.ts';
import { createMailHandler } from '../src/workers/mailer.ts';
import { applyUsersEvent } from '../src/persister.ts';

const env = stackEnv();
const logger = createLogger('persister-test', 'silent');

async function migrate(databaseUrl: string): Promise<void> {
  const run = startNode('subgraphs/users/src/main.ts', ['migrate'], { ...env, DATABASE_URL: databaseUrl, PORT: '0' });
  const code = await new Promise<number | null>((resolve) => run.process.once('exit', resolve));
  if (code !== 0) throw new Error(`migrate failed:\n${run.output.join('\n')}`);
}

type Registration = Extract<UsersEvent, { type: 'user.registered' }>;

function registration(n: number, idempotencyKey?: string): Registration {
  const userId = crypto.randomUUID();
  const email = `user${n}-${userId.slice(0, 8)}@example.com`;
  return usersEvents.create('user.registered', {
    aggregateId: userId,
    actorId: null,
    ...(idempotencyKey ? { idempotencyKey } : {}),
    data: {
      userId,
      email,
      emailNormalized: email,
      passwordHash: '$argon2id$not-a-real-hash',
      displayName: `User ${n}`,
      role: 'BUSINESS',
      session: { id: crypto.randomUUID(), familyId: crypto.randomUUID(), tokenHash: 'f'.repeat(64), expiresAt: new Date(Date.now() + 86_400_000).toISOString() },
      verificationNonce: 'n'.repeat(43),
    },
  }) as Registration;
}

const snapshot = (url: string) =>
  Promise.all([
    query(url, 'select id, email_normalized, display_name, password_version, email_verified_at from users.users order by id'),
    query(url, 'select id, user_id, family_id, revoked_at, replaced_by from users.sessions order by id'),
    query(url, 'select event_id, outcome from users.processed_events order by event_id'),
  ]);

describe('users persister', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    db = await createTestDatabase(env.DATABASE_URL!, 'persister');
    await migrate(db.url);
  });
  afterAll(() => db?.drop());

  it('applies the same batch twice to the same state, and replays idempotency keys', async () => {
    const orm = await createOrm({ url: db.url, schema: 'users', migrations, logger });
    try {
      const apply = createBatchApplier<typeof usersEvents.schemas>({ orm, schema: 'users', apply: applyUsersEvent, logger });
      const alice = registration(1, 'signup-alice');
      const other = registration(2);
      const duplicateEmail: Registration = { ...other, data: { ...other.data, emailNormalized: alice.data.emailNormalized } };
      const rename = usersEvents.create('user.profile_updated', {
        aggregateId: alice.data.userId,
        actorId: alice.data.userId,
        data: { userId: alice.data.userId, displayName: 'Alice Renamed' },
      });
      const batch = [alice, duplicateEmail, rename].map((event: UsersEvent) => ({ event }));

      const first = await apply(batch);
      expect(first.outcomes.map((o) => o.status)).toEqual(['applied', 'rejected', 'applied']);
      expect(first.outcomes[1]).toMatchObject({ code: 'CONFLICT' });
      const before = await snapshot(db.url);

      const second = await apply(batch);
      expect(second.outcomes).toEqual(first.outcomes);
      expect(await snapshot(db.url)).toEqual(before);

      // A retry with a new event id but the same idempotency key gets the first answer, applies nothing.
      const retry = { ...registration(3, 'signup-alice') };
      const replayed = await apply([{ event: retry }]);
      expect(replayed.outcomes).toEqual([{ ...first.outcomes[0], eventId: retry.id, replayOf: alice.id }]);
      const [users] = await snapshot(db.url);
      expect(users).toHaveLength(1);
      expect(users[0]).toMatchObject({ display_name: 'Alice Renamed' });

      // Found by the postgres-outage drill: the retry's event was mailed too (a second
      // verification mail, for a user id that was never created).
      const mails: { to: string; eventId: string }[] = [];
      const mailer = createMailHandler({ em: orm.em, appUrl: 'http://app.test', linkSecret: 's'.repeat(32), sender: { send: async (mail, eventId) => void mails.push({ to: mail.to, eventId }) } });
      for (const event of [alice, retry, alice]) await mailer(event);
      expect(mails).toEqual([{ to: alice.data.email, eventId: alice.id }]);
    } finally {
      await orm.close();
    }
  });

  it('applies every one of 2,000 events exactly once across a SIGKILL mid-stream', async () => {
    const killDb = await createTestDatabase(env.DATABASE_URL!, 'persister_kill');
    const kafkaMock = await startKafkaMock(env.KAFKA_MOCK_BIN!, ['users.events:4', 'users.events.dlq:1']);
    const kafka = createKafka({ brokers: [kafkaMock.brokers], clientId: 'persister-kill-test', logger });
    const producer = createEventProducer(kafka, { idempotent: false });
    let persister: Service | undefined;
    try {
      await migrate(killDb.url);
      await producer.connect();
      const port = await freePort();
      const persisterEnv = { ...env, DATABASE_URL: killDb.url, KAFKA_BROKERS: kafkaMock.brokers, PORT: String(port), LOG_LEVEL: 'warn' };
      const start = async () => {
        const service = startNode('subgraphs/users/src/main.ts', ['persister'], persisterEnv);
        await waitForReady(`http://127.0.0.1:${port}/readyz`, 60_000, service);
        return service;
      };
      const applied = async () =>
        Number((await query<{ n: string }>(killDb.url, 'select count(*) as n from users.processed_events'))[0]!.n);

      const events = Array.from({ length: 2_000 }, (_, i) => registration(i));
      const produce = async (slice: UsersEvent[]) => {
        for (let i = 0; i < slice.length; i += 100) {
          await producer.sendRaw(
            usersEvents.topic,
            slice.slice(i, i + 100).map((e) => ({ key: e.aggregateId, value: JSON.stringify(e) })),
          );
        }
      };

      persister = await start();
      const producing = produce(events.slice(0, 1_500));
      await until(async () => (await applied()) >= 300, 60_000, '300 events applied');
      await persister.kill('SIGKILL');
      const atKill = await applied();
      await producing;
      await produce(events.slice(1_500));

      persister = await start();
      await until(async () => (await applied()) >= 2_000, 120_000, 'all 2,000 events applied');
      expect(atKill).toBeLessThan(2_000);

      const [users, sessions, outcomes] = await Promise.all([
        query<{ n: string; distinct_ids: string }>(killDb.url, 'select count(*) as n, count(distinct id) as distinct_ids from users.users'),
        query<{ n: string }>(killDb.url, 'select count(*) as n from users.sessions'),
        query<{ status: string; n: string }>(killDb.url, `select outcome->>'status' as status, count(*) as n from users.processed_events group by 1`),
      ]);
      expect(users[0]).toEqual({ n: '2000', distinct_ids: '2000' });
      expect(sessions[0]!.n).toBe('2000');
      expect(outcomes).toEqual([{ status: 'applied', n: '2000' }]);
      const ids = new Set((await query<{ id: string }>(killDb.url, 'select id from users.users')).map((r) => r.id));
      expect(events.every((e) => ids.has(e.aggregateId))).toBe(true);
    } finally {
      await persister?.kill('SIGKILL');
      await producer.disconnect().catch(() => undefined);
      await kafkaMock.stop();
      await killDb.drop();
    }
  }, 240_000);
});
