import { gql, ok } from '@finder/testing/graphql-client';
import { DEMO_BUSINESS, DEMO_PROFESSIONALS, login, mutate, type StackEnv } from '../../lib/dev-stack.ts';

/**
 * Makes sure the demo business has conversations with messages (the medium shape reads them),
 * through the public API; idempotent, so repeated runs do not pile up data.
 */
export async function ensureGatewayData(env: StackEnv, token: (viewer: Awaited<ReturnType<typeof login>>) => Promise<string>) {
  const business = await login(env, DEMO_BUSINESS);
  const professionals = await Promise.all(DEMO_PROFESSIONALS.map((email) => login(env, email)));
  const businessToken = await token(business);
  const existing = ok(await gql(env.PUBLIC_URL!, '{ me { conversations(first: 5) { edges { node { id lastMessage { seq } } } } } }', {}, { token: businessToken }));
  if (existing.me.conversations.edges.filter((e: any) => e.node.lastMessage).length < professionals.length) {
    for (const professional of professionals) {
      const { startConversation } = await mutate(
        env,
        'mutation($input: StartConversationInput!) { startConversation(input: $input) { id } }',
        { participantIds: [professional.id], idempotencyKey: `bench-gateway-${professional.id}` },
        businessToken,
      );
      for (const body of ['Hello, are you available next week?', 'Yes, Tuesday works.']) {
        const idempotencyKey = `bench-gateway-${startConversation.id}-${body.length}`;
        await mutate(env, 'mutation($input: SendMessageInput!) { sendMessage(input: $input) { seq } }', { conversationId: startConversation.id, body, idempotencyKey }, businessToken);
      }
    }
  }
  return { business, businessToken };
}
