/**
 * Builds an error without capturing a stack trace, for refusals that are expected control flow
 * (an open breaker answering thousands of requests a second): the trace would never be read, and
 * capturing it is most of the cost of the refusal.
 */
export function withoutStackTrace<T extends Error>(build: () => T): T {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return build();
  } finally {
    Error.stackTraceLimit = limit;
  }
}
