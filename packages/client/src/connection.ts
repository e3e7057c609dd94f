export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'reconnecting';

export interface ConnectionApi {
  /** `idle`: no socket (none needed); `reconnecting`: a socket was lost and is being replaced. */
  readonly state: ConnectionState;
  onChange(listener: (state: ConnectionState) => void): () => void;
}

export interface ConnectionTracker extends ConnectionApi {
  set(state: ConnectionState): void;
}

export function createConnectionTracker(): ConnectionTracker {
  const listeners = new Set<(state: ConnectionState) => void>();
  let state: ConnectionState = 'idle';
  return {
    get state() {
      return state;
    },
    set(next) {
      if (next === state) return;
      state = next;
      for (const listener of listeners) listener(state);
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
