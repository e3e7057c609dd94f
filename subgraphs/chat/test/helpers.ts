import { gql, ok } from '@finder/testing/graphql-client';
import { registerUser, type TestUser } from '@finder/testing/accounts';

export { registerUser, type TestUser };

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
