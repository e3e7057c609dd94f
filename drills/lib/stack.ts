import { execFileSync, spawn } from 'node:child_process';
import { ROOT_DIR, stackEnv, stackPid } from '@finder/testing/stack';

export type Env = Record<string, string>;

/** Every long-running process of the stack and the URL of its readiness probe. */
export function readinessUrls(env: Env): Record<string, string> {
  const base = (url: string) => url.replace(/\/graphql$/, '');
  const urls: Record<string, string> = { nginx: `${base(env.PUBLIC_URL!)}/healthz` };
  env.GATEWAY_URLS!.split(',').forEach((url, i) => (urls[`gateway-${i + 1}`] = `${base(url)}/readyz`));
  for (const subgraph of ['users', 'chat', 'finder', 'files']) {
    urls[subgraph] = `${base(env[`SUBGRAPH_${subgraph.toUpperCase()}_URL`]!)}/readyz`;
    urls[`${subgraph}-persister`] = `${env[`${subgraph.toUpperCase()}_PERSISTER_URL`]!}/readyz`;
  }
  urls['users-mailer'] = `${env.USERS_MAILER_URL!}/readyz`;
  urls['files-worker'] = `${env.FILES_WORKER_URL!}/readyz`;
  return urls;
}

/** The processes whose /readyz does not answer 200 right now. */
export async function notReady(env: Env): Promise<string[]> {
  const probes = Object.entries(readinessUrls(env)).map(async ([name, url]) => {
    const ok = await fetch(url, { signal: AbortSignal.timeout(2_000) }).then((r) => r.status === 200, () => false);
    return ok ? null : name;
  });
  return (await Promise.all(probes)).filter((n): n is string => n !== null);
}

/** Polls every readiness probe; resolves with the milliseconds it took, or throws naming the laggards. */
export async function waitAllReady(env: Env, timeoutMs: number): Promise<number> {
  const started = Date.now();
  let pending: string[] = [];
  for (;;) {
    pending = await notReady(env);
    if (pending.length === 0) return Date.now() - started;
    if (Date.now() - started >= timeoutMs) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`not ready within ${timeoutMs} ms: ${pending.join(', ')}`);
}

export function kill(name: string, signal: NodeJS.Signals): number {
  const pid = stackPid(name);
  process.kill(pid, signal);
  return pid;
}

/** Resolves once the process is gone (zombies count as gone). */
export async function waitExited(pid: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!alive(pid)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`pid ${pid} still running after ${timeoutMs} ms`);
}

function alive(pid: number): boolean {
  try {
    const state = execFileSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' }).trim();
    return state !== '' && !state.startsWith('Z');
  } catch {
    return false;
  }
}

/** What a supervisor would do: start whatever of the stack is not running (`./dev up`, without the seed). */
export function restartMissing(): Promise<void> {
  return new Promise((resolve, reject) => {
    // The same Redis (one server or the local cluster) and topology as the stack runs, whatever this shell says.
    const { REDIS_MODE = 'single', DEV_TOPOLOGY = 'dev' } = stackEnv();
    const child = spawn('bash', ['dev', 'up'], { cwd: ROOT_DIR, env: { ...process.env, REDIS_MODE, DEV_TOPOLOGY, SKIP_SEED: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const output: string[] = [];
    child.stdout!.on('data', (d: Buffer) => output.push(d.toString()));
    child.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`./dev up failed (${code}):\n${output.join('').slice(-3000)}`))));
  });
}

export { stackEnv };
