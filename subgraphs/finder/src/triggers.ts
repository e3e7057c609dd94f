/** Redis pub/sub channels of the finder subgraph, built in one place. */
export const triggers = {
  /** Publications: NotificationModel. */
  notificationAdded: (userId: string) => `finder.notifications.${userId}`,
};
