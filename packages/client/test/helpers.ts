import { generateKeyPairSync, sign } from 'node:crypto';
import { stackEnv } from '@finder/testing/stack';
import { createFinderClient, memoryTokens, type FinderClient, type FinderClientOptions, type StoredSession } from '@finder/client';
import { StartConversationDocument } from '@finder/client/operations';

export const env = stackEnv();
export const url = env.PUBLIC_URL!;

/** A client of the running stack through nginx (Node 24's own fetch and WebSocket). */
export function stackClient(options: Partial<FinderClientOptions> = {}): FinderClient {
  return createFinderClient({ url, ...options });
}

/** Registers a fresh account with its own client and token storage. */
export async function signedUp(name: string, options: Partial<FinderClientOptions> = {}) {
  const storage = options.storage ?? memoryTokens();
  const client = stackClient({ ...options, storage });
  const email = `${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}@example.com`;
  const session = await client.session.register({ email, password: 'correct horse battery', displayName: name, role: 'BUSINESS' });
  return { client, session, email, stored: storage.load()! };
}

export async function conversationBetween(a: FinderClient, otherUserId: string): Promise<string> {
  const { startConversation } = await a.request(StartConversationDocument, { input: { participantIds: [otherUserId] } });
  return startConversation.id;
}

/**
 * A JWT that looks real but was signed by a key the stack does not know: the SDK sends it (its
 * `exp` says it is valid) and the server refuses it (UNAUTHENTICATED, close 4401).
 */
export function forgedToken(userId: string, expSeconds = Math.floor(Date.now() / 1000) + 3600): string {
  const { privateKey } = generateKeyPairSync('ed25519');
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const body = `${part({ alg: 'EdDSA', typ: 'JWT' })}.${part({ sub: userId, role: 'BUSINESS', sid: crypto.randomUUID(), exp: expSeconds, iat: expSeconds - 900 })}`;
  return `${body}.${sign(null, Buffer.from(body), privateKey).toString('base64url')}`;
}

/** A storage holding a real session whose access token was replaced by `accessToken`. */
export function storageWith(session: StoredSession, accessToken: string) {
  return memoryTokens({ ...session, accessToken });
}

/** fetch that records the operation name of every request it sends. */
export function recordingFetch(names: string[]): typeof fetch {
  return async (input, init) => {
    const body = JSON.parse(String(init?.body ?? '{}')) as { operationName?: string };
    names.push(body.operationName ?? '?');
    return fetch(input, init);
  };
}

export const until = async (probe: () => boolean, timeoutMs: number, what: string): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};
