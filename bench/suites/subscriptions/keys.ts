import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { ed25519KeyPair } from '@finder/testing/keys';
import { join } from 'node:path';

export interface BenchKeys {
  dir: string;
  jwtPrivateKeyFile: string;
  jwtPublicKeyFile: string;
  jwtIssuer: string;
  /** The identity key pair (identity.ts): the private key for gateways, the public one for subgraphs. */
  identityPrivateKey: string;
  identityPublicKey: string;
  remove(): void;
}

/** Throwaway access-token and identity keys, so the benchmark needs nothing from `./dev up`'s stack. */
export function createBenchKeys(): BenchKeys {
  const dir = mkdtempSync(join(tmpdir(), 'finder-bench-'));
  const keys = generateKeyPairSync('ed25519');
  const jwtPrivateKeyFile = join(dir, 'jwt-private.pem');
  const jwtPublicKeyFile = join(dir, 'jwt-public.pem');
  writeFileSync(jwtPrivateKeyFile, keys.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(jwtPublicKeyFile, keys.publicKey.export({ type: 'spki', format: 'pem' }));
  const identity = ed25519KeyPair();
  return {
    dir,
    jwtPrivateKeyFile,
    jwtPublicKeyFile,
    jwtIssuer: 'finder-realtime',
    identityPrivateKey: identity.privateKey,
    identityPublicKey: identity.publicKey,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
