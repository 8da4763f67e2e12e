import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { ensureBuilt } from './support/built-servers';

/**
 * Runs `script` in a Node process with a small heap (as a pod with --max-old-space-size has), the
 * built gateway's modules at hand as `built(path)`. Resolves with how it ended.
 */
function runWithHeap(heapMiB: number, script: string) {
  const root = join(ensureBuilt().gateway, '..');
  const prelude = `const built = (p) => require(${JSON.stringify(root)} + '/' + p);`;
  return new Promise<{ code: number | null; signal: string | null; stdout: string }>((resolve) => {
    execFile(
      process.execPath,
      [`--max-old-space-size=${heapMiB}`, '-e', `${prelude}\n${script}`],
      { timeout: 120_000, maxBuffer: 1024 * 1024 },
      (error, stdout) => {
        const failure = error as (Error & { code?: number; signal?: string }) | null;
        resolve({
          code: failure ? (failure.code ?? null) : 0,
          signal: failure?.signal ?? null,
          stdout,
        });
      },
    );
  });
}

describe('in-memory stores are bounded by bytes, from the heap limit (e2e, real processes)', () => {
  it('keeps idempotency keys within a 64 MiB heap however many keyed creates arrive', async () => {
    // 60 000 keys of 236 characters, each with a 2.2 KB outcome: ~150 MiB if all were kept.
    const result = await runWithHeap(
      64,
      `
      const { MemoryIdempotencyStore } = built('idempotency/idempotency.store.js');
      const store = new MemoryIdempotencyStore();
      (async () => {
        for (let i = 0; i < 60000; i += 1) {
          const key = String(i).padStart(236, 'k');
          const owner = 'owner-' + i;
          await store.claim({ key, fingerprint: 'f'.repeat(43), eventId: 'e-' + i, owner, leaseMs: 1000, ttlMs: 86400000 });
          await store.complete(key, owner, { kind: 'created', event: { id: 'e-' + i, name: 'n', userId: '1', details: String(i).padStart(2200, 'd') } });
        }
        const newest = await store.claim({ key: String(59999).padStart(236, 'k'), fingerprint: 'f'.repeat(43), eventId: 'x', owner: 'o', leaseMs: 1000, ttlMs: 86400000 });
        console.log(JSON.stringify({ usage: store.usage, newest: newest.action }));
      })();
      `,
    );
    expect({ code: result.code, signal: result.signal }).toEqual({ code: 0, signal: null });
    const { usage, newest } = JSON.parse(result.stdout) as {
      usage: { keys: number; bytes: number };
      newest: string;
    };
    expect(newest).toBe('replay'); // the newest keys are kept
    expect(usage.keys).toBeLessThan(60000); // the oldest were forgotten to stay within bounds
  }, 180_000);

  it('keeps the read cache within a 64 MiB heap when its entries are large', async () => {
    // 10 000 entries (the entry bound) of 50 KB each: ~1 GB if all were kept.
    const result = await runWithHeap(
      64,
      `
      const { MemoryCacheStore } = built('read-cache/cache-store.js');
      const store = new MemoryCacheStore(10000);
      (async () => {
        for (let i = 0; i < 10000; i += 1) {
          await store.set('k' + i, { storedAt: 0, value: [{ id: String(i), name: String(i).padStart(50000, 'v') }] }, 60000);
        }
        console.log(JSON.stringify({ size: store.size, newest: (await store.get('k9999')) !== undefined }));
      })();
      `,
    );
    expect({ code: result.code, signal: result.signal }).toEqual({ code: 0, signal: null });
    const { size, newest } = JSON.parse(result.stdout) as { size: number; newest: boolean };
    expect(newest).toBe(true);
    expect(size).toBeLessThan(10000);
  }, 180_000);
});
