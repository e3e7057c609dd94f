import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { query } from '@finder/testing/database';
import { errorCodes, gql, ok } from '@finder/testing/graphql-client';
import { freePort } from '@finder/testing/ports';
import { devUp, startNode, until, waitForReady, type Service } from '@finder/testing/processes';
import { stackEnv, stackPid } from '@finder/testing/stack';
import { connect, type TestClient } from '@finder/testing/ws-client';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storageKeyOf } from '../src/services/storage.ts';
import { registerUser, storedBytes, upload, type TestUser } from './helpers.ts';

const env = stackEnv();
const url = env.PUBLIC_URL!;
const wsUrl = url.replace(/^http/, 'ws');

const FOLLOW = /* GraphQL */ `
  subscription($id: ID!) { conversionUpdated(id: $id, after: 0) {
    id status progress error target
    file { id owner { displayName } }
    output { id name mimeType size sha256 downloadUrl owner { id } }
  } }`;
const REQUEST = `mutation($i: RequestConversionInput!) { requestConversion(input: $i) { id status progress target } }`;

type State = { id: string; status: string; progress: number; error: string | null; output: { id: string; name: string; mimeType: string; size: number; sha256: string; downloadUrl: string } | null };

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** What a conversion that never finished left behind: enough to tell a stuck worker from a lost update. */
async function diagnose(conversionId: string, statesSeen: unknown[]): Promise<string> {
  const [stored] = await query(env.DATABASE_URL!, 'select status, progress, version, error from files.conversions where id = $1', [conversionId]).catch(
    (err: Error) => [err.message],
  );
  const worker = await fetch(`${env.FILES_WORKER_URL}/readyz`)
    .then((r) => r.text())
    .catch((err: Error) => err.message);
  const metrics = await fetch(`${env.FILES_WORKER_URL}/metrics`)
    .then(async (r) => (await r.text()).split('\n').filter((l) => l.startsWith('consumer_events_total')).join(' '))
    .catch((err: Error) => err.message);
  return `states seen: ${JSON.stringify(statesSeen)}; stored: ${JSON.stringify(stored ?? null)}; files worker: ${worker}; ${metrics}`;
}

/** A generated image with enough detail to be worth converting. */
async function testImage(width = 320, height = 200): Promise<Buffer> {
  const pixels = randomBytes(width * height * 3);
  return sharp(pixels, { raw: { width, height, channels: 3 } }).png().toBuffer();
}

