import { createFinderClient, localStorageTokens } from '@finder/client';

/** The app's one client: same origin as the page (nginx serves both), tokens kept across reloads. */
export const client = createFinderClient({ url: '/graphql', storage: localStorageTokens('finder') });
