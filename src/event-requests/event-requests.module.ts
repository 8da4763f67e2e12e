import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Redis } from 'ioredis';
import type { GatewayConfig } from '../common/config/gateway-config';
import { EventGatewayModule } from '../upstream/event-gateway.module';
import { ClockModule } from '../common/clock.module';
import { EventWriterModule } from '../event-creation/event-writer.module';
import { QUEUE_REDIS, QueueConnectionModule } from '../redis/queue-connection';
import { RedisModule } from '../redis/redis.module';
import { EventDeliveries } from './event-deliveries.service';
import { DeliveryEvents } from './delivery-events';
import { EventDeliveryWorker } from './event-delivery.worker';
import { ACCEPTED_CREATES } from '../event-creation/accepted-creates';
import { EVENT_DELIVERY_QUEUE, QUEUE_INSPECTOR } from './event-request.model';
import { EventRequestsController } from './event-requests.controller';
import { QueueInspector } from './queue-inspector';

/**
 * `Prefer: respond-async` creates: a durable BullMQ queue on the shared Redis, its worker, and
 * `GET /event-requests/{id}`. Only with REDIS_URL (nothing durable can be promised without it).
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
    { provide: ACCEPTED_CREATES, useExisting: EventDeliveries },
    { provide: QUEUE_INSPECTOR, useExisting: QueueInspector },
  ],
  exports: [ACCEPTED_CREATES, DeliveryEvents, QUEUE_INSPECTOR],
})
export class EventRequestsModule {}