describe('conversions, followed over the subscription through the gateway', () => {
  let alice: TestUser, mallory: TestUser;
  let source: { id: string };
  const clients: TestClient[] = [];

  /** Follows a conversion until DONE or FAILED; returns every state it went through. */
  async function follow(user: TestUser, conversionId: string, timeoutMs = 150_000): Promise<State[]> {
    const client = connect(wsUrl, { authorization: `Bearer ${user.token}` });
    clients.push(client);
    const sub = client.subscribe<{ conversionUpdated: State }>(FOLLOW, { id: conversionId });
    await until(
      async () => sub.errors.length > 0 || sub.events.some((e) => ['DONE', 'FAILED'].includes(e.data?.conversionUpdated.status ?? '')),
      timeoutMs,
      `conversion ${conversionId} to finish`,
    ).catch(async (err: Error) => {
      throw new Error(`${err.message}; ${await diagnose(conversionId, sub.events.map((e) => e.data?.conversionUpdated.status))}`);
    });
    sub.stop();
    expect(sub.errors).toEqual([]);
    for (const event of sub.events) expect(event.errors).toBeUndefined();
    return sub.events.map((e) => e.data!.conversionUpdated);
  }

  beforeAll(async () => {
    [alice, mallory] = await Promise.all([registerUser(url, 'Alice'), registerUser(url, 'Mallory')]);
    source = await upload(url, alice, 'holiday photo.png', 'image/png', await testImage());
  });
  afterAll(() => Promise.all(clients.map((c) => c.dispose())));

  const expected = {
    THUMBNAIL: { mimeType: 'image/webp', format: 'webp', name: 'holiday photo-thumbnail.webp' },
    WEBP: { mimeType: 'image/webp', format: 'webp', name: 'holiday photo.webp' },
    PNG: { mimeType: 'image/png', format: 'png', name: 'holiday photo.png' },
    JPEG: { mimeType: 'image/jpeg', format: 'jpeg', name: 'holiday photo.jpg' },
  } as const;

  for (const target of ['THUMBNAIL', 'WEBP', 'PNG', 'JPEG'] as const) {
    it(`converts an image to ${target}: QUEUED → RUNNING (progress) → DONE`, { timeout: 180_000 }, async () => {
      const requested = ok(await gql(url, REQUEST, { i: { fileId: source.id, target } }, { token: alice.token })).requestConversion;
      expect(requested).toMatchObject({ status: 'QUEUED', progress: 0, target });
      const states = await follow(alice, requested.id);

      expect(states[0]).toMatchObject({ status: 'QUEUED', progress: 0, output: null });
      expect(states.at(-1)).toMatchObject({ status: 'DONE', progress: 1, error: null });
      const running = states.filter((s) => s.status === 'RUNNING');
      expect(running.length).toBeGreaterThan(0);
      for (const s of running) {
        expect(s.progress).toBeGreaterThan(0);
        expect(s.progress).toBeLessThan(1);
      }
      const order = states.map((s) => ['QUEUED', 'RUNNING', 'DONE'].indexOf(s.status));
      expect(order).toEqual([...order].sort((a, b) => a - b));
      expect(states.filter((s) => s.status === 'DONE')).toHaveLength(1);

      const output = states.at(-1)!.output!;
      expect(output).toMatchObject({ mimeType: expected[target].mimeType, name: expected[target].name });
      const bytes = Buffer.from(await (await fetch(output.downloadUrl)).arrayBuffer());
      expect(bytes.length).toBe(output.size);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(output.sha256);
      const meta = await sharp(bytes).metadata();
      expect(meta.format).toBe(expected[target].format);
      if (target === 'THUMBNAIL') expect(Math.max(meta.width!, meta.height!)).toBe(256);
      else expect([meta.width, meta.height]).toEqual([320, 200]);
    });
  }

  it('fails a corrupt image cleanly, with a message, and the converter carries on', { timeout: 300_000 }, async () => {
    const corrupt = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(2000)]);
    const file = await upload(url, alice, 'broken.png', 'image/png', corrupt);
    expect(file.status).toBe('READY');
    const requested = ok(await gql(url, REQUEST, { i: { fileId: file.id, target: 'WEBP' } }, { token: alice.token })).requestConversion;
    const states = await follow(alice, requested.id);
    const last = states.at(-1)!;
    expect(last).toMatchObject({ status: 'FAILED', output: null });
    expect(last.error).toMatch(/cannot be converted/);

    const next = ok(await gql(url, REQUEST, { i: { fileId: source.id, target: 'PNG' } }, { token: alice.token })).requestConversion;
    expect((await follow(alice, next.id)).at(-1)!.status).toBe('DONE');
  });

  it('refuses strangers and non-images', async () => {
    const requested = ok(await gql(url, REQUEST, { i: { fileId: source.id, target: 'PNG' } }, { token: alice.token })).requestConversion;
    const client = connect(wsUrl, { authorization: `Bearer ${mallory.token}` });
    clients.push(client);
    const sub = client.subscribe(FOLLOW, { id: requested.id });
    await until(async () => sub.events.length + sub.errors.length > 0, 20_000, 'a refusal');
    const refusal = JSON.stringify([...sub.events, ...sub.errors]);
    expect(refusal).toContain('NOT_FOUND');
    expect(refusal).not.toContain('DONE');

    const text = await upload(url, alice, 'notes.txt', 'text/plain', Buffer.from('hello\n'));
    expect(errorCodes(await gql(url, REQUEST, { i: { fileId: text.id, target: 'PNG' } }, { token: alice.token }))).toEqual(['BAD_USER_INPUT']);
  });

  describe('a converter killed mid-job', () => {
    let slow: Service | null = null;
    let replacement: Service | null = null;
    // Brings the stack's own worker back (and the whole stack, if its sources changed meanwhile).
    afterAll(async () => {
      await slow?.kill('SIGKILL');
      await replacement?.kill();
      await devUp();
    }, 300_000);

    it('is retried and completes exactly once, even over its half-written output', { timeout: 400_000 }, async () => {
      // The stack's worker makes way for one that pauses before every step (longer, in all, than
      // the group's session timeout), so the job is surely mid-way when it dies.
      const stackWorker = stackPid('files-worker');
      process.kill(stackWorker, 'SIGTERM');
      await until(async () => !isAlive(stackWorker), 60_000, 'the stack worker to stop');
      const port = await freePort();
      slow = startNode('subgraphs/files/src/main.ts', ['worker'], { ...env, PORT: String(port), FILES_CONVERTER_DELAY_MS: '4000' });
      await waitForReady(`http://127.0.0.1:${port}/readyz`, 120_000, slow);

      const requested = ok(await gql(url, REQUEST, { i: { fileId: source.id, target: 'JPEG' } }, { token: alice.token })).requestConversion;
      const statusOf = async () =>
        ok(await gql(url, `query($f: ID!) { file(id: $f) { conversions { id status progress output { id } } } }`, { f: source.id }, { token: alice.token }))
          .file.conversions.find((c: { id: string }) => c.id === requested.id);
      // Converted, not stored yet: the worker pauses before it writes the output.
      await until(async () => (await statusOf())?.progress >= 0.6, 120_000, 'the conversion to reach its output');
      const slowPid = slow.process.pid!;
      await slow.kill('SIGKILL');
      // Unless another suite's `./dev up` brought the stack's worker back meanwhile (then it may
      // have taken the job), the slow worker held it and died mid-way.
      if (!isAlive(stackPid('files-worker'))) expect((await statusOf()).status).toBe('RUNNING');
      // What a worker killed while writing leaves behind: half the output, under its own name.
      const [row] = await query<{ output_file_id: string }>(env.DATABASE_URL!, 'select output_file_id from files.conversions where id = $1', [requested.id]);
      const outputId = row!.output_file_id;
      const outputPath = join(env.FILES_STORAGE_DIR!, storageKeyOf(outputId));
      mkdirSync(dirname(outputPath), { recursive: true });
      const abandoned = `${outputPath}.partial-${hostname()}-${slowPid}-${Date.now()}`;
      writeFileSync(abandoned, randomBytes(700));
      expect(storedBytes(env, outputId)).toHaveLength(1);

      // Another worker joins the group, receives the uncommitted job and does it again.
      const replacementPort = await freePort();
      replacement = startNode('subgraphs/files/src/main.ts', ['worker'], { ...env, PORT: String(replacementPort) });
      await waitForReady(`http://127.0.0.1:${replacementPort}/readyz`, 120_000, replacement);
      const done = await until(async () => {
        const c = await statusOf();
        return c?.status === 'DONE' ? c : null;
      }, 180_000, 'the retried conversion to finish');
      expect(done.output.id).toBe(outputId);

      const states = await follow(alice, requested.id);
      expect(states.filter((s) => s.status === 'DONE')).toHaveLength(1);
      expect(states.at(-1)!.output!.id).toBe(done.output.id);
      // Exactly one output: one file in Alice's list with its name, one stored object.
      const mine = ok(await gql(url, `{ me { files(first: 100) { edges { node { id name } } } } }`, {}, { token: alice.token }));
      const outputs = mine.me.files.edges.filter((e: { node: { id: string } }) => e.node.id === done.output.id);
      expect(outputs).toHaveLength(1);
      // As many JPEG files as finished JPEG conversions of the source (other tests may add one).
      const conversions = ok(await gql(url, `query($f: ID!) { file(id: $f) { conversions { target status } } }`, { f: source.id }, { token: alice.token }));
      const doneJpegs = conversions.file.conversions.filter((c: { target: string; status: string }) => c.target === 'JPEG' && c.status === 'DONE');
      const jpegs = mine.me.files.edges.filter((e: { node: { name: string } }) => e.node.name === 'holiday photo.jpg');
      expect(jpegs).toHaveLength(doneJpegs.length);
      // One stored object, whole: the retry replaced the abandoned partial write.
      expect(storedBytes(env, outputId)).toEqual([outputPath]);
      const last = states.at(-1)!.output!;
      const bytes = Buffer.from(await (await fetch(last.downloadUrl)).arrayBuffer());
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(last.sha256);
      expect((await sharp(bytes).metadata()).format).toBe('jpeg');
    });
  });
});
