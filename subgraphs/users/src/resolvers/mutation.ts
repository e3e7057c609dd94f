import { requireViewer } from '@finder/platform/auth';
import type { MutationResolvers } from '../__generated__/resolvers-types.ts';
import type { Context } from '../context.ts';
import type { AuthResult } from '../services/accounts.ts';

/**
 * Records that this request proved to be the payload's user (by password, refresh token or the
 * link mailed to them), so the user's own fields resolve for it although it came without an
 * access token.
 */
function recordProvenUser(ctx: Context, result: AuthResult): AuthResult {
  ctx.provenUserIds.add(result.user.id);
  return result;
}

export const Mutation: MutationResolvers = {
  register: async (_root, { input }, ctx) => recordProvenUser(ctx, await ctx.accounts.register(ctx.em, input)),
  startRegistration: (_root, { input }, { accounts }) => accounts.startRegistration(input),
  completeRegistration: async (_root, { input }, ctx) => recordProvenUser(ctx, await ctx.accounts.completeRegistration(ctx.em, input)),
  login: async (_root, { input }, ctx) => recordProvenUser(ctx, await ctx.accounts.login(ctx.em, input)),
  refreshSession: async (_root, { refreshToken }, ctx) => recordProvenUser(ctx, await ctx.accounts.refresh(ctx.em, refreshToken)),
  logout: (_root, { refreshToken }, { accounts, em }) => accounts.logout(em, refreshToken),
  verifyEmail: async (_root, { token }, ctx) => {
    const user = await ctx.accounts.verifyEmail(ctx.em, token);
    ctx.provenUserIds.add(user.id);
    return user;
  },
  requestPasswordReset: (_root, { email }, { accounts, em }) => accounts.requestPasswordReset(em, email),
  resetPassword: (_root, { token, newPassword }, { accounts, em }) => accounts.resetPassword(em, token, newPassword),
  updateProfile: (_root, { input }, { accounts, em, viewer }) => accounts.updateProfile(em, requireViewer(viewer), input),
};
