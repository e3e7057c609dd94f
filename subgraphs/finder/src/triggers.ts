/** Redis pub/sub channels of the finder subgraph; built here only, never by hand at call sites. */
export const notificationAdded = (userId: string): string => `finder.notifications.${userId}`;
