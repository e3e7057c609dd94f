import type { Role } from '@finder/platform/auth';

/** The shapes resolvers work with, as services/reads.ts selects them. Never the password hash. */
export interface UserModel {
  id: string;
  email: string;
  displayName: string;
  role: Role;
  emailVerifiedAt: Date | string | null;
  avatarFileId: string | null;
  createdAt: Date | string;
  updatedAt: Date | string;
}

/** One refresh token. A login starts a family; each refresh replaces the token with a new one. */
export interface SessionModel {
  id: string;
  familyId: string;
  userId: string;
  tokenHash: string;
  expiresAt: Date | string;
  revokedAt: Date | string | null;
  replacedBy: string | null;
}

/** A reference to a File entity owned by the files subgraph. */
export interface FileReference {
  __typename: 'File';
  id: string;
}
