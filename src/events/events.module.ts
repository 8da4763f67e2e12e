import { Module } from '@nestjs/common';
import { UpstreamModule } from '../upstream/upstream.module';
import { EventsController } from './events.controller';
import { EventsService } from './events.service';

@Module({
  imports: [UpstreamModule],
  controllers: [EventsController],
  providers: [EventsService],
})
export class EventsModule {}
