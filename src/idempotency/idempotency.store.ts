import { createHash } from 'node:crypto';
import { estimateBytes, heapBudgetBytes } from '../common/memory-budget';
import type { RedisConnection } from '../redis/redis-connection';
import { sharedOrLocal } from '../redis/shared-state';

/** What was answered the first time, to answer again (the route applies its own status code). */
export type StoredOutcome =
  | { readonly kind: 'created'; readonly event: Readonly<Record<string, unknown>> }
  | {
      readonly kind: 'accepted';
      readonly request: Readonly<Record<string, unknown>>;
    }
  | {
      readonly kind: 'refused';
      readonly status: number;
      readonly body: Readonly<Record<string, unknown>>;
      readonly headers?: Readonly<Record<string, string>>;
    };

/** What a request with a key may do, decided atomically for every replica. */
export type Claim =
  /** Go ahead under `eventId`; `mayExist`: an earlier attempt's effect upstream is unknown. */
  | { readonly action: 'proceed'; readonly eventId: string; readonly mayExist: boolean }
  | { readonly action: 'replay'; readonly outcome: StoredOutcome }
  | { readonly action: 'mismatch' }
  | { readonly action: 'in-flight' };

export interface ClaimRequest {
  readonly key: string;
  readonly fingerprint: string;
  /** The event id to use if this is the key's first request. */
  readonly eventId: string;
  /** Identifies this attempt: only it may settle the claim. */
  readonly owner: string;
  /** How long the claim holds if its owner never settles it (a crashed replica). */
  readonly leaseMs: number;
  /** How long the key is remembered. */
  readonly ttlMs: number;
}

/**
 * Where idempotency keys live. A key's record is in one of three states: in flight (its owner is
 * working on it, until its lease ends), unknown (an attempt ended without knowing whether the
 * upstream stored the event), completed (a definite outcome to replay).
 */
export interface IdempotencyStore {
  claim(request: ClaimRequest): Promise<Claim>;
  /** Records the definite outcome of the owner's attempt. */
  complete(key: string, owner: string, outcome: StoredOutcome): Promise<void>;
  /** Ends the owner's attempt without an outcome: `unknown` if the upstream may have acted. */
  release(key: string, owner: string, effectUnknown: boolean): Promise<void>;
}

interface MemoryRecord {
  fingerprint: string;
  eventId: string;
  state: 'in-flight' | 'unknown' | 'completed';
  owner?: string;
  leaseUntil?: number;
  outcome?: StoredOutcome;
  expiresAt: number;
  /** An estimate of the heap it takes (see `estimateBytes`). */
  bytes: number;
}

const recordBytes = (key: string, record: Omit<MemoryRecord, 'bytes'>): number =>
  estimateBytes(key, record.fingerprint, record.eventId, record.owner, record.outcome);

/**
 * Process memory (one replica, or the fallback while Redis is away), bounded: keys expire after
 * their TTL, and past `maxKeys` keys or `maxBytes` (an estimate of the heap they take; by default
 * a share of the heap limit) the oldest are forgotten first.
 */
