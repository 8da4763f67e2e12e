import { toSeconds } from '../common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { RedisConnection } from '../redis/redis-connection';
import { sharedOrLocal } from '../redis/shared-state';
import type { ThrottlerStorageRecord } from './in-memory-throttler.storage';

/**
 * One atomic step of a fixed-window counter with blocking, for every replica at once. KEYS[1] is
 * the window's counter, KEYS[2] the block marker; ARGV: window ms, limit, block ms. Returns
 * { hits, window ms left, blocked (0/1), block ms left }. Constant work per request: one INCR and a
 * few reads of the same two keys, which expire by themselves.
 */
const INCREMENT_SCRIPT = `
local blockLeft = redis.call('PTTL', KEYS[2])
if blockLeft > 0 then
  local hits = tonumber(redis.call('GET', KEYS[1]) or '0')
  return { hits, math.max(redis.call('PTTL', KEYS[1]), 0), 1, blockLeft }
end
local hits = redis.call('INCR', KEYS[1])
local windowLeft = redis.call('PTTL', KEYS[1])
if windowLeft < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  windowLeft = tonumber(ARGV[1])
end
if hits > tonumber(ARGV[2]) then
  local block = tonumber(ARGV[3])
  if block > 0 then
    redis.call('SET', KEYS[2], '1', 'PX', block)
    return { hits, windowLeft, 1, block }
  end
  return { hits, windowLeft, 1, windowLeft }
end
return { hits, windowLeft, 0, 0 }
`;

type RateLimitCommand = (
  hitsKey: string,
  blockedKey: string,
  windowMs: number,
  limit: number,
  blockMs: number,
) => Promise<[number, number, number, number]>;

/** @nestjs/throttler's storage on Redis: one limit shared by every replica. */
export class RedisThrottlerStorage implements ThrottlerStorage {
  constructor(
    private readonly redis: RedisConnection,
    private readonly keyPrefix: string,
  ) {
    // Sent once, then called by its SHA (EVALSHA), re-sent by ioredis if Redis forgot it.
    redis.client.defineCommand('eventGatewayRateLimit', { numberOfKeys: 2, lua: INCREMENT_SCRIPT });
  }

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    // The hash tag keeps both keys of a client in one slot (Redis Cluster).
    const base = `${this.keyPrefix}rate-limit:{${throttlerName}:${key}}`;
    const [hits, windowLeftMs, blocked, blockLeftMs] = await this.redis.run((client) =>
      (client as unknown as { eventGatewayRateLimit: RateLimitCommand }).eventGatewayRateLimit(
        `${base}:hits`,
        `${base}:blocked`,
        ttl,
        limit,
        blockDuration,
      ),
    );
    return {
      totalHits: hits,
      timeToExpire: toSeconds(windowLeftMs),
      isBlocked: blocked === 1,
      timeToBlockExpire: blocked === 1 ? toSeconds(blockLeftMs) : 0,
    };
  }
}

/**
 * Redis while it is available, this replica's memory while it is not: a Redis outage makes the
 * limit per replica (N times looser behind N replicas) instead of switching it off (failing open)
 * or refusing traffic (failing closed). The limiter keeps protecting the gateway and the upstream
 * from one client, and never becomes the reason requests fail.
 */
export class FallbackThrottlerStorage implements ThrottlerStorage {
  constructor(
    private readonly shared: ThrottlerStorage,
    private readonly local: ThrottlerStorage,
  ) {}

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    return sharedOrLocal(
      () => this.shared.increment(key, ttl, limit, blockDuration, throttlerName),
      () => this.local.increment(key, ttl, limit, blockDuration, throttlerName),
    );
  }
}
