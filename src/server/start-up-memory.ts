import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** How long after listening the gateway gives back its start-up memory: the first probes first. */
export const RELEASE_AFTER_LISTEN_MS = 250;

type CollectGarbage = (options: {
  type: 'major';
  execution: 'sync';
  flavor: 'last-resort';
}) => void;

/**
 * Gives back to the system the young generation V8 grew to while the gateway loaded. The pod's
 * `--max-semi-space-size=8` lets it reach 16 MiB during start-up, and V8 keeps it committed at
 * idle with about 4 MiB in use. One last-resort collection (what V8 runs under memory pressure)
 * shrinks it to its minimum; under load V8 grows it again as it needs. Measured on Node 24 with
 * the bundle: idle RSS 114 MiB before, 98 MiB after, for one pause of 80–105 ms on a 2-core VM,
 * run once, shortly after listening (docs/performance.md). On runtimes whose collector ignores
 * the last-resort flavour (Node 20) it is an ordinary full collection.
 *
 * V8 exposes its collector to scripts only behind --expose-gc: the flag is set for the moment it
 * takes to fetch the function from a new context, then cleared, so no other code sees a `gc`.
 */
export function releaseStartUpMemory(): void {
  setFlagsFromString('--expose-gc');
  let collect: CollectGarbage;
  try {
    collect = runInNewContext('gc') as CollectGarbage;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
  collect({ type: 'major', execution: 'sync', flavor: 'last-resort' });
}

/** The committed size of V8's young generation, in bytes. */
export function youngGenerationBytes(): number {
  return (
    getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? 0
  );
}
