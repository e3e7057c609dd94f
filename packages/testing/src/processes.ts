import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { ROOT_DIR } from './stack.ts';

export interface Service {
  process: ChildProcess;
  output: string[];
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts a repository entry point with Node 24 and the given environment; output is kept for failure messages. */
export function startNode(script: string, args: string[], env: Record<string, string>): Service {
  const child = spawn(process.execPath, ['--disable-warning=TimeoutNegativeWarning', script, ...args], {
    cwd: ROOT_DIR,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => {
      output.push(line);
      if (output.length > 500) output.shift();
    });
  }
  return {
    process: child,
    output,
    kill: (signal = 'SIGTERM') => stopChild(child, signal),
  };
}

/** Polls a URL until it answers 200. */
export async function waitForReady(url: string, timeoutMs = 30_000, service?: Service): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (service && service.process.exitCode !== null) {
      throw new Error(`process exited (${service.process.exitCode}) before ready:\n${service.output.slice(-30).join('\n')}`);
    }
    const ok = await fetch(url).then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} not ready within ${timeoutMs} ms${service ? `:\n${service.output.slice(-30).join('\n')}` : ''}`);
}

/** Signals a child process and resolves once it has exited (at once if it already has). */
export function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

/** Starts a private Kafka-protocol mock broker (a fresh, empty cluster) and returns its bootstrap list. */
export async function startKafkaMock(bin: string, topics: string[]): Promise<{ brokers: string; stop(): Promise<void> }> {
  const child = spawn(bin, ['1', ...topics], { stdio: ['ignore', 'pipe', 'inherit'] });
  const brokers = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`kafka mock exited with ${code}`)));
  });
  return {
    brokers,
    stop: () => stopChild(child),
  };
}

export async function until<T>(probe: () => Promise<T | undefined | null | false>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Runs `./dev up`, which (re)starts whatever of the stack is not running, and waits for it. */
export function devUp(env: Record<string, string> = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['dev', 'up'], { cwd: ROOT_DIR, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const output: string[] = [];
    child.stdout!.on('data', (d: Buffer) => output.push(d.toString()));
    child.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`./dev up failed (${code}):\n${output.join('').slice(-3000)}`))));
  });
}
