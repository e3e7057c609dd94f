/** Redis pub/sub channels of the finder subgraph, built in one place. */
export const triggers = {
  notificationAdded: (userId: string) => `finder.notifications.${userId}`,
};
