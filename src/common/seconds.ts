/**
 * Milliseconds as whole seconds, rounded up (never 0 for a wait that is not over), as HTTP's
 * `Retry-After`, `Age` and rate-limit headers and RFC 9211's `ttl` count them.
 */
export const toSeconds = (ms: number): number => Math.max(0, Math.ceil(ms / 1000));
