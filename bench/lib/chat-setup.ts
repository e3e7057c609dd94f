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

export interface ProfessionalPair {
  conversationId: string;
  /** Both participants: each sends and each subscribes. */
  members: { viewer: Viewer; token: string }[];
}

/**
 * `count` conversations, each between two distinct seeded professionals (so no user sends in more
 * than one conversation and the per-user send limit stays out of the way), started through the
 * public API with idempotency keys, so repeated runs reuse them.
 */
export async function professionalPairs(env: StackEnv, count: number, mint: (viewer: Viewer) => Promise<string>, label: string): Promise<ProfessionalPair[]> {
  const businessToken = await mint(await login(env, DEMO_BUSINESS));
  const ids: string[] = [];
  let after: string | null = null;
  while (ids.length < 2 * count) {
    const page: { edges: { node: { user: { id: string } } }[]; pageInfo: { endCursor: string | null; hasNextPage: boolean } } = ok(
      await gql(
        env.PUBLIC_URL!,
        'query($first: Int, $after: String) { searchProfessionals(first: $first, after: $after) { edges { node { user { id } } } pageInfo { endCursor hasNextPage } } }',
        { first: 100, after },
        { token: businessToken },
      ),
    ).searchProfessionals;
    ids.push(...page.edges.map((e) => e.node.user.id));
    if (!page.pageInfo.hasNextPage) break;
    after = page.pageInfo.endCursor;
  }
  if (ids.length < 2 * count) throw new Error(`need ${2 * count} professionals, the stack has ${ids.length}: seed more (README, "Seed data")`);
  const pairs: ProfessionalPair[] = [];
  for (let i = 0; i < count; i++) {
    const members = await Promise.all(
      [ids[2 * i]!, ids[2 * i + 1]!].map(async (id) => {
        const viewer: Viewer = { id, role: 'PROFESSIONAL', sessionId: `bench-${label}` };
        return { viewer, token: await mint(viewer) };
      }),
    );
    const { startConversation } = await mutate(
      env,
      'mutation($input: StartConversationInput!) { startConversation(input: $input) { id } }',
      { participantIds: [members[1]!.viewer.id], idempotencyKey: `bench-${label}-${members[1]!.viewer.id}` },
      members[0]!.token,
    );
    pairs.push({ conversationId: startConversation.id, members });
  }
  return pairs;
}
