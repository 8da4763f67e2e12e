import { Module } from '@nestjs/common';
import { ReadCacheModule } from '../read-cache/read-cache.module';
import { EventGatewayModule } from '../upstream/event-gateway.module';
import { EventWriter } from './event-writer';

/** The write path of a create, for the create routes and the delivery worker alike. */
@Module({
  imports: [EventGatewayModule, ReadCacheModule],
  providers: [EventWriter],
  exports: [EventWriter],
})
export class EventWriterModule {}
