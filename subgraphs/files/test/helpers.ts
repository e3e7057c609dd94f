import { createHmac } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gql, ok } from '@finder/testing/graphql-client';
import { ROOT_DIR } from '@finder/testing/stack';
import { storageKeyOf } from '../src/services/storage.ts';

export { registerUser, startConversation, type TestUser } from '../../chat/test/helpers.ts';
import type { TestUser } from '../../chat/test/helpers.ts';

export const FILE_FIELDS = 'id name mimeType size sha256 status rejectionReason downloadUrl owner { id }';

export interface Ticket {
  file: { id: string; status: string; size: number; name: string; mimeType: string };
  uploadUrl: string;
  expiresAt: string;
}

export const createUpload = (url: string, user: TestUser, input: { name: string; mimeType: string; size: number; idempotencyKey?: string }) =>
  gql<{ createUpload: Ticket }>(
    url,
    `mutation($i: CreateUploadInput!) { createUpload(input: $i) { file { id status size name mimeType } uploadUrl expiresAt } }`,
    { i: input },
    { token: user.token },
  );

export const completeUpload = (url: string, user: TestUser, fileId: string) =>
  gql(url, `mutation($f: ID!) { completeUpload(fileId: $f) { ${FILE_FIELDS} } }`, { f: fileId }, { token: user.token });

export const fileQuery = (url: string, user: TestUser, id: string) =>
  gql(url, `query($id: ID!) { file(id: $id) { ${FILE_FIELDS} } }`, { id }, { token: user.token });

/** PUTs bytes to a signed upload URL; a stream body goes out chunked, without Content-Length. */
export async function put(uploadUrl: string, body: Buffer | ReadableStream<Uint8Array>): Promise<{ status: number; body: string } | { error: string }> {
  try {
    const response = await fetch(uploadUrl, { method: 'PUT', body, ...(body instanceof Buffer ? {} : { duplex: 'half' }) } as RequestInit);
    return { status: response.status, body: await response.text() };
  } catch (err) {
    // The server may close the connection while the client is still sending: a refusal too.
    return { error: String((err as Error).cause ?? err) };
  }
}

/** A stream of `total` bytes in chunks, sent chunked (no Content-Length). */
export function chunked(total: number, chunk = 16 * 1024): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= total) return controller.close();
      const n = Math.min(chunk, total - sent);
      sent += n;
      controller.enqueue(new Uint8Array(n).fill(0x61));
    },
  });
}

/** createUpload → PUT → completeUpload; returns the completed file. */
export async function upload(url: string, user: TestUser, name: string, mimeType: string, bytes: Buffer) {
  const ticket = ok(await createUpload(url, user, { name, mimeType, size: bytes.length })).createUpload;
  const sent = await put(ticket.uploadUrl, bytes);
  if (!('status' in sent) || sent.status !== 200) throw new Error(`upload failed: ${JSON.stringify(sent)}`);
  return ok(await completeUpload(url, user, ticket.file.id)).completeUpload;
}

/** Where the stack keeps a file's bytes, and whether anything of it (even a partial write) is there. */
export function storedBytes(env: Record<string, string>, fileId: string): string[] {
  const dir = env.FILES_STORAGE_DIR ?? join(ROOT_DIR, '.state/files');
  const path = join(dir, storageKeyOf(fileId));
  const folder = join(path, '..');
  const found = existsSync(folder) ? readdirSync(folder).filter((f) => f.startsWith(fileId)) : [];
  return found.map((f) => join(folder, f));
}

/** A URL signed like the files server signs them, with the stack's FILES_URL_SECRET (or env's). */
export function signUrl(env: Record<string, string>, operation: 'upload' | 'download', fileId: string, expires: number): string {
  const sig = createHmac('sha256', env.FILES_URL_SECRET!).update(`${operation}\n${fileId}\n${expires}`).digest('base64url');
  return `${env.FILES_PUBLIC_URL}/files/${operation}/${fileId}?expires=${expires}&sig=${sig}`;
}

export const ELF = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00]), Buffer.alloc(600, 0x90)]);
