import { Emitter, toSeconds, WALL_CLOCK, type Clock } from '../common';
import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';

import { Answer } from '../common/answer';
import { ApiError } from '../common/errors/api-error';
import type { GatewayConfig } from '../common/config/gateway-config';
import { sharedOrLocal } from '../redis/shared-state';
import type { CacheEntry, CacheStore } from './cache-store';

/** Injection token of the `CacheStore` (memory or Redis). */
export const CACHE_STORE = Symbol('CACHE_STORE');

/**
 * Names of cached reads, one per resource whatever path served it (a legacy alias shares its
 * resource's entry). Ids are validated before they get here and encoded again all the same.
 */
export const CacheKeys = {
  users: () => 'users',
  user: (id: string) => `users/${encodeURIComponent(id)}`,
  userEvents: (id: string) => `users/${encodeURIComponent(id)}/events`,
  events: () => 'events',
  event: (id: string) => `events/${encodeURIComponent(id)}`,
  /** Everything a new event of `userId` changes. */
  changedByCreate: (userId: string) => [
    CacheKeys.users(),
    CacheKeys.user(userId),
    CacheKeys.userEvents(userId),
    CacheKeys.events(),
  ],
} as const;

/** The cache named in `Cache-Status` (RFC 9211). */
export const CACHE_NAME = 'event-gateway';

export type CacheOutcome = 'hit' | 'stale' | 'miss';

/** What happened in the read cache, for metrics. */
export type ReadCacheEvent =
  | { readonly kind: 'read'; readonly outcome: CacheOutcome }
  | { readonly kind: 'store-error'; readonly operation: 'get' | 'set' | 'delete' | 'parse' };

/** Where the read cache reports what it does; metrics subscribe. */
@Injectable()
export class ReadCacheEvents extends Emitter<ReadCacheEvent> {}

/** A read answered through the cache, with what the `Cache-Status` and `Age` headers say. */
export interface CachedRead<T> {
  readonly value: T;
  readonly cacheStatus: string;
  /** Seconds since the upstream answered; only for answers from the cache. */
  readonly ageSeconds?: number;
}

/** Options of a read through the cache. */
export interface ReadOptions<T> {
  /**
   * Whether a loaded value may be stored (by default every one is): a value that is not (a
   * partial answer) is served once, marked `fwd=miss` without `stored`, and never served again.
   */
  readonly storable?: (value: T) => boolean;
}

/** An entry held in the cache, fresh or within stale-if-error, as `peek` finds it. */
export interface HeldEntry {
  readonly value: unknown;
  /** Milliseconds since the upstream answered. */
  readonly ageMs: number;
  /** Whether it is still within READ_CACHE_TTL_MS. */
  readonly fresh: boolean;
}

/**
 * The read cache (RFC 9111 semantics, RFC 9211 `Cache-Status`): a stored read is served without
 * asking the upstream for READ_CACHE_TTL_MS; past that, the upstream is asked again, and if it
 * fails (5xx, timeout, connection lost, malformed body) or its breaker refuses the call, the stored
 * copy is still served for READ_CACHE_STALE_IF_ERROR_MS more (stale-if-error), marked with a
 * negative `ttl`. A store that fails (Redis away) is skipped: the read goes to the upstream.
 */
@Injectable()
export class ReadCache {
  private readonly ttlMs: number;
  private readonly staleIfErrorMs: number;

  constructor(
    @Inject(CACHE_STORE) private readonly store: CacheStore,
    private readonly events: ReadCacheEvents,
    @Inject(WALL_CLOCK) private readonly clock: Clock,
    config: ConfigService<GatewayConfig, true>,
  ) {
    const settings = config.get('readCache', { infer: true });
    this.ttlMs = settings.ttlMs;
    this.staleIfErrorMs = settings.staleIfErrorMs;
  }

  /** `read`, as the route's answer: the value with its `Cache-Status` and `Age` headers. */
  async serve<T>(
    key: string,
    load: () => Promise<T>,
    options: ReadOptions<T> = {},
  ): Promise<Answer<T>> {
    return toAnswer(await this.read(key, load, options));
  }

  /**
   * Whether `freshAnswer` can ever answer: entries are kept (READ_CACHE_TTL_MS above 0) in a store
   * read at once (process memory). The request pipeline adds its step for cached reads only then.
   */
  get answersAtOnce(): boolean {
    return this.store.getNow !== undefined && this.ttlMs > 0;
  }

  /**
   * `serve`'s answer for a fresh hit, when the store can tell at once (process memory): the request
   * pipeline answers such a read before Nest's handler runs. `undefined` when `serve` must decide:
   * no entry or not a fresh one (the upstream is asked, or a stale copy may answer), or a store that
   * must be asked (Redis).
   */
  freshAnswer(key: string): Answer<unknown> | undefined {
    if (!this.answersAtOnce) return undefined;
    const entry = this.store.getNow?.(key);
    if (!entry) return undefined;
    const hit = this.freshHit(entry);
    return hit && toAnswer(hit);
  }

