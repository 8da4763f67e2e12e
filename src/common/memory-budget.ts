import { getHeapStatistics } from 'node:v8';

/**
 * The share of the heap each in-memory store may fill (the idempotency keys, the read cache): both
 * together stay well away from the heap limit, whatever size the pod's heap is
 * (`--max-old-space-size`), so they are evicted from long before the heap is at risk.
 */
export const STORE_HEAP_SHARE = 0.1;

/** Bytes an in-memory store may hold: `share` of this process's heap limit. */
export function heapBudgetBytes(
  share = STORE_HEAP_SHARE,
  heapLimitBytes = getHeapStatistics().heap_size_limit,
): number {
  return Math.floor(heapLimitBytes * share);
}

/** What a record costs beyond its text (the Map entry, the record object, its fields). */
const RECORD_OVERHEAD_BYTES = 512;

/**
 * An upper estimate of the heap a stored record takes: the text of its strings and the JSON text of
 * its values at two bytes a character (V8 stores non-Latin-1 text so), plus a fixed overhead.
 */
export function estimateBytes(...parts: unknown[]): number {
  let characters = 0;
  for (const part of parts) {
    if (part === undefined) continue;
    characters += typeof part === 'string' ? part.length : (JSON.stringify(part)?.length ?? 0);
  }
  return RECORD_OVERHEAD_BYTES + 2 * characters;
}
