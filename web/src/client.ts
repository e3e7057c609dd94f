import { createFinderClient, localStorageTokens } from '@finder/client';

/**
 * The app's one client: same origin as the page (nginx serves both), tokens kept across reloads.
 * A production build for gateways with TRUSTED_DOCUMENTS is made with `VITE_TRUSTED_DOCUMENTS=true`:
 * the app then sends its operations by hash (the local stack's build sends their text).
 */
export const client = createFinderClient({
  url: '/graphql',
  storage: localStorageTokens('finder'),
  persistedDocuments: import.meta.env.VITE_TRUSTED_DOCUMENTS === 'true',
});