export class MemoryIdempotencyStore implements IdempotencyStore {
  private readonly records = new Map<string, MemoryRecord>();
  private bytes = 0;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 100_000,
    private readonly maxBytes = heapBudgetBytes(),
  ) {}

  /** How many keys it holds, and an estimate of the heap they take. */
  get usage(): { readonly keys: number; readonly bytes: number } {
    return { keys: this.records.size, bytes: this.bytes };
  }

  claim(request: ClaimRequest): Promise<Claim> {
    const now = this.now();
    this.sweep(now);
    const record = this.records.get(request.key);
    if (!record) {
      this.store(request.key, {
        fingerprint: request.fingerprint,
        eventId: request.eventId,
        state: 'in-flight',
        owner: request.owner,
        leaseUntil: now + request.leaseMs,
        expiresAt: now + request.ttlMs,
      });
      return Promise.resolve({ action: 'proceed', eventId: request.eventId, mayExist: false });
    }
    return Promise.resolve(resume(record, request, now));
  }

  complete(key: string, owner: string, outcome: StoredOutcome): Promise<void> {
    const record = this.records.get(key);
    if (record?.state === 'in-flight' && record.owner === owner) {
      this.store(key, {
        ...record,
        state: 'completed',
        outcome,
        owner: undefined,
        leaseUntil: undefined,
      });
      this.sweep(this.now());
    }
    return Promise.resolve();
  }

  release(key: string, owner: string, effectUnknown: boolean): Promise<void> {
    const record = this.records.get(key);
    if (record?.state !== 'in-flight' || record.owner !== owner) return Promise.resolve();
    if (effectUnknown) {
      Object.assign(record, { state: 'unknown', owner: undefined, leaseUntil: undefined });
    } else {
      this.forget(key);
    }
    return Promise.resolve();
  }

  /** Whether this replica holds a record for `key`. */
  has(key: string): boolean {
    const record = this.records.get(key);
    return record !== undefined && record.expiresAt > this.now();
  }

  /**
   * Keeps what became of a claim made elsewhere (in Redis) whose settling could not reach it: a
   * definite outcome, or an unknown effect under the claim's event id. A retry reaching this
   * replica is then answered from it.
   */
  remember(request: ClaimRequest, outcome: StoredOutcome | 'unknown'): void {
    const now = this.now();
    this.forget(request.key);
    this.store(request.key, {
      fingerprint: request.fingerprint,
      eventId: request.eventId,
      ...(outcome === 'unknown' ? { state: 'unknown' } : { state: 'completed', outcome }),
      expiresAt: now + request.ttlMs,
    });
    this.sweep(now);
  }

  /** Sets `key`'s record (in place of any it had, keeping its position), counting its bytes. */
  private store(key: string, record: Omit<MemoryRecord, 'bytes'>): void {
    const bytes = recordBytes(key, record);
    this.bytes += bytes - (this.records.get(key)?.bytes ?? 0);
    this.records.set(key, { ...record, bytes });
  }

  private forget(key: string): void {
    const record = this.records.get(key);
    if (!record) return;
    this.bytes -= record.bytes;
    this.records.delete(key);
  }

  private sweep(now: number): void {
    // Insertion order is expiry order (one TTL for all): stop at the first key still alive.
    for (const [key, record] of this.records) {
      const withinBounds = this.records.size < this.maxKeys && this.bytes <= this.maxBytes;
      if (record.expiresAt > now && withinBounds) break;
      this.forget(key);
    }
  }
}

/** The decision for a key that has a record (shared by both stores' logic). */
function resume(record: MemoryRecord, request: ClaimRequest, now: number): Claim {
  if (record.fingerprint !== request.fingerprint) return { action: 'mismatch' };
  if (record.state === 'completed' && record.outcome) {
    return { action: 'replay', outcome: record.outcome };
  }
  if (record.state === 'in-flight' && (record.leaseUntil ?? 0) > now)
    return { action: 'in-flight' };
  // Unknown, or in flight by an owner that never came back: try again under the same id, and ask
  // the upstream first whether the earlier attempt stored it.
  Object.assign(record, {
    state: 'in-flight',
    owner: request.owner,
    leaseUntil: now + request.leaseMs,
  });
  return { action: 'proceed', eventId: record.eventId, mayExist: true };
}

/**
 * The claim as one Redis script, using Redis's own clock for leases so that every replica agrees.
 * Records hold only scalars; a completed one holds its outcome as JSON text, returned untouched.
 */
const CLAIM_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local raw = redis.call('GET', KEYS[1])
if not raw then
  redis.call('SET', KEYS[1], cjson.encode({ fingerprint = ARGV[1], eventId = ARGV[2], state = 'in-flight',
    owner = ARGV[3], leaseUntil = now + tonumber(ARGV[4]) }), 'PX', ARGV[5])
  return { 'proceed', ARGV[2], '0' }
end
local record = cjson.decode(raw)
if record.fingerprint ~= ARGV[1] then return { 'mismatch' } end
if record.state == 'completed' then return { 'replay', record.outcome } end
if record.state == 'in-flight' and tonumber(record.leaseUntil) > now then return { 'in-flight' } end
record.state = 'in-flight'
record.owner = ARGV[3]
record.leaseUntil = now + tonumber(ARGV[4])
redis.call('SET', KEYS[1], cjson.encode(record), 'KEEPTTL')
return { 'proceed', record.eventId, '1' }
`;

/** ARGV[1] owner, ARGV[2] outcome JSON (complete) or '1'/'0' effect unknown (release). */
const SETTLE_SCRIPT = `
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local record = cjson.decode(raw)
if record.state ~= 'in-flight' or record.owner ~= ARGV[1] then return 0 end
if ARGV[3] == 'complete' then
  redis.call('SET', KEYS[1], cjson.encode({ fingerprint = record.fingerprint, eventId = record.eventId,
    state = 'completed', outcome = ARGV[2] }), 'KEEPTTL')
elseif ARGV[2] == '1' then
  redis.call('SET', KEYS[1], cjson.encode({ fingerprint = record.fingerprint, eventId = record.eventId,
    state = 'unknown' }), 'KEEPTTL')
else
  redis.call('DEL', KEYS[1])
