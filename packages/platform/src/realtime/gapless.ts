import { createAsyncQueue, type AsyncQueue } from './async-queue.ts';
import type { Logger } from '../config/logger.ts';
import type { PubSub } from './pubsub.ts';

export interface GaplessOptions<T> {
  pubsub: PubSub;
  trigger: string;
  /** Deliver everything with a sequence number above this; null means "from now on". */
  after: number | null;
  /** Events with seq > `after`, ascending, at most `limit` of them. */
  replay(after: number, limit: number): Promise<T[]>;
  /** The sequence number of the newest stored event (0 when there is none). */
  latest(): Promise<number>;
  seqOf(event: T): number;
  logger: Logger;
}

const REPLAY_PAGE = 500;
/**
 * Storage is read only while fewer events than this wait for the consumer, so a replay from
 * `after: 0` holds at most this plus one page in memory however long the history is, and goes no
 * faster than the consumer (the socket to the gateway) takes it.
 */
export const REPLAY_QUEUE_BOUND = 500;

/**
 * An ordered stream that never skips or repeats: it listens live first, then replays from storage
 * everything after the cursor, then continues live, dropping what it already delivered. A live
 * event that jumps ahead (a message lost by pub/sub, e.g. across a Redis restart) makes it fill
 * the gap from storage first, and so does every Redis reconnect. Publications on `trigger` hold
 * one event or an array of them in ascending order. The stream is returned before the replay ends:
 * the replay reads a page at a time and waits while the queue holds REPLAY_QUEUE_BOUND events.
 */
export async function gaplessStream<T>(options: GaplessOptions<T>): Promise<AsyncQueue<T>> {
  const { pubsub, trigger, seqOf } = options;
  let last = 0;
  let catchingUp: Promise<void> | null = null;
  let pending: T[] = [];
  let subId: number | null = null;
  // Live events that arrive before the starting cursor is known wait with the replay.
  let starting = true;

  let stopCatchingUp = () => undefined as void;
  const queue = createAsyncQueue<T>(() => {
    if (subId !== null) pubsub.engine.unsubscribe(subId);
    stopCatchingUp();
  });

  const deliver = (event: T) => {
    const seq = seqOf(event);
    if (seq <= last) return;
    queue.push(event);
    last = seq;
  };

  function catchUp(): Promise<void> {
    catchingUp ??= (async () => {
      try {
        for (;;) {
          await queue.below(REPLAY_QUEUE_BOUND);
          if (queue.closed) return;
          const page = await options.replay(last, REPLAY_PAGE);
          for (const event of page) deliver(event);
          if (page.length < REPLAY_PAGE) break;
        }
        const buffered = pending.sort((a, b) => seqOf(a) - seqOf(b));
        pending = [];
        catchingUp = null;
        for (const event of buffered) onLive(event);
      } catch (err) {
        catchingUp = null;
        options.logger.error({ err, trigger }, 'replay failed; ending the stream');
        queue.fail(err);
      }
    })();
    return catchingUp;
  }

  function onLive(event: T) {
    if (queue.closed) return;
    if (starting || catchingUp) {
      pending.push(event);
      return;
    }
    const seq = seqOf(event);
    if (seq <= last) return;
    if (seq === last + 1) return deliver(event);
    pending.push(event);
    void catchUp();
  }

  // A publication carries one event, or several in order (a persister's batch for one stream).
  subId = await pubsub.engine.subscribe(trigger, (payload: T | T[]) => (Array.isArray(payload) ? payload.forEach(onLive) : onLive(payload)));
  stopCatchingUp = pubsub.onResubscribed(() => void catchUp());
  last = options.after ?? (await options.latest());
  starting = false;
  void catchUp();
  return queue;
}
