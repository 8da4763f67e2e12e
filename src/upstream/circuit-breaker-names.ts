/** Breaker for the upstream's idempotent GETs (failure-rate policy). */
export const READ_BREAKER = 'event-api.read';
/** Breaker for addEvent (count-in-window policy, the original system's rule). */
export const WRITE_BREAKER = 'event-api.write';
