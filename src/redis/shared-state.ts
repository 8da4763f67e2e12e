/**
 * The gateway's one policy for state that Redis shares between replicas (idempotency keys,
 * rate-limit counters, the read cache): ask Redis; when it cannot answer (away, or stalled past the
 * command timeout), answer from this replica's own memory instead. The gateway degrades to
 * per-replica state; it never fails because of Redis. `local` is what memory has: for keys and
 * counters a memory store, for the read cache nothing (a miss: the upstream is asked).
 */
export async function sharedOrLocal<T>(
  shared: () => Promise<T>,
  local: (error: unknown) => T | Promise<T>,
): Promise<T> {
  try {
    return await shared();
  } catch (error) {
    return local(error);
  }
}
