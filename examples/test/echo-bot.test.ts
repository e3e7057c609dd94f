import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createFinderClient, type FinderClient } from '@finder/client';
import { MessagesDocument, SendMessageDocument, StartConversationDocument } from '@finder/client/operations';
import { startNode, until, type Service } from '@finder/testing/processes';
import { stackEnv } from '@finder/testing/stack';

const env = stackEnv();
const url = env.PUBLIC_URL!;
const password = 'correct horse battery';
const email = (label: string) => `${label}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}@example.com`;

describe('examples/echo-bot.ts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'echo-bot-'));
  const cursorFile = join(dir, 'cursor');
  const clients: FinderClient[] = [];
  const bots: Service[] = [];
  afterAll(async () => {
    await Promise.all(bots.map((b) => b.kill('SIGKILL')));
    await Promise.all(clients.map((c) => c.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  const startBot = async (botEmail: string, conversationId: string): Promise<Service> => {
    const bot = startNode('examples/echo-bot.ts', [], {
      FINDER_URL: url,
      BOT_EMAIL: botEmail,
      BOT_PASSWORD: password,
      CONVERSATION_ID: conversationId,
      CURSOR_FILE: cursorFile,
      NODE_OPTIONS: `${env.NODE_OPTIONS ?? ''} --conditions=@finder/source`.trim(),
    });
    bots.push(bot);
    await until(async () => {
      if (bot.process.exitCode !== null) throw new Error(`the bot exited:\n${bot.output.join('\n')}`);
      return bot.output.some((line) => line.startsWith('ready'));
    }, 60_000, `the bot to be ready:\n${bot.output.join('\n')}`);
    return bot;
  };

  it('answers each message once, also those sent while it was down, resuming from its cursor file', async () => {
    const botEmail = email('echo-bot');
    const bot = createFinderClient({ url });
    const alice = createFinderClient({ url });
    clients.push(bot, alice);
    const botUser = await bot.session.register({ email: botEmail, password, displayName: 'Echo Bot', role: 'PROFESSIONAL' });
    await alice.session.register({ email: email('echo-alice'), password, displayName: 'Alice Echo', role: 'BUSINESS' });
    const { startConversation } = await alice.request(StartConversationDocument, { input: { participantIds: [botUser.userId] } });
    const conversationId = startConversation.id;
    const send = (body: string) => alice.request(SendMessageDocument, { input: { conversationId, body } });
    const history = async () =>
      (await alice.request(MessagesDocument, { conversationId, first: 100 })).conversation!.messages.edges.map((e) => e.node);
    const replies = async () => (await history()).filter((m) => m.sender.id === botUser.userId).map((m) => m.body);

    // The conversation is new: the bot starts from its beginning.
    writeFileSync(cursorFile, '0');
    let running = await startBot(botEmail, conversationId);
    await send('one');
    await send('two');
    await until(async () => (await replies()).length === 2, 30_000, 'two replies');

    // Killed outright: whatever it had not saved it handles again, and the idempotency key keeps
    // a second reply of the same message from being stored.
    await running.kill('SIGKILL');
    await send('three');
    await send('four');
    running = await startBot(botEmail, conversationId);
    expect(running.output.join('\n')).toMatch(/ready as Echo Bot after \d+/);
    await send('five');
    await until(async () => (await replies()).length === 5, 30_000, 'five replies');
    await new Promise((r) => setTimeout(r, 1_000));

    expect(await replies()).toEqual(['echo: one', 'echo: two', 'echo: three', 'echo: four', 'echo: five']);
    const bodies = (await history()).map((m) => m.body);
    for (const body of ['one', 'two', 'three', 'four', 'five']) expect(bodies.indexOf(`echo: ${body}`)).toBeGreaterThan(bodies.indexOf(body));
    expect(Number(readFileSync(cursorFile, 'utf8'))).toBe(bodies.length);
  }, 150_000);
});
