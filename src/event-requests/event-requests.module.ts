import { BullModule } from '@nestjs/bullmq';
import { Global, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Redis } from 'ioredis';
import type { GatewayConfig } from '../config/gateway-config';
import { EventApiModule } from '../event-api/event-api.module';
import { EventsModule } from '../events/events.module';
import { QUEUE_REDIS, QueueConnectionModule } from '../redis/queue-connection';
import { EventDeliveries } from './event-deliveries.service';
import { DeliveryEvents } from './delivery-events';
import { EventDeliveryWorker } from './event-delivery.worker';
import { EVENT_DELIVERIES, EVENT_DELIVERY_QUEUE, QUEUE_INSPECTOR } from './event-request.model';
import { EventRequestsController } from './event-requests.controller';
import { QueueInspector } from './queue-inspector';

/**
 * `Prefer: respond-async` creates: a durable BullMQ queue on the shared Redis, its worker, and
 * `GET /event-requests/{id}`. Only with REDIS_URL (nothing durable can be promised without it).
 * Global so that the create path, readiness and metrics find it when it exists. Loaded only then
 * (app.module.ts): BullMQ costs ~25 MiB and ~150 ms at start-up.
 */
@Global()
@Module({
  imports: [
    BullModule.registerQueueAsync({
      name: EVENT_DELIVERY_QUEUE,
      imports: [QueueConnectionModule],
      inject: [QUEUE_REDIS, ConfigService],
      useFactory: (connection: Redis, config: ConfigService<GatewayConfig, true>) => ({
        // Its own patient connection (a late answer at start-up must not break the queue for
        // good); requests bound each queue operation themselves (REDIS_QUEUE_TIMEOUT_MS).
        connection,
        prefix: `${config.get('redis.keyPrefix', { infer: true })}queue`,
      }),
    }),
    EventsModule,
    EventApiModule,
  ],
  controllers: [EventRequestsController],
  providers: [
    EventDeliveries,
    DeliveryEvents,
    EventDeliveryWorker,
    QueueInspector,
    { provide: EVENT_DELIVERIES, useExisting: EventDeliveries },
    { provide: QUEUE_INSPECTOR, useExisting: QueueInspector },
  ],
  exports: [EVENT_DELIVERIES, DeliveryEvents, QUEUE_INSPECTOR],
})
export class EventRequestsModule {}
