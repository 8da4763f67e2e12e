/**
 * Probes and scrapes, not traffic: not logged per request, not counted in the HTTP histogram, not
 * rate limited, so they do not drown the traffic they watch.
 */
export const PROBE_ROUTES: ReadonlySet<string> = new Set(['/metrics', '/health', '/ready']);
