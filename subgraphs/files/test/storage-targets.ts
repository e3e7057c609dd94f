import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { startNginx } from '@finder/testing/nginx';
import { freePort } from '@finder/testing/ports';
import { startNode, waitForReady, type Service } from '@finder/testing/processes';
import { subgraphServerEnv } from '@finder/testing/stack';
import S3rver from 's3rver';
import { storageKeyOf } from '../src/services/storage.ts';
import { storedBytes } from './helpers.ts';

/**
 * Where the storage tests send their files: the same public topology (nginx → gateway → files
 * server, nginx → the files HTTP routes) over one storage adapter or another.
 */
export interface StorageTarget {
  name: string;
  /** The public GraphQL endpoint (nginx). */
  url: string;
  /** The stack's settings, with FILES_PUBLIC_URL as this target's files server signs it. */
  env: Record<string, string>;
  /** Whatever is stored under a file's key, partial writes included. */
  stored(fileId: string): Promise<string[]>;
  stop(): Promise<void>;
}

/** The running stack: local storage in FILES_STORAGE_DIR. */
export function localTarget(env: Record<string, string>): StorageTarget {
  return {
    name: 'local folder',
    url: env.PUBLIC_URL!,
    env,
    stored: async (fileId) => storedBytes(env, fileId),
    stop: async () => undefined,
  };
}

const S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const BUCKET = 'finder-files-test';

/**
 * An S3-compatible server (s3rver, on disk in a temporary folder), a files server configured for
 * it, a gateway that sends the files subgraph there, and a private nginx in front of both. The
 * rest (users, Postgres, Redis, Kafka, the files persister) is the running stack's.
 */
export async function s3Target(env: Record<string, string>): Promise<StorageTarget> {
  const directory = mkdtempSync(join(tmpdir(), 'finder-s3-'));
  const [s3Port, filesPort, gatewayPort, nginxPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const s3 = new S3rver({ address: '127.0.0.1', port: s3Port, directory, silent: true, configureBuckets: [{ name: BUCKET, configs: [] }] });
  await s3.run();
  const endpoint = `http://127.0.0.1:${s3Port}`;
  const publicUrl = `http://127.0.0.1:${nginxPort}`;
  const services: Service[] = [];
  let nginx: { stop(): Promise<void> } | null = null;
  const stop = async () => {
    await nginx?.stop();
    await Promise.all(services.map((s) => s.kill()));
    await s3.close().catch(() => undefined);
    rmSync(directory, { recursive: true, force: true });
  };
  try {
    const files = startNode('subgraphs/files/src/main.ts', ['server'], {
      ...env,
      ...subgraphServerEnv(env, 'files'),
      PORT: String(filesPort),
      FILES_PUBLIC_URL: publicUrl,
      FILES_S3_BUCKET: BUCKET,
      FILES_S3_ENDPOINT: endpoint,
      FILES_S3_FORCE_PATH_STYLE: 'true',
      AWS_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey,
    });
    services.push(files);
    const gateway = startNode('gateway/src/index.ts', [], {
      ...env,
      PORT: String(gatewayPort),
      SUBGRAPH_FILES_URL: `http://127.0.0.1:${filesPort}/graphql`,
      SUBGRAPH_FILES_WS_URLS: `ws://127.0.0.1:${filesPort}/graphql`,
    });
    services.push(gateway);
    await Promise.all([waitForReady(`http://127.0.0.1:${filesPort}/readyz`, 120_000, files), waitForReady(`http://127.0.0.1:${gatewayPort}/readyz`, 120_000, gateway)]);
    nginx = await startNginx(nginxPort, [`127.0.0.1:${gatewayPort}`], `127.0.0.1:${filesPort}`);
  } catch (err) {
    await stop();
    throw err;
  }
  const client = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials: S3_CREDENTIALS });
  return {
    name: 'S3-compatible store',
    url: `${publicUrl}/graphql`,
    env: { ...env, FILES_PUBLIC_URL: publicUrl },
    async stored(fileId) {
      const listed = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: storageKeyOf(fileId) }));
      return (listed.Contents ?? []).map((o) => o.Key!);
    },
    stop,
  };
}
