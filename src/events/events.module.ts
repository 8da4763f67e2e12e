import { Module } from '@nestjs/common';
import { EventApiModule } from '../event-api/event-api.module';
import { EventsController } from './events.controller';
import { EventsService } from './events.service';

@Module({
  imports: [EventApiModule],
  controllers: [EventsController],
  providers: [EventsService],
  exports: [EventsService],
})
export class EventsModule {}
