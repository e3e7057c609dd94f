/**
 * A push-driven async iterator: producers `push`, the consumer iterates, and `return()` (a client
 * leaving) runs the cleanup exactly once. Unbounded by design; callers cap what they push, and a
 * producer that can wait (a replay from storage) waits for `below` between pushes.
 */
export interface AsyncQueue<T> extends AsyncIterableIterator<T> {
  push(value: T): void;
  /** Values pushed and not yet taken. */
  readonly size: number;
  /** Resolves once fewer than `limit` values wait (at once if so), or when the queue closes. */
  below(limit: number): Promise<void>;
  /** Ends the iteration after the values already queued. */
  end(): void;
  /** Ends the iteration with an error after the values already queued. */
  fail(error: unknown): void;
  readonly closed: boolean;
}

export function createAsyncQueue<T>(onClose: () => void = () => undefined): AsyncQueue<T> {
  const values: T[] = [];
  const waiting: ((result: IteratorResult<T>) => void)[] = [];
  const failing: ((error: unknown) => void)[] = [];
  let done = false;
  let error: unknown = null;
  let cleaned = false;
  // Producers waiting for room: each resolves once the queue is shorter than its limit or closed.
  let roomWaiters: { limit: number; resolve: () => void }[] = [];

  const settleRoom = () => {
    if (roomWaiters.length === 0) return;
    const still: typeof roomWaiters = [];
    for (const waiter of roomWaiters) {
      if (done || values.length < waiter.limit) waiter.resolve();
      else still.push(waiter);
    }
    roomWaiters = still;
  };

  const cleanup = () => {
    if (cleaned) return;
    cleaned = true;
    onClose();
  };
  const settleWaiters = () => {
    while (waiting.length > 0 && (values.length > 0 || done)) {
      const resolve = waiting.shift()!;
      const reject = failing.shift()!;
      if (values.length > 0) resolve({ value: values.shift()!, done: false });
      else if (error) reject(error);
      else resolve({ value: undefined, done: true });
    }
    settleRoom();
  };

  const queue: AsyncQueue<T> = {
    get closed() {
      return done;
    },
    get size() {
      return values.length;
    },
    below(limit) {
      if (done || values.length < limit) return Promise.resolve();
      return new Promise((resolve) => roomWaiters.push({ limit, resolve }));
    },
    push(value) {
      if (done) return;
      values.push(value);
      settleWaiters();
    },
    end() {
      if (done) return;
      done = true;
      settleWaiters();
      cleanup();
    },
    fail(err) {
      if (done) return;
      done = true;
      error = err;
      settleWaiters();
      cleanup();
    },
    next() {
      if (values.length > 0) {
        const value = values.shift()!;
        settleRoom();
        return Promise.resolve({ value, done: false });
      }
      if (done) {
        if (error) {
          const e = error;
          error = null;
          return Promise.reject(e);
        }
        return Promise.resolve({ value: undefined, done: true });
      }
      return new Promise((resolve, reject) => {
        waiting.push(resolve);
        failing.push(reject);
      });
    },
    return() {
      done = true;
      values.length = 0;
      error = null;
      settleWaiters();
      cleanup();
      return Promise.resolve({ value: undefined, done: true });
    },
    throw(err) {
      queue.fail(err);
      return Promise.reject(err);
    },
    [Symbol.asyncIterator]() {
      return queue;
    },
  };
  return queue;
}

/** Passes on only the values `keep` accepts; ending the result ends the source. */
export function filterIterator<T>(source: AsyncIterator<T>, keep: (value: T) => boolean): AsyncIterableIterator<T> {
  const iterator: AsyncIterableIterator<T> = {
    async next() {
      for (;;) {
        const result = await source.next();
        if (result.done || keep(result.value)) return result;
      }
    },
    async return() {
      await source.return?.();
      return { value: undefined, done: true };
    },
    async throw(error) {
      await source.return?.();
      throw error;
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}

/** Passes every value on and runs `finished` exactly once when the iteration ends, however it ends. */
export function onFinished<T>(source: AsyncIterator<T>, finished: () => void): AsyncIterableIterator<T> {
  let ran = false;
  const finish = () => {
    if (ran) return;
    ran = true;
    finished();
  };
  const iterator: AsyncIterableIterator<T> = {
    async next() {
      try {
        const result = await source.next();
        if (result.done) finish();
        return result;
      } catch (err) {
        finish();
        throw err;
      }
    },
    async return() {
      finish();
      await source.return?.();
      return { value: undefined, done: true };
    },
    async throw(error) {
      finish();
      await source.return?.();
      throw error;
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}
