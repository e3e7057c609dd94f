import { residentBytes } from '../../lib/process-memory.ts';
import type { Progress } from '../../lib/progress.ts';
import type { Worker } from '../../lib/worker.ts';
import type { ConnectPlan } from './load-generator.ts';

export interface IdleMemory {
  connections: number;
  baselineBytes: number;
  afterInitBytes: number;
  afterSubscribeBytes: number;
}

/**
 * RSS of one server process before and after opening many idle connections: first with
 * connection_init only, then with one subscription each (which no event ever reaches).
 */
export async function measureIdleMemory(options: {
  name: string;
  pid: number;
  connect: ConnectPlan;
  loadGenerator: Worker;
  /** Resolves once the server has registered every subscription. */
  subscribed(): Promise<void>;
  /** Time for the process to settle (sockets, GC) before each reading. */
  settleMs: number;
  progress: Progress;
}): Promise<IdleMemory> {
  const { loadGenerator, progress, name, connect } = options;
  const settle = () => new Promise((resolve) => setTimeout(resolve, options.settleMs));
  await settle();
  const baselineBytes = residentBytes(options.pid);
  progress(`${name}: RSS ${mb(baselineBytes)} before; opening ${connect.connections} connections`);
  const opened = await loadGenerator.request<{ opened: number; errors: string[] }>('connect', { ...connect, deferSubscribe: true });
  if (opened.opened < connect.connections) throw new Error(`${name}: ${opened.opened} of ${connect.connections} opened: ${opened.errors.join('; ')}`);
  await settle();
  const afterInitBytes = residentBytes(options.pid);
  progress(`${name}: RSS ${mb(afterInitBytes)} with ${opened.opened} initialized connections; subscribing`);
  await loadGenerator.request('subscribe');
  await options.subscribed();
  await settle();
  const afterSubscribeBytes = residentBytes(options.pid);
  progress(`${name}: RSS ${mb(afterSubscribeBytes)} with one subscription per connection`);
  await loadGenerator.request('close');
  return { connections: opened.opened, baselineBytes, afterInitBytes, afterSubscribeBytes };
}

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
