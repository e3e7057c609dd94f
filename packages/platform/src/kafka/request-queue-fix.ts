import { createRequire } from 'node:module';

/**
 * kafkajs 2.2.4 (its last release) re-arms a timer on every connection's request queue after each
 * check, even with nothing pending and no throttling: a negative delay, so a 1 ms loop per broker
 * connection for as long as the client lives (kafkajs issue #1556; the fix, PR #1667, is
 * unreleased). Every idle process burned a few % of a core on it. This installs that fix: a check
 * is scheduled only while requests are pending; throttled ones wait out the throttle, others are
 * re-checked after 10 ms as before. Without pending requests nothing needs checking: `push`
 * schedules when it queues one, and every answer checks the queue again.
 */
interface RequestQueue {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;

let installed = false;

export function installRequestQueueFix(): void {
  if (installed) return;
  installed = true;
  const RequestQueue = createRequire(import.meta.url)('kafkajs/src/network/requestQueue/index.js') as { prototype: RequestQueue };
  RequestQueue.prototype.scheduleCheckPendingRequests = function (this: RequestQueue) {
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
}
