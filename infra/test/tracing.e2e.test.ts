import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { registerUser } from '@finder/testing/accounts';
import { gql, ok } from '@finder/testing/graphql-client';
import { until } from '@finder/testing/processes';
import { stackEnv } from '@finder/testing/stack';
import { connect } from '@finder/testing/ws-client';
import { describe, expect, it } from 'vitest';

interface SpanLine {
  service: string;
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
}

/** Every span the stack's processes exported for a trace, with the file (one per process) it came from. */
function spansOf(dir: string, traceId: string): (SpanLine & { process: string })[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.jsonl'));
  } catch {
    return [];
  }
  return files.flatMap((file) =>
    readFileSync(join(dir, file), 'utf8')
      .split('\n')
      .filter((line) => line.includes(traceId))
      .map((line) => ({ ...(JSON.parse(line) as SpanLine), process: file.replace(/\.jsonl$/, '') })),
  );
}

describe('tracing: one sendMessage, followed across processes', () => {
  it('carries the client\'s traceparent through the gateway, Kafka, the persisters, Redis and the delivery', { timeout: 120_000 }, async () => {
    const env = stackEnv();
    const url = env.PUBLIC_URL!;
    const [alice, bob, carol] = await Promise.all([registerUser(url, 'Trace Alice'), registerUser(url, 'Trace Bob'), registerUser(url, 'Trace Carol')]);
    // Carol is not watching: her copy becomes a notification through finder's persister.
    const conversationId = ok(
      await gql(url, 'mutation($i: StartConversationInput!) { startConversation(input: $i) { id } }', { i: { participantIds: [bob.id, carol.id] } }, { token: alice.token }),
    ).startConversation.id;
    const send = (body: string, headers: Record<string, string> = {}) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${alice.token}`, ...headers },
        body: JSON.stringify({ query: 'mutation($i: SendMessageInput!) { sendMessage(input: $i) { id } }', variables: { i: { conversationId, body } } }),
      }).then((r) => r.json() as Promise<{ data?: { sendMessage: { id: string } } }>);

    const watcher = connect(url.replace(/^http/, 'ws'), { authorization: `Bearer ${bob.token}` });
    try {
      const live = watcher.subscribe<{ messageAdded: { id: string; body: string } }>('subscription($c: ID!) { messageAdded(conversationId: $c, after: 0) { id body } }', { c: conversationId });
      // A first message proves the subscription live before the traced one is sent.
      expect((await send('warm-up')).data?.sendMessage.id).toBeTruthy();
      await live.waitFor(1);

      const traceId = randomBytes(16).toString('hex');
      const sent = await send('traced', { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` });
      const [, event] = await live.waitFor(2);
      expect(event!.data!.messageAdded).toEqual({ id: sent.data!.sendMessage.id, body: 'traced' });
      // The subscriber sees the trace its sender started.
      expect(String(event!.extensions?.traceparent)).toContain(traceId);

      const dir = env.OTEL_TRACES_DIR!;
      const wanted = ['gateway', 'chat', 'chat-persister', 'finder-persister'];
      await until(
        async () => {
          const services = new Set(spansOf(dir, traceId).map((s) => s.service));
          return wanted.every((w) => services.has(w)) && spansOf(dir, traceId).some((s) => s.name.startsWith('gateway deliver'));
        },
        30_000,
        'spans of every hop',
      ).catch(() => undefined);
      const spans = spansOf(dir, traceId);
      const summary = spans.map((s) => `${s.process}: ${s.name}`).sort();
      for (const service of wanted) expect(spans.map((s) => s.service), summary.join('\n')).toContain(service);
      // The gateway's request and its fetch to chat (its plan is cached); chat's request; the persisters'
      // events; the delivery by whichever gateway holds Bob's socket.
      for (const name of ['gateway.request', 'gateway.fetch', 'chat POST /graphql', 'chat-persister message.sent', 'gateway deliver chat']) {
        expect(spans.map((s) => s.name), summary.join('\n')).toContain(name);
      }
      expect(new Set(spans.map((s) => s.process)).size, summary.join('\n')).toBeGreaterThanOrEqual(5);
      // One trace: every span but the client's root has its parent among them or is the root's child.
      const ids = new Set(spans.map((s) => s.spanId));
      const orphans = spans.filter((s) => s.parentSpanId && !ids.has(s.parentSpanId));
      expect(orphans.map((s) => s.name)).toEqual(['gateway POST /graphql']);
    } finally {
      await watcher.dispose();
    }
  });
});