  async read<T>(
    key: string,
    load: () => Promise<T>,
    options: ReadOptions<T> = {},
  ): Promise<CachedRead<T>> {
    const { entry, storeFailed } = await this.lookup(key);
    const hit = entry && this.freshHit<T>(entry);
    if (hit) return hit;
    const ageMs = entry ? Math.max(0, this.clock.now() - entry.storedAt) : 0;
    let value: T;
    try {
      value = await load();
    } catch (error) {
      if (entry && isSourceFailure(error) && ageMs < this.ttlMs + this.staleIfErrorMs) {
        const staleBy = Math.max(1, toSeconds(ageMs - this.ttlMs));
        return this.answer(entry, 'stale', `${CACHE_NAME}; hit; ttl=-${staleBy}`, ageMs);
      }
      throw error;
    }
    this.events.emit({ kind: 'read', outcome: 'miss' });
    if (options.storable?.(value) === false) {
      return { value, cacheStatus: `${CACHE_NAME}; fwd=miss` };
    }
    const stored = await this.save(key, { storedAt: this.clock.now(), value });
    const detail = storeFailed || !stored ? '; detail=store-unavailable' : '';
    return { value, cacheStatus: `${CACHE_NAME}; fwd=miss${stored ? '; stored' : ''}${detail}` };
  }

  /**
   * The entry held under `key` if it is fresh or still within stale-if-error, with its age;
   * `undefined` otherwise, or while the store is unavailable. Never loads, and counts no read: for
   * filling a hole in a partial answer with the last good copy of one part.
   */
  async peek(key: string): Promise<HeldEntry | undefined> {
    const { entry } = await this.lookup(key);
    if (!entry) return undefined;
    const ageMs = Math.max(0, this.clock.now() - entry.storedAt);
    if (ageMs >= this.ttlMs + this.staleIfErrorMs) return undefined;
    return { value: entry.value, ageMs, fresh: ageMs < this.ttlMs };
  }

  /** Forgets `keys` everywhere (every replica, with Redis): a write changed what they hold. */
  async invalidate(keys: readonly string[]): Promise<void> {
    try {
      await this.store.delete(keys);
    } catch {
      // Redis away: its entries expire within the fresh window at worst.
      this.events.emit({ kind: 'store-error', operation: 'delete' });
    }
  }

  /** The hit a fresh entry gives (counted), or `undefined` once it is past READ_CACHE_TTL_MS. */
  private freshHit<T>(entry: CacheEntry): CachedRead<T> | undefined {
    const ageMs = Math.max(0, this.clock.now() - entry.storedAt);
    if (ageMs >= this.ttlMs) return undefined;
    return this.answer(
      entry,
      'hit',
      `${CACHE_NAME}; hit; ttl=${toSeconds(this.ttlMs - ageMs)}`,
      ageMs,
    );
  }

  private answer<T>(
    entry: CacheEntry,
    outcome: 'hit' | 'stale',
    cacheStatus: string,
    ageMs: number,
  ): CachedRead<T> {
    this.events.emit({ kind: 'read', outcome });
    return { value: entry.value as T, cacheStatus, ageSeconds: Math.floor(ageMs / 1000) };
  }

  private async lookup(key: string): Promise<{ entry?: CacheEntry; storeFailed: boolean }> {
    if (this.ttlMs + this.staleIfErrorMs === 0) return { storeFailed: false };
    return sharedOrLocal<{ entry?: CacheEntry; storeFailed: boolean }>(
      async () => ({ entry: await this.store.get(key), storeFailed: false }),
      () => {
        this.events.emit({ kind: 'store-error', operation: 'get' });
        return { storeFailed: true };
      },
    );
  }

  private async save(key: string, entry: CacheEntry): Promise<boolean> {
    const lifetimeMs = this.ttlMs + this.staleIfErrorMs;
    if (lifetimeMs === 0) return false;
    try {
      await this.store.set(key, entry, lifetimeMs);
      return true;
    } catch {
      this.events.emit({ kind: 'store-error', operation: 'set' });
      return false;
    }
  }
}

/** A read as the route's answer: the value with its `Cache-Status` and `Age` headers. */
const toAnswer = <T>(read: CachedRead<T>): Answer<T> =>
  new Answer(
    read.value,
    read.ageSeconds === undefined
      ? { 'cache-status': read.cacheStatus }
      : { 'cache-status': read.cacheStatus, age: String(read.ageSeconds) },
  );

/** Whether `error` says the upstream failed (its verdict), so a stale copy may answer instead. */
const isSourceFailure = (error: unknown): boolean =>
  error instanceof ApiError && error.sourceFailed;
