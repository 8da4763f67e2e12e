import { Module } from '@nestjs/common';
import { ReadCacheModule } from '../read-cache/read-cache.module';
import { EventGatewayModule } from '../upstream/event-gateway.module';
import { EventsController } from './events.controller';
import { EventsService } from './events.service';

@Module({
  imports: [EventGatewayModule, ReadCacheModule],
  controllers: [EventsController],
  providers: [EventsService],
  exports: [EventsService],
})
export class EventsModule {}
