import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';

/**
 * Lets a WebSocket's messages of one event-loop turn leave in one write. The gateway multiplexes
 * many subscriptions over a few sockets to each subgraph, so one published event can put a
 * thousand `next` messages on the same socket in one turn; `ws` writes each frame on its own (a
 * syscall apiece, a quarter of the subgraph's CPU time under the per-viewer subscription
 * benchmark). Corking the socket at the turn's first send and uncorking it on the next tick
 * hands the kernel the turn's frames at once; nothing waits beyond the current turn.
 */
export function coalesceSends(ws: WebSocket, socket: Duplex): void {
  const send = ws.send.bind(ws) as (...args: unknown[]) => void;
  let corked = false;
  const uncork = () => {
    corked = false;
    socket.uncork();
  };
  ws.send = ((...args: unknown[]) => {
    if (!corked && !socket.destroyed) {
      corked = true;
      socket.cork();
      process.nextTick(uncork);
    }
    send(...args);
  }) as WebSocket['send'];
}
