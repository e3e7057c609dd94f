import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const voluntarySwitches = (pid: number) => Number(/^voluntary_ctxt_switches:\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/task/${pid}/status`, 'utf8'))![1]);

/**
 * A process with the platform's metrics registry sleeps when idle: its main thread wakes a few
 * times a second at most (prom-client's default event-loop monitor woke it 100 times, and at 100 ms
 * resolution 10 times).
 */
describe('metrics registry at rest', () => {
  it('wakes the main thread fewer than 10 times a second', async () => {
    const script = `import { createRegistry } from ${JSON.stringify(join(import.meta.dirname, '../src/config/metrics.ts'))}; createRegistry('idle'); process.stdout.write('ready\\n'); setTimeout(() => {}, 10_000);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout!.once('data', () => resolve());
        child.once('exit', (code) => reject(new Error(`exited with ${code}`)));
      });
      await new Promise((r) => setTimeout(r, 500));
      const before = voluntarySwitches(child.pid!);
      await new Promise((r) => setTimeout(r, 2_000));
      const perSecond = (voluntarySwitches(child.pid!) - before) / 2;
      expect(perSecond).toBeLessThan(10);
    } finally {
      child.kill();
    }
  }, 30_000);
});
