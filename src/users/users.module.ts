import { Module } from '@nestjs/common';
import { ReadCacheModule } from '../read-cache/read-cache.module';
import { EventGatewayModule } from '../upstream/event-gateway.module';
import { PartialUserEvents } from './partial-user-events';
import { UsersController } from './users.controller';
import { UsersService } from './users.service';

@Module({
  imports: [EventGatewayModule, ReadCacheModule],
  controllers: [UsersController],
  providers: [UsersService, PartialUserEvents],
  exports: [UsersService],
})
export class UsersModule {}
