import { DateTime } from '@finder/platform/server';
import type { Resolvers } from '../__generated__/resolvers-types.ts';
import { Conversion } from './conversion.ts';
import { File } from './file.ts';
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
  File,
  Conversion,
  Message,
  User,
};
