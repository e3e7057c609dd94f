import type { Resolvers } from '../__generated__/resolvers-types.ts';
import { Mutation } from './mutation.ts';
import { Query } from './query.ts';
import { DateTime } from '@finder/platform/server';
import { User } from './user.ts';

export const resolvers: Resolvers = { DateTime, Query, Mutation, User };
