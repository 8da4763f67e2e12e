import { BullModule } from '@nestjs/bullmq';
import { Global, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { GatewayConfig } from '../config/gateway-config';
import { EventApiModule } from '../event-api/event-api.module';
import { EventsModule } from '../events/events.module';
import type { RedisConnection } from '../redis/redis-connection';
import { REDIS } from '../redis/redis.module';
import { EventDeliveries } from './event-deliveries.service';
import { DeliveryEvents, EventDeliveryWorker } from './event-delivery.worker';
import { EVENT_DELIVERY_QUEUE } from './event-request.model';
import { EventRequestsController } from './event-requests.controller';
import { QueueInspector } from './queue-inspector';

/**
 * `Prefer: respond-async` creates: a durable BullMQ queue on the shared Redis, its worker, and
 * `GET /event-requests/{id}`. Only with REDIS_URL (nothing durable can be promised without it).
 * Global so that the create path can find `EventDeliveries` when it exists.
 */
@Global()
@Module({
  imports: [
    BullModule.registerQueueAsync({
      name: EVENT_DELIVERY_QUEUE,
      inject: [REDIS, ConfigService],
      useFactory: (redis: RedisConnection, config: ConfigService<GatewayConfig, true>) => ({
        // The gateway's fail-fast connection: queueing fails at once while Redis is away.
        connection: redis.client,
        prefix: `${config.get('redis.keyPrefix', { infer: true })}queue`,
      }),
    }),
    EventsModule,
    EventApiModule,
  ],
  controllers: [EventRequestsController],
  providers: [EventDeliveries, DeliveryEvents, EventDeliveryWorker, QueueInspector],
  exports: [EventDeliveries, DeliveryEvents, QueueInspector],
})
export class EventRequestsModule {}
