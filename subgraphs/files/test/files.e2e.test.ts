import { createHash, randomBytes } from 'node:crypto';
import { errorCodes, gql, ok } from '@finder/testing/graphql-client';
import { until } from '@finder/testing/processes';
import { stackEnv, stackPid } from '@finder/testing/stack';
import { connect } from '@finder/testing/ws-client';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  chunked,
  completeUpload,
  createUpload,
  ELF,
  fileQuery,
  put,
  registerUser,
  signUrl,
  startConversation,
  storedBytes,
  upload,
  type TestUser,
} from './helpers.ts';
import { localTarget, s3Target, type StorageTarget } from './storage-targets.ts';

const env = stackEnv();
const url = env.PUBLIC_URL!;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

// The storage contract, over every adapter: the stack's local folder, and an S3-compatible store.
describe.each([
  ['local folder', async () => localTarget(env)],
  ['S3-compatible store', async () => s3Target(env)],
] as const)('files over %s: upload, complete, download through nginx', (_name, start) => {
  let target: StorageTarget;
  let alice: TestUser, mallory: TestUser;

  beforeAll(async () => {
    target = await start();
    [alice, mallory] = await Promise.all([registerUser(target.url, 'Alice'), registerUser(target.url, 'Mallory')]);
  }, 180_000);
  afterAll(() => target?.stop());

  it('round-trips the bytes exactly, with their sha256, as an attachment that is never sniffed', async () => {
    const bytes = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#3366cc' } }).png().toBuffer();
    const withNoise = Buffer.concat([bytes]);
    const ticket = ok(await createUpload(target.url, alice, { name: 'Quarterly report é.png', mimeType: 'image/png', size: withNoise.length })).createUpload;
    expect(ticket.file).toMatchObject({ status: 'PENDING_UPLOAD', size: withNoise.length, name: 'Quarterly report é.png' });
    expect(ticket.uploadUrl.startsWith(`${target.env.FILES_PUBLIC_URL}/files/upload/${ticket.file.id}?`)).toBe(true);
    expect(await put(ticket.uploadUrl, withNoise)).toMatchObject({ status: 200 });

    const file = ok(await completeUpload(target.url, alice, ticket.file.id)).completeUpload;
    expect(file).toMatchObject({ status: 'READY', mimeType: 'image/png', size: withNoise.length, sha256: sha256(withNoise), owner: { id: alice.id } });

    const response = await fetch(file.downloadUrl);
    expect(response.status).toBe(200);
    const downloaded = Buffer.from(await response.arrayBuffer());
    expect(downloaded.equals(withNoise)).toBe(true);
    expect(sha256(downloaded)).toBe(file.sha256);
    expect(response.headers.get('content-type')).toBe('image/png');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('content-disposition')).toBe(`attachment; filename="Quarterly report _.png"; filename*=UTF-8''Quarterly%20report%20%C3%A9.png`);

    // A larger, random file: streamed both ways through nginx.
    const big = randomBytes(3 * 1024 * 1024 + 17);
    const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), big]);
    const stored = await upload(target.url, alice, 'big.pdf', 'application/pdf', pdf);
    expect(stored).toMatchObject({ status: 'READY', sha256: sha256(pdf), mimeType: 'application/pdf' });
    const again = Buffer.from(await (await fetch(stored.downloadUrl)).arrayBuffer());
    expect(again.equals(pdf)).toBe(true);

    const csv = await upload(target.url, alice, 'numbers.csv', 'text/csv', Buffer.from('a,b\n1,2\n'));
    const csvResponse = await fetch(csv.downloadUrl);
    expect(csvResponse.headers.get('content-type')).toBe('text/csv; charset=utf-8');

    // A page named .html is still the text/plain it was checked to be: it downloads as an
    // attachment named .txt, served as text/plain and never sniffed.
    const page = await upload(target.url, alice, 'page.html', 'text/plain', Buffer.from('<script>alert(document.domain)</script>\n'));
    expect(page.name).toBe('page.html');
    const pageResponse = await fetch(page.downloadUrl);
    expect(pageResponse.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(pageResponse.headers.get('x-content-type-options')).toBe('nosniff');
    expect(pageResponse.headers.get('content-disposition')).toBe(`attachment; filename="page.html.txt"; filename*=UTF-8''page.html.txt`);

    const mine = ok(await gql(target.url, `{ me { files(first: 10) { edges { node { id status } } } } }`, {}, { token: alice.token }));
    expect(mine.me.files.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual([page.id, csv.id, stored.id, file.id]);
  });

  it('refuses a stream longer than declared while it streams, and keeps nothing', async () => {
    const ticket = ok(await createUpload(target.url, alice, { name: 'long.txt', mimeType: 'text/plain', size: 1000 })).createUpload;
    const sent = await put(ticket.uploadUrl, chunked(256 * 1024));
    if ('status' in sent) expect(sent.status).toBe(413);
    await until(async () => ok(await fileQuery(target.url, alice, ticket.file.id)).file.status === 'REJECTED', 20_000, 'REJECTED');
    expect(await target.stored(ticket.file.id)).toEqual([]);
    expect(errorCodes(await completeUpload(target.url, alice, ticket.file.id))).toEqual([]);
    expect(ok(await fileQuery(target.url, alice, ticket.file.id)).file.rejectionReason).toMatch(/More than the declared 1000 bytes/);

    // A Content-Length over the declared size is refused before anything is claimed or stored.
    const second = ok(await createUpload(target.url, alice, { name: 'long2.txt', mimeType: 'text/plain', size: 10 })).createUpload;
    expect(await put(second.uploadUrl, Buffer.alloc(11, 0x61))).toMatchObject({ status: 413 });
    expect(await target.stored(second.file.id)).toEqual([]);
    expect(await put(second.uploadUrl, Buffer.alloc(10, 0x61))).toMatchObject({ status: 200 });
    expect(ok(await completeUpload(target.url, alice, second.file.id)).completeUpload.status).toBe('READY');

    // Beyond the per-file maximum, no upload is even created.
    const huge = await createUpload(target.url, alice, { name: 'huge.bin', mimeType: 'application/zip', size: 26 * 1024 * 1024 });
    expect(errorCodes(huge)).toEqual(['BAD_USER_INPUT']);
    expect(huge.errors![0]!.extensions!.field).toBe('input.size');
  });

  it('refuses a size that lies about itself (fewer bytes than declared)', async () => {
    const ticket = ok(await createUpload(target.url, alice, { name: 'short.txt', mimeType: 'text/plain', size: 5000 })).createUpload;
    const sent = await put(ticket.uploadUrl, chunked(1200));
    expect(sent).toMatchObject({ status: 400 });
    await until(async () => ok(await fileQuery(target.url, alice, ticket.file.id)).file.status === 'REJECTED', 20_000, 'REJECTED');
    expect(await target.stored(ticket.file.id)).toEqual([]);
  });

  it('refuses expired and tampered URLs, storing nothing', async () => {
    const ticket = ok(await createUpload(target.url, alice, { name: 'a.txt', mimeType: 'text/plain', size: 3 })).createUpload;
    const id = ticket.file.id;
    const expired = signUrl(target.env, 'upload', id, Math.floor(Date.now() / 1000) - 60);
    expect(await put(expired, Buffer.from('abc'))).toMatchObject({ status: 403, body: expect.stringContaining('expired') });
    const query = new URL(ticket.uploadUrl).searchParams;
    const tamperedSig = ticket.uploadUrl.replace(`sig=${query.get('sig')}`, `sig=${query.get('sig')!.slice(0, -2)}AA`);
    expect(await put(tamperedSig, Buffer.from('abc'))).toMatchObject({ status: 403 });
    const longer = ticket.uploadUrl.replace(`expires=${query.get('expires')}`, `expires=${Number(query.get('expires')) + 86_400}`);
    expect(await put(longer, Buffer.from('abc'))).toMatchObject({ status: 403 });
    // The same signature for another operation or another file is worth nothing.
    const other = ok(await createUpload(target.url, mallory, { name: 'm.txt', mimeType: 'text/plain', size: 3 })).createUpload;
    expect(await put(ticket.uploadUrl.replace(id, other.file.id), Buffer.from('abc'))).toMatchObject({ status: 403 });
    expect((await fetch(ticket.uploadUrl.replace('/upload/', '/download/'))).status).toBe(403);
    expect(await target.stored(id)).toEqual([]);
    expect(await target.stored(other.file.id)).toEqual([]);
    // Still pending: nothing arrived.
    expect(errorCodes(await completeUpload(target.url, alice, id))).toEqual(['CONFLICT']);
    const download = signUrl(target.env, 'download', id, Math.floor(Date.now() / 1000) - 1);
    expect((await fetch(download)).status).toBe(403);
  });

  it('rejects content that is not its declared type: an executable named photo.png', async () => {
    const ticket = ok(await createUpload(target.url, alice, { name: 'photo.png', mimeType: 'image/png', size: ELF.length })).createUpload;
    expect(await put(ticket.uploadUrl, ELF)).toMatchObject({ status: 200 });
    const file = ok(await completeUpload(target.url, alice, ticket.file.id)).completeUpload;
    expect(file).toMatchObject({ status: 'REJECTED', downloadUrl: null, sha256: null });
    expect(file.rejectionReason).toMatch(/executable/);
    expect(await target.stored(ticket.file.id)).toEqual([]);

    const png = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#000' } }).png().toBuffer();
    const ticket2 = ok(await createUpload(target.url, alice, { name: 'doc.pdf', mimeType: 'application/pdf', size: png.length })).createUpload;
    expect(await put(ticket2.uploadUrl, png)).toMatchObject({ status: 200 });
    const file2 = ok(await completeUpload(target.url, alice, ticket2.file.id)).completeUpload;
    expect(file2.status).toBe('REJECTED');
    expect(file2.rejectionReason).toMatch(/Declared application\/pdf but the content is image\/png/);
    expect(await target.stored(ticket2.file.id)).toEqual([]);
  });

  it('refuses unsafe names: path traversal, control characters, overlong', async () => {
    for (const name of ['../../etc/passwd', '..\\..\\boot.ini', 'a/b.txt', '..', 'evil\u0000.txt', 'line\nbreak.txt', 'x'.repeat(256), '']) {
      const result = await createUpload(target.url, alice, { name, mimeType: 'text/plain', size: 3 });
      expect(errorCodes(result), name).toEqual(['BAD_USER_INPUT']);
      expect(result.errors![0]!.extensions!.field).toBe('input.name');
    }
    const mine = ok(await gql(target.url, `{ me { files(first: 100) { edges { node { name } } } } }`, {}, { token: alice.token }));
    expect(mine.me.files.edges.map((e: { node: { name: string } }) => e.node.name)).not.toContain('passwd');
    expect(errorCodes(await createUpload(target.url, alice, { name: 'ok.exe', mimeType: 'application/x-msdownload', size: 3 }))).toEqual(['BAD_USER_INPUT']);
  });

  it('accepts one PUT per upload URL: a second one is refused and changes nothing', async () => {
    const first = Buffer.from('first upload\n');
    const ticket = ok(await createUpload(target.url, alice, { name: 'once.txt', mimeType: 'text/plain', size: first.length })).createUpload;
    expect(await put(ticket.uploadUrl, first)).toMatchObject({ status: 200 });
    const second = Buffer.from('second uploa\n');
    expect(await put(ticket.uploadUrl, second)).toMatchObject({ status: 409 });
    const file = ok(await completeUpload(target.url, alice, ticket.file.id)).completeUpload;
    expect(file).toMatchObject({ status: 'READY', sha256: sha256(first) });
    expect(await put(ticket.uploadUrl, second)).toMatchObject({ status: 409 });
    expect(Buffer.from(await (await fetch(file.downloadUrl)).arrayBuffer()).equals(first)).toBe(true);
  });
});

