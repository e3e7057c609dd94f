import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT_DIR } from '@finder/testing/stack';
import { GATEWAY_LABELS } from '../suites/gateway/gateways.ts';
import { afterAll, expect, it } from 'vitest';

const tempDirs: string[] = [];
afterAll(() => tempDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
/** A throwaway folder for one run's results file, removed after the tests. */
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'finder-bench-test-'));
  tempDirs.push(dir);
  return dir;
}

/** Runs the harness as `npm run bench` does, writing to a throwaway results file. */
function runBench(args: string[], resultsFile: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bench/run.ts', ...args], {
      cwd: ROOT_DIR,
      env: { ...process.env, BENCH_RESULTS_FILE: resultsFile },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.once('exit', (code) => resolve({ code, output }));
  });
}

/** Rows of the markdown table under the given caption: the cells of each row. */
function tableRows(markdown: string, caption: string): string[][] {
  const after = markdown.slice(markdown.indexOf(`**${caption}`)).split('\n').slice(2);
  const table = after.slice(0, after.findIndex((line) => !line.startsWith('|')));
  return table.slice(2).map((line) => line.split('|').slice(1, -1).map((cell) => cell.trim()));
}

it('runs the subscriptions suite in quick mode and records (a) and (b) with deliveries', async () => {
  const resultsFile = join(tempDir(), 'RESULTS.md');
  const { code, output } = await runBench(['subscriptions', '--quick'], resultsFile);
  expect(code, output).toBe(0);

  const markdown = readFileSync(resultsFile, 'utf8');
  expect(markdown).toContain('- command: `npm run bench -- subscriptions --quick`');
  expect(markdown).toMatch(/commit: \w+.*nproc: \d+; Node v24/);
  const rows = tableRows(markdown, 'Deliveries per second');
  const peakOf = (system: string) => rows.filter((r) => r[1]!.startsWith(system)).map((r) => Number(r[5]));
  expect(peakOf('(a)')).toHaveLength(2);
  // Both scenarios on single Redis and on a Redis Cluster.
  expect(peakOf('(b)')).toHaveLength(4);
  expect(peakOf('(b) platform on a Redis Cluster')).toHaveLength(2);
  for (const peak of [...peakOf('(a)'), ...peakOf('(b)')]) expect(peak).toBeGreaterThan(0);
}, 240_000);

it('runs the files suite in quick mode and records uploads beside cp, and thumbnails', async () => {
  const resultsFile = join(tempDir(), 'RESULTS.md');
  const { code, output } = await runBench(['files', '--quick'], resultsFile);
  expect(code, output).toBe(0);

  const markdown = readFileSync(resultsFile, 'utf8');
  expect(markdown).toContain('- command: `npm run bench -- files --quick`');
  const uploads = tableRows(markdown, 'Upload throughput');
  expect(uploads.map((r) => r[0])).toEqual(['1 MB', '20 MB']);
  // PUT MB/s, whole upload MB/s and cp MB/s were all measured.
  for (const row of uploads) for (const cell of row.slice(2, 5)) expect(Number(cell)).toBeGreaterThan(0);
  const thumbnails = tableRows(markdown, 'Thumbnails');
  expect(thumbnails.slice(0, 2).map((r) => Number(r[3]))).toSatisfy((rates: number[]) => rates.every((rate) => rate > 0));
  // Starting a private database, broker and three services takes about a minute on a busy machine.
}, 420_000);

// The suites below run against the `./dev up` stack (the test run has it up) in quick mode.

it('runs the gateway suite in quick mode: every gateway (ours on either executor, traced and merging; Hive with and without deduplication) answers every shape without errors', async () => {
  const resultsFile = join(tempDir(), 'RESULTS.md');
  const { code, output } = await runBench(['gateway', '--quick'], resultsFile);
  expect(code, output).toBe(0);

  const markdown = readFileSync(resultsFile, 'utf8');
  expect(markdown).toContain('- command: `npm run bench -- gateway --quick`');
  expect(markdown).toMatch(/@graphql-hive\/gateway \d+\.\d+\.\d+/);
  const rows = tableRows(markdown, 'Gateways over the same subgraphs');
  expect(rows).toHaveLength(21);
  expect(new Set(rows.map((r) => r[1]))).toEqual(new Set(Object.values(GATEWAY_LABELS)));
  expect(Object.keys(GATEWAY_LABELS)).toHaveLength(7);
  for (const [shape, gateway, rps, , , errors, , rss, cpu] of rows) {
    expect(Number(rps), `${shape} on ${gateway}`).toBeGreaterThan(0);
    expect(errors, `${shape} on ${gateway}`).toBe('0');
    expect(Number(rss)).toBeGreaterThan(0);
    expect(Number(cpu)).toBeGreaterThan(0);
  }
  // The heavy shape is the ~100 KB response on every gateway alike.
  for (const row of rows.filter((r) => r[0]!.startsWith('heavy'))) expect(Number(row[6])).toBeGreaterThan(50);
  // Beside each gateway's CPU, what the subgraph servers it called spent on the same requests.
  const path = tableRows(markdown, 'CPU per request along the whole path');
  expect(path).toHaveLength(21);
  for (const [shape, gateway, own, users, , , whole] of path) {
    expect(Number(users), `users CPU for ${shape} on ${gateway}`).toBeGreaterThan(0);
    expect(Number(whole), `${shape} on ${gateway}`).toBeGreaterThan(Number(own));
  }
  expect(tableRows(markdown, 'Headline')).toHaveLength(3);
  const merging = tableRows(markdown, 'In-flight merging');
  expect(merging).toHaveLength(3);
  for (const row of merging) expect(row.slice(1).every((cell) => /^\d+\.\d\d×$/.test(cell)), row.join(' | ')).toBe(true);
  // The traced gateway's CPU is set beside the untraced one's, and its spans reached the sink.
  const tracing = tableRows(markdown, 'The cost of tracing');
  expect(tracing).toHaveLength(3);
  for (const [, plain, traced] of tracing) expect([Number(plain), Number(traced)]).toSatisfy((cpu: number[]) => cpu.every((ms) => ms > 0));
  expect(Number(/it received (\d+) exports/.exec(markdown)?.[1])).toBeGreaterThan(0);
}, 300_000);

