import { generateKeyPairSync, randomBytes } from 'node:crypto';

/** A throwaway Ed25519 key pair in PEM (PKCS#8 private, SPKI public), like `./dev up` generates. */
export function ed25519KeyPair(): { privateKey: string; publicKey: string } {
  return generateKeyPairSync('ed25519', { privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
}

/** A throwaway secret (48 random bytes, base64url), like the `.secret` files `./dev up` generates. */
export const randomSecret = (): string => randomBytes(48).toString('base64url');
