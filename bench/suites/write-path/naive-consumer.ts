/**
 * The baseline of the write-path suite: a chat consumer as most chat backends write one, run as
 * its own process. One transaction per message (lock the conversation, next seq, insert the row,
 * bump the conversation), kafkajs's eachMessage with its default offset commits, into a database
 * migrated like chat's own. DATABASE_URL, KAFKA_BROKERS.
 */
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { chatEvents } from '../../../subgraphs/chat/src/events/chat-events.ts';
import { serveRequests } from '../../lib/worker.ts';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
const kafka = new Kafka({ clientId: 'bench-naive-consumer', brokers: process.env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING });
const consumer = kafka.consumer({ groupId: 'bench-naive-consumer' });

async function inTransaction(work: (client: pg.PoolClient) => Promise<void>) {
  const client = await pool.connect();
  try {
    await client.query('begin');
    await work(client);
    await client.query('commit');
  } catch (err) {
    await client.query('rollback');
    throw err;
  } finally {
    client.release();
  }
}

async function start(): Promise<void> {
  await consumer.connect();
  await consumer.subscribe({ topic: chatEvents.topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const event = chatEvents.parse(message.value);
      if (event.type === 'conversation.started') {
        await inTransaction(async (client) => {
          await client.query('insert into chat.conversations (id, created_by, last_seq, last_activity_at, created_at) values ($1, $2, 0, $3, $3) on conflict do nothing', [event.data.conversationId, event.data.createdBy, event.occurredAt]);
          for (const userId of event.data.participantIds) {
            await client.query('insert into chat.participants (conversation_id, user_id, last_read_seq, joined_at) values ($1, $2, 0, $3) on conflict do nothing', [event.data.conversationId, userId, event.occurredAt]);
          }
        });
      } else if (event.type === 'message.sent') {
        const d = event.data;
        await inTransaction(async (client) => {
          const { rows } = await client.query<{ last_seq: number }>('select last_seq from chat.conversations where id = $1 for update', [d.conversationId]);
          const seq = rows[0]!.last_seq + 1;
          await client.query('insert into chat.messages (id, conversation_id, seq, sender_id, body, attachment_ids, created_at) values ($1, $2, $3, $4, $5, $6, $7)', [d.messageId, d.conversationId, seq, d.senderId, d.body, d.attachmentIds, event.occurredAt]);
          await client.query('update chat.conversations set last_seq = $2, last_activity_at = $3 where id = $1', [d.conversationId, seq, event.occurredAt]);
        });
      }
    },
  });
}

serveRequests({ start: () => start() });
