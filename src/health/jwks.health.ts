import { Inject, Injectable, Optional } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { JWKS_STATE, type JwksStateSource } from '../auth/principal';

/**
 * The identity provider's keys, when authentication is on: `up`, or `degraded` while the JWKS
 * cannot be fetched. Never `down`: the known keys keep verifying tokens, and taking every pod out
 * of service for an identity provider's outage would refuse even the requests that still work.
 */
@Injectable()
export class JwksHealthIndicator {
  constructor(
    private readonly healthIndicators: HealthIndicatorService,
    @Optional() @Inject(JWKS_STATE) private readonly jwks?: JwksStateSource,
  ) {}

  get configured(): boolean {
    return this.jwks !== undefined;
  }

  check<const Key extends string>(key: Key): HealthIndicatorResult<Key> {
    const session = this.healthIndicators.check(key);
    const state = this.jwks?.state();
    if (!state || state.status === 'up') return session.up({ keys: state?.keys ?? 0 });
    return session.degraded({
      keys: state.keys,
      message:
        state.keys > 0
          ? `unavailable (${state.error ?? 'not fetched yet'}): the known keys keep verifying tokens`
          : `unavailable (${state.error ?? 'not fetched yet'}): no keys yet, tokens cannot be verified`,
    });
  }
}
