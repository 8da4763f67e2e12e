import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { ShutdownState } from './shutdown-state';

/** `down` from the moment shutdown starts, so load balancers drain the pod before it closes. */
@Injectable()
export class ShutdownHealthIndicator {
  constructor(
    private readonly healthIndicators: HealthIndicatorService,
    private readonly shutdown: ShutdownState,
  ) {}

  check<const Key extends string>(key: Key): HealthIndicatorResult<Key> {
    const session = this.healthIndicators.check(key);
    return this.shutdown.isShuttingDown ? session.down({ message: 'shutting down' }) : session.up();
  }
}
