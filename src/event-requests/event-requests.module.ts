import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Redis } from 'ioredis';
import type { GatewayConfig } from '../common/config/gateway-config';
import { EventGatewayModule } from '../upstream/event-gateway.module';
import { ClockModule } from '../common/clock.module';
import { EventWriterModule } from '../event-creation/event-writer.module';
import { QUEUE_REDIS, QueueConnectionModule } from '../redis/queue-connection';
import { DeadLetterQueue } from './dead-letters.service';
import { RedisModule } from '../redis/redis.module';
import { EventDeliveries } from './event-deliveries.service';
import { DeliveryEvents } from './delivery-events';
import { EventDeliveryWorker } from './event-delivery.worker';
import { ACCEPTED_CREATES } from '../event-creation/accepted-creates';
import { DEAD_LETTERS, EVENT_DELIVERY_QUEUE, QUEUE_INSPECTOR } from './event-request.model';
import { EventRequestsController } from './event-requests.controller';
import { QueueInspector } from './queue-inspector';

/**
 * `Prefer: respond-async` creates: a durable BullMQ queue on the shared Redis, its worker, and
 * `GET /event-requests/{id}`, and the failed ones for the admin routes (`DEAD_LETTERS`). Only with REDIS_URL (nothing durable can be promised without it).
 * The create path, readiness and metrics import it when it exists (app.module.ts hands it to
 * them). Loaded only then: BullMQ costs ~25 MiB and ~150 ms at start-up.
 */
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
    QueueConnectionModule,
    ClockModule,
    RedisModule,
    EventWriterModule,
    EventGatewayModule,
  ],
  controllers: [EventRequestsController],
  providers: [
    EventDeliveries,
    DeliveryEvents,
    EventDeliveryWorker,
    QueueInspector,
    DeadLetterQueue,
    { provide: DEAD_LETTERS, useExisting: DeadLetterQueue },
    { provide: ACCEPTED_CREATES, useExisting: EventDeliveries },
    { provide: QUEUE_INSPECTOR, useExisting: QueueInspector },
  ],
  exports: [ACCEPTED_CREATES, DeliveryEvents, QUEUE_INSPECTOR, DEAD_LETTERS],
})
export class EventRequestsModule {}
