import { gql, ok } from '@finder/testing/graphql-client';
import { uniqueEmail } from '@finder/testing/ports';

export interface TestUser {
  id: string;
  token: string;
  name: string;
}

/** Registers a real account through the public API. */
export async function registerUser(url: string, name: string): Promise<TestUser> {
  const { register } = ok(
    await gql(url, `mutation($i: RegisterInput!) { register(input: $i) { accessToken user { id } } }`, {
      i: { email: uniqueEmail(name.toLowerCase().replace(/[^a-z0-9]+/g, '-')), password: 'correct horse battery', displayName: name, role: 'BUSINESS' },
    }),
  );
  return { id: register.user.id, token: register.accessToken, name };
}

export async function startConversation(url: string, owner: TestUser, others: TestUser[]): Promise<string> {
  const { startConversation } = ok(
    await gql(url, `mutation($i: StartConversationInput!) { startConversation(input: $i) { id } }`, { i: { participantIds: others.map((o) => o.id) } }, { token: owner.token }),
  );
  return startConversation.id as string;
}

export const SEND = /* GraphQL */ `
  mutation Send($i: SendMessageInput!) { sendMessage(input: $i) { id seq body conversationId createdAt } }`;

export const MESSAGE_ADDED = /* GraphQL */ `
  subscription Follow($c: ID!, $after: Int) { messageAdded(conversationId: $c, after: $after) { id seq body sender { id displayName } } }`;
