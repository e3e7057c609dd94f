/** What the SDK keeps of a signed-in session between page loads or process restarts. */
export interface StoredSession {
  accessToken: string;
  refreshToken: string;
  /** ISO 8601: when the access token expires. */
  expiresAt: string;
  user: { id: string; role: string; email: string | null; displayName: string };
}

/**
 * Where tokens live. `load` is read before every refresh, so several clients sharing one storage
 * (browser tabs) pick up each other's rotations instead of presenting a used refresh token.
 */
export interface TokenStorage {
  load(): StoredSession | null;
  save(session: StoredSession | null): void;
  /** Called when another holder of the same storage changed it (browser tabs). */
  subscribe?(listener: () => void): () => void;
}

/** Tokens in memory only: gone when the process or page ends. The default. */
export function memoryTokens(initial: StoredSession | null = null): TokenStorage {
  let current = initial;
  return {
    load: () => current,
    save: (session) => {
      current = session;
    },
  };
}

interface WebStorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** Tokens in the browser's localStorage under `key`, shared by the tabs of one origin. */
export function localStorageTokens(key = 'finder', storage?: WebStorageLike): TokenStorage {
  const store = (): WebStorageLike => {
    const s = storage ?? (globalThis as { localStorage?: WebStorageLike }).localStorage;
    if (!s) throw new Error('localStorageTokens needs a localStorage (a browser, or pass one)');
    return s;
  };
  return {
    load() {
      const text = store().getItem(key);
      if (!text) return null;
      try {
        return JSON.parse(text) as StoredSession;
      } catch {
        return null;
      }
    },
    save(session) {
      if (session) store().setItem(key, JSON.stringify(session));
      else store().removeItem(key);
    },
    subscribe(listener) {
      const target = globalThis as { addEventListener?: EventTarget['addEventListener']; removeEventListener?: EventTarget['removeEventListener'] };
      if (!target.addEventListener || !target.removeEventListener) return () => {};
      const onStorage = (event: Event) => {
        if ((event as StorageEvent).key === key) listener();
      };
      target.addEventListener('storage', onStorage);
      return () => target.removeEventListener!('storage', onStorage);
    },
  };
}

/** The `exp` claim of a JWT in milliseconds, or null when it has none or is not a JWT. */
export function tokenExpiry(token: string): number | null {
  const payload = token.split('.')[1];
  if (!payload) return null;
  try {
    const json = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as { exp?: unknown };
    return typeof json.exp === 'number' ? json.exp * 1000 : null;
  } catch {
    return null;
  }
}
