/**
 * A bot on the SDK: signs in, follows one conversation and answers every message of the others
 * with an echo. Its last cursor is kept in a file, so after a restart it resumes right after the
 * last message it handled: nothing is missed, nothing answered twice (each reply's idempotency
 * key is derived from the message it answers, so even a crash between reply and save is harmless).
 *
 *   FINDER_URL=http://127.0.0.1:8080/graphql BOT_EMAIL=… BOT_PASSWORD=… CONVERSATION_ID=… \
 *     node --conditions=@finder/source examples/echo-bot.ts
 *
 * CURSOR_FILE (default .echo-bot-cursor) holds the cursor. Without one the bot starts with the
 * messages sent from now on. It prints `ready` once subscribed and `replied <seq>` per answer.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createFinderClient } from '@finder/client';
import { MessageAddedDocument, SendMessageDocument, type MessageAddedSubscription } from '@finder/client/operations';

const setting = (name: string, fallback?: string): string => {
  const value = process.env[name] ?? fallback;
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

const url = setting('FINDER_URL', 'http://127.0.0.1:8080/graphql');
const conversationId = setting('CONVERSATION_ID');
const cursorFile = setting('CURSOR_FILE', '.echo-bot-cursor');

const readCursor = (): number | undefined => {
  try {
    const cursor = Number(readFileSync(cursorFile, 'utf8').trim());
    return Number.isInteger(cursor) && cursor >= 0 ? cursor : undefined;
  } catch {
    return undefined;
  }
};

const client = createFinderClient({ url });
const me = await client.session.signIn(setting('BOT_EMAIL'), setting('BOT_PASSWORD'));
client.connection.onChange((state) => console.log(`connection ${state}`));

// One message at a time, in order: the cursor is saved only after its message is handled.
let queue = Promise.resolve();
const handle = async ({ messageAdded: message }: MessageAddedSubscription) => {
  if (message.sender.id !== me.userId) {
    await client.request(SendMessageDocument, {
      input: { conversationId, body: `echo: ${message.body}`, idempotencyKey: `echo-${message.id}` },
    });
    console.log(`replied ${message.seq}`);
  }
  writeFileSync(cursorFile, String(message.seq));
};

const after = readCursor();
client.subscribe(MessageAddedDocument, { conversationId, ...(after === undefined ? {} : { after }) }, {
  next: (data) => {
    queue = queue.then(() => handle(data)).catch((err: unknown) => {
      console.error('handling a message failed', err);
      process.exit(1);
    });
  },
  error: (err) => {
    console.error(`subscription failed: ${err.code} ${err.message}`);
    process.exit(1);
  },
});

// `ready` once the socket is up: messages from now on reach the bot.
const unlisten = client.connection.onChange((state) => {
  if (state === 'connected') {
    unlisten();
    console.log(`ready as ${me.displayName}${after === undefined ? '' : ` after ${after}`}`);
  }
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void queue.finally(() => client.close()).finally(() => process.exit(0));
  });
}
