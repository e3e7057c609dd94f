import { DateTime } from '@finder/platform/server';
import type { Resolvers } from '../__generated__/resolvers-types.ts';
import { Conversation } from './conversation.ts';
import { Message } from './message.ts';
import { Mutation } from './mutation.ts';
import { Query } from './query.ts';
import { Subscription } from './subscription.ts';
import { User } from './user.ts';

export const resolvers: Resolvers = {
  DateTime,
  Query,
  Mutation,
  Subscription,
  Conversation,
  Message,
  User,
  TypingEvent: { user: (event) => ({ __typename: 'User', id: event.userId }) },
};
