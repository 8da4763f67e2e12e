import { type Disposable } from '../common';
import {
  Inject,
  Injectable,
  Optional,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import { Gauge, register, type Counter } from 'prom-client';

import { ReadCacheEvents } from '../read-cache/read-cache.service';
import type { RedisConnection } from '../redis/redis-connection';
import { REDIS } from '../redis/redis.module';
import { METRICS } from './metric-names';

/** The read cache's outcomes and store errors, and whether Redis is up. */
@Injectable()
export class SharedStateMetrics implements OnModuleInit, OnModuleDestroy {
  private readonly subscriptions: Disposable[] = [];

  constructor(
    private readonly cacheEvents: ReadCacheEvents,
    @Optional() @Inject(REDIS) private readonly redis: RedisConnection | null,
    @InjectMetric(METRICS.readCacheRequests) private readonly reads: Counter<'outcome'>,
    @InjectMetric(METRICS.readCacheStoreErrors) private readonly storeErrors: Counter<'operation'>,
  ) {}

  /** Only with REDIS_URL: without Redis there is nothing to be up or down. */
  private redisUp?: Gauge;

  onModuleInit(): void {
    for (const outcome of ['hit', 'stale', 'miss']) this.reads.inc({ outcome }, 0);
    this.subscriptions.push(
      this.cacheEvents.on((event) => {
        if (event.kind === 'read') this.reads.inc({ outcome: event.outcome });
        else this.storeErrors.inc({ operation: event.operation });
      }),
    );
    const redis = this.redis;
    if (redis) {
      const gauge =
        (register.getSingleMetric(METRICS.redisUp) as Gauge | undefined) ??
        new Gauge({ name: METRICS.redisUp, help: 'Whether Redis answers (1) or not (0)' });
      this.redisUp = gauge;
      gauge.set(redis.up ? 1 : 0);
      this.subscriptions.push(redis.onChange((up) => gauge.set(up ? 1 : 0)));
    }
  }

  onModuleDestroy(): void {
    for (const subscription of this.subscriptions.splice(0)) subscription.dispose();
    if (this.redisUp) register.removeSingleMetric(METRICS.redisUp);
  }
}
