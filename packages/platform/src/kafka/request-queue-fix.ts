import { createRequire } from 'node:module';

/**
 * kafkajs 2.2.4 (its last release) keeps two timers running on every broker connection, even with
 * nothing in flight, so each idle process woke tens of times a second:
 *
 * - its request queue re-arms a check after each one, even with nothing pending and no
 *   throttling: a negative delay, so a 1 ms loop per connection for as long as the client lives
 *   (kafkajs issue #1556; the fix, PR #1667, is unreleased). Here a check is scheduled only while
 *   requests are pending; throttled ones wait out the throttle, others are re-checked after 10 ms
 *   as before. `push` schedules when it queues one, and every answer checks the queue again.
 * - its request-timeout check is an interval of 100 ms from connect to disconnect. Here it is one
 *   timer for the earliest deadline of the requests in flight, re-armed for the next when it
 *   fires, and none when nothing is in flight (a consumer's long-poll fetch is always in flight:
 *   an interval only while requests are in flight would still tick all the time).
 */
export interface SocketRequest {
  sentAt: number;
  requestTimeout: number;
  timeoutRequest(): void;
}

export interface RequestQueue {
  pending: unknown[];
  inflight: Map<number, SocketRequest>;
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  enforceRequestTimeout: boolean;
  requestTimeout: number;
  requestTimeoutIntervalId: NodeJS.Timeout | null;
  /** When the armed request-timeout check fires (ms since the epoch). */
  requestTimeoutCheckAt?: number;
  isConnected(): boolean;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
  scheduleRequestTimeoutCheck(): void;
  sendSocketRequest(request: unknown): void;
  destroy(): void;
}

const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;

let installed = false;

export function installRequestQueueFix(): void {
  if (installed) return;
  installed = true;
  const RequestQueue = createRequire(import.meta.url)('kafkajs/src/network/requestQueue/index.js') as { prototype: RequestQueue };
  const proto = RequestQueue.prototype;

  proto.scheduleCheckPendingRequests = function (this: RequestQueue) {
    if (this.throttleCheckTimeoutId || this.pending.length === 0) return;
    const untilUnthrottled = this.throttledUntil - Date.now();
    this.throttleCheckTimeoutId = setTimeout(
      () => {
        this.throttleCheckTimeoutId = null;
        this.checkPendingRequests();
      },
      untilUnthrottled > 0 ? untilUnthrottled : CHECK_PENDING_REQUESTS_INTERVAL_MS,
    );
  };

  // Called on connect: nothing is in flight yet, so nothing to watch.
  proto.scheduleRequestTimeoutCheck = function (this: RequestQueue) {
    this.destroy();
  };

  const destroy = proto.destroy;
  proto.destroy = function (this: RequestQueue) {
    destroy.call(this);
    this.requestTimeoutIntervalId = null;
  };

  const sendSocketRequest = proto.sendSocketRequest;
  proto.sendSocketRequest = function (this: RequestQueue, request: unknown) {
    sendSocketRequest.call(this, request);
    if (this.enforceRequestTimeout) armTimeoutCheck(this);
  };
}

/** Arms the request-timeout check for the earliest deadline in flight, unless one as early is armed. */
export function armTimeoutCheck(queue: RequestQueue): void {
  let deadline = Infinity;
  for (const request of queue.inflight.values()) deadline = Math.min(deadline, request.sentAt + request.requestTimeout);
  if (deadline === Infinity) return;
  if (queue.requestTimeoutIntervalId && queue.requestTimeoutCheckAt! <= deadline) return;
  clearTimeout(queue.requestTimeoutIntervalId ?? undefined);
  queue.requestTimeoutCheckAt = deadline;
  // kafkajs times a request out once more than its timeout has passed: 1 ms after the deadline.
  queue.requestTimeoutIntervalId = setTimeout(() => {
    queue.requestTimeoutIntervalId = null;
    for (const request of [...queue.inflight.values()]) {
      if (Date.now() - request.sentAt > request.requestTimeout) request.timeoutRequest();
    }
    if (queue.isConnected()) armTimeoutCheck(queue);
  }, Math.max(0, deadline - Date.now()) + 1);
}
