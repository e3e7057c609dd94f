import { readFileSync } from 'node:fs';
import { bearerToken, createTokenVerifier, signIdentity, type IdentityScope, type Viewer } from '@finder/platform/auth';

/**
 * What a peer gateway needs to talk to our subgraphs, and nothing more: verify the caller's access
 * token (the same jose verification ours does, once per request) and sign the identity header
 * subgraphs require (the same HMAC ours makes for every subgraph fetch). Without it the peers
 * would be refused, or measured doing less work than ours.
 */
export async function createPeerIdentity(env: NodeJS.ProcessEnv) {
  const verifier = await createTokenVerifier({
    publicKeyPem: readFileSync(env.JWT_PUBLIC_KEY_FILE!, 'utf8'),
    issuer: env.JWT_ISSUER ?? 'finder-realtime',
  });
  const identitySecret = env.IDENTITY_SECRET!;
  return {
    async viewerOf(authorization: string | null | undefined): Promise<Viewer | null> {
      const token = bearerToken(authorization);
      return token ? verifier.verify(token) : null;
    },
    /** For one request: the subgraph's name, the method and the exact body sent (identity.ts). */
    sign: (viewer: Viewer | null, scope: IdentityScope) => signIdentity(viewer, identitySecret, scope),
  };
}
