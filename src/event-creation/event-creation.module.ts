import { type DynamicModule, Module, type Type } from '@nestjs/common';
import { IdempotencyModule } from '../idempotency/idempotency.module';
import { EventGatewayModule } from '../upstream/event-gateway.module';
import { CreateRefusal } from './create-refusal';
import { EventCreationController } from './event-creation.controller';
import { EventCreation } from './event-creation.service';
import { EventWriterModule } from './event-writer.module';

/**
 * Creating events: `POST /events` now or accepted for delivery, once per Idempotency-Key, refused
 * at once while the write breaker is open. The legacy `POST /addEvent` uses the same service.
 */
@Module({})
export class EventCreationModule {
  /**
   * @param queue the module of the queue of accepted creates (`EventRequestsModule`, with
   * REDIS_URL): with it, `Prefer: respond-async` is honoured.
   */
  static register(queue?: Type): DynamicModule {
    return {
      module: EventCreationModule,
      imports: [
        EventWriterModule,
        EventGatewayModule,
        IdempotencyModule,
        ...(queue ? [queue] : []),
      ],
      controllers: [EventCreationController],
      providers: [EventCreation, CreateRefusal],
      exports: [EventCreation],
    };
  }
}