describe('files: sharing, avatars, deletion', () => {
  let alice: TestUser, bob: TestUser, mallory: TestUser;

  beforeAll(async () => {
    [alice, bob, mallory] = await Promise.all([registerUser(url, 'Alice'), registerUser(url, 'Bob'), registerUser(url, 'Mallory')]);
  });

  it('keeps a file from strangers: resolve, download, convert, delete', async () => {
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#f00' } }).png().toBuffer();
    const file = await upload(url, alice, 'private.png', 'image/png', png);
    const as = (u: TestUser) => ({ token: u.token });
    expect(errorCodes(await fileQuery(url, mallory, file.id))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await gql(url, `mutation($i: RequestConversionInput!) { requestConversion(input: $i) { id } }`, { i: { fileId: file.id, target: 'PNG' } }, as(mallory)))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await gql(url, `mutation($f: ID!) { deleteFile(fileId: $f) }`, { f: file.id }, as(mallory)))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await completeUpload(url, mallory, file.id))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await gql(url, `query($id: ID!) { user(id: $id) { files { edges { node { id } } } } }`, { id: alice.id }, as(mallory)))).toEqual(['FORBIDDEN']);
    // A download URL is minted for whoever may see the file; anyone else cannot forge one.
    const theirs = ok(await createUpload(url, mallory, { name: 'x.txt', mimeType: 'text/plain', size: 1 })).createUpload;
    expect((await fetch(file.downloadUrl.replace(file.id, theirs.file.id))).status).toBe(403);
    expect((await fetch(signUrl({ ...env, FILES_URL_SECRET: 'x'.repeat(40) }, 'download', file.id, Math.floor(Date.now() / 1000) + 60))).status).toBe(403);
    // Still Alice's, untouched.
    expect(ok(await fileQuery(url, alice, file.id)).file.status).toBe('READY');
    expect(storedBytes(env, file.id)).toHaveLength(1);
  });

  // The share and the byte removal are done by the files worker, which the conversions suite
  // restarts: generous waits.
  it('shares a file with the participants of the conversation it is attached to, and nobody else', { timeout: 240_000 }, async () => {
    const bytes = Buffer.from('shared notes\n');
    const file = await upload(url, alice, 'notes.txt', 'text/plain', bytes);
    const conversationId = await startConversation(url, alice, [bob]);
    expect(errorCodes(await fileQuery(url, bob, file.id))).toEqual(['NOT_FOUND']);
    // Bob sees the attachment on the live message itself, before files has heard of the share:
    // the files worker (whose projector records shares) is paused meanwhile.
    const watcher = connect(url.replace(/^http/, 'ws'), { authorization: `Bearer ${bob.token}` });
    const live = watcher.subscribe(`subscription($c: ID!) { messageAdded(conversationId: $c, after: 0) { id attachments { id name downloadUrl } } }`, { c: conversationId });
    const worker = stackPid('files-worker');
    process.kill(worker, 'SIGSTOP');
    let sent;
    try {
      sent = ok(
        await gql(url, `mutation($i: SendMessageInput!) { sendMessage(input: $i) { id } }`, { i: { conversationId, body: 'see attached', attachmentIds: [file.id] } }, { token: alice.token }),
      );
      const [event] = await live.waitFor(1);
      expect(event!.errors).toBeUndefined();
      const attached = event!.data!.messageAdded;
      expect(attached).toMatchObject({ id: sent.sendMessage.id, attachments: [{ id: file.id, name: 'notes.txt' }] });
      expect(Buffer.from(await (await fetch(attached.attachments[0].downloadUrl)).arrayBuffer()).equals(bytes)).toBe(true);
      expect(errorCodes(await fileQuery(url, bob, file.id))).toEqual(['NOT_FOUND']);
    } finally {
      process.kill(worker, 'SIGCONT');
      await watcher.dispose();
    }
    // Files learns about the share from chat.facts.
    const seen = await until(async () => (await fileQuery(url, bob, file.id)).data?.file, 90_000, 'the share to reach files');
    expect(seen).toMatchObject({ id: file.id, name: 'notes.txt', owner: { id: alice.id } });
    expect(Buffer.from(await (await fetch(seen.downloadUrl)).arrayBuffer()).equals(bytes)).toBe(true);

    // Message.attachments resolve through files, for participants.
    const history = ok(
      await gql(url, `query($c: ID!) { conversation(id: $c) { messages(last: 5) { edges { node { id attachments { id name sha256 owner { displayName } } } } } } }`, { c: conversationId }, { token: bob.token }),
    );
    const message = history.conversation.messages.edges.find((e: { node: { id: string } }) => e.node.id === sent.sendMessage.id).node;
    expect(message.attachments).toEqual([{ id: file.id, name: 'notes.txt', sha256: sha256(bytes), owner: { displayName: 'Alice' } }]);

    // Bob may see it, not delete it; Mallory still sees nothing.
    expect(errorCodes(await gql(url, `mutation($f: ID!) { deleteFile(fileId: $f) }`, { f: file.id }, { token: bob.token }))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await fileQuery(url, mallory, file.id))).toEqual(['NOT_FOUND']);

    // Attaching someone else's file id in your own conversation is refused by chat and exposes nothing.
    const eve = await registerUser(url, 'Eve');
    const theirs = await startConversation(url, mallory, [eve]);
    const stolen = await gql(url, `mutation($i: SendMessageInput!) { sendMessage(input: $i) { id } }`, { i: { conversationId: theirs, body: 'look', attachmentIds: [file.id] } }, { token: mallory.token });
    expect(errorCodes(stolen)).toEqual(['BAD_USER_INPUT']);
    // A later share by Alice proves the projector is keeping up.
    const later = await upload(url, alice, 'later.txt', 'text/plain', Buffer.from('later\n'));
    ok(await gql(url, `mutation($i: SendMessageInput!) { sendMessage(input: $i) { id } }`, { i: { conversationId, body: 'one more', attachmentIds: [later.id] } }, { token: alice.token }));
    await until(async () => (await fileQuery(url, bob, later.id)).data?.file, 90_000, 'the second share');
    expect(errorCodes(await fileQuery(url, mallory, file.id))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await fileQuery(url, eve, file.id))).toEqual(['NOT_FOUND']);

    // A deleted file leaves the messages it was attached to; the messages stay readable.
    ok(await gql(url, `mutation($f: ID!) { deleteFile(fileId: $f) }`, { f: file.id }, { token: alice.token }));
    const after = await gql(url, `query($c: ID!) { conversation(id: $c) { messages(last: 5) { edges { node { id attachments { id } } } } } }`, { c: conversationId }, { token: bob.token });
    expect(after.errors).toBeUndefined();
    expect(after.data.conversation.messages.edges.find((e: { node: { id: string } }) => e.node.id === sent.sendMessage.id).node.attachments).toEqual([]);
  });

  // The avatar projector runs in the files worker, which the conversions suite restarts: generous waits.
  it('shows an avatar to every signed-in user, and only while it is the owner\'s own avatar', { timeout: 240_000 }, async () => {
    const setAvatar = (user: TestUser, avatarFileId: string | null) =>
      gql(url, `mutation($i: UpdateProfileInput!) { updateProfile(input: $i) { id avatar { id } } }`, { i: { avatarFileId } }, { token: user.token });
    const avatarAs = async (viewer: TestUser, of: TestUser) =>
      ok(await gql(url, `query($id: ID!) { user(id: $id) { avatar { id name downloadUrl owner { id } } } }`, { id: of.id }, { token: viewer.token })).user.avatar;
    const image = (color: string) => sharp({ create: { width: 16, height: 16, channels: 3, background: color } }).png().toBuffer();

    const carol = await registerUser(url, 'Carol');
    const dave = await registerUser(url, 'Dave');
    const face = await image('#0a0');
    const avatar = await upload(url, carol, 'me.png', 'image/png', face);
    const other = await upload(url, carol, 'private.png', 'image/png', await image('#a00'));
    expect(ok(await setAvatar(carol, avatar.id)).updateProfile.avatar).toEqual({ id: avatar.id });

    // Anyone signed in sees it once files has projected the profile change, and can download it.
    const seen = await until(() => avatarAs(dave, carol), 90_000, 'the avatar to reach files');
    expect(seen).toMatchObject({ id: avatar.id, name: 'me.png', owner: { id: carol.id } });
    expect(Buffer.from(await (await fetch(seen.downloadUrl)).arrayBuffer()).equals(face)).toBe(true);
    // While it is public, Dave may convert it; his conversion shows him the source, for now.
    const conversion = ok(
      await gql(url, `mutation($i: RequestConversionInput!) { requestConversion(input: $i) { id file { id } } }`, { i: { fileId: avatar.id, target: 'THUMBNAIL' } }, { token: dave.token }),
    ).requestConversion;
    expect(conversion.file).toEqual({ id: avatar.id });
    expect(ok(await fileQuery(url, mallory, avatar.id)).file).toMatchObject({ id: avatar.id, status: 'READY' });
    // Carol's other files stay hers; anonymous callers see no file at all.
    expect(errorCodes(await fileQuery(url, dave, other.id))).toEqual(['NOT_FOUND']);
    expect((await gql(url, `query($id: ID!) { file(id: $id) { id } }`, { id: avatar.id })).data?.file ?? null).toBeNull();

    // Naming someone else's file, or a document, as your avatar exposes nothing.
    const doc = await upload(url, dave, 'cv.pdf', 'application/pdf', Buffer.from('%PDF-1.7\nnot an image\n'));
    ok(await setAvatar(mallory, other.id));
    ok(await setAvatar(dave, doc.id));
    // A later change of Carol's proves the projector got past both.
    const next = await upload(url, carol, 'me-2026.png', 'image/png', await image('#00a'));
    ok(await setAvatar(carol, next.id));
    await until(async () => (await avatarAs(dave, carol))?.id === next.id, 90_000, 'the new avatar to reach files');
    expect(errorCodes(await fileQuery(url, bob, other.id))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await fileQuery(url, bob, doc.id))).toEqual(['NOT_FOUND']);
    expect(await avatarAs(bob, mallory)).toBeNull();
    // The replaced avatar is private again; removing the avatar hides the current one too.
    expect(errorCodes(await fileQuery(url, dave, avatar.id))).toEqual(['NOT_FOUND']);
    // Dave's conversion no longer hands him the source file (nor a download URL for it).
    const follower = connect(url.replace(/^http/, 'ws'), { authorization: `Bearer ${dave.token}` });
    try {
      const states = follower.subscribe(`subscription($id: ID!) { conversionUpdated(id: $id, after: 0) { id file { id downloadUrl } } }`, { id: conversion.id });
      const [first] = await states.waitFor(1);
      expect(first!.errors).toBeUndefined();
      expect(first!.data!.conversionUpdated).toEqual({ id: conversion.id, file: null });
    } finally {
      await follower.dispose();
    }
    ok(await setAvatar(carol, null));
    await until(async () => errorCodes(await fileQuery(url, dave, next.id)).includes('NOT_FOUND'), 90_000, 'the removal to reach files');
    expect(ok(await fileQuery(url, carol, next.id)).file.id).toBe(next.id);
  });

  it('deletes at once and removes the stored bytes in the background', { timeout: 180_000 }, async () => {
    const bytes = Buffer.from('to be deleted\n');
    const file = await upload(url, alice, 'gone.txt', 'text/plain', bytes);
    expect(storedBytes(env, file.id)).toHaveLength(1);
    expect(ok(await gql(url, `mutation($f: ID!) { deleteFile(fileId: $f) }`, { f: file.id }, { token: alice.token })).deleteFile).toBe(true);
    expect(ok(await fileQuery(url, alice, file.id)).file).toMatchObject({ status: 'DELETED', downloadUrl: null });
    expect((await fetch(file.downloadUrl)).status).toBe(404);
    await until(async () => storedBytes(env, file.id).length === 0, 90_000, 'the bytes to be removed');
    const mine = ok(await gql(url, `{ me { files(first: 100) { edges { node { id } } } } }`, {}, { token: alice.token }));
    expect(mine.me.files.edges.map((e: { node: { id: string } }) => e.node.id)).not.toContain(file.id);
    // Idempotent.
    expect(ok(await gql(url, `mutation($f: ID!) { deleteFile(fileId: $f) }`, { f: file.id }, { token: alice.token })).deleteFile).toBe(true);
  });

  it('answers a retried createUpload with the first attempt (idempotencyKey)', async () => {
    const input = { name: 'same.txt', mimeType: 'text/plain', size: 4, idempotencyKey: `k-${Date.now()}` };
    const a = ok(await createUpload(url, bob, input)).createUpload;
    const b = ok(await createUpload(url, bob, input)).createUpload;
    expect(b.file.id).toBe(a.file.id);
  });
});
