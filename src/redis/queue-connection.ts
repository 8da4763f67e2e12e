import { Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Redis } from 'ioredis';
import type { GatewayConfig } from '../common/config/gateway-config';
import { reconnectDelayMs } from './redis-connection';

/**
 * The create queue's own connection to Redis. Unlike the gateway's fail-fast connection it has no
 * command timeout and waits through disconnections: BullMQ's start-up commands (its version check,
 * its scripts) must never fail because a busy host or a stalled Redis answered late, or the queue
 * would stay unusable until a restart. Requests never wait on it for long: each queue operation a
 * request makes has its own deadline (REDIS_QUEUE_TIMEOUT_MS, see EventDeliveries).
 */
export function createQueueConnection(url: string): Redis {
  const client = new Redis(url, {
    maxRetriesPerRequest: null,
    retryStrategy: reconnectDelayMs,
    connectionName: 'event-gateway-queue',
  });
  // Outages are the fail-fast connection's to report, once; without a listener ioredis prints each.
  client.on('error', () => undefined);
  return client;
}

/** Rejects with `timeoutError()` if `operation` has not settled within `ms` (it keeps running). */
export function withDeadline<T>(operation: Promise<T>, ms: number, timeoutError: () => Error) {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timeoutError()), ms);
    timer.unref();
  });
  return Promise.race([operation, deadline]).finally(() => clearTimeout(timer));
}

/** Injection token of the queue's connection (only where the queue exists: REDIS_URL). */
export const QUEUE_REDIS = Symbol('QUEUE_REDIS');

/** Closes the queue's connection at shutdown, at once if Redis is away (no wait for a QUIT). */
@Injectable()
class QueueConnectionShutdown implements OnApplicationShutdown {
  constructor(@Inject(QUEUE_REDIS) private readonly client: Redis) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.client.status !== 'ready') {
      this.client.disconnect();
      return;
    }
    await withDeadline(this.client.quit(), 1000, () => new Error('QUIT timed out')).catch(() =>
      this.client.disconnect(),
    );
  }
}

/** The queue's connection, for the queue's module to import. */
@Module({
  providers: [
    {
      provide: QUEUE_REDIS,
      inject: [ConfigService],
      useFactory: (config: ConfigService<GatewayConfig, true>) =>
        // The module exists only with REDIS_URL (app.module.ts).
        createQueueConnection(config.get('redis.url', { infer: true }) ?? ''),
    },
    QueueConnectionShutdown,
  ],
  exports: [QUEUE_REDIS],
})
export class QueueConnectionModule {}
