import { execFileSync } from 'node:child_process';
import { gql, ok } from '@finder/testing/graphql-client';
import { ROOT_DIR } from '@finder/testing/stack';
import { connect, type TestClient } from '@finder/testing/ws-client';
import { afterAll, describe, expect, it } from 'vitest';
import { mutate, PASSWORD, register, startConversation, STREAMS, WRITES } from '../lib/actors.ts';
import { kill, restartMissing, stackEnv, waitExited } from '../lib/stack.ts';

/**
 * A smoke run of the production topology (DEV_TOPOLOGY=production ./dev up): every replica up, and
 * through nginx an account registered and signed in, a conversation, and messages followed over a
 * subscription while each of the two chat servers in turn is SIGKILLed and started again. Skipped
 * on the dev topology, the one CI runs.
 */
const production = (() => {
  try {
    return stackEnv().DEV_TOPOLOGY === 'production';
  } catch {
    return false;
  }
})();

/** `./dev status` as lines by component. */
function status(): Map<string, string> {
  const out = execFileSync('bash', ['dev', 'status'], { cwd: ROOT_DIR, encoding: 'utf8', env: { ...process.env, DEV_TOPOLOGY: 'production' } });
  return new Map(out.trim().split('\n').slice(1).map((line) => [line.split(/\s+/)[0]!, line]));
}

describe.skipIf(!production)('the production topology', () => {
  const clients: TestClient[] = [];
  afterAll(() => Promise.all(clients.map((c) => c.dispose())));

  it('runs every replica, the Postgres replica streaming, and the balancer', () => {
    const lines = status();
    const replicas = ['users', 'users-persister', 'chat', 'chat-persister', 'finder', 'finder-persister', 'files', 'files-persister'];
    const expected = [...replicas, ...replicas.map((r) => `${r}-2`), 'users-mailer', 'files-worker', 'gateway-1', 'gateway-2'];
    for (const name of expected) expect(lines.get(name), name).toMatch(/ up .*\/readyz: 200/);
    expect(lines.get('postgres-replica')).toMatch(/ up .*streaming, in recovery: true/);
    expect(lines.get('balancer')).toMatch(/ up /);
    expect(lines.get('balancer')).not.toMatch(/readyz: (?!200)/);
    for (let i = 1; i <= 6; i++) expect(lines.get(`redis-node-${i}`), `redis-node-${i}`).toMatch(/ up .*cluster_state: ok/);
    expect([...lines.values()].filter((line) => / down /.test(line))).toEqual([]);
  });

  it('delivers every message once, in order, through nginx while each chat replica is killed and started again', async () => {
    const env = stackEnv();
    const url = env.PUBLIC_URL!;
    const alice = await register(url, 'topology-alice', 'BUSINESS');
    const bob = await register(url, 'topology-bob', 'PROFESSIONAL');
    const login = ok(await gql(url, `mutation($i: LoginInput!) { login(input: $i) { accessToken user { id } } }`, { i: { email: alice.email, password: PASSWORD } }));
    expect(login.login.user.id).toBe(alice.id);
    const token = login.login.accessToken as string;
    const conversationId = await startConversation(url, { ...alice, token }, [bob]);

    const client = connect(url.replace(/^http/, 'ws'), { authorization: `Bearer ${bob.token}` }, { retry: true });
    clients.push(client);
    const follow = client.subscribe(STREAMS.messageAdded, { c: conversationId, after: 0 });
    const send = async (body: string) => (await mutate(url, WRITES.message, { conversationId, body }, token)).sendMessage as { id: string; seq: number };
    const sent = [await send('before the kill')];
    await follow.waitFor(1);

    // Each chat server in turn, so that whichever one the gateway's upstream subscription is on is killed.
    for (const victim of ['chat-2', 'chat']) {
      await waitExited(kill(victim, 'SIGKILL'));
      for (let i = 1; i <= 3; i++) sent.push(await send(`with ${victim} down ${i}`));
      await follow.waitFor(sent.length, 60_000);
      await restartMissing();
      expect(status().get(victim)).toMatch(/ up .*\/readyz: 200/);
      sent.push(await send(`${victim} back`));
      await follow.waitFor(sent.length, 60_000);
    }
    const events = follow.events;

    const received = events.map((e) => e.data!.messageAdded as { id: string; seq: number });
    expect(received.map((m) => m.id)).toEqual(sent.map((m) => m.id));
    expect(received.map((m) => m.seq)).toEqual(sent.map((_, i) => i + 1));
  }, 180_000);
});
