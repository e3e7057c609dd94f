import { fork, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { ROOT_DIR } from '@finder/testing/stack';

/** A bench process driven over IPC: the load generator, the publishers, the reference server. */
export interface Worker {
  readonly pid: number;
  request<T = unknown>(type: string, body?: object): Promise<T>;
  stop(): Promise<void>;
}

interface Reply {
  id: number;
  result?: unknown;
  error?: string;
}

/** Forks `script` with Node 24 (type stripping) and an IPC channel; its output is kept for errors. */
export function forkWorker(script: string, env: Record<string, string> = {}): Worker {
  const child: ChildProcess = fork(script, [], {
    cwd: ROOT_DIR,
    env: { ...process.env, ...env },
    execArgv: ['--disable-warning=TimeoutNegativeWarning'],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const output: string[] = [];
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => {
      output.push(line);
      if (output.length > 200) output.shift();
    });
  }
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  let nextId = 1;
  child.on('message', (message: Reply) => {
    const waiter = pending.get(message.id);
    if (!waiter) return;
    pending.delete(message.id);
    if (message.error) waiter.reject(new Error(`${script}: ${message.error}`));
    else waiter.resolve(message.result);
  });
  child.once('exit', (code, signal) => {
    for (const waiter of pending.values()) {
      waiter.reject(new Error(`${script} exited (${code ?? signal}):\n${output.slice(-20).join('\n')}`));
    }
    pending.clear();
  });
  return {
    pid: child.pid!,
    request<T>(type: string, body: object = {}) {
      return new Promise<T>((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
        child.send({ id, type, ...body });
      });
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}

/** The child side: answers each request with its handler's result (or its error message). */
export function serveRequests(handlers: Record<string, (message: any) => unknown>): void {
  process.on('message', async (message: { id: number; type: string }) => {
    const handler = handlers[message.type];
    try {
      if (!handler) throw new Error(`unknown request ${message.type}`);
      process.send!({ id: message.id, result: (await handler(message)) ?? null });
    } catch (err) {
      process.send!({ id: message.id, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    }
  });
  // The parent going away (even by SIGKILL) must not leave a load generator behind.
  process.on('disconnect', () => process.exit(0));
}
