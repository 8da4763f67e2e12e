import { Module } from '@nestjs/common';
import { EventApiModule } from '../event-api/event-api.module';
import { EventsModule } from '../events/events.module';
import { EventCreationController } from './event-creation.controller';
import { EventCreation } from './event-creation.service';
import { RefuseCreatesWhileOpenHook } from './refuse-creates-while-open.hook';

/**
 * Creating events: `POST /events` now or accepted for delivery, once per Idempotency-Key, refused
 * at once while the write breaker is open. The legacy `POST /addEvent` uses the same service.
 */
@Module({
  imports: [EventsModule, EventApiModule],
  controllers: [EventCreationController],
  providers: [EventCreation, RefuseCreatesWhileOpenHook],
  exports: [EventCreation],
})
export class EventCreationModule {}
