import { Module } from '@nestjs/common';
import { EventApiModule } from '../event-api/event-api.module';
import { EventsController } from './events.controller';
import { EventsService } from './events.service';
import { RefuseCreatesWhileOpenHook } from './refuse-creates-while-open.hook';

@Module({
  imports: [EventApiModule],
  controllers: [EventsController],
  providers: [EventsService, RefuseCreatesWhileOpenHook],
  exports: [EventsService],
})
export class EventsModule {}
