import { Inject, Injectable, Optional } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { QUEUE_INSPECTOR } from '../event-requests/event-request.model';
import type { QueueInspector } from '../event-requests/queue-inspector';

/**
 * The delivery queue in readiness details. A backlog never makes the pod unready (delivering it is
 * exactly what the pod is for); only an unreadable queue (Redis away) shows as degraded.
 */
@Injectable()
export class EventRequestsHealthIndicator {
  constructor(
    private readonly healthIndicators: HealthIndicatorService,
    @Optional() @Inject(QUEUE_INSPECTOR) inspector?: QueueInspector,
  ) {
    this.inspector = inspector ?? null;
  }

  private readonly inspector: QueueInspector | null;

  /** Only with REDIS_URL: without it there is no queue. */
  get configured(): boolean {
    return this.inspector !== null;
  }

  async check<const Key extends string>(key: Key): Promise<HealthIndicatorResult<Key>> {
    const session = this.healthIndicators.check(key);
    try {
      if (!this.inspector) return session.up();
      return session.up({ ...(await this.inspector.state()) });
    } catch {
      return session.degraded({ message: 'queue unreadable while Redis is away' });
    }
  }
}
