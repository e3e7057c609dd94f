/**
 * The files benchmark's load generator, in its own process: uploads through nginx (createUpload,
 * PUT, completeUpload), `cp` of the same bytes on the same disk, thumbnails requested from the
 * platform, and the same thumbnails made by sharp in this process.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { signIdentity, type Viewer } from '@finder/platform/auth';
import { query } from '@finder/testing/database';
import sharp from 'sharp';
import { convertImage } from '../../../subgraphs/files/src/workers/converter.ts';
import { serveRequests } from '../../lib/worker.ts';

interface Target {
  graphqlUrl: string;
  identitySecret: string;
  databaseUrl: string;
}

const viewer: Viewer = { id: randomUUID(), role: 'BUSINESS', sessionId: randomUUID() };

async function call<T>(target: Target, document: string, variables: Record<string, unknown>): Promise<T> {
  const body = JSON.stringify({ query: document, variables });
  const identity = signIdentity(viewer, target.identitySecret, { audience: 'files', method: 'POST', body });
  const response = await fetch(target.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'x-finder-identity': identity }, body });
  const answer = (await response.json()) as { data?: T; errors?: unknown[] };
  if (answer.errors?.length || !answer.data) throw new Error(`GraphQL failed: ${JSON.stringify(answer.errors)}`);
  return answer.data;
}

/** A file that sniffs as the PDF it is declared as: a header, then incompressible bytes. */
const pdfOf = (size: number) => Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(size - 9)]);

async function uploadOnce(target: Target, bytes: Buffer, name: string) {
  const t0 = performance.now();
  const { createUpload } = await call<{ createUpload: { file: { id: string }; uploadUrl: string } }>(
    target,
    `mutation($i: CreateUploadInput!) { createUpload(input: $i) { file { id } uploadUrl } }`,
    { i: { name, mimeType: 'application/pdf', size: bytes.length } },
  );
  const t1 = performance.now();
  const put = await fetch(createUpload.uploadUrl, { method: 'PUT', body: bytes as Uint8Array<ArrayBuffer> });
  await put.text();
  if (put.status !== 200) throw new Error(`PUT answered ${put.status}`);
  const t2 = performance.now();
  const { completeUpload } = await call<{ completeUpload: { status: string } }>(target, `mutation($f: ID!) { completeUpload(fileId: $f) { status } }`, {
    f: createUpload.file.id,
  });
  if (completeUpload.status !== 'READY') throw new Error(`completeUpload: ${completeUpload.status}`);
  const t3 = performance.now();
  return { fileId: createUpload.file.id, putMs: t2 - t1, totalMs: t3 - t0 };
}

serveRequests({
  /** `count` uploads of `size` bytes, one after another: PUT time and whole-upload time of each. */
  async uploads(message: { target: Target; size: number; count: number }) {
    const results: { putMs: number; totalMs: number }[] = [];
    for (let i = 0; i < message.count; i++) {
      const { putMs, totalMs } = await uploadOnce(message.target, pdfOf(message.size), `bench-${message.size}-${i}.pdf`);
      results.push({ putMs, totalMs });
    }
    return results;
  },
  /** The same bytes copied by `cp` in the same folder tree: one file in, `count` copies out. */
  cp(message: { dir: string; size: number; count: number }) {
    const dir = join(message.dir, `cp-${message.size}`);
    mkdirSync(dir, { recursive: true });
    const source = join(dir, 'source.pdf');
    const results: number[] = [];
    for (let i = 0; i < message.count; i++) {
      writeFileSync(source, pdfOf(message.size));
      const t0 = performance.now();
      const done = spawnSync('cp', [source, join(dir, `copy-${i}.pdf`)]);
      results.push(performance.now() - t0);
      if (done.status !== 0) throw new Error(`cp failed: ${done.stderr}`);
    }
    rmSync(dir, { recursive: true, force: true });
    return results;
  },
  /** Uploads the benchmark's source image; returns its file id. */
  async sourceImage(message: { target: Target; width: number; height: number }) {
    const image = await benchImage(message.width, message.height);
    const ticket = await call<{ createUpload: { file: { id: string }; uploadUrl: string } }>(
      message.target,
      `mutation($i: CreateUploadInput!) { createUpload(input: $i) { file { id } uploadUrl } }`,
      { i: { name: 'bench.jpg', mimeType: 'image/jpeg', size: image.length } },
    );
    const put = await fetch(ticket.createUpload.uploadUrl, { method: 'PUT', body: image as Uint8Array<ArrayBuffer> });
    if (put.status !== 200) throw new Error(`PUT answered ${put.status}`);
    await call(message.target, `mutation($f: ID!) { completeUpload(fileId: $f) { status } }`, { f: ticket.createUpload.file.id });
    return { fileId: ticket.createUpload.file.id, bytes: image.length };
  },
  /** Requests `count` thumbnails at once and waits until every one is DONE: the elapsed time. */
  async thumbnails(message: { target: Target; fileId: string; count: number }) {
    const t0 = performance.now();
    const ids = await Promise.all(
      Array.from({ length: message.count }, async () => {
        const { requestConversion } = await call<{ requestConversion: { id: string } }>(
          message.target,
          `mutation($i: RequestConversionInput!) { requestConversion(input: $i) { id } }`,
          { i: { fileId: message.fileId, target: 'THUMBNAIL' } },
        );
        return requestConversion.id;
      }),
    );
    // Never wait forever: a conversion still QUEUED or RUNNING after this is a finding to report.
    const deadline = Date.now() + 300_000;
    for (;;) {
      if (Date.now() > deadline) {
        const stuck = await query<{ id: string; status: string }>(message.target.databaseUrl, `select id, status from files.conversions where id = any($1) and status <> 'DONE'`, [ids]);
        throw new Error(`thumbnails not DONE after 300 s: ${JSON.stringify(stuck)}`);
      }
      const [row] = await query<{ done: string; failed: string }>(
        message.target.databaseUrl,
        `select count(*) filter (where status = 'DONE') as done, count(*) filter (where status = 'FAILED') as failed from files.conversions where id = any($1)`,
        [ids],
      );
      if (Number(row!.failed) > 0) throw new Error(`${row!.failed} thumbnails FAILED`);
      if (Number(row!.done) === ids.length) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    return { elapsedMs: performance.now() - t0 };
  },
  /** The same thumbnails, made one after another by sharp in this process with the converter's code. */
  async sharpThumbnails(message: { width: number; height: number; count: number }) {
    const image = await benchImage(message.width, message.height);
    const t0 = performance.now();
    for (let i = 0; i < message.count; i++) await convertImage(image, 'THUMBNAIL');
    return { elapsedMs: performance.now() - t0 };
  },
});

/** A photo-sized JPEG with detail everywhere (noise over a gradient), the same on every call. */
let cachedImage: Buffer | null = null;
async function benchImage(width: number, height: number): Promise<Buffer> {
  if (cachedImage) return cachedImage;
  const pixels = Buffer.alloc(width * height * 3);
  let seed = 42;
  for (let i = 0; i < pixels.length; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    pixels[i] = ((i / 3) % width) * (255 / width) * 0.7 + (seed % 77);
  }
  cachedImage = await sharp(pixels, { raw: { width, height, channels: 3 } }).jpeg({ quality: 85 }).toBuffer();
  return cachedImage;
}
