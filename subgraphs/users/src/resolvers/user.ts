import { forbidden } from '@finder/platform/config';
import type { UserResolvers } from '../__generated__/resolvers-types.ts';

export const User: UserResolvers = {
  __resolveReference: (reference, { loaders }) => loaders.userById.load(reference.id),
  email: (user, _args, { viewer, provenUserIds }) => {
    if (provenUserIds.has(user.id) || (viewer && (viewer.id === user.id || viewer.role === 'ADMIN'))) return user.email;
    throw forbidden('Only the account owner can see this email');
  },
  // Whose accounts are unverified (fresh, perhaps throwaway) is nobody else's business.
  emailVerified: (user, _args, { viewer, provenUserIds }) =>
    provenUserIds.has(user.id) || viewer?.id === user.id ? user.emailVerifiedAt !== null && user.emailVerifiedAt !== undefined : null,
  avatar: (user) => (user.avatarFileId ? { __typename: 'File', id: user.avatarFileId } : null),
};