it('runs the write-path suite in quick mode: both consumers store messages and every subscriber gets each one', async () => {
  const resultsFile = join(tempDir(), 'RESULTS.md');
  const { code, output } = await runBench(['write-path', '--quick'], resultsFile);
  expect(code, output).toBe(0);

  const markdown = readFileSync(resultsFile, 'utf8');
  // Quick mode drains one backlog layout: the persister's row, then the naive consumer's.
  const backlog = tableRows(markdown, 'Draining one chat.events backlog');
  expect(backlog).toHaveLength(2);
  const [persister, naive] = backlog;
  expect(persister![0]).toMatch(/^chat persister/);
  expect(persister![5]).toBe('yes');
  expect(Number(persister![4])).toBeGreaterThan(0);
  expect(naive![0]).toMatch(/^naive/);
  expect(Number(naive![2])).toBeGreaterThan(0);
  const [endToEnd] = tableRows(markdown, 'sendMessage end to end');
  expect(Number(endToEnd![0])).toBeGreaterThan(0);
  expect(endToEnd!.slice(7)).toEqual(['0', '0']);

  // The live stack: every process at rest, one sender and the open loop with nothing lost, CPU per message.
  const idle = tableRows(markdown, 'The ./dev stack at rest');
  expect(idle.map((r) => r[0])).toEqual(expect.arrayContaining(['chat', 'chat-persister', 'kafka-mock', 'postgres', 'whole stack']));
  const sends = tableRows(markdown, 'sendMessage through nginx, open loop');
  const oneSender = sends.find((r) => r[0]!.startsWith('one sender'))!;
  const openLoop = sends.find((r) => r[0]!.startsWith('50/s'))!;
  for (const row of [oneSender, openLoop]) {
    expect(Number(row[2])).toBeGreaterThan(0);
    expect(row.slice(9)).toEqual(['0', '0']);
  }
  expect(tableRows(markdown, 'CPU per acknowledged message').at(-1)![0]).toBe('whole stack');
}, 300_000);

it('runs the soak suite in quick mode: every stack process sampled, no delivery missing', async () => {
  const resultsFile = join(tempDir(), 'RESULTS.md');
  const { code, output } = await runBench(['soak', '--quick'], resultsFile);
  expect(code, output).toBe(0);

  const markdown = readFileSync(resultsFile, 'utf8');
  const processes = tableRows(markdown, 'RSS of every stack process').map((r) => r[0]);
  expect(processes).toEqual(expect.arrayContaining(['gateway-1', 'gateway-2', 'chat', 'chat-persister', 'postgres', 'redis', 'nginx']));
  const load = tableRows(markdown, 'Load during the soak');
  expect(Number(load[0]![1])).toBeGreaterThan(0);
  expect(Number(load[1]![1])).toBeGreaterThan(0);
  expect(load[2]![6]).toBe('missing 0, duplicates 0');
}, 300_000);

it('runs the search suite in quick mode and records latency through the subgraph, the gateway and nginx', async () => {
  const resultsFile = join(tempDir(), 'RESULTS.md');
  const { code, output } = await runBench(['search', '--quick'], resultsFile);
  expect(code, output).toBe(0);

  const markdown = readFileSync(resultsFile, 'utf8');
  expect(markdown).toContain('- command: `npm run bench -- search --quick`');
  const [wholeMix] = tableRows(markdown, 'Latency, one client at a time');
  expect(wholeMix![0]).toBe('whole mix');
  expect(Number(wholeMix![1])).toBeGreaterThan(0);
  // p50 / p95 / p99 of each target: measured numbers, not placeholders.
  for (const cell of wholeMix!.slice(2)) expect(cell).toMatch(/^[\d.]+ \/ [\d.]+ \/ [\d.]+$/);
  const throughput = tableRows(markdown, 'Throughput');
  expect(throughput.map((r) => r[0])).toEqual(['(a) finder subgraph', '(b) gateway', '(c) nginx → gateway']);
  for (const row of throughput) {
    expect(Number(row[1])).toBeGreaterThan(0);
    expect(row[5], 'errors').toBe('0');
  }
  const [seeded] = tableRows(markdown, 'Seeded data');
  expect(seeded!.slice(0, 2)).toEqual(['2000', '200']);
  expect(Number(seeded![3])).toBeGreaterThan(2000);
}, 180_000);
