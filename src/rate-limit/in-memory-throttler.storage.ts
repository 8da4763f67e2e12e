import { monotonicClock, toSeconds, type Clock } from '../common';
import type { ThrottlerStorage } from '@nestjs/throttler';

/** What `ThrottlerStorage.increment` resolves to (the package does not export the type by name). */
export type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;
interface Window {
  /** When the current window ends (clock ms). */
  endsAt: number;
  hits: number;
  /** While blocked: when the block ends; 0 when not blocked. */
  blockedUntil: number;
}

/**
 * A fixed-window counter per key, in process memory: constant work per request and three numbers
 * per key, whatever the traffic (@nestjs/throttler's own in-memory storage keeps every hit's
 * expiry and filters the list on each request).
 *
 * Idle keys are dropped without a sweep: keys live in two generations of maps that rotate every
 * `max(ttl, blockDuration)`; a key touched since the last rotation is in the current one, and a
 * key untouched for two rotations is dropped with its whole generation, so memory is bounded by
 * the clients seen in the last two periods.
 */
export class InMemoryThrottlerStorage implements ThrottlerStorage {
  private current = new Map<string, Window>();
  private previous = new Map<string, Window>();
  private rotatedAt: number;
  private periodMs = 0;

  constructor(private readonly clock: Clock = monotonicClock) {
    this.rotatedAt = clock.now();
  }

  /** Keys held in memory (both generations). */
  get size(): number {
    return this.current.size + this.previous.size;
  }

  increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    _throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    return Promise.resolve(this.incrementNow(key, ttl, limit, blockDuration));
  }

  /** `increment`, answered at once (the request pipeline's rate limit needs no promise here). */
  incrementNow(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
  ): ThrottlerStorageRecord {
    const now = this.clock.now();
    this.rotate(now, Math.max(ttl, blockDuration));
    let window = this.current.get(key);
    if (!window) {
      window = this.previous.get(key);
      if (window) {
        this.previous.delete(key);
        this.current.set(key, window);
      }
    }
    const blockOver =
      window !== undefined && window.blockedUntil !== 0 && window.blockedUntil <= now;
    if (!window || (now >= window.endsAt && window.blockedUntil <= now) || blockOver) {
      window = { endsAt: now + ttl, hits: 0, blockedUntil: 0 };
      this.current.set(key, window);
    }
    return count(window, now, ttl, limit, blockDuration);
  }

  private rotate(now: number, periodMs: number): void {
    if (periodMs > this.periodMs) this.periodMs = periodMs;
    if (now - this.rotatedAt < this.periodMs) return;
    // Two periods or more without a request: everything is stale.
    this.previous =
      now - this.rotatedAt >= 2 * this.periodMs ? new Map<string, Window>() : this.current;
    this.current = new Map();
    this.rotatedAt = now;
  }
}

/** Counts one request in `window` (unless it is blocked) and says what the guard should do. */
function count(
  window: Window,
  now: number,
  ttl: number,
  limit: number,
  blockDuration: number,
): ThrottlerStorageRecord {
  if (window.blockedUntil > now) {
    return {
      totalHits: window.hits,
      timeToExpire: toSeconds(window.endsAt - now),
      isBlocked: true,
      timeToBlockExpire: toSeconds(window.blockedUntil - now),
    };
  }
  window.hits += 1;
  const over = window.hits > limit;
  if (over && blockDuration > 0) window.blockedUntil = now + blockDuration;
  return {
    totalHits: window.hits,
    timeToExpire: toSeconds(window.endsAt - now),
    isBlocked: over,
    timeToBlockExpire: over
      ? toSeconds(blockDuration > 0 ? blockDuration : window.endsAt - now)
      : 0,
  };
}
