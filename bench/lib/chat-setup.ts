import { gql, ok } from '@finder/testing/graphql-client';
import type { Viewer } from '@finder/platform/auth';
import { DEMO_BUSINESS, login, mutate, type StackEnv } from './dev-stack.ts';

export interface ChatPair {
  conversationId: string;
  professional: Viewer;
  professionalToken: string;
}

/**
 * The demo business in a conversation with each of `count` seeded professionals, started through
 * the public API with idempotency keys, so repeated runs reuse the same conversations.
 */
export async function chatPairs(env: StackEnv, count: number, mint: (viewer: Viewer) => Promise<string>, label: string) {
  const business = await login(env, DEMO_BUSINESS);
  const businessToken = await mint(business);
  const found = ok(
    await gql(env.PUBLIC_URL!, 'query($first: Int) { searchProfessionals(first: $first) { edges { node { user { id } } } } }', { first: count }, { token: businessToken }),
  );
  const ids: string[] = found.searchProfessionals.edges.map((e: { node: { user: { id: string } } }) => e.node.user.id);
  if (ids.length < count) throw new Error(`need ${count} professionals, the stack has ${ids.length}: seed more (README, "Seed data")`);
  const pairs: ChatPair[] = [];
  for (const id of ids) {
    const { startConversation } = await mutate(
      env,
      'mutation($input: StartConversationInput!) { startConversation(input: $input) { id } }',
      { participantIds: [id], idempotencyKey: `bench-${label}-${id}` },
      businessToken,
    );
    const professional: Viewer = { id, role: 'PROFESSIONAL', sessionId: `bench-${label}` };
    pairs.push({ conversationId: startConversation.id, professional, professionalToken: await mint(professional) });
  }
  return { business, businessToken, pairs };
}
