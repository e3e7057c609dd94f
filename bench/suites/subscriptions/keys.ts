import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface BenchKeys {
  dir: string;
  jwtPrivateKeyFile: string;
  jwtPublicKeyFile: string;
  jwtIssuer: string;
  identitySecret: string;
  remove(): void;
}

/** Throwaway access-token keys and identity secret, so the benchmark needs nothing from `./dev up`'s stack. */
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
    identitySecret: randomBytes(32).toString('hex'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
