import { Logger } from '@nestjs/common';
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
}

/**
 * Process memory, bounded: at most `maxEntries`, the least recently used dropped first, and each
 * entry dropped once its lifetime is over.
 */
export class MemoryCacheStore implements CacheStore {
  private readonly entries = new Map<string, { entry: CacheEntry; expiresAt: number }>();

  constructor(
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: string): Promise<CacheEntry | undefined> {
    const stored = this.entries.get(key);
    if (!stored) return Promise.resolve(undefined);
    this.entries.delete(key);
    if (stored.expiresAt <= this.now()) return Promise.resolve(undefined);
    this.entries.set(key, stored); // most recently used last
    return Promise.resolve(stored.entry);
  }

  set(key: string, entry: CacheEntry, lifetimeMs: number): Promise<void> {
    this.entries.delete(key);
    this.entries.set(key, { entry, expiresAt: this.now() + lifetimeMs });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
    return Promise.resolve();
  }

  delete(keys: readonly string[]): Promise<void> {
    for (const key of keys) this.entries.delete(key);
    return Promise.resolve();
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
