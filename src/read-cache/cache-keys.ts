/**
 * Names of cached reads, one per resource whatever path served it (a legacy alias shares its
 * resource's entry). Ids are validated before they get here and encoded again all the same.
 */
export const CacheKeys = {
  users: () => 'users',
  user: (id: string) => `users/${encodeURIComponent(id)}`,
  userEvents: (id: string) => `users/${encodeURIComponent(id)}/events`,
  events: () => 'events',
  event: (id: string) => `events/${encodeURIComponent(id)}`,
  /** Everything a new event of `userId` changes. */
  changedByCreate: (userId: string) => [
    CacheKeys.users(),
    CacheKeys.user(userId),
    CacheKeys.userEvents(userId),
    CacheKeys.events(),
  ],
} as const;
