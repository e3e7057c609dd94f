import { FinderError } from './errors.ts';
import type { Role } from './__generated__/graphql.ts';
import { tokenExpiry, type StoredSession, type TokenStorage } from './tokens.ts';

/** The signed-in user as the SDK sees it. */
export interface Session {
  userId: string;
  role: Role;
  email: string | null;
  displayName: string;
  accessToken: string;
  /** ISO 8601: when the access token expires (the SDK refreshes it before). */
  expiresAt: string;
}

export interface RegisterInput {
  email: string;
  password: string;
  displayName: string;
  role: Role;
}

/** From the link of the mail startRegistration sends (`?token=`), and the account's details. */
export interface CompleteRegistrationInput {
  token: string;
  password: string;
  displayName: string;
  role: Role;
}

export interface SessionApi {
  current(): Session | null;
  signIn(email: string, password: string): Promise<Session>;
  register(input: RegisterInput): Promise<Session>;
  /** Creates the account a registration link was mailed for (its email verified) and signs in. */
  completeRegistration(input: CompleteRegistrationInput): Promise<Session>;
  /** Ends the login on the server (best effort) and forgets its tokens. */
  signOut(): Promise<void>;
  onChange(listener: (session: Session | null) => void): () => void;
}

/** An AuthPayload as the session operations select it. */
export interface AuthPayloadLike {
  accessToken: string;
  refreshToken: string;
  expiresAt: string;
  user: { id: string; role: Role; email: string; displayName: string };
}

export interface SessionCalls {
  login(email: string, password: string): Promise<AuthPayloadLike>;
  register(input: RegisterInput): Promise<AuthPayloadLike>;
  completeRegistration(input: CompleteRegistrationInput): Promise<AuthPayloadLike>;
  refresh(refreshToken: string): Promise<AuthPayloadLike>;
  logout(refreshToken: string): Promise<void>;
}

/** Refresh this long before the access token's `exp`, so it never expires in flight. */
const EXPIRY_MARGIN_MS = 30_000;

interface LockManagerLike {
  request<T>(name: string, callback: () => Promise<T>): Promise<T>;
}

export interface SessionManager extends SessionApi {
  /** A usable access token (refreshed first when it expires soon), or null when signed out. */
  accessToken(): Promise<string | null>;
  /**
   * The server refused `rejected` (UNAUTHENTICATED, close 4401): refreshes once for every caller
   * that saw the same token. Resolves to the new token, or null after signing out.
   */
  refreshAfterRejection(rejected: string): Promise<string | null>;
  dispose(): void;
}

const toSession = (s: StoredSession): Session => ({
  userId: s.user.id,
  role: s.user.role as Role,
  email: s.user.email,
  displayName: s.user.displayName,
  accessToken: s.accessToken,
  expiresAt: s.expiresAt,
});

const toStored = (p: AuthPayloadLike): StoredSession => ({
  accessToken: p.accessToken,
  refreshToken: p.refreshToken,
  expiresAt: p.expiresAt,
  user: { id: p.user.id, role: p.user.role, email: p.user.email, displayName: p.user.displayName },
});

const expiresSoon = (s: StoredSession, now = Date.now()): boolean => {
  const exp = tokenExpiry(s.accessToken) ?? Date.parse(s.expiresAt);
  return !Number.isFinite(exp) || exp - now < EXPIRY_MARGIN_MS;
};

export function createSessionManager(storage: TokenStorage, calls: SessionCalls): SessionManager {
  const listeners = new Set<(session: Session | null) => void>();
  let stored = storage.load();
  let session = stored ? toSession(stored) : null;
  let inflight: Promise<string | null> | null = null;

  const set = (next: StoredSession | null, persist = true) => {
    const changed = next?.accessToken !== stored?.accessToken;
    stored = next;
    if (persist) storage.save(next);
    if (!changed) return;
    session = next ? toSession(next) : null;
    for (const listener of listeners) listener(session);
  };

  // Another tab signed in, refreshed or signed out.
  const unsubscribeStorage = storage.subscribe?.(() => set(storage.load(), false));

  /** One refresh at a time per client, and per origin where the browser offers Web Locks. */
  function refresh(stale: string | null): Promise<string | null> {
    inflight ??= (async () => {
      const locks = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator?.locks;
      const run = async (): Promise<string | null> => {
        // Another client of the same storage may have refreshed already: its rotation wins.
        const latest = storage.load();
        if (!latest) {
          set(null, false);
          return null;
        }
        if (latest.accessToken !== stale && !expiresSoon(latest)) {
          set(latest, false);
          return latest.accessToken;
        }
        try {
          const payload = await calls.refresh(latest.refreshToken);
          set(toStored(payload));
          return payload.accessToken;
        } catch (err) {
          // A refusal (used, revoked or unknown refresh token) ends the session; an outage does not.
          if (err instanceof FinderError && !err.retryable) {
            set(null);
            return null;
          }
          throw err;
        }
      };
      return locks ? locks.request('finder-session-refresh', run) : run();
    })().finally(() => {
      inflight = null;
    });
    return inflight;
  }

  return {
    current: () => session,
    async signIn(email, password) {
      set(toStored(await calls.login(email, password)));
      return session!;
    },
    async register(input) {
      set(toStored(await calls.register(input)));
      return session!;
    },
    async completeRegistration(input) {
      set(toStored(await calls.completeRegistration(input)));
      return session!;
    },
    async signOut() {
      const refreshToken = stored?.refreshToken;
      set(null);
      if (refreshToken) await calls.logout(refreshToken).catch(() => undefined);
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async accessToken() {
      if (inflight) return inflight;
      if (!stored) return null;
      if (!expiresSoon(stored)) return stored.accessToken;
      return refresh(stored.accessToken);
    },
    refreshAfterRejection(rejected) {
      if (inflight) return inflight;
      if (stored && stored.accessToken !== rejected && !expiresSoon(stored)) return Promise.resolve(stored.accessToken);
      return refresh(rejected);
    },
    dispose() {
      unsubscribeStorage?.();
    },
  };
}
