import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { randomSecret } from '@finder/testing/keys';
import { join } from 'node:path';

export interface BenchKeys {
  dir: string;
  jwtPrivateKeyFile: string;
  jwtPublicKeyFile: string;
  jwtIssuer: string;
  /** The gateways' identity secret (identity.ts); each subgraph gets its own key derived from it. */
  identitySecret: string;
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
  return {
    dir,
    jwtPrivateKeyFile,
    jwtPublicKeyFile,
    jwtIssuer: 'finder-realtime',
    identitySecret: randomSecret(),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
