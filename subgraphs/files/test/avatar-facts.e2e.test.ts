import { createLogger } from '@finder/platform/config';
import { usersFacts } from '@finder/platform/contracts';
import { createEventProducer, createKafka } from '@finder/platform/kafka';
import { query } from '@finder/testing/database';
import { errorCodes, gql, ok } from '@finder/testing/graphql-client';
import { until } from '@finder/testing/processes';
import { stackEnv } from '@finder/testing/stack';
import type { Consumer } from 'kafkajs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileQuery, registerUser, upload, type TestUser } from './helpers.ts';

const env = stackEnv();
const url = env.PUBLIC_URL!;
const logger = createLogger('avatar-facts-test', 'silent');

/**
 * Files learns of avatars from users.facts only: users' own topic (users.events) carries password
 * and token hashes, which no other subgraph may read. What users announces there is the avatar
 * choice and nothing else.
 */
describe('avatars reach files through users.facts', () => {
  const kafka = createKafka({ brokers: env.KAFKA_BROKERS!.split(','), clientId: 'avatar-facts-test', logger });
  let consumer: Consumer;
  /** Every users.facts message, raw, as read from the beginning of the topic. */
  const seen: { key: string; value: string }[] = [];
  let carol: TestUser, dave: TestUser;

  beforeAll(async () => {
    consumer = kafka.consumer({ groupId: `avatar-facts-test-${crypto.randomUUID()}`, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic: usersFacts.topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void seen.push({ key: message.key?.toString() ?? '', value: message.value?.toString() ?? '' }) });
    [carol, dave] = await Promise.all([registerUser(url, 'Carol'), registerUser(url, 'Dave')]);
  }, 120_000);
  afterAll(() => consumer?.disconnect());

  const image = (color: string) => sharp({ create: { width: 16, height: 16, channels: 3, background: color } }).png().toBuffer();
  const visibleTo = async (viewer: TestUser, fileId: string) => (await fileQuery(url, viewer, fileId)).data?.file?.id === fileId;

  it('announces an avatar change with the user and file ids only, never a password or token hash', { timeout: 180_000 }, async () => {
    const avatar = await upload(url, carol, 'carol.png', 'image/png', await image('#0a0'));
    ok(await gql(url, `mutation($i: UpdateProfileInput!) { updateProfile(input: $i) { id } }`, { i: { avatarFileId: avatar.id } }, { token: carol.token }));
    // A profile change without an avatar is not files' business: nothing is announced for it.
    ok(await gql(url, `mutation($i: UpdateProfileInput!) { updateProfile(input: $i) { id } }`, { i: { displayName: 'Carol B.' } }, { token: carol.token }));
    await until(() => visibleTo(dave, avatar.id), 90_000, 'the avatar to reach files');

    await until(async () => seen.some((m) => m.key === carol.id), 30_000, "Carol's fact on users.facts");
    const mine = seen.filter((m) => m.key === carol.id);
    expect(mine.map((m) => JSON.parse(m.value) as { type: string; data: unknown }).map(({ type, data }) => ({ type, data }))).toEqual([
      { type: 'avatar.changed', data: { userId: carol.id, avatarFileId: avatar.id } },
    ]);
    for (const { value } of mine) expect(() => usersFacts.parse(value)).not.toThrow();

    // Her registration and login wrote these hashes; none of them, nor any field that could hold one, is on the topic.
    const [user] = await query<{ password_hash: string }>(env.DATABASE_URL!, 'select password_hash from users.users where id = $1', [carol.id]);
    const sessions = await query<{ token_hash: string }>(env.DATABASE_URL!, 'select token_hash from users.sessions where user_id = $1', [carol.id]);
    const secrets = [user!.password_hash, ...sessions.map((s) => s.token_hash)];
    expect(secrets.length).toBeGreaterThan(1);
    for (const { value } of seen) {
      for (const secret of secrets) expect(value).not.toContain(secret);
      expect(value).not.toMatch(/password|tokenHash|token_hash|session/i);
    }
  });

  it("projects an avatar from users.facts alone (files reads nothing else of users')", { timeout: 180_000 }, async () => {
    const file = await upload(url, dave, 'dave.png', 'image/png', await image('#00a'));
    expect(errorCodes(await fileQuery(url, carol, file.id))).toEqual(['NOT_FOUND']);
    // Only the fact, as users' persister would announce it: no users.events command exists for it.
    const producer = createEventProducer(kafka, { idempotent: false });
    await producer.connect();
    try {
      await producer.send(
        usersFacts.topic,
        usersFacts.create('avatar.changed', { aggregateId: dave.id, actorId: dave.id, data: { userId: dave.id, avatarFileId: file.id } }),
      );
    } finally {
      await producer.disconnect();
    }
    await until(() => visibleTo(carol, file.id), 90_000, 'the avatar fact to reach files');
    expect(ok(await fileQuery(url, carol, file.id)).file).toMatchObject({ id: file.id, status: 'READY', owner: { id: dave.id } });
  });
});
