import { createConsumer, createEventProducer, createKafka } from '@finder/platform/kafka';
import { createLogger } from '@finder/platform/config';
import { startKafkaMock, until } from '@finder/testing/processes';
import { stackEnv } from '@finder/testing/stack';
import { describe, expect, it } from 'vitest';
import { usersEvents, type UsersEvent } from '../src/events/users-events.ts';

const env = stackEnv();
const logger = createLogger('mailer-outage-test', 'silent');

/** What pg throws while Postgres is down. */
const connectionRefused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

describe('an event consumer during a database outage', () => {
  // Found by the postgres-outage drill: the mailer dead-lettered verification mails after five
  // failed attempts while Postgres was down, so they were never sent.
  it('keeps retrying transient failures past maxAttempts instead of dead-lettering, and still dead-letters real failures', async () => {
    const kafkaMock = await startKafkaMock(env.KAFKA_MOCK_BIN!, ['users.events:1', 'users.events.dlq:1']);
    const kafka = createKafka({ brokers: [kafkaMock.brokers], clientId: 'mailer-outage-test', logger });
    const producer = createEventProducer(kafka, { idempotent: false });
    const outage = usersEvents.create('user.profile_updated', { aggregateId: 'a', actorId: null, data: { userId: crypto.randomUUID(), displayName: 'During the outage' } });
    const broken = usersEvents.create('user.profile_updated', { aggregateId: 'a', actorId: null, data: { userId: crypto.randomUUID(), displayName: 'Always fails' } });
    const attempts = new Map<string, number>();
    const handled: string[] = [];
    const consumer = createConsumer({
      name: 'outage-test',
      kafka,
      groupId: 'outage-test',
      catalog: usersEvents,
      producer,
      logger,
      maxAttempts: 2,
      async handle(event: UsersEvent) {
        const n = (attempts.get(event.id) ?? 0) + 1;
        attempts.set(event.id, n);
        if (event.id === outage.id && n <= 5) throw connectionRefused();
        if (event.id === broken.id) throw new Error('cannot ever be handled');
        handled.push(event.id);
      },
    });
    const dlq = kafka.consumer({ groupId: `outage-test-dlq-${crypto.randomUUID()}` });
    const deadLetters: string[] = [];
    try {
      await producer.connect();
      await consumer.start();
      await producer.send('users.events', outage);
      await producer.send('users.events', broken);
      await dlq.connect();
      await dlq.subscribe({ topic: 'users.events.dlq', fromBeginning: true });
      await dlq.run({ eachMessage: async ({ message }) => void deadLetters.push(JSON.parse(message.value!.toString()).id) });
      await until(async () => deadLetters.length >= 1, 60_000, 'the broken event dead-lettered');

      expect(attempts.get(outage.id)).toBe(6);
      expect(handled).toEqual([outage.id]);
      expect(attempts.get(broken.id)).toBe(2);
      expect(deadLetters).toEqual([broken.id]);
    } finally {
      await dlq.disconnect();
      await consumer.stop();
      await producer.disconnect();
      await kafkaMock.stop();
    }
  }, 120_000);
});
