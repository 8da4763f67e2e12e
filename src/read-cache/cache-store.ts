import { Logger } from '@nestjs/common';
import { estimateBytes, heapBudgetBytes } from '../common/memory-budget';
import type { RedisConnection } from '../redis/redis-connection';

/** A stored read: what the upstream answered, and when (wall-clock ms, comparable across replicas). */
export interface CacheEntry {
  readonly storedAt: number;
  readonly value: unknown;
}

/** Where the read cache keeps its entries: process memory, or Redis shared by every replica. */
export interface CacheStore {
  get(key: string): Promise<CacheEntry | undefined>;
  /** Keeps the entry for `lifetimeMs`, after which it is gone. */
  set(key: string, entry: CacheEntry, lifetimeMs: number): Promise<void>;
  delete(keys: readonly string[]): Promise<void>;
  /**
   * The entry, read at once, for stores that hold it in this process (memory); absent on stores
   * that must be asked (Redis).
   */
  readonly getNow?: (key: string) => CacheEntry | undefined;
}

/**
 * Process memory, bounded: at most `maxEntries`, and at most `maxBytes` (an estimate of the heap
 * the entries take; by default a share of the heap limit: entries are of any size), the least
 * recently used dropped first, and each entry dropped once its lifetime is over.
 */
export class MemoryCacheStore implements CacheStore {
  private readonly entries = new Map<
    string,
    { entry: CacheEntry; expiresAt: number; bytes: number }
  >();
  private bytes = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
    private readonly maxBytes = heapBudgetBytes(),
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** An estimate of the heap the entries take. */
  get sizeBytes(): number {
    return this.bytes;
  }

  get(key: string): Promise<CacheEntry | undefined> {
    return Promise.resolve(this.getNow(key));
  }

  readonly getNow = (key: string): CacheEntry | undefined => {
    const stored = this.entries.get(key);
    if (!stored) return undefined;
    this.entries.delete(key);
    if (stored.expiresAt <= this.now()) {
      this.bytes -= stored.bytes;
      return undefined;
    }
    this.entries.set(key, stored); // most recently used last
    return stored.entry;
  };

  set(key: string, entry: CacheEntry, lifetimeMs: number): Promise<void> {
    this.remove(key);
    const bytes = estimateBytes(key, entry.value);
    this.entries.set(key, { entry, expiresAt: this.now() + lifetimeMs, bytes });
    this.bytes += bytes;
    while (this.entries.size > this.maxEntries || this.bytes > this.maxBytes) {
      this.remove(this.entries.keys().next().value as string);
    }
    return Promise.resolve();
  }

  delete(keys: readonly string[]): Promise<void> {
    for (const key of keys) this.remove(key);
    return Promise.resolve();
  }

  private remove(key: string): void {
    const stored = this.entries.get(key);
    if (!stored) return;
    this.bytes -= stored.bytes;
    this.entries.delete(key);
  }
}

/** Redis, shared by every replica. Values are JSON; keys are namespaced under the gateway's prefix. */
export class RedisCacheStore implements CacheStore {
  constructor(
    private readonly redis: RedisConnection,
    private readonly keyPrefix: string,
    /** Hears entries that cannot be read back (a corrupt value is a miss, never an error). */
    private readonly onUnreadable: (key: string) => void,
    private readonly logger = new Logger('ReadCache'),
  ) {}

  async get(key: string): Promise<CacheEntry | undefined> {
    const text = await this.redis.run((client) => client.get(this.redisKey(key)));
    if (text === null) return undefined;
    try {
      const parsed = JSON.parse(text) as Partial<CacheEntry>;
      if (typeof parsed.storedAt === 'number' && 'value' in parsed) return parsed as CacheEntry;
    } catch {
      // handled below
    }
    this.onUnreadable(key);
    this.logger.warn(`Unreadable read-cache entry "${key}": treated as a miss`);
    return undefined;
  }

  async set(key: string, entry: CacheEntry, lifetimeMs: number): Promise<void> {
    await this.redis.run((client) =>
      client.set(this.redisKey(key), JSON.stringify(entry), 'PX', Math.max(1, lifetimeMs)),
    );
  }

  async delete(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.redis.run((client) => client.del(...keys.map((key) => this.redisKey(key))));
  }

  private redisKey(key: string): string {
    return `${this.keyPrefix}read-cache:${key}`;
  }
}
