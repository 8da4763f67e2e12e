import { runInNewContext } from 'node:vm';
import { releaseStartUpMemory, youngGenerationBytes } from './start-up-memory';

const MiB = 1024 * 1024;
const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

/** Makes V8 grow its young generation: many objects that survive a few scavenges. */
function growYoungGeneration(): number {
  const kept: { i: number; s: string }[] = [];
  for (let i = 0; i < 400_000; i += 1) kept.push({ i, s: `x${i}` });
  return kept.length; // garbage once this returns
}

describe('releaseStartUpMemory', () => {
  it('shrinks the young generation grown while loading back to its minimum (Node 24, the image)', () => {
    growYoungGeneration();
    const grown = youngGenerationBytes();
    expect(grown).toBeGreaterThan(4 * MiB);
    releaseStartUpMemory();
    // Node 20's collector ignores the last-resort flavour: a full collection that keeps the size.
    expect(youngGenerationBytes()).toBeLessThanOrEqual(NODE_MAJOR >= 24 ? 2 * MiB : grown);
  });

  it('leaves no gc function for other code', () => {
    releaseStartUpMemory();
    expect(runInNewContext('typeof gc')).toBe('undefined');
  });
});