end
return 1
`;

type ClaimCommand = (
  key: string,
  fingerprint: string,
  eventId: string,
  owner: string,
  leaseMs: number,
  ttlMs: number,
) => Promise<string[]>;
type SettleCommand = (key: string, owner: string, value: string, mode: string) => Promise<number>;

/** Redis, shared by every replica: a retry is recognised whichever replica it reaches. */
export class RedisIdempotencyStore implements IdempotencyStore {
  constructor(
    private readonly redis: RedisConnection,
    private readonly keyPrefix: string,
  ) {
    redis.client.defineCommand('eventGatewayClaim', { numberOfKeys: 1, lua: CLAIM_SCRIPT });
    redis.client.defineCommand('eventGatewaySettle', { numberOfKeys: 1, lua: SETTLE_SCRIPT });
  }

  async claim(request: ClaimRequest): Promise<Claim> {
    const [action, value, mayExist] = await this.redis.run((client) =>
      (client as unknown as { eventGatewayClaim: ClaimCommand }).eventGatewayClaim(
        this.redisKey(request.key),
        request.fingerprint,
        request.eventId,
        request.owner,
        request.leaseMs,
        request.ttlMs,
      ),
    );
    switch (action) {
      case 'proceed':
        return { action, eventId: value, mayExist: mayExist === '1' };
      case 'replay':
        return { action, outcome: JSON.parse(value) as StoredOutcome };
      case 'mismatch':
      case 'in-flight':
        return { action };
      default:
        throw new Error(`Unexpected idempotency claim answer: ${action}`);
    }
  }

  async complete(key: string, owner: string, outcome: StoredOutcome): Promise<void> {
    await this.settle(key, owner, JSON.stringify(outcome), 'complete');
  }

  async release(key: string, owner: string, effectUnknown: boolean): Promise<void> {
    await this.settle(key, owner, effectUnknown ? '1' : '0', 'release');
  }

  private async settle(key: string, owner: string, value: string, mode: string): Promise<void> {
    await this.redis.run((client) =>
      (client as unknown as { eventGatewaySettle: SettleCommand }).eventGatewaySettle(
        this.redisKey(key),
        owner,
        value,
        mode,
      ),
    );
  }

  /** The client's key is hashed: it can be any printable text, and never becomes a Redis key. */
  private redisKey(key: string): string {
    return `${this.keyPrefix}idempotency:${createHash('sha256').update(key).digest('base64url')}`;
  }
}

/**
 * Redis while it answers, this replica's memory while it does not: creates keep working during a
 * Redis outage, and a retry that reaches the same replica is still recognised (one that reaches
 * another replica is not: the docs say so). A key this replica has handled in memory (claimed
 * while Redis was away, or settled while it was) is answered from memory first, also once Redis is
 * back: Redis does not know that outcome, or holds only a claim that was never settled.
 */
export class FallbackIdempotencyStore implements IdempotencyStore {
  /** Claims made in Redis and not yet settled, by owner: kept here if settling them fails. */
  private readonly inHand = new Map<string, ClaimRequest>();

  constructor(
    private readonly shared: IdempotencyStore,
    private readonly local: MemoryIdempotencyStore,
  ) {}

  async claim(request: ClaimRequest): Promise<Claim> {
    if (this.local.has(request.key)) return this.local.claim(request);
    return sharedOrLocal(
      async () => {
        const claim = await this.shared.claim(request);
        if (claim.action === 'proceed') {
          this.inHand.set(request.owner, { ...request, eventId: claim.eventId });
        }
        return claim;
      },
      () => this.local.claim(request),
    );
  }

  async complete(key: string, owner: string, outcome: StoredOutcome): Promise<void> {
    const [shared] = await Promise.allSettled([
      this.shared.complete(key, owner, outcome),
      this.local.complete(key, owner, outcome),
    ]);
    this.settled(owner, shared, outcome);
  }

  async release(key: string, owner: string, effectUnknown: boolean): Promise<void> {
    const [shared] = await Promise.allSettled([
      this.shared.release(key, owner, effectUnknown),
      this.local.release(key, owner, effectUnknown),
    ]);
    // Nothing was done: the claim in Redis lapses with its lease, and a retry starts afresh.
    this.settled(owner, shared, effectUnknown ? 'unknown' : undefined);
  }

  private settled(
    owner: string,
    shared: PromiseSettledResult<void>,
    kept: StoredOutcome | 'unknown' | undefined,
  ): void {
    const request = this.inHand.get(owner);
    this.inHand.delete(owner);
    if (request && shared.status === 'rejected' && kept) this.local.remember(request, kept);
  }
}
