import type { UserResolvers } from '../__generated__/resolvers-types.ts';

/** Finder's fields of any User reference, batched per request by DataLoader. */
export const User: UserResolvers = {
  __resolveReference: (reference) => ({ id: reference.id }),
  professionalProfile: (user, _args, { loaders }) => loaders.professionalProfileByUserId.load(user.id),
  businessProfile: (user, _args, { loaders }) => loaders.businessProfileByUserId.load(user.id),
};
