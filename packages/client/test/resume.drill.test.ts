import { afterAll, describe, expect, it } from 'vitest';
import { type FinderClient } from '@finder/client';
import { MessageAddedDocument, SendMessageDocument } from '@finder/client/operations';
import { devUp } from '@finder/testing/processes';
import { stackPid } from '@finder/testing/stack';
import { conversationBetween, env, signedUp, until } from './helpers.ts';

/**
 * A subscriber connected straight to gateway-1, which is killed (SIGKILL) and started again by
 * `./dev up`: the SDK reconnects and resumes from its last cursor, and the application sees every
 * message once, in order, whether it was sent before, during or after the outage.
 */
describe('@finder/client across a gateway SIGKILL', () => {
  const clients: FinderClient[] = [];
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await devUp();
  }, 180_000);

  it('delivers every seq exactly once and in order', async () => {
    const gateway1 = env.GATEWAY_URLS!.split(',')[0]!;
    const alice = await signedUp('Alice Resume');
    const bob = await signedUp('Bob Resume', { url: gateway1 });
    clients.push(alice.client, bob.client);
    const conversationId = await conversationBetween(alice.client, bob.session.userId);

    const seen: number[] = [];
    const errors: unknown[] = [];
    const states: string[] = [];
    bob.client.connection.onChange((s) => states.push(s));
    bob.client.subscribe(MessageAddedDocument, { conversationId }, {
      next: (d) => seen.push(d.messageAdded.seq),
      error: (e) => errors.push(e),
    });
    await until(() => bob.client.connection.state === 'connected', 20_000, 'the socket');
    // `after` absent: only new messages, so the first must arrive live before the kill.
    const send = (body: string) => alice.client.request(SendMessageDocument, { input: { conversationId, body } });
    await send('before 1');
    await until(() => seen.length === 1, 20_000, 'the first message');
    for (let i = 2; i <= 5; i++) await send(`before ${i}`);
    await until(() => seen.length === 5, 20_000, 'the messages sent before');

    process.kill(stackPid('gateway-1'), 'SIGKILL');
    await until(() => bob.client.connection.state === 'reconnecting', 20_000, 'the SDK to notice');
    // nginx sends the writes to gateway-2 meanwhile.
    for (let i = 1; i <= 5; i++) await send(`during ${i}`);
    await devUp();
    await until(() => bob.client.connection.state === 'connected', 60_000, 'the SDK to reconnect');
    for (let i = 1; i <= 5; i++) await send(`after ${i}`);
    await until(() => seen.length >= 15, 30_000, `15 messages (have ${seen.length})`);
    await new Promise((r) => setTimeout(r, 1_000));

    expect(errors).toEqual([]);
    expect(seen).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    expect(states).toContain('reconnecting');
  }, 180_000);
});
