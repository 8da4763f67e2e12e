import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { randomUUID } from 'node:crypto';
import { ApiError } from '../common/errors/api-error';
import type { GatewayConfig } from '../common/config/gateway-config';
import type { Claim, IdempotencyStore, StoredOutcome } from './idempotency.store';

/** Injection token of the `IdempotencyStore`. */
export const IDEMPOTENCY_STORE = Symbol('IDEMPOTENCY_STORE');

/** A claimed key: settle it exactly once with `complete` or `release`. */
export interface KeyClaim {
  readonly key: string;
  readonly owner: string;
  readonly eventId: string;
  /** An earlier attempt under this key may have stored the event upstream. */
  readonly mayExist: boolean;
}

/**
 * Idempotency-Key for creates (IETF httpapi draft): the first request with a key claims it; a
 * later one with the same body replays the first definite outcome, with a different body is
 * refused (422), and while the first is still in flight is refused too (409). A key whose attempt
 * ended without a definite outcome keeps its event id, so the retry can ask the upstream whether
 * that event exists before sending it again.
 */
@Injectable()
export class Idempotency {
  private readonly ttlMs: number;
  private readonly leaseMs: number;

  constructor(
    @Inject(IDEMPOTENCY_STORE) private readonly store: IdempotencyStore,
    config: ConfigService<GatewayConfig, true>,
  ) {
    this.ttlMs = config.get('idempotency.ttlMs', { infer: true });
    // Long enough for an attempt's upstream calls (a look-up, an owner check, the send); an
    // attempt that holds it longer belongs to a replica that is gone.
    this.leaseMs = 4 * config.get('upstream.timeoutMs', { infer: true }) + 5000;
  }

  /**
   * Claims `key` for a request whose validated body has `fingerprint`. Resolves to the claim to
   * proceed with, or to the stored outcome to replay; throws 422 or 409 as the draft says.
   */
  async claim(
    key: string,
    fingerprint: string,
  ): Promise<{ replay: StoredOutcome } | { claim: KeyClaim }> {
    const owner = randomUUID();
    const claim: Claim = await this.store.claim({
      key,
      fingerprint,
      eventId: randomUUID(),
      owner,
      leaseMs: this.leaseMs,
      ttlMs: this.ttlMs,
    });
    switch (claim.action) {
      case 'replay':
        return { replay: claim.outcome };
      case 'proceed':
        return { claim: { key, owner, eventId: claim.eventId, mayExist: claim.mayExist } };
      case 'mismatch':
        throw new ApiError({
          status: 422,
          code: 'IDEMPOTENCY_KEY_REUSED',
          message: 'This Idempotency-Key was first used with a different body',
          log: 'none',
        });
      case 'in-flight':
        throw new ApiError({
          status: 409,
          code: 'IDEMPOTENCY_REQUEST_IN_FLIGHT',
          message: 'A request with this Idempotency-Key is still being processed: retry shortly',
          headers: { 'retry-after': '1' },
          log: 'none',
        });
    }
  }

  complete(claim: KeyClaim, outcome: StoredOutcome): Promise<void> {
    return this.store.complete(claim.key, claim.owner, outcome);
  }

  /** Ends the claim without an outcome; `effectUnknown` keeps the key's event id for the retry. */
  release(claim: KeyClaim, effectUnknown: boolean): Promise<void> {
    return this.store.release(claim.key, claim.owner, effectUnknown);
  }
}
