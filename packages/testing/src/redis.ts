import { spawn, type ChildProcess } from 'node:child_process';
import { stopChild, until } from './processes.ts';
import { Socket } from 'node:net';

const ping = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = new Socket();
    socket.once('error', () => resolve(false));
    socket.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      resolve(data.toString().startsWith('+PONG'));
      socket.destroy();
    });
  });

/** A private Redis a test can stop and start again (a restart drops all pub/sub subscriptions). */
export function privateRedis(port: number) {
  let child: ChildProcess | null = null;
  return {
    url: `redis://127.0.0.1:${port}`,
    async start() {
      child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
        stdio: 'ignore',
      });
      await until(() => ping(port), 10_000, `redis on ${port}`);
    },
    async stop() {
      const running = child;
      child = null;
      if (running) await stopChild(running, 'SIGKILL');
    },
  };
}
